"""PackNet-SfM multi-view photometric loss as pure functions (packnet spec
§2; ``losses/multiview_photometric_loss.py`` and ``utils/image.py`` of the
original). A loss plugin calls these; nothing here holds state.

Reused depthseg helpers: :func:`~depthseg.models.losses.functional.ssim_loss`
(same SSIM loss map with C1/C2 given) and
:func:`~depthseg.models.losses.functional.reprojection_error` (the
``α·SSIM + (1−α)·L1`` map, with its C1/C2 options) inside
:func:`photometric_map`, which adds the α = 0 per-channel map and
clip_loss. Variants written here because the shared helper differs in a
detail:
:func:`ssim` (the raw index, not exposed by ``functional.ssim_loss``),
:func:`calc_smoothness` (signed per-pixel maps, not only the means of
``functional.edge_aware_smoothness``, which :func:`smoothness_terms`
uses). :func:`inv_depths_normalize` is ``functional.mean_normalise`` with
its ``min_mean`` option (``clamp(mean, 1e-6)``).
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.models.utils.packnet_geometry import (inv2depth,
                                                    pose_vec_to_matrix,
                                                    scale_intrinsics,
                                                    view_synthesis)
from .functional import (edge_aware_smoothness, mean_normalise,
                         reprojection_error)

#: Values of ``photometric_reduce_op``.
REDUCE_OPS = ('min', 'mean')


# ------------------------------------------------------------- SSIM / photo
def ssim(x: Tensor, y: Tensor, C1: float = 1e-4, C2: float = 9e-4,
         kernel_size: int = 3, stride: int = 1) -> Tensor:
    """The raw SSIM index map (reflection pad 1, ``kernel_size`` average
    pooling): ``(2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² +
    C2))``, per channel."""
    x = F.pad(x, (1, 1, 1, 1), mode='reflect')
    y = F.pad(y, (1, 1, 1, 1), mode='reflect')
    mu_x = F.avg_pool2d(x, kernel_size, stride)
    mu_y = F.avg_pool2d(y, kernel_size, stride)
    mu_x_mu_y = mu_x * mu_y
    mu_x_sq, mu_y_sq = mu_x.pow(2), mu_y.pow(2)
    sigma_x = F.avg_pool2d(x.pow(2), kernel_size, stride) - mu_x_sq
    sigma_y = F.avg_pool2d(y.pow(2), kernel_size, stride) - mu_y_sq
    sigma_xy = F.avg_pool2d(x * y, kernel_size, stride) - mu_x_mu_y
    num = (2 * mu_x_mu_y + C1) * (2 * sigma_xy + C2)
    den = (mu_x_sq + mu_y_sq + C1) * (sigma_x + sigma_y + C2)
    return num / den


def photometric_map(t_est: Tensor, image: Tensor,
                    ssim_loss_weight: float = 0.85, C1: float = 1e-4,
                    C2: float = 9e-4, clip_loss: float = 0.0) -> Tensor:
    """One photometric map (``calc_photometric_loss`` for one scale).

    ``α·mean_c SSIM_loss + (1−α)·mean_c|t_est − image|`` (B×1×H×W) with
    ``SSIM_loss = clamp((1 − SSIM)/2, 0, 1)``; with ``α = 0`` the
    per-channel L1 map (B×C×H×W). ``clip_loss > 0`` clamps the map at
    ``float(mean + clip_loss·std)`` (unbiased std over the whole map).
    """
    if ssim_loss_weight > 0:
        loss = reprojection_error(t_est, image, ssim_loss_weight, C1=C1,
                                  C2=C2)
    else:
        loss = (t_est - image).abs()
    if clip_loss > 0.0:
        mean, std = loss.mean(), loss.std()
        loss = torch.clamp(loss, max=float(mean + clip_loss * std))
    return loss


def calc_photometric_loss(t_est: Sequence[Tensor], images: Sequence[Tensor],
                          **kwargs) -> List[Tensor]:
    """:func:`photometric_map` for every scale (keyword arguments are
    passed on)."""
    return [photometric_map(t, i, **kwargs) for t, i in zip(t_est, images)]


def reduce_photometric_loss(photometric_losses: Sequence[Sequence[Tensor]],
                            reduce_op: str = 'min') -> Tensor:
    """``(1/n) Σ_i P_i`` over the n scales.

    ``'min'``: ``P_i = mean(per-pixel min over the maps of scale i)`` (no
    tie-break noise, quirk Q9; pixels where an identity map wins are still
    averaged, quirk Q12). ``'mean'``: ``P_i = mean_j mean(map_j)``.
    """
    if reduce_op not in REDUCE_OPS:
        raise ValueError(f'photometric_reduce_op must be one of '
                         f'{REDUCE_OPS}, got {reduce_op!r}')

    def reduce(losses):
        if reduce_op == 'mean':
            return sum(loss.mean() for loss in losses) / len(losses)
        return torch.cat(list(losses), 1).min(1, True)[0].mean()

    n = len(photometric_losses)
    return sum(reduce(losses) for losses in photometric_losses) / n


# ------------------------------------------------------------------ scales
def interpolate_image(image: Tensor, shape, mode: str = 'bilinear',
                      align_corners: Optional[bool] = True) -> Tensor:
    """Resize to ``shape[-2:]`` (identity when the size already matches)."""
    size = tuple(shape[-2:])
    if tuple(image.shape[-2:]) == size:
        return image
    if mode == 'nearest':
        align_corners = None
    return F.interpolate(image, size=size, mode=mode,
                         align_corners=align_corners)


def match_scales(image: Tensor, targets: Sequence[Tensor], num_scales: int,
                 mode: str = 'bilinear',
                 align_corners: Optional[bool] = True) -> List[Tensor]:
    """The image resized to each of the first ``num_scales`` targets'
    sizes (bilinear, align_corners=True)."""
    return [interpolate_image(image, targets[i].shape, mode, align_corners)
            for i in range(num_scales)]


def upsample_inv_depths(inv_depths: Sequence[Tensor],
                        mode: str = 'nearest') -> List[Tensor]:
    """Every scale resized to the size of scale 0 (``upsample_output``
    with ``upsample_depth_maps``: nearest, quirk Q13)."""
    shape = inv_depths[0].shape
    return [interpolate_image(d, shape, mode) for d in inv_depths]


# -------------------------------------------------------------- smoothness
def inv_depths_normalize(inv_depths: Sequence[Tensor],
                         min_mean: float = 1e-6) -> List[Tensor]:
    """``d / clamp(mean_HW(d), min_mean)`` for every map (always applied,
    quirk Q3; :func:`~depthseg.models.losses.functional.mean_normalise`
    with ``min_mean``)."""
    return [mean_normalise(d, min_mean=min_mean) for d in inv_depths]


def gradient_x(x: Tensor) -> Tensor:
    return x[:, :, :, :-1] - x[:, :, :, 1:]


def gradient_y(x: Tensor) -> Tensor:
    return x[:, :, :-1, :] - x[:, :, 1:, :]


def calc_smoothness(inv_depths: Sequence[Tensor], images: Sequence[Tensor],
                    num_scales: int):
    """Signed edge-aware smoothness maps per scale: ``(sx, sy)`` lists with
    ``sx = ∂x d · exp(−mean_c|∂x I|)`` on the mean-normalised inverse depth
    d (same in y)."""
    norm = inv_depths_normalize(inv_depths[:num_scales])
    smoothness_x, smoothness_y = [], []
    for i in range(num_scales):
        weight_x = torch.exp(-gradient_x(images[i]).abs().mean(1, True))
        weight_y = torch.exp(-gradient_y(images[i]).abs().mean(1, True))
        smoothness_x.append(gradient_x(norm[i]) * weight_x)
        smoothness_y.append(gradient_y(norm[i]) * weight_y)
    return smoothness_x, smoothness_y


def smoothness_terms(inv_depths: Sequence[Tensor], images: Sequence[Tensor],
                     num_scales: int) -> List[Tensor]:
    """``mean|sx_i| + mean|sy_i|`` per scale (before ``/2^i``): the shared
    :func:`~depthseg.models.losses.functional.edge_aware_smoothness` on the
    mean-normalised inverse depth (``|∂d·w| = |∂d|·w`` exactly for w > 0,
    same as the signed maps of :func:`calc_smoothness`)."""
    norm = inv_depths_normalize(inv_depths[:num_scales])
    return [edge_aware_smoothness(norm[i], images[i])
            for i in range(num_scales)]


def calc_smoothness_loss(inv_depths: Sequence[Tensor],
                         images: Sequence[Tensor], num_scales: int,
                         smooth_loss_weight: float = 1e-3) -> Tensor:
    """``w · (1/n) Σ_i (mean|sx_i| + mean|sy_i|) / 2^i`` (quirk Q29: the
    config weight 1e-3)."""
    terms = smoothness_terms(inv_depths, images, num_scales)
    total = sum(terms[i] / 2**i for i in range(num_scales)) / num_scales
    return smooth_loss_weight * total


# ----------------------------------------------------- progressive scaling
class ProgressiveScaling:
    """Number of loss scales as training progresses (packnet spec §2.5).

    With ``p = progressive_scaling > 0`` the thresholds are float32
    ``[p, 2p, …, 1.0]`` and the intended count is
    ``num_scales − searchsorted(thresholds, progress)`` (side left).

    Args:
        legacy_noop: True (default, quirk Q2 reproduced): the original
            stores the thresholds as a NumPy array and checks ``is_list``,
            so the count is always ``num_scales``. False: the intended,
            working schedule (opt-in).
    """

    def __init__(self, progressive_scaling: float = 0.0,
                 num_scales: int = 1, legacy_noop: bool = True):
        self.num_scales = num_scales
        self.legacy_noop = legacy_noop
        self.thresholds = None
        if progressive_scaling > 0.0:
            self.thresholds = np.float32(
                [progressive_scaling * (i + 1)
                 for i in range(num_scales - 1)] + [1.0])

    def __call__(self, progress: float) -> int:
        if self.legacy_noop or self.thresholds is None:
            return self.num_scales
        return int(self.num_scales -
                   np.searchsorted(self.thresholds, progress))


# -------------------------------------------------------------- end to end
def warp_ref_image(inv_depths: Sequence[Tensor], ref_image: Tensor, K: Tensor,
                   ref_K: Tensor, pose: Tensor, num_scales: int,
                   padding_mode: str = 'zeros') -> List[Tensor]:
    """Warp one context image at every scale (``warp_ref_image``).

    Scale i uses the cameras scaled by ``s = W_i / W`` (both axes) and the
    context image bilinearly resized (align_corners=True); ``pose`` is the
    ``B×4×4`` target -> context transform.
    """
    width = ref_image.shape[-1]
    ref_images = match_scales(ref_image, inv_depths, num_scales)
    warped = []
    for i in range(num_scales):
        s = inv_depths[i].shape[-1] / float(width)
        warped.append(
            view_synthesis(ref_images[i], inv2depth(inv_depths[i]),
                           scale_intrinsics(ref_K, s), pose,
                           scale_intrinsics(K, s), padding_mode=padding_mode))
    return warped


def multiview_photometric_loss(
        image: Tensor, context: Sequence[Tensor],
        inv_depths: Sequence[Tensor], K: Tensor, poses: Sequence[Tensor],
        ref_K: Optional[Tensor] = None, num_scales: int = 4,
        ssim_loss_weight: float = 0.85, smooth_loss_weight: float = 1e-3,
        C1: float = 1e-4, C2: float = 9e-4, photometric_reduce_op: str = 'min',
        clip_loss: float = 0.0, padding_mode: str = 'zeros',
        automask_loss: bool = True, progressive_scaling: float = 0.0,
        progress: float = 0.0, legacy_progressive_scaling_noop: bool = True,
        return_details: bool = False) -> Dict[str, Union[Tensor, list, int]]:
    """``MultiViewPhotometricLoss.forward`` (packnet spec §2.1–2.5).

    Args:
        image: ``B×3×H×W`` un-jittered target (``rgb_original``).
        context: context images (``rgb_context_original``).
        inv_depths: inverse depths, finest first (already nearest-upsampled
            to H×W when the model's ``upsample_depth_maps`` is on).
        K, ref_K: ``B×3×3`` intrinsics of target and contexts (ref_K
            defaults to K, as the original).
        poses: ``B×4×4`` target -> context transforms, or ``B×6`` Euler pose
            vectors (converted with :func:`pose_vec_to_matrix`).
        automask_loss: add the identity (unwarped) maps; the list per scale
            is ``[L_c0, I_c0, L_c1, I_c1, ...]`` (quirk Q11).
        progressive_scaling, progress, legacy_progressive_scaling_noop:
            see :class:`ProgressiveScaling`.
        return_details: also return the per-scale pieces.

    Returns:
        ``loss`` (shape [1], photometric + smoothness), ``photometric_loss``,
        ``smoothness_loss`` (weighted; 0 when the weight is 0) and
        ``num_scales``; with ``return_details`` also ``P`` (per-scale
        reductions), ``smooth_terms``, ``warped`` / ``photo`` /
        ``identity`` (per context, per scale) and ``poses``. The original
        also logs the total as ``photometric_loss`` (in-place add); that
        metric is ``loss``.
    """
    if photometric_reduce_op not in REDUCE_OPS:
        raise ValueError(f'photometric_reduce_op must be one of '
                         f'{REDUCE_OPS}, got {photometric_reduce_op!r}')
    if automask_loss and photometric_reduce_op != 'min':
        raise ValueError("automask_loss requires photometric_reduce_op "
                         "'min'")
    if len(inv_depths) < num_scales:
        raise ValueError(f'{num_scales} loss scales but only '
                         f'{len(inv_depths)} inverse-depth maps')
    if len(poses) != len(context):
        raise ValueError(f'{len(context)} context images but {len(poses)} '
                         'poses')
    ref_K = K if ref_K is None else ref_K
    n = ProgressiveScaling(progressive_scaling, num_scales,
                           legacy_progressive_scaling_noop)(progress)
    poses = [pose_vec_to_matrix(p) if p.dim() == 2 else p for p in poses]
    photo_kwargs = dict(ssim_loss_weight=ssim_loss_weight, C1=C1, C2=C2,
                        clip_loss=clip_loss)
    images = match_scales(image, inv_depths, n)
    photometric_losses = [[] for _ in range(n)]
    warped_all, photo_all, identity_all = [], [], []
    for ref_image, pose in zip(context, poses):
        warped = warp_ref_image(inv_depths, ref_image, K, ref_K, pose, n,
                                padding_mode)
        photo = calc_photometric_loss(warped, images, **photo_kwargs)
        identity = None
        if automask_loss:
            ref_images = match_scales(ref_image, inv_depths, n)
            identity = calc_photometric_loss(ref_images, images,
                                             **photo_kwargs)
        for i in range(n):
            photometric_losses[i].append(photo[i])
            if identity is not None:
                photometric_losses[i].append(identity[i])
        warped_all.append(warped)
        photo_all.append(photo)
        identity_all.append(identity)
    photometric = reduce_photometric_loss(photometric_losses,
                                          photometric_reduce_op)
    smoothness = torch.zeros_like(photometric)
    terms = None
    if smooth_loss_weight > 0.0:
        terms = smoothness_terms(inv_depths, images, n)
        smoothness = smooth_loss_weight * (
            sum(terms[i] / 2**i for i in range(n)) / n)
    out = dict(loss=(photometric + smoothness).unsqueeze(0),
               photometric_loss=photometric, smoothness_loss=smoothness,
               num_scales=n)
    if return_details:
        out.update(
            P=[reduce_photometric_loss([losses], photometric_reduce_op)
               for losses in photometric_losses],
            smooth_terms=terms, warped=warped_all, photo=photo_all,
            identity=identity_all, poses=poses)
    return out
