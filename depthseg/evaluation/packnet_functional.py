"""PackNet-SfM depth evaluation as pure functions (packnet spec §4.1–4.2;
``ModelWrapper.evaluate_depth``, ``post_process_inv_depth`` and
``compute_depth_metrics`` of the original).

Differences from Monodepth2's :func:`~depthseg.evaluation.functional.
evaluate_depth_sample`: the prediction is inverted to depth at network
resolution and the *depth* is bilinearly resized (align_corners=True,
quirk Q17), validity is the strict ``min_depth < gt < max_depth`` with
min 0 (quirk Q19), the median is ``torch.median`` (lower middle value) and
an image without valid GT is skipped instead of raising. Reused helpers:
:func:`~depthseg.evaluation.functional.garg_crop`,
:func:`~depthseg.evaluation.functional.compute_depth_errors` and
:func:`~depthseg.models.utils.post_process.batch_post_process_disparity`.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.models.utils.packnet_geometry import flip_lr, inv2depth
from depthseg.models.utils.post_process import batch_post_process_disparity
from .functional import DEPTH_ERROR_NAMES, compute_depth_errors, garg_crop

#: Values of ``scale_output``.
SCALE_OUTPUTS = ('resize', 'top-center')
#: Values of ``crop``.
PACKNET_CROPS = ('garg', '', None)
#: Values of ``empty``: what an image without valid GT does to the mean.
EMPTY_MODES = ('exclude', 'count')
#: Evaluation modes of ``evaluate_depth`` (prediction, post-processed,
#: median-scaled, both).
EVAL_MODES = ('depth', 'depth_pp', 'depth_gt', 'depth_pp_gt')


def post_process_inv_depth(inv_depth: Tensor,
                           inv_depth_flipped: Tensor) -> Tensor:
    """Fuse a prediction with the network's prediction on the flipped
    image (before flipping back): left border from the flipped pass,
    right border from the normal one, the mean in between
    (ramp ``1 − clamp(20(x − 0.05), 0, 1)`` on ``linspace(0, 1, W)``)."""
    return batch_post_process_disparity(inv_depth, flip_lr(inv_depth_flipped))


def scale_depth(pred: Tensor, gt: Tensor,
                scale_output: str = 'resize') -> Tensor:
    """Bring ``B×1×h×w`` depth to the GT size.

    ``'resize'``: bilinear with align_corners=True; ``'top-center'``: a zero
    canvas of the GT size with the prediction in the bottom rows, centred
    horizontally (``left = (W_gt − w)//2``).
    """
    if scale_output == 'resize':
        return F.interpolate(pred, size=gt.shape[-2:], mode='bilinear',
                             align_corners=True)
    if scale_output == 'top-center':
        h, w = pred.shape[-2:]
        hh, ww = gt.shape[-2:]
        top, left = hh - h, (ww - w) // 2
        if top < 0 or left < 0:
            raise ValueError(f'top-center: prediction {h}×{w} larger than '
                             f'the GT {hh}×{ww}')
        out = torch.zeros(pred.shape[:-2] + (hh, ww), dtype=pred.dtype,
                          device=pred.device)
        out[..., top:top + h, left:left + w] = pred
        return out
    raise ValueError(f'scale_output must be one of {SCALE_OUTPUTS}, got '
                     f'{scale_output!r}')


def crop_mask(height: int, width: int, crop: Optional[str] = 'garg',
              device=None) -> Tensor:
    """Boolean ``height×width`` evaluation crop (all True without one)."""
    if crop not in PACKNET_CROPS:
        raise ValueError(f'crop must be one of {PACKNET_CROPS}, got '
                         f'{crop!r}')
    if crop != 'garg':
        return torch.ones(height, width, dtype=torch.bool, device=device)
    y1, y2, x1, x2 = (int(v) for v in garg_crop(height, width))
    mask = torch.zeros(height, width, dtype=torch.bool, device=device)
    mask[y1:y2, x1:x2] = True
    return mask


def median_scale(gt: Tensor, pred: Tensor) -> Tensor:
    """``pred · median(gt) / median(pred)`` on the valid pixels, with
    ``torch.median`` (the lower middle value for an even count; NumPy
    averages the two)."""
    return pred * torch.median(gt) / torch.median(pred)


def depth_metrics_per_image(gt: Tensor, pred: Tensor,
                            crop: Optional[str] = 'garg',
                            min_depth: float = 0.0, max_depth: float = 80.0,
                            scale_output: str = 'resize',
                            use_gt_scale: bool = False
                            ) -> List[Optional[np.ndarray]]:
    """Per-image ``(abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3)``.

    Args:
        gt: ``B×1×H×W`` GT depth, 0 where unknown.
        pred: ``B×1×h×w`` predicted depth (network resolution).
        use_gt_scale: median scaling ``pred *= median(gt)/median(pred)``
            with ``torch.median`` (the ``_gt`` modes).

    Returns:
        One float64 array per image, None for an image without a valid
        pixel (``min_depth < gt < max_depth`` inside the crop).
    """
    pred = scale_depth(pred, gt, scale_output)
    mask = crop_mask(gt.shape[-2], gt.shape[-1], crop, gt.device)
    out = []
    for pred_i, gt_i in zip(pred, gt):
        gt_i, pred_i = gt_i.squeeze(), pred_i.squeeze()
        valid = (gt_i > min_depth) & (gt_i < max_depth) & mask
        if not bool(valid.any()):
            out.append(None)
            continue
        gt_i, pred_i = gt_i[valid], pred_i[valid]
        if use_gt_scale:
            pred_i = median_scale(gt_i, pred_i)
        pred_i = pred_i.clamp(min_depth, max_depth)
        errors = compute_depth_errors(gt_i.detach().cpu().numpy(),
                                      pred_i.detach().cpu().numpy())
        out.append(np.array(errors, dtype=np.float64))
    return out


def compute_depth_metrics(gt: Tensor, pred: Tensor,
                          crop: Optional[str] = 'garg',
                          min_depth: float = 0.0, max_depth: float = 80.0,
                          scale_output: str = 'resize',
                          use_gt_scale: bool = False,
                          empty: str = 'exclude') -> np.ndarray:
    """Batch mean of :func:`depth_metrics_per_image` (7 values, float64).

    Args:
        empty: ``'exclude'`` (default, quirk Q20 fixed): images without a
            valid GT pixel are left out of the mean (ValueError if none
            is valid). ``'count'``: the original, they are skipped but
            still counted in the divisor.
    """
    if empty not in EMPTY_MODES:
        raise ValueError(f'empty must be one of {EMPTY_MODES}, got '
                         f'{empty!r}')
    per_image = depth_metrics_per_image(gt, pred, crop, min_depth, max_depth,
                                        scale_output, use_gt_scale)
    valid = [m for m in per_image if m is not None]
    if empty == 'count':
        total = sum(valid) if valid else np.zeros(len(DEPTH_ERROR_NAMES))
        return total / len(per_image)
    if not valid:
        raise ValueError('compute_depth_metrics: no image of the batch has '
                         'a valid ground-truth pixel')
    return sum(valid) / len(valid)


def evaluate_depth(inv_depth: Tensor, inv_depth_flipped: Tensor, gt: Tensor,
                   **metric_kwargs) -> Dict[str, object]:
    """``ModelWrapper.evaluate_depth`` with the network replaced by its two
    outputs (the normal pass and the pass on the flipped image, not yet
    flipped back).

    Returns:
        ``depth``, ``inv_depth_pp``, ``depth_pp`` and ``metrics_<mode>`` for
        every mode of :data:`EVAL_MODES` (``_gt`` = median scaling);
        ``metric_kwargs`` go to :func:`compute_depth_metrics`.
    """
    depth = inv2depth(inv_depth)
    inv_depth_pp = post_process_inv_depth(inv_depth, inv_depth_flipped)
    depth_pp = inv2depth(inv_depth_pp)
    out = dict(depth=depth, inv_depth_pp=inv_depth_pp, depth_pp=depth_pp)
    for mode in EVAL_MODES:
        out[f'metrics_{mode}'] = compute_depth_metrics(
            gt, depth_pp if 'pp' in mode else depth,
            use_gt_scale=mode.endswith('_gt'), **metric_kwargs)
    return out
