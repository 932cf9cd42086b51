"""FUMET's metric-scale plugins: the car-height and camera-height losses.

Both read the car and road masks the data preprocessor batches
(``inputs['road']`` B×H×W, ``segms_flat`` N×H×W, ``heights_flat`` N in
metres, ``n_inst`` B, ``car_frame_idx`` N) and share one selection of the
road frames and their cars per step (``road_cars``), so they work alone or
together with any depth net and any other plugin.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from depthseg.models.utils.road_geometry import (
    cam_points, fit_road_planes, horizon_height_ratios, horizon_lines,
    mask_pixel_heights, outlier_inliers, projected_car_heights,
    scaled_cam_heights, signed_dist_to_horizon, zero_road_borders)
from depthseg.models.utils.schedules import h_star_update
from depthseg.registry import MODELS
from .fumet_functional import camera_height_terms, car_height_loss
from .plugin import LossPlugin

CAR_KEYS = ('road', 'segms_flat', 'heights_flat', 'n_inst', 'car_frame_idx')


def road_cars(ctx, min_road_ratio: float = 0.01) -> dict:
    """The road frames of the batch and their cars, once per step.

    A frame has road iff its road mask has more than
    ``int(min_road_ratio·H·W)`` pixels; cars of frames without road are
    dropped (the original's "no road means no cars"). Cached in
    ``ctx.state['road_cars']``:

    - ``has_road`` (B bool), ``road`` (R×H×W, the road frames' masks) and
      ``road_inner`` (the same without the last row and the first and last
      columns, where the normal stencil wraps around);
    - ``segms`` (N'×H×W), ``heights`` (N', m), ``pix_heights`` (N', int16)
      and ``frame_idx`` (N', index among the road frames) of the kept cars;
    - ``n_frames_with_cars``: frames with cars in the whole batch (the
      original does not recount after dropping cars; QUIRK Q5, reproduced)
      until outlier removal recounts it.
    """
    if 'road_cars' in ctx.state:
        return ctx.state['road_cars']
    missing = [k for k in CAR_KEYS if k not in ctx.inputs]
    if missing:
        raise KeyError(
            f'the metric-scale losses need the car and road masks (missing '
            f'inputs {missing}): add LoadCarRoadMasks to the training '
            'pipeline')
    inputs = ctx.inputs
    road = inputs['road']
    height, width = road.shape[-2:]
    has_road = road.flatten(1).sum(1) > int(min_road_ratio * height * width)
    keep = has_road[inputs['car_frame_idx']]
    road_index = torch.cumsum(has_road.long(), 0) - 1
    segms = inputs['segms_flat'][keep]
    sel = dict(
        has_road=has_road,
        road=road[has_road],
        road_inner=zero_road_borders(road[has_road]),
        segms=segms,
        heights=inputs['heights_flat'][keep],
        pix_heights=mask_pixel_heights(segms),
        frame_idx=road_index[inputs['car_frame_idx'][keep]],
        n_frames_with_cars=int((inputs['n_inst'] > 0).sum()))
    ctx.state['road_cars'] = sel
    return sel


def remove_outlier_cars(ctx, sel: dict, h_star: Tensor,
                        threshold: float = 0.2) -> None:
    """Drop cars whose prior height disagrees with the horizon test.

    Fits a least-squares plane to each road frame's scale-0 points
    (detached), takes its horizon line and keeps a car iff
    ``|ratio·h* − H| / H < threshold``. Cars of frames without h* (NaN in
    ``h_star``, R values) are kept. Updates ``sel`` in place (adding the
    N-long ``inlier`` mask) and recounts ``n_frames_with_cars``.
    """
    has_road = sel['has_road']
    depth = ctx.depth[0].detach()[has_road]
    points = cam_points(depth, ctx.inputs['inv_K'][0][has_road])
    lines = horizon_lines(fit_road_planes(points, sel['road']),
                          ctx.inputs['K'][0][has_road])
    dist = signed_dist_to_horizon(lines, *depth.shape[-2:])
    ratios = horizon_height_ratios(dist, sel['segms'], sel['frame_idx'])
    car_h_star = h_star[sel['frame_idx']]
    _, _, inlier = outlier_inliers(ratios, sel['heights'],
                                   car_h_star.to(ratios), threshold)
    inlier = inlier | torch.isnan(car_h_star)
    sel['inlier'] = inlier
    for key in ('segms', 'heights', 'pix_heights', 'frame_idx'):
        sel[key] = sel[key][inlier]
    sel['n_frames_with_cars'] = int(sel['frame_idx'].unique().numel())


def _zero(ctx) -> Tensor:
    return ctx.disp[ctx.scales[0]].new_zeros(())


def epoch_medians(per_rank: list, num_groups: int) -> Tensor:
    """Per-rank lists of per-scale ``(groups, values)`` -> G×S medians
    (quantile 0.5, linear interpolation; NaN where a group has none)."""
    num_scales = len(per_rank[0])
    out = torch.full((num_groups, num_scales), float('nan'),
                     dtype=torch.float64)
    for i in range(num_scales):
        groups = torch.cat([rank[i][0] for rank in per_rank])
        values = torch.cat([rank[i][1] for rank in per_rank])
        for g in range(num_groups):
            chosen = values[groups == g]
            if len(chosen):
                out[g, i] = torch.quantile(chosen, 0.5)
    return out


@MODELS.register_module()
class CarHeightLoss(LossPlugin):
    """FUMET's rough metric loss: cars of known height fix the scale.

    For each car i of prior height H_i (m) spanning ``pix_h_i`` rows, every
    mask pixel's depth D should satisfy ``pix_h_i·D/f_y = H_i``; per scale
    the L1 error is averaged per car, then over cars, then divided by the
    number of frames with cars again (QUIRK Q13, reproduced); the value is
    averaged over scales. f_y is the first sample's scale-0 K (Q25). No
    cars left after filtering: the term is 0 (Q6 fix).

    Args:
        loss_weight: weight (1.0).
        weight_schedule: per-epoch ramp of the weight (FUMET: ``log_down``
            to 0.005 over 20 epochs); see :class:`LossPlugin`.
        min_road_ratio: road area fraction a frame needs to count.

    With views (BDEdepth) it applies to the original view only
    (``default_views``): the crop view carries no car masks.
    """
    default_views = 'original'

    def __init__(self, loss_weight: float = 1.0,
                 weight_schedule: Optional[dict] = None,
                 min_road_ratio: float = 0.01, init_cfg=None):
        super().__init__(loss_weight, weight_schedule, init_cfg)
        self.min_road_ratio = min_road_ratio

    def scale_loss(self, ctx, s: int) -> Tensor:
        """Unweighted loss at scale s (needs full-resolution depth)."""
        sel = road_cars(ctx, self.min_road_ratio)
        depth = ctx.depth[s][sel['has_road']]
        if depth.shape[-2:] != sel['segms'].shape[-2:]:
            raise ValueError(
                f'depth {tuple(depth.shape[-2:])} and car masks '
                f'{tuple(sel["segms"].shape[-2:])} differ: the metric '
                "losses need multiscale='full' and masks at the training "
                'resolution')
        fy = float(ctx.inputs['K'][0][0, 1, 1])
        return car_height_loss(depth, sel['segms'], sel['frame_idx'],
                               sel['pix_heights'], sel['heights'], fy,
                               sel['n_frames_with_cars'])

    def forward(self, ctx) -> Dict[str, Tensor]:
        sel = road_cars(ctx, self.min_road_ratio)
        if (self.loss_weight == 0 or len(sel['segms']) == 0
                or sel['n_frames_with_cars'] == 0):
            return {'loss_car_height': _zero(ctx)}
        total = sum(self.scale_loss(ctx, s) for s in ctx.scales)
        return {'loss_car_height': self.loss_weight * total / len(ctx.scales)}


@MODELS.register_module()
class CameraHeightLoss(LossPlugin):
    """FUMET's fine metric loss, camera-height estimate and outlier test.

    Per scale, every road pixel of the back-projected depth gets a camera
    height ``h = −n·P`` (n from the 8-neighbour cross-product stencil); the
    loss is ``mean_frames mean_road |h* − h|`` with the pseudo-label h* of
    scale 0 (Q16), averaged over scales. In training it also records, for
    each road frame with cars, a metric camera-height estimate
    ``median_i(H_i/ĥ_i)·median(h)`` (ĥ_i: car height above the frame's road
    plane); ``EpochEstimatesHook`` (added to the run by the plugin) gathers
    them over ranks at epoch end and calls :meth:`end_epoch`, which updates
    h* from their per-group median.

    h* is the buffer ``h_star`` (G camera settings × scales, float64; only
    column 0 is used, the others are logged), valid where ``h_star_valid``,
    so it is checkpointed and restored on resume.

    Args:
        loss_weight: weight (0.01).
        weight_schedule: per-epoch ramp of the weight (FUMET: ``log_up``
            over 20 epochs); see :class:`LossPlugin`.
        scales: the estimator's scales (buffer columns).
        initial_cam_height: start h* here (metres) instead of creating it at
            the end of ``first_update_epoch``.
        first_update_epoch: epoch (0-based) at whose end h* is first set;
            None never updates it.
        cam_settings: group keys (e.g. Cityscapes' nominal camera heights
            ``(1.18, 1.22)``) matched against ``inputs['cam_setting']``; one
            h* per group. None: one global h* (KITTI).
        remove_outliers: drop cars failing the horizon test once h* exists.
        outlier_threshold: relative height error of an inlier (< 0.2).
        min_road_ratio: road area fraction a frame needs to count.

    With views (BDEdepth) it applies to the original view only
    (``default_views``): one h* estimate per frame, and the crop view's
    pose-conjugated geometry back-projects to a sheared scene.
    """
    default_views = 'original'
    required_hooks = (dict(type='EpochEstimatesHook'), )

    def __init__(self, loss_weight: float = 0.01,
                 weight_schedule: Optional[dict] = None,
                 scales: Sequence[int] = (0, 1, 2, 3),
                 initial_cam_height: Optional[float] = None,
                 first_update_epoch: Optional[int] = 1,
                 cam_settings: Optional[Sequence[float]] = None,
                 remove_outliers: bool = True,
                 outlier_threshold: float = 0.2,
                 min_road_ratio: float = 0.01, init_cfg=None):
        super().__init__(loss_weight, weight_schedule, init_cfg)
        self.scales = list(scales)
        self.initial_cam_height = initial_cam_height
        self.first_update_epoch = first_update_epoch
        self.cam_settings = list(cam_settings) if cam_settings else None
        self.remove_outliers = remove_outliers
        self.outlier_threshold = outlier_threshold
        self.min_road_ratio = min_road_ratio
        groups = len(self.cam_settings) if self.cam_settings else 1
        start = float('nan') if initial_cam_height is None else float(
            initial_cam_height)
        self.register_buffer(
            'h_star', torch.full((groups, len(self.scales)), start,
                                 dtype=torch.float64))
        self.register_buffer(
            'h_star_valid',
            torch.full((groups, ), initial_cam_height is not None))
        self.reset_estimates()

    # ---- per-epoch estimates -------------------------------------------
    def reset_estimates(self) -> None:
        """Forget this epoch's per-frame estimates (Q1 fix)."""
        self.estimates: List[List[Tensor]] = [[] for _ in self.scales]
        self.estimate_groups: List[List[Tensor]] = [[] for _ in self.scales]

    def pop_estimates(self) -> List[tuple]:
        """Per scale ``(groups, values)`` CPU tensors of this epoch."""
        out = []
        for groups, values in zip(self.estimate_groups, self.estimates):
            out.append((torch.cat(groups).cpu() if groups else
                        torch.zeros(0, dtype=torch.long),
                        torch.cat(values).cpu().double() if values else
                        torch.zeros(0, dtype=torch.float64)))
        self.reset_estimates()
        return out

    def end_epoch(self, epoch: int, per_rank: list) -> Tuple[dict, str]:
        """Update h* from every rank's estimates of epoch ``epoch``
        (``pop_estimates`` of each rank); returns the scalars to log
        (``cam_height[_<setting>]_<s>``) and a summary line."""
        self.update_h_star(epoch, epoch_medians(per_rank,
                                                self.h_star.shape[0]))
        scalars = {}
        for g in range(self.h_star.shape[0]):
            if not bool(self.h_star_valid[g]):
                continue
            suffix = '' if self.h_star.shape[0] == 1 else \
                f'_{self.cam_settings[g]}'
            for i, s in enumerate(self.scales):
                scalars[f'cam_height{suffix}_{s}'] = float(self.h_star[g, i])
        count = sum(len(rank[0][1]) for rank in per_rank)
        return scalars, (f'camera height h* = {self.h_star[:, 0].tolist()} '
                         f'(valid {self.h_star_valid.tolist()}) from {count} '
                         'frame estimates over all ranks')

    def update_h_star(self, epoch: int, epoch_heights: Tensor) -> None:
        """Apply the weighted running-mean rule after epoch ``epoch``.

        ``epoch_heights``: G×S median estimates of the epoch (NaN where the
        epoch gave none; then h* keeps its value, Q6b fix).
        """
        for g in range(self.h_star.shape[0]):
            valid = bool(self.h_star_valid[g])
            old = [float(v) if valid and not torch.isnan(v) else None
                   for v in self.h_star[g]]
            new = [h_star_update(old[i], float(epoch_heights[g, i]), epoch,
                                 self.first_update_epoch,
                                 self.initial_cam_height is not None)
                   for i in range(self.h_star.shape[1])]
            if new[0] is None:
                continue
            self.h_star_valid[g] = True
            self.h_star[g] = torch.tensor(
                [float('nan') if v is None else v for v in new],
                dtype=self.h_star.dtype)

    # ---- per step --------------------------------------------------------
    def frame_groups(self, ctx) -> Tensor:
        """B long: each frame's h* group."""
        batch = ctx.inputs['road'].shape[0]
        device = ctx.inputs['road'].device
        if self.cam_settings is None:
            return torch.zeros(batch, dtype=torch.long, device=device)
        if 'cam_setting' not in ctx.inputs:
            raise KeyError(
                'CameraHeightLoss(cam_settings=...) needs '
                "inputs['cam_setting'] (a cam_setting metainfo per sample)")
        settings = ctx.inputs['cam_setting'].to(torch.float64)
        known = torch.tensor(self.cam_settings, dtype=torch.float64,
                             device=device)
        match = (settings[:, None] - known[None]).abs() < 1e-6
        if not bool(match.any(1).all()):
            raise ValueError(
                f'camera settings {settings.unique().tolist()} are not all '
                f'in cam_settings={self.cam_settings}')
        return match.float().argmax(1)

    def road_h_star(self, ctx) -> Tensor:
        """R values: scale-0 h* of each road frame's group (NaN if none)."""
        sel = road_cars(ctx, self.min_road_ratio)
        groups = self.frame_groups(ctx)[sel['has_road']]
        h_star = torch.where(self.h_star_valid, self.h_star[:, 0],
                             torch.full_like(self.h_star[:, 0],
                                             float('nan')))
        return h_star[groups]

    def prepare(self, ctx) -> None:
        """Select road frames and cars, then run the outlier test (before
        any plugin reads the selection)."""
        sel = road_cars(ctx, self.min_road_ratio)
        if not self.remove_outliers or len(sel['road']) == 0:
            return
        h_star = self.road_h_star(ctx)
        if bool(torch.isnan(h_star).all()):
            return
        remove_outlier_cars(ctx, sel, h_star, self.outlier_threshold)

    def scale_terms(self, ctx, s: int):
        """Scale-s ``(loss, htilde, nbar)`` over the road frames; frames
        whose group has no h* yet add nothing to the loss."""
        sel = road_cars(ctx, self.min_road_ratio)
        has_road = sel['has_road']
        src = ctx.source_scale(s)
        points = cam_points(ctx.depth[s][has_road],
                            ctx.inputs['inv_K'][src][has_road])
        h_star = self.road_h_star(ctx).to(points)
        with_h = ~torch.isnan(h_star)
        if bool(with_h.all()):
            loss, htilde, nbar = camera_height_terms(
                points, sel['road_inner'], h_star)
        elif not bool(with_h.any()):
            loss, htilde, nbar = camera_height_terms(
                points, sel['road_inner'], None)
            loss = loss * 0
        else:  # some groups without h* (Cityscapes): split the frames
            loss, htilde_a, nbar_a = camera_height_terms(
                points[with_h], sel['road_inner'][with_h], h_star[with_h])
            _, htilde_b, nbar_b = camera_height_terms(
                points[~with_h], sel['road_inner'][~with_h], None)
            loss = loss * with_h.sum() / len(with_h)
            htilde = torch.empty_like(h_star)
            nbar = points.new_empty(len(h_star), 3)
            htilde[with_h], htilde[~with_h] = htilde_a, htilde_b
            nbar[with_h], nbar[~with_h] = nbar_a, nbar_b
        return loss, htilde, nbar, points

    def record_estimates(self, ctx, i: int, points: Tensor, htilde: Tensor,
                         nbar: Tensor) -> None:
        """Store the road frames' metric camera heights at scale index i."""
        sel = road_cars(ctx, self.min_road_ratio)
        if len(sel['segms']) == 0 or sel['n_frames_with_cars'] == 0:
            return
        car_h = projected_car_heights(points.detach(), nbar, htilde,
                                      sel['segms'], sel['frame_idx'])
        est = scaled_cam_heights(car_h, sel['heights'].to(car_h),
                                 sel['frame_idx'], htilde)
        ok = torch.isfinite(est)
        groups = self.frame_groups(ctx)[sel['has_road']]
        self.estimates[i].append(est[ok].detach())
        self.estimate_groups[i].append(groups[ok])

    def forward(self, ctx) -> Dict[str, Tensor]:
        if list(ctx.scales) != self.scales:
            raise ValueError(f'CameraHeightLoss(scales={self.scales}) does '
                             f'not match the estimator scales {ctx.scales}')
        sel = road_cars(ctx, self.min_road_ratio)
        out = {}
        if bool(self.h_star_valid.any()):
            out['cam_height'] = self.h_star[self.h_star_valid, 0].mean()
        if len(sel['road']) == 0:  # no road frame: no metric terms (Q28)
            out['loss_camera_height'] = _zero(ctx)
            return out
        total = 0
        for i, s in enumerate(ctx.scales):
            loss, htilde, nbar, points = self.scale_terms(ctx, s)
            total = total + loss
            if self.training:
                self.record_estimates(ctx, i, points, htilde, nbar)
        out['loss_camera_height'] = (self.loss_weight * total /
                                     len(ctx.scales))
        # logged like the original's n_inst_frames
        out['n_car_frames'] = total.new_tensor(
            float(sel['n_frames_with_cars']))
        return out
