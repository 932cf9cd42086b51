"""Epoch-end update of FUMET's camera-height pseudo-label h*."""
from typing import List

import torch
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from depthseg.models.losses import CameraHeightLoss
from depthseg.registry import HOOKS


def camera_height_losses(runner) -> List[CameraHeightLoss]:
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    return [m for m in model.modules() if isinstance(m, CameraHeightLoss)]


def epoch_medians(per_rank: list, num_groups: int) -> torch.Tensor:
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


@HOOKS.register_module()
class CameraHeightHook(Hook):
    """Gathers every rank's per-frame camera-height estimates at the end of
    each training epoch and updates h* of each ``CameraHeightLoss``.

    The estimates of an epoch are cleared when it starts (FUMET's stale
    buffer, QUIRK Q1, fixed). h* is a buffer of the loss, so the checkpoint
    saved after this hook (priority ABOVE_NORMAL, before CheckpointHook)
    holds the updated value and ``--resume`` restores it. Logs
    ``cam_height_<s>`` (per group when there are several).
    """

    priority = 'ABOVE_NORMAL'

    def before_train_epoch(self, runner) -> None:
        for loss in camera_height_losses(runner):
            loss.reset_estimates()

    def after_train_epoch(self, runner) -> None:
        for loss in camera_height_losses(runner):
            per_rank = all_gather_object(loss.pop_estimates())
            medians = epoch_medians(per_rank, loss.h_star.shape[0])
            loss.update_h_star(runner.epoch, medians)
            counts = sum(len(rank[0][1]) for rank in per_rank)
            for g in range(loss.h_star.shape[0]):
                if not bool(loss.h_star_valid[g]):
                    continue
                suffix = '' if loss.h_star.shape[0] == 1 else \
                    f'_{loss.cam_settings[g]}'
                for i, s in enumerate(loss.scales):
                    runner.message_hub.update_scalar(
                        f'train/cam_height{suffix}_{s}',
                        float(loss.h_star[g, i]))
            runner.logger.info(
                f'epoch {runner.epoch + 1}: camera height h* = '
                f'{loss.h_star[:, 0].tolist()} '
                f'(valid {loss.h_star_valid.tolist()}) from {counts} '
                'frame estimates over all ranks')
