"""Epoch-end statistics that plugins gather over all ranks."""
from typing import List

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn

from depthseg.registry import HOOKS

#: what a module offers to be served by :class:`EpochEstimatesHook`
ESTIMATES_INTERFACE = ('reset_estimates', 'pop_estimates', 'end_epoch')


def estimating_modules(runner) -> List[nn.Module]:
    """The modules of the model with the estimates interface."""
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    return [m for m in model.modules()
            if all(callable(getattr(m, name, None))
                   for name in ESTIMATES_INTERFACE)]


@HOOKS.register_module()
class EpochEstimatesHook(Hook):
    """Per-epoch statistics of plugins over every rank's training data.

    For each module with the interface of :data:`ESTIMATES_INTERFACE`:
    ``reset_estimates()`` when a training epoch starts; at its end
    ``pop_estimates()`` (picklable) is gathered from every rank and passed
    to ``end_epoch(epoch, per_rank) -> (scalars, message)``, whose scalars
    are logged as ``train/<name>`` and message is printed. It runs before
    the checkpoint hook, so what ``end_epoch`` updates (e.g. FUMET's h*, a
    buffer restored by ``--resume``) is in that epoch's checkpoint. Plugins
    that need it add it to the run themselves (``plugin_hooks``).
    """

    priority = 'ABOVE_NORMAL'

    def before_train_epoch(self, runner) -> None:
        for module in estimating_modules(runner):
            module.reset_estimates()

    def after_train_epoch(self, runner) -> None:
        for module in estimating_modules(runner):
            per_rank = all_gather_object(module.pop_estimates())
            scalars, message = module.end_epoch(runner.epoch, per_rank)
            for name, value in scalars.items():
                runner.message_hub.update_scalar(f'train/{name}', value)
            if message:
                runner.logger.info(f'epoch {runner.epoch + 1}: {message}')
