"""The per-step context that every loss plugin reads.

Depth, poses, sampling grids and warped images are computed once, lazily, on
first access, so plugins share exactly the same geometry.
"""
from typing import Callable, Dict, Hashable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.models.utils.geometry import backproject, disp_to_depth, project
from depthseg.models.utils.sampling import safe_grid_sample


class LazyDict(dict):
    """A dict that fills a missing key with ``fn(key)`` and caches it."""

    def __init__(self, fn: Callable[[Hashable], object]):
        super().__init__()
        self._fn = fn

    def __missing__(self, key):
        value = self[key] = self._fn(key)
        return value


class DepthContext:
    """Inputs and predictions of one view of one training batch.

    Attributes:
        inputs: the preprocessed batch: ``color[f][s]`` (B×3×H_s×W_s, [0, 1],
            un-augmented pyramid), ``color_aug[f]`` (B×3×H×W), ``K[s]``,
            ``inv_K[s]`` (B×4×4) and optionally ``stereo_T`` (B×4×4).
        disp: ``{s: B×1×H/2^s×W/2^s}`` sigmoid disparity of the depth net.
        pose_params: ``{f: params}`` from the pose net (turned into matrices
            by its ``to_matrix``), or ``{f: B×4×4}`` matrices.
        depth: lazy ``{s: B×1×h×w}`` depth used for warping, at full
            resolution (``multiscale='full'``) or at scale s (``'native'``).
        poses: lazy ``{(f, s): B×4×4}`` target->source transforms.
        grids: lazy ``{(f, s): B×h×w×2}`` sampling grids.
        warped: lazy ``{(f, s): B×3×h×w}`` warped un-augmented sources.
        grid_at(f, s, size): cached sampling grid of frame f at any size
            (e.g. a feature map's), from the scale-s disparity resized to
            that size and the intrinsics of that resolution.
        state: scratch space plugins use to share results (masks, errors).
        photometric_overrides: extension point of the photometric loss:
            callables ``fn(ctx, s, to_optimise, reprojection, won) ->
            to_optimise`` (B×H×W minimum, B×S×H×W reprojection errors,
            B×H×W 1 where a reprojection beat the identity) applied in
            order to the auto-masked minimum; plugins register them in
            ``prepare(ctx)``.
        name: ``'ori'`` for the original view, the view's name otherwise.
        views: ``{name: ViewContext}`` of the augmented views (original
            context only).
        reference: the original view's context (None for the original).
        view: the ``ViewOutput`` of an augmented view (None otherwise).
    """
    name = 'ori'
    reference = None
    view = None

    def __init__(self, inputs: dict, disp: Dict[int, Tensor],
                 frame_ids: Sequence, scales: Sequence[int],
                 pose_params: dict = None, pose_net=None,
                 min_depth: float = 0.1, max_depth: float = 100.,
                 multiscale: str = 'full', align_corners: bool = True,
                 padding_mode: str = 'border'):
        assert multiscale in ('full', 'native'), multiscale
        self.inputs = inputs
        self.disp = disp
        self.frame_ids = list(frame_ids)
        self.source_ids = self.frame_ids[1:]
        self.scales = list(scales)
        self.pose_params = pose_params or {}
        self.pose_net = pose_net
        self.min_depth, self.max_depth = min_depth, max_depth
        self.multiscale = multiscale
        self.align_corners = align_corners
        self.padding_mode = padding_mode
        self.state = {}
        self.photometric_overrides = []
        self.views = {}
        self.depth = LazyDict(self._depth)
        self.poses = LazyDict(self._pose)
        self.grids = LazyDict(self._grid)
        self.warped = LazyDict(self._warp)
        self._depths_at = LazyDict(self._depth_at)
        self._grids_at = LazyDict(self._grid_at)

    def source_scale(self, s: int) -> int:
        """Pyramid level the images are warped at for loss scale s."""
        return 0 if self.multiscale == 'full' else s

    def color(self, f, s: int) -> Tensor:
        """Un-augmented image of frame f at pyramid level s."""
        return self.inputs['color'][f][s]

    def target(self, s: int) -> Tensor:
        return self.color(0, self.source_scale(s))

    def source(self, f, s: int) -> Tensor:
        return self.color(f, self.source_scale(s))

    def _depth(self, s: int) -> Tensor:
        disp = self.disp[s]
        if self.multiscale == 'full':
            size = self.color(0, 0).shape[-2:]
            if disp.shape[-2:] != size:
                disp = F.interpolate(disp, size, mode='bilinear',
                                     align_corners=False)
        return disp_to_depth(disp, self.min_depth, self.max_depth)[1]

    def _pose(self, key) -> Tensor:
        f, s = key
        if f == 's':
            return self.inputs['stereo_T']
        params = self.pose_params[f]
        if isinstance(params, Tensor):  # a given B×4×4 matrix
            return params
        return self.pose_net.to_matrix(params, self.depth[s])

    def _grid(self, key) -> Tensor:
        f, s = key
        src = self.source_scale(s)
        depth = self.depth[s]
        points = backproject(depth, self.inputs['inv_K'][src])
        return project(points, self.inputs['K'][src], self.poses[f, s],
                       *depth.shape[-2:])

    def _warp(self, key) -> Tensor:
        f, s = key
        return safe_grid_sample(self.source(f, s), self.grids[f, s],
                                mode='bilinear',
                                padding_mode=self.padding_mode,
                                align_corners=self.align_corners)

    # --- geometry at an arbitrary resolution (feature maps) ---------------

    def intrinsics_at(self, size: Sequence[int], level: Optional[int] = None
                      ) -> Tuple[Tensor, Tensor]:
        """``(K, inv_K)`` (B×4×4) for a map of ``size`` = (h, w).

        ``level`` given: that pyramid level, whatever the size (FeatDepth's
        paper-era feature warp uses level 0 on the H/2 grid, quirk Q3).
        Otherwise the level l whose size ``(H // 2^l, W // 2^l)`` (H×W =
        ``color(0, 0)``) equals ``size``; when no level matches, level 0
        with rows 0 and 1 scaled by w/W and h/H and ``inv_K = pinv(K)``.
        """
        Ks, inv_Ks = self.inputs['K'], self.inputs['inv_K']
        if level is not None:
            if not 0 <= level < len(Ks):
                raise ValueError(f'intrinsics level {level} is not in the '
                                 f'K pyramid of {len(Ks)} levels')
            return Ks[level], inv_Ks[level]
        height, width = self.color(0, 0).shape[-2:]
        size = tuple(int(v) for v in size)
        for lvl in range(len(Ks)):
            if (height // 2**lvl, width // 2**lvl) == size:
                return Ks[lvl], inv_Ks[lvl]
        K = Ks[0].clone()
        K[:, 0] = K[:, 0] * (size[1] / width)
        K[:, 1] = K[:, 1] * (size[0] / height)
        return K, torch.linalg.pinv(K)

    def depth_at(self, s: int, size: Sequence[int]) -> Tensor:
        """Cached B×1×h×w depth from ``disp[s]`` bilinearly resized
        (align_corners=False; no resize when the size matches)."""
        return self._depths_at[s, tuple(int(v) for v in size)]

    def grid_at(self, f, s: int, size: Sequence[int],
                k_level: Optional[int] = None) -> Tensor:
        """Cached B×h×w×2 sampling grid of source f at ``size`` = (h, w).

        Same pose (``poses[f, s]``) as :attr:`grids`; depth from
        :meth:`depth_at`; intrinsics from :meth:`intrinsics_at` (``k_level``
        forces a pyramid level). :attr:`grids` itself is unchanged.
        """
        size = tuple(int(v) for v in size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'grid_at needs a size (h, w), got {size}')
        return self._grids_at[f, s, size, k_level]

    def resample(self, source: Tensor, grid: Tensor) -> Tensor:
        """``grid_sample`` of any B×C×h×w map with the context's warp
        settings (bilinear, ``padding_mode``, ``align_corners``)."""
        if source.shape[-2:] != grid.shape[1:3]:
            raise ValueError(f'resample: map {tuple(source.shape)} and grid '
                             f'{tuple(grid.shape)} sizes differ')
        return safe_grid_sample(source, grid, mode='bilinear',
                                padding_mode=self.padding_mode,
                                align_corners=self.align_corners)

    def _depth_at(self, key) -> Tensor:
        s, size = key
        disp = self.disp[s]
        if tuple(disp.shape[-2:]) != size:
            disp = F.interpolate(disp, size, mode='bilinear',
                                 align_corners=False)
        return disp_to_depth(disp, self.min_depth, self.max_depth)[1]

    def _grid_at(self, key) -> Tensor:
        f, s, size, k_level = key
        K, inv_K = self.intrinsics_at(size, k_level)
        points = backproject(self.depth_at(s, size), inv_K)
        return project(points, K, self.poses[f, s], *size)


class ViewContext(DepthContext):
    """The context of one augmented view (BDEdepth), read by the same loss
    plugins as the original's.

    ``disp`` is the view's prediction after ``view.restore`` (``raw_disp``
    before); ``inputs`` is the view's batch; the poses are the original
    view's (one pose-net pass, on the un-augmented frames) after
    ``view.transform_pose``. Warp settings, depth range and scales are the
    original's.

    Args:
        reference: the original view's :class:`DepthContext`.
        view: the view's ``ViewOutput``.
        raw_disp: ``{s: B×1×h×w}`` depth-net output on ``view.image``.
    """

    def __init__(self, reference: DepthContext, view, raw_disp: dict):
        super().__init__(
            view.inputs, view.restore(raw_disp), reference.frame_ids,
            reference.scales, pose_params=reference.pose_params,
            pose_net=reference.pose_net, min_depth=reference.min_depth,
            max_depth=reference.max_depth, multiscale=reference.multiscale,
            align_corners=reference.align_corners,
            padding_mode=reference.padding_mode)
        self.name = view.name
        self.reference = reference
        self.view = view
        self.raw_disp = raw_disp

    def _pose(self, key) -> Tensor:
        return self.view.transform_pose(self.reference.poses[key])
