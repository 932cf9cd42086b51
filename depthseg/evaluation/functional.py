"""Pure NumPy (and torch) evaluation functions of Monodepth2.

Spec ``monodepth2.md`` §8: ``compute_errors`` (§8.3), the per-image loop of
``evaluate_depth.py`` (§8.2), flip post-processing (§8.2 step 3, defined in
:mod:`depthseg.models.utils.post_process`, re-exported) and the 5-frame
absolute trajectory error of ``evaluate_pose.py`` (§8.4). Arrays keep their
dtype (the original evaluates float32 maps in float32).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

# flip post-processing lives with the models (the estimator uses it);
# re-exported here with the other evaluation functions
from depthseg.models.utils.post_process import \
    batch_post_process_disparity  # noqa: F401

#: Metric names in the order of :func:`compute_depth_errors`.
DEPTH_ERROR_NAMES = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'a1', 'a2',
                     'a3')
#: Every per-image metric of :func:`evaluate_depth_sample`.
DEPTH_METRIC_NAMES = DEPTH_ERROR_NAMES + ('abs_err', )


def compute_depth_errors(gt: np.ndarray, pred: np.ndarray,
                         log=np.log) -> tuple:
    """Monodepth2's ``compute_errors`` on matching 1-D arrays of depths.

    Returns:
        ``(abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3)``; ``a_k`` is the
        fraction with ``max(gt/pred, pred/gt) < 1.25**k``, ``rmse_log`` uses
        ``log`` (the natural log; ``np.log10`` for the Make3D protocol).
    """
    thresh = np.maximum((gt / pred), (pred / gt))
    a1 = (thresh < 1.25).mean()
    a2 = (thresh < 1.25**2).mean()
    a3 = (thresh < 1.25**3).mean()
    rmse = np.sqrt(((gt - pred)**2).mean())
    rmse_log = np.sqrt(((log(gt) - log(pred))**2).mean())
    abs_rel = np.mean(np.abs(gt - pred) / gt)
    sq_rel = np.mean(((gt - pred)**2) / gt)
    return abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3


def mean_abs_error(gt: np.ndarray, pred: np.ndarray):
    """Mean absolute error ``mean(|gt − pred|)`` (metres for metric depth);
    an extra metric, not in Monodepth2's table."""
    return np.mean(np.abs(gt - pred))


def garg_crop(height: int, width: int) -> np.ndarray:
    """Garg/Eigen crop ``int32([top, bottom, left, right])`` of a GT map.

    ``[153, 371, 44, 1197]`` at 375×1242, as in ``evaluate_depth.py``.
    """
    return np.array([
        0.40810811 * height, 0.99189189 * height, 0.03594771 * width,
        0.96405229 * width
    ]).astype(np.int32)


#: ManyDepth's Cityscapes evaluation crop ``[256:, 192:1856]``.
CITYSCAPES_CROP = (256, 192, 1856)
#: Values of the ``crop`` argument of :func:`evaluate_depth_sample`.
EVAL_CROPS = ('garg', 'cityscapes', None)
#: Values of the ``resize`` argument of :func:`evaluate_depth_sample`.
EVAL_RESIZES = ('bilinear', 'bilinear_align_corners', 'nearest',
                'bilinear_depth_align_corners')
#: Values of the ``median`` argument of :func:`evaluate_depth_sample`.
EVAL_MEDIANS = ('numpy', 'torch')
#: Values of the ``log_base`` argument of :func:`evaluate_depth_sample`.
EVAL_LOG_BASES = ('e', '10')


def resize_prediction(pred_disp: np.ndarray, height: int, width: int,
                      resize: str = 'bilinear') -> np.ndarray:
    """Resize a scaled disparity to the GT size ``(height, width)``.

    ``'bilinear'``: ``cv2.resize`` (Monodepth2); ``'bilinear_align_corners'``:
    torch bilinear with align_corners=True (BDEdepth's standalone KITTI /
    Cityscapes evaluation, quirk Q6); ``'nearest'``: torch nearest (BDEdepth's
    NYUv2 / Make3D evaluation; the original resizes 1/disp, which nearest
    sampling makes identical); ``'bilinear_depth_align_corners'``: the
    torch bilinear align_corners=True resize of ``'bilinear_align_corners'``
    (applied by :func:`evaluate_depth_sample` to the *depth* 1/disp, not the
    disparity: PackNet-SfM, packnet quirk Q17).
    """
    if resize == 'bilinear':
        return cv2.resize(pred_disp, (width, height))
    if resize not in EVAL_RESIZES:
        raise ValueError(f'resize must be one of {EVAL_RESIZES}, got '
                         f'{resize!r}')
    x = torch.from_numpy(np.ascontiguousarray(pred_disp))[None, None]
    if resize == 'nearest':
        x = torch.nn.functional.interpolate(x, (height, width),
                                            mode='nearest')
    else:
        x = torch.nn.functional.interpolate(x, (height, width),
                                            mode='bilinear',
                                            align_corners=True)
    return x[0, 0].numpy()


def _median(x: np.ndarray, kind: str):
    if kind == 'torch':  # lower middle value for even counts
        return torch.from_numpy(np.ascontiguousarray(x)).median().item()
    return np.median(x)


def crop_box(crop: Optional[str], height: int, width: int) -> np.ndarray:
    """``int32([top, bottom, left, right])`` of an evaluation crop.

    ``'garg'``: :func:`garg_crop`; ``'cityscapes'``: ManyDepth's
    ``[256:, 192:1856]`` clipped to the map (applied to the GT already cut
    to the network's field of view, quirk Q17 of FUMET); None: everything.
    """
    if crop == 'garg':
        return garg_crop(height, width)
    if crop == 'cityscapes':
        top, left, right = CITYSCAPES_CROP
        return np.array([top, height, left, min(right, width)], np.int32)
    if crop is None:
        return np.array([0, height, 0, width], np.int32)
    raise ValueError(f'crop must be one of {EVAL_CROPS}, got {crop!r}')


def evaluate_depth_sample(gt: np.ndarray,
                          pred_disp: np.ndarray,
                          crop: Optional[str] = 'garg',
                          min_depth: float = 1e-3,
                          max_depth: float = 80.,
                          depth_scale: float = 1.0,
                          median_scaling: bool = True,
                          gt_mask: str = 'auto',
                          return_mask: bool = False,
                          resize: str = 'bilinear',
                          median: str = 'numpy',
                          log_base: str = 'e') -> Dict[str, float]:
    """One image of Monodepth2's evaluation loop (spec §8.2 step 6).

    1. ``cv2.resize`` (bilinear) of the scaled disparity to the GT size;
       ``depth = 1 / disp`` (``resize='bilinear_depth_align_corners'``:
       ``depth = 1 / disp`` first, then the depth is resized).
    2. Mask: ``'range'`` = ``min_depth < gt < max_depth``, ``'positive'`` =
       ``gt > 0``; ``'auto'`` picks ``'range'`` with a crop (the original's
       eigen split, FUMET's cityscapes) and ``'positive'`` without (other
       splits). ``crop='garg'`` / ``'cityscapes'`` also keeps only the
       :func:`crop_box` box (same pixels, same order as slicing both maps).
    3. Masked depth ``*= depth_scale`` (``pred_depth_scale_factor``, 5.4 for
       stereo models); ``ratio = median(gt) / median(pred)`` (NumPy median);
       with ``median_scaling`` the depth is multiplied by it.
    4. Clamp to ``[min_depth, max_depth]``; :func:`compute_depth_errors` and
       :func:`mean_abs_error`.

    Args:
        gt: (H, W) ground-truth depth, 0 where unknown.
        pred_disp: (h, w) scaled disparity (``disp_to_depth``), any size.
        resize: step 1's resize (:func:`resize_prediction`).
        median: ``'numpy'`` (``np.median``) or ``'torch'`` (``torch.median``,
            the lower middle value; BDEdepth's evaluations) for the ratio.
        log_base: ``'e'`` or ``'10'`` (Make3D) for ``rmse_log``.

    Returns:
        ``{name: value for DEPTH_METRIC_NAMES}`` plus ``ratio`` (computed
        even without median scaling) and, with ``return_mask``, ``mask``.
    """
    if crop not in EVAL_CROPS:
        raise ValueError(f'crop must be one of {EVAL_CROPS}, got {crop!r}')
    if median not in EVAL_MEDIANS:
        raise ValueError(f'median must be one of {EVAL_MEDIANS}, got '
                         f'{median!r}')
    if str(log_base) not in EVAL_LOG_BASES:
        raise ValueError(f'log_base must be one of {EVAL_LOG_BASES}, got '
                         f'{log_base!r}')
    if gt_mask == 'auto':
        gt_mask = 'positive' if crop is None else 'range'
    if gt_mask not in ('range', 'positive'):
        raise ValueError(f"gt_mask must be 'auto', 'range' or 'positive', "
                         f'got {gt_mask!r}')
    gt_height, gt_width = gt.shape[:2]
    if resize == 'bilinear_depth_align_corners':  # invert, then resize
        pred_depth = resize_prediction(1 / pred_disp, gt_height, gt_width,
                                       resize)
    else:
        pred_disp = resize_prediction(pred_disp, gt_height, gt_width, resize)
        pred_depth = 1 / pred_disp
    if gt_mask == 'range':
        mask = np.logical_and(gt > min_depth, gt < max_depth)
    else:
        mask = gt > 0
    if crop is not None:
        top, bottom, left, right = crop_box(crop, gt_height, gt_width)
        crop_mask = np.zeros(mask.shape)
        crop_mask[top:bottom, left:right] = 1
        mask = np.logical_and(mask, crop_mask)
    if not mask.any():
        raise ValueError('no valid ground-truth pixel (empty evaluation '
                         f'mask with crop={crop!r}, gt_mask={gt_mask!r})')
    pred_depth = pred_depth[mask]
    gt_depth = gt[mask]
    pred_depth *= depth_scale
    ratio = _median(gt_depth, median) / _median(pred_depth, median)
    if median_scaling:
        pred_depth *= ratio
    pred_depth[pred_depth < min_depth] = min_depth
    pred_depth[pred_depth > max_depth] = max_depth
    errors = compute_depth_errors(
        gt_depth, pred_depth, np.log10 if str(log_base) == '10' else np.log)
    out = dict(zip(DEPTH_ERROR_NAMES, errors))
    out['abs_err'] = mean_abs_error(gt_depth, pred_depth)
    out['ratio'] = ratio
    if return_mask:
        out['mask'] = mask
    return out


def ratio_stats(ratios: Sequence[float]) -> Tuple[float, float]:
    """``(median, std(ratios / median))`` (population std), as printed by
    ``evaluate_depth.py``."""
    ratios = np.asarray(ratios)
    med = np.median(ratios)
    return med, np.std(ratios / med)


# ---- pose (evaluate_pose.py) ----
def gt_local_poses(global_poses: np.ndarray) -> np.ndarray:
    """KITTI odometry camera-to-world poses (N×3×4 or N×4×4) -> the N−1
    local transforms ``inv(inv(P_{i−1}) · P_i)`` (4×4)."""
    poses = np.asarray(global_poses, dtype=np.float64)
    if poses.shape[1:] == (3, 4):
        poses = np.concatenate(
            (poses, np.zeros((poses.shape[0], 1, 4))), 1)
        poses[:, 3, 3] = 1
    return np.array([
        np.linalg.inv(np.dot(np.linalg.inv(poses[i - 1]), poses[i]))
        for i in range(1, len(poses))
    ]).reshape(-1, 4, 4)


def dump_xyz(transforms: Sequence[np.ndarray]) -> np.ndarray:
    """Chain 4×4 transforms from the identity; the (n+1)×3 positions."""
    cam_to_world = np.eye(4)
    xyzs = [cam_to_world[:3, 3]]
    for transform in transforms:
        cam_to_world = np.dot(cam_to_world, transform)
        xyzs.append(cam_to_world[:3, 3])
    return np.array(xyzs)


def ate_5frame(gt_xyz: np.ndarray, pred_xyz: np.ndarray) -> float:
    """ATE of one snippet (``compute_ate``): align the first point, fit the
    least-squares scale ``Σ gt·pred / Σ pred²`` and return
    ``sqrt(Σ‖s·pred − gt‖²) / N_points``."""
    offset = gt_xyz[0] - pred_xyz[0]
    pred_xyz = pred_xyz + offset[None, :]
    scale = np.sum(gt_xyz * pred_xyz) / np.sum(pred_xyz**2)
    alignment_error = pred_xyz * scale - gt_xyz
    return np.sqrt(np.sum(alignment_error**2)) / gt_xyz.shape[0]


def snippet_ates(gt_local: Sequence[np.ndarray],
                 pred_poses: Sequence[np.ndarray],
                 track_length: int = 5) -> List[float]:
    """One ATE per start frame ``i`` over the snippet of
    ``track_length − 1`` transforms ``[i, i + track_length − 1)``
    (shorter at the end, as the original)."""
    if len(gt_local) != len(pred_poses):
        raise ValueError(f'{len(pred_poses)} predicted poses but '
                         f'{len(gt_local)} ground-truth poses')
    n = track_length - 1
    return [
        ate_5frame(dump_xyz(gt_local[i:i + n]), dump_xyz(pred_poses[i:i + n]))
        for i in range(len(pred_poses))
    ]
