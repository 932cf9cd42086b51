"""Stop (or skip steps) cleanly on non-finite losses and gradients."""
import logging
import os.path as osp
from functools import partial

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, is_model_wrapper

from depthseg.engine.model_wrappers import (CPUSafeDistributedDataParallel,
                                            guarded_ddp_train_step)
from depthseg.models.utils.nonfinite import (NONFINITE_HANDLED,
                                             NONFINITE_INFO,
                                             NonFiniteGuardMixin,
                                             NonFiniteStepError, describe)
from depthseg.registry import HOOKS

MODES = ('stop', 'skip')
#: MessageHub info (saved in checkpoints): skipped steps so far
SKIPS_TOTAL = 'nonfinite_skips'


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint ``work_dir/last_checkpoint`` names, or a phrase."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return 'none saved yet'
    with open(pointer) as f:
        path = f.read().strip()
    return path if osp.exists(path) else f'none ({pointer} names {path!r}, ' \
        'which does not exist)'


@HOOKS.register_module()
class NonFiniteCheckHook(Hook):
    """Acts on the non-finite steps the model's ``train_step`` refused.

    The models' ``train_step``
    (:func:`~depthseg.models.utils.nonfinite.guarded_train_step`) checks
    every loss term and the total gradient norm; a non-finite one means the
    optimizer step is not applied. This hook then, in ``after_train_iter``
    (before the logger and the checkpoint hooks, so no checkpoint is
    written from that state):

    * ``mode='stop'`` (default): raises
      :class:`~depthseg.models.utils.nonfinite.NonFiniteStepError` naming
      the iteration, the non-finite terms (or the gradient norm) and the
      last checkpoint saved (``work_dir/last_checkpoint``);
    * ``mode='skip'``: counts the skipped step (warning in the log,
      scalar ``nonfinite_skips`` in the log and TensorBoard, kept in the
      checkpoints) and stops as above after ``max_consecutive_skips``
      skipped steps in a row.

    Configured in ``default_hooks`` (``configs/_base_/default_runtime.py``):
    ``default_hooks = dict(nonfinite=dict(mode='skip',
    max_consecutive_skips=5))``; ``nonfinite=None`` removes the hook, and
    the model's ``train_step`` then raises at the first non-finite step.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, mode: str = 'stop', max_consecutive_skips: int = 10):
        if mode not in MODES:
            raise ValueError(f'NonFiniteCheckHook: mode must be one of '
                             f'{MODES}, got {mode!r}')
        if int(max_consecutive_skips) < 1:
            raise ValueError('NonFiniteCheckHook: max_consecutive_skips must '
                             f'be >= 1, got {max_consecutive_skips}')
        self.mode = mode
        self.max_consecutive_skips = int(max_consecutive_skips)
        self.in_a_row = 0
        self.total = 0

    def before_train(self, runner) -> None:
        hub = runner.message_hub
        hub.update_info(NONFINITE_HANDLED, self.mode, resumed=False)
        hub.pop_info(NONFINITE_INFO)
        self.total = int(hub.get_info(SKIPS_TOTAL, 0))  # from --resume
        self.in_a_row = 0
        model = runner.model
        if not is_model_wrapper(model) or not isinstance(
                model.module, NonFiniteGuardMixin):
            return
        train_step = getattr(type(model), 'train_step', None)
        if train_step is MMDistributedDataParallel.train_step:
            # mmengine's wrapper (GPU runs) calls update_params itself,
            # bypassing the module's train_step: run the guarded one
            model.train_step = partial(guarded_ddp_train_step, model)
        elif train_step is not CPUSafeDistributedDataParallel.train_step:
            print_log(
                f'NonFiniteCheckHook: {type(model).__name__} does not run '
                "the model's non-finite check; non-finite steps are not "
                'detected', logger='current', level=logging.WARNING)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        hub = runner.message_hub
        info = hub.pop_info(NONFINITE_INFO)
        if info is not None and self.mode == 'stop':
            self._stop(runner, batch_idx, describe(info))
        self.in_a_row = 0 if info is None else self.in_a_row + 1
        self.total += int(info is not None)
        if self.mode == 'skip':
            hub.update_scalar('train/nonfinite_skips', self.total)
        if info is not None:
            hub.update_info(SKIPS_TOTAL, self.total)
            print_log(
                f'{self._where(runner, batch_idx)}: {describe(info)}; '
                f'optimizer step skipped ({self.in_a_row} in a row, '
                f'{self.total} in total)',
                logger='current',
                level=logging.WARNING)
            if self.in_a_row >= self.max_consecutive_skips:
                self._stop(
                    runner, batch_idx,
                    f'{self.in_a_row} non-finite steps in a row (skip mode, '
                    f'max_consecutive_skips={self.max_consecutive_skips}); '
                    f'the last: {describe(info)}')

    def after_train(self, runner) -> None:
        runner.message_hub.pop_info(NONFINITE_HANDLED)

    @staticmethod
    def _where(runner, batch_idx: int) -> str:
        where = f'iteration {runner.iter + 1}'
        try:
            num_batches = len(runner.train_dataloader)
        except TypeError:
            return where
        return (f'{where} (epoch {runner.epoch + 1}, batch {batch_idx + 1}/'
                f'{num_batches})')

    def _stop(self, runner, batch_idx: int, what: str):
        raise NonFiniteStepError(
            f'Non-finite training step at {self._where(runner, batch_idx)}: '
            f'{what}. The optimizer step was not applied and no checkpoint '
            f'was written from this state. Last good checkpoint: '
            f'{last_checkpoint(runner.work_dir)}. Lower the learning rate '
            '(optim_wrapper.optimizer.lr) and resume from it' +
            (', or skip such steps with --cfg-options '
             'default_hooks.nonfinite.mode=skip.'
             if self.mode == 'stop' else '.'))
