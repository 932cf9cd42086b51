from .checkpoint_check_hook import CheckpointCheckHook
from .checkpoint_hook import AtomicCheckpointHook
from .rng_state_hook import RNGStateHook

__all__ = ['AtomicCheckpointHook', 'CheckpointCheckHook', 'RNGStateHook']
