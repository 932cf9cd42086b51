"""PackNet-SfM's velocity supervision (VelSup, packnet spec §2.8; quirk Q4
fixed: the original ``VelSupModel`` raises a TypeError at construction; here
the velocity loss is a working optional loss term).

``loss_velocity = w · (1/n) Σ_j mean_b | ‖t_pred_j‖ − ‖t_gt_j‖ |`` over the
n temporal source frames j, with ``t_pred_j`` the translation of the
context's target -> source pose and ``t_gt_j`` that of the ground truth
(``inputs['gt_poses']`` / ``inputs['gt_pose_ids']`` from
:class:`~depthseg.datasets.transforms.LoadOxtsPoses`); w = 0.1 (the
original's ``velocity_loss_weight``).
"""
from typing import Dict

import torch
from torch import Tensor

from depthseg.models.utils.packnet_geometry import pose_vec_to_matrix
from depthseg.registry import MODELS
from .plugin import LossPlugin


def predicted_pose(ctx, f) -> Tensor:
    """B×4×4 target -> source pose of frame f from any pose net: PackNet's
    ``{'vec': B×6}`` entries directly (no depth needed), others through
    ``ctx.poses[f, 0]`` (the pose net's ``to_matrix``)."""
    params = ctx.pose_params.get(f)
    if isinstance(params, dict) and set(params) == {'vec'}:
        return pose_vec_to_matrix(
            params['vec'], getattr(ctx.pose_net, 'rotation_mode', 'euler'))
    return ctx.poses[f, 0]


@MODELS.register_module()
class VelocitySupervisionLoss(LossPlugin):
    """``loss_weight · mean_j mean_b |‖t_pred‖ − ‖t_gt‖|`` (VelSup).

    Works with any pose net (Monodepth2's ``PoseNet``, PackNet's
    ``PackNetPoseNet``): the predicted poses are the context's target ->
    source transforms of the temporal source frames (``'s'`` skipped).
    Ground truth: ``inputs[poses_key]`` (B×n×4×4 target -> source) with
    ``inputs[ids_key]`` (B×n source frame ids); add
    ``dict(type='LoadOxtsPoses')`` to the training pipeline.

    Args:
        loss_weight: w (0.1, the original's ``velocity_loss_weight``).
        weight_schedule: see :class:`LossPlugin`.
        poses_key, ids_key: batch keys of the ground truth.

    Terms: ``loss_velocity`` and, logged only, ``velocity_error`` (the
    unweighted mean |‖t_pred‖ − ‖t_gt‖| in metres) and ``gt_speed`` (mean
    ‖t_gt‖, metres per frame step).
    """

    default_views = 'original'

    def __init__(self, loss_weight: float = 0.1, weight_schedule=None,
                 poses_key: str = 'gt_poses', ids_key: str = 'gt_pose_ids',
                 init_cfg=None):
        super().__init__(loss_weight, weight_schedule, init_cfg)
        self.poses_key, self.ids_key = poses_key, ids_key

    def gt_translations(self, ctx, sources) -> Tensor:
        """B×n ground-truth translation norms, in ``sources`` order."""
        inputs = ctx.inputs
        if self.poses_key not in inputs or self.ids_key not in inputs:
            raise KeyError(
                f'VelocitySupervisionLoss: the batch has no '
                f'{self.poses_key!r} / {self.ids_key!r}. Fix: add '
                "dict(type='LoadOxtsPoses') to the training pipeline "
                '(KITTI raw oxts/ files, or the built-in synthetic videos).')
        poses, ids = inputs[self.poses_key], inputs[self.ids_key]
        ids = ids[0].tolist() if ids.dim() == 2 else ids.tolist()
        cols = []
        for f in sources:
            if f not in ids:
                raise KeyError(
                    f'VelocitySupervisionLoss: no ground-truth pose for '
                    f'source frame {f}; LoadOxtsPoses gave frames {ids}. '
                    'Fix: LoadOxtsPoses(frame_ids=...) must cover the '
                    "model's frame_ids.")
            cols.append(poses[:, ids.index(f), :3, 3].norm(dim=-1))
        return torch.stack(cols, 1)

    def forward(self, ctx) -> Dict[str, Tensor]:
        sources = [f for f in ctx.source_ids if f != 's']
        if not sources:
            raise ValueError('VelocitySupervisionLoss needs temporal source '
                             'frames (frame_ids such as [0, -1, 1])')
        pred = torch.stack([predicted_pose(ctx, f)[:, :3, 3].norm(dim=-1)
                            for f in sources], 1)
        gt = self.gt_translations(ctx, sources).to(pred)
        # = the original's sum_j mean_b |.| / n
        error = (pred - gt).abs().mean()
        return dict(loss_velocity=self.loss_weight * error,
                    velocity_error=error.detach(),
                    gt_speed=gt.mean().detach())
