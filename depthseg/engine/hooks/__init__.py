from .checkpoint_check_hook import CheckpointCheckHook
from .checkpoint_hook import AtomicCheckpointHook
from .depth_visualization_hook import DepthVisualizationHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointCheckHook', 'DepthVisualizationHook',
    'RNGStateHook'
]
