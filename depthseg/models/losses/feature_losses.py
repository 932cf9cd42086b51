"""FeatDepth's pure loss functions (spec ``featdepth.md`` §2.4–2.6, §3.2, §6).

* :func:`feature_regularization`: the autoencoder's ``−dis·S1 + cvt·S2``;
* :func:`autoencoder_loss_terms`: every term of the FeatureNet loss
  (stand-alone autoencoder or the joint model's copy).

The shared math (``charbonnier``, ``edge_aware_terms``,
``reprojection_error``) lives in :mod:`depthseg.models.losses.functional`.
"""
from typing import Dict, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor

from .functional import edge_aware_terms, reprojection_error


def feature_regularization(
        feature: Tensor, img: Tensor, dis: float = 1e-3, cvt: float = 1e-3,
        alpha: float = 1.0) -> Tuple[Tensor, Tensor, Tensor]:
    """The autoencoder's feature regulariser (spec §3.2a, before the
    per-level ``/2^i/num_levels``).

    Args:
        feature: B×C×h×w encoder feature map.
        img: B×3×H×W image (area-resized to h×w).
        dis: weight of the discriminative (first-order) term, maximised.
        cvt: weight of the convergent (second-order) term, minimised.

    Returns:
        ``(−dis·S1 + cvt·S2, S1, S2)``: scalars.
    """
    s1, s2 = edge_aware_terms(feature, img, alpha)
    return -dis * s1 + cvt * s2, s1, s2


def reconstruction_targets(img: Tensor, sizes: Sequence,
                           chained: bool = True) -> list:
    """Targets of the reconstructions: bilinear (align_corners=False)
    resizes of the B×3×H×W image to each of ``sizes`` ((h, w) per scale, in
    scale order). ``chained``: each target is resized from the previous one
    (the stand-alone autoencoder); otherwise directly from ``img`` (the
    joint model, quirk Q11)."""
    targets, prev = [], img
    for size in sizes:
        src = prev if chained else img
        t = src if tuple(src.shape[-2:]) == tuple(size) else F.interpolate(
            src, size=tuple(size), mode='bilinear', align_corners=False)
        targets.append(t)
        prev = t
    return targets


def autoencoder_loss_terms(features: Sequence[Tensor],
                           recons: Dict[int, Tensor],
                           img: Tensor, chained_targets: bool = True,
                           dis: float = 1e-3, cvt: float = 1e-3,
                           ssim_weight: float = 0.85) -> Dict[str, Tensor]:
    """Every term of FeatDepth's autoencoder (FeatureNet) loss.

    Args:
        features: encoder feature maps ``[f_0, …, f_{L−1}]`` (B×C_i×h_i×w_i,
            f_i at H/2^(i+1) for the ResNet encoder).
        recons: ``{s: B×3×H/2^s×W/2^s}`` decoder reconstructions in [0, 1].
        img: B×3×H×W un-augmented target image in [0, 1].
        chained_targets: True for the stand-alone autoencoder (targets
            resized from the previous scale, spec §3.2b), False for the joint
            model's direct resizes (spec §6, quirk Q11); it also selects the
            key names of that model.
        dis, cvt: weights of the discriminative / convergent regularisers.
        ssim_weight: SSIM weight of the reconstruction error (0.85; the
            rest is Charbonnier).

    Returns:
        With ``chained_targets`` (``autoencoder.compute_losses``):

        * ``smooth_loss_{i}`` = ``(−dis·S1 + cvt·S2)(f_i, img; a=1)/2^i/L``;
        * ``min_reconstruct_loss_{s}`` =
          ``mean(0.85·DSSIM + 0.15·Charbonnier)(R_s, T_s) / num_scales``.

        Without (``mono_fm_joint``): the same values under the names
        ``feature_regularization_loss_{i}`` and ``img_reconstruct_loss_{s}``.
        The total loss is the sum of every value. Names do not start with
        ``loss`` (mmengine sums only ``loss*`` keys): prefix them when
        returning them from a model.
    """
    if not features or not recons:
        raise ValueError('autoencoder_loss_terms needs at least one feature '
                         'map and one reconstruction')
    if img.dim() != 4 or img.shape[1] != 3:
        raise ValueError(f'img must be B×3×H×W, got {tuple(img.shape)}')
    reg_name = 'smooth_loss' if chained_targets else \
        'feature_regularization_loss'
    rec_name = 'min_reconstruct_loss' if chained_targets else \
        'img_reconstruct_loss'
    terms = {}
    num_levels = len(features)
    for i, feature in enumerate(features):
        value = feature_regularization(feature, img, dis, cvt)[0]
        terms[f'{reg_name}_{i}'] = value / 2**i / num_levels
    scales = sorted(recons)
    for s, r in zip(scales, [recons[s] for s in scales]):
        if r.shape[:2] != img.shape[:2]:
            raise ValueError(f'reconstruction {s} {tuple(r.shape)} does not '
                             f'match the image {tuple(img.shape)}')
    targets = reconstruction_targets(
        img, [recons[s].shape[-2:] for s in scales], chained_targets)
    for s, target in zip(scales, targets):
        err = reprojection_error(recons[s], target, ssim_weight,
                                 l1='charbonnier')
        terms[f'{rec_name}_{s}'] = err.mean() / len(scales)
    return terms
