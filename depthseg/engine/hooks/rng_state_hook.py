"""Save the global random number generators with checkpoints."""
import copy
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from depthseg.registry import HOOKS


def get_rng_state() -> dict:
    """Return the python, numpy, torch and CUDA RNG states as plain types.

    Only the current CUDA device is recorded: asking for all devices would
    create a CUDA context on every GPU from every DDP process.
    """
    np_state = np.random.get_state(legacy=False)
    np_state['state']['key'] = np_state['state']['key'].tolist()
    state = dict(
        python=random.getstate(),
        numpy=np_state,
        torch=torch.get_rng_state().numpy().tobytes())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state().numpy().tobytes()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the states returned by :func:`get_rng_state`."""
    random.setstate(state['python'])
    np.random.set_state(copy.deepcopy(state['numpy']))
    torch.set_rng_state(_to_byte_tensor(state['torch']))
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(_to_byte_tensor(state['cuda']))


def _to_byte_tensor(data: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make resumed runs continue with the RNG of the uninterrupted run.

    mmengine saves the seed but not the generator states, and re-seeds on
    resume, so random augmentation and noise after a resume differ from an
    uninterrupted run. This hook stores python ``random``, numpy, torch CPU
    and (current-device) CUDA states in ``checkpoint['rng_state']`` and
    restores them when training resumes.

    Details:

    * States are restored in ``before_train`` rather than in
      ``after_load_checkpoint``, because ``Runner.resume`` re-seeds after
      loading when the checkpoint's seed differs from the config's.
    * They are restored only when the run continues from the checkpoint's
      iteration (``resume``), not when weights are loaded with ``load_from``.
    * Validation is RNG-neutral: the state is saved in ``before_val`` and put
      back in ``after_val``; a checkpoint written during validation
      (``save_best``) stores the pre-validation state. So the state in a
      checkpoint is exactly the state the next training iteration starts
      from, whatever the validation interval.
    * Checkpoints are written by rank 0 only. Without ``diff_rank_seed`` all
      ranks share one RNG stream, so every rank restores rank 0's state; with
      ``diff_rank_seed=True`` only rank 0 restores (other ranks keep the
      per-rank seeding mmengine applied).
    * The lowest priority makes the restore in ``before_train`` run after
      every other hook's ``before_train``.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._pre_val_state = None
        self._loaded = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the RNG states the next training iteration starts from."""
        checkpoint['rng_state'] = self._pre_val_state or get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the checkpoint's states until ``before_train``."""
        if 'rng_state' in checkpoint:
            self._loaded = (checkpoint['meta'].get('iter'),
                            checkpoint['rng_state'])

    def before_train(self, runner) -> None:
        """Restore the states if this run resumes from the checkpoint."""
        if self._loaded is None:
            return
        ckpt_iter, state = self._loaded
        self._loaded = None
        if not ckpt_iter or runner.iter != ckpt_iter:
            return  # load_from: weights only, keep the fresh RNG
        diff_rank_seed = runner.cfg.get('randomness',
                                        {}).get('diff_rank_seed', False)
        if diff_rank_seed and runner.rank != 0:
            return
        set_rng_state(state)
        runner.logger.info('RNGStateHook: restored the RNG states of '
                           f'iteration {ckpt_iter}')

    def before_val(self, runner) -> None:
        """Save the state so that validation does not shift training."""
        self._pre_val_state = get_rng_state()

    def after_val(self, runner) -> None:
        """Put back the state saved in :meth:`before_val`."""
        if self._pre_val_state is not None:
            set_rng_state(self._pre_val_state)
            self._pre_val_state = None
