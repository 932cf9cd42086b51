"""PackNet-SfM's ``MultiViewPhotometricLoss`` as a loss plugin (packnet
spec §2; issue 13 phase 2a).

The plugin reads the estimator's :class:`~depthseg.models.estimators.
context.DepthContext` and calls the pure functions of
:mod:`~depthseg.models.losses.packnet_functional` and
:mod:`~depthseg.models.utils.packnet_geometry`; it does **not** use the
context's Monodepth2 geometry (``ctx.depth`` / ``ctx.grids`` /
``ctx.warped``), because PackNet warps differently (3×3 K with an analytic
inverse, ``clamp(z, 1e-5)``, zeros padding, align_corners=True, depth
``1/clamp(inv, 1e-6)``). What it reads:

* ``ctx.disp[s]``, s = 0..num_scales−1: PackNet's inverse depths (through
  ``PassThroughDecoder``; not sigmoid disparities). With
  ``upsample_depth_maps`` they are nearest-upsampled to full resolution
  (quirk Q13).
* ``ctx.color(f, 0)``: the un-jittered full-resolution target (f = 0) and
  contexts (``ctx.source_ids`` in order: [t−1, t+1] for frame_ids
  (0, −1, 1), the original's ``rgb_context`` order).
* ``ctx.inputs['K'][0][:, :3, :3]``: the full-resolution intrinsics
  (the same K for target and contexts, as the original).
* the poses: ``PackNetPoseNet`` entries ``{'vec': B×6}`` become
  ``Pose.from_vec`` matrices (Euler, R = Rx·Ry·Rz, target -> context);
  any other pose entry goes through ``ctx.poses[f, 0]`` (the pose net's
  own ``to_matrix``, same target -> source meaning).

Terms: ``loss_photometric`` (``(1/n) Σ_i P_i``) and ``loss_smoothness``
(already × ``smooth_loss_weight``), both × ``loss_weight``; their sum is
the original's total loss. Logged only: ``packnet_num_scales`` when
progressive scaling is configured.
"""
from typing import Dict, List, Optional

import torch
from mmengine.logging import MessageHub
from torch import Tensor

from depthseg.models.utils.packnet_geometry import pose_vec_to_matrix
from depthseg.registry import MODELS
from .packnet_functional import (
    REDUCE_OPS,
    multiview_photometric_loss,
    upsample_inv_depths,
)
from .plugin import LossPlugin


def training_progress(default: float = 0.0) -> float:
    """``epoch / max_epochs`` of the running mmengine loop (both written to
    the current ``MessageHub`` by ``RuntimeInfoHook``); ``default`` outside
    a run. The original's ``progress = current_epoch / max_epochs``."""
    try:
        hub = MessageHub.get_current_instance()
    except Exception:  # no message hub yet
        return default
    epoch, max_epochs = hub.get_info('epoch'), hub.get_info('max_epochs')
    if epoch is None or not max_epochs:
        return default
    return float(epoch) / float(max_epochs)


@MODELS.register_module()
class PackNetPhotometricLoss(LossPlugin):
    """PackNet-SfM's self-supervised loss (photometric + smoothness).

    Args (the original's ``cfg.model.loss`` keys, §2.6; its config
    defaults):
        num_scales: inverse-depth scales used (4).
        ssim_loss_weight: α of ``α·SSIM + (1−α)·L1`` (0.85).
        smooth_loss_weight: w_s (1e-3, the config default; quirk Q29).
        C1, C2: SSIM constants (1e-4, 9e-4).
        photometric_reduce_op: ``'min'`` or ``'mean'``.
        clip_loss: > 0 clamps each map at mean + clip·std (0 = off).
        padding_mode: ``grid_sample`` padding of the warp (``'zeros'``,
            quirk Q15).
        automask_loss: identity maps join the per-pixel minimum, without
            tie-break noise (quirks Q9, Q11, Q12).
        progressive_scaling: p of the scale schedule (0 = off).
        legacy_progressive_scaling_noop: True (default; quirk Q2
            reproduced): the schedule never takes effect, as in the
            original. False: the intended schedule, with the progress
            ``epoch / max_epochs`` read from mmengine's ``MessageHub``
            (or :attr:`progress` when set).
        upsample_depth_maps: nearest-upsample every scale to full
            resolution before the loss (the original's model option,
            True).
        loss_weight, weight_schedule: see :class:`LossPlugin` (multiply
            both terms).
    """

    #: set to a float to override the MessageHub progress (tests, tools)
    progress: Optional[float] = None

    def __init__(self, num_scales: int = 4, ssim_loss_weight: float = 0.85,
                 smooth_loss_weight: float = 1e-3, C1: float = 1e-4,
                 C2: float = 9e-4, photometric_reduce_op: str = 'min',
                 clip_loss: float = 0.0, padding_mode: str = 'zeros',
                 automask_loss: bool = True,
                 progressive_scaling: float = 0.0,
                 legacy_progressive_scaling_noop: bool = True,
                 upsample_depth_maps: bool = True, loss_weight: float = 1.0,
                 weight_schedule: Optional[dict] = None, init_cfg=None):
        super().__init__(loss_weight, weight_schedule, init_cfg)
        if photometric_reduce_op not in REDUCE_OPS:
            raise ValueError(f'PackNetPhotometricLoss: photometric_reduce_op '
                             f'must be one of {REDUCE_OPS}, got '
                             f'{photometric_reduce_op!r}')
        if automask_loss and photometric_reduce_op != 'min':
            raise ValueError("PackNetPhotometricLoss: automask_loss requires "
                             "photometric_reduce_op 'min'")
        if num_scales < 1:
            raise ValueError(f'PackNetPhotometricLoss: num_scales must be '
                             f'>= 1, got {num_scales}')
        self.num_scales = num_scales
        self.upsample_depth_maps = upsample_depth_maps
        self.loss_cfg = dict(
            num_scales=num_scales, ssim_loss_weight=ssim_loss_weight,
            smooth_loss_weight=smooth_loss_weight, C1=C1, C2=C2,
            photometric_reduce_op=photometric_reduce_op,
            clip_loss=clip_loss, padding_mode=padding_mode,
            automask_loss=automask_loss,
            progressive_scaling=progressive_scaling,
            legacy_progressive_scaling_noop=legacy_progressive_scaling_noop)

    def inv_depths(self, ctx) -> List[Tensor]:
        """The first ``num_scales`` inverse depths, finest first
        (nearest-upsampled with ``upsample_depth_maps``)."""
        missing = [s for s in range(self.num_scales) if s not in ctx.disp]
        if missing:
            raise KeyError(
                f'PackNetPhotometricLoss: num_scales={self.num_scales} but '
                f'the depth net gave scales {sorted(ctx.disp)}')
        inv = [ctx.disp[s] for s in range(self.num_scales)]
        return upsample_inv_depths(inv) if self.upsample_depth_maps else inv

    @staticmethod
    def pose_matrix(ctx, f) -> Tensor:
        """``B×4×4`` target -> context transform of source frame f."""
        params = ctx.pose_params.get(f)
        if isinstance(params, dict) and set(params) == {'vec'}:
            return pose_vec_to_matrix(params['vec'])
        return ctx.poses[f, 0]

    def current_progress(self) -> float:
        return self.progress if self.progress is not None else \
            training_progress()

    def compute(self, ctx, return_details: bool = False) -> dict:
        """The functional loss's output dict on this context."""
        sources = list(ctx.source_ids)
        if not sources:
            raise ValueError('PackNetPhotometricLoss needs source frames '
                             '(frame_ids such as [0, -1, 1])')
        K = ctx.inputs['K'][0][:, :3, :3]
        progress = self.current_progress() if \
            self.loss_cfg['progressive_scaling'] > 0 else 0.0
        return multiview_photometric_loss(
            ctx.color(0, 0), [ctx.color(f, 0) for f in sources],
            self.inv_depths(ctx), K,
            [self.pose_matrix(ctx, f) for f in sources], progress=progress,
            return_details=return_details, **self.loss_cfg)

    def forward(self, ctx) -> Dict[str, Tensor]:
        out = self.compute(ctx)
        terms = dict(loss_photometric=self.loss_weight *
                     out['photometric_loss'],
                     loss_smoothness=self.loss_weight *
                     out['smoothness_loss'])
        if self.loss_cfg['progressive_scaling'] > 0:
            terms['packnet_num_scales'] = torch.tensor(
                float(out['num_scales']),
                device=out['photometric_loss'].device)
        return terms
