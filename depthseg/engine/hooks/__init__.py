from .camera_height_hook import CameraHeightHook
from .checkpoint_check_hook import CheckpointCheckHook
from .checkpoint_hook import AtomicCheckpointHook
from .depth_visualization_hook import DepthVisualizationHook
from .loss_weight_schedule_hook import LossWeightScheduleHook
from .optimizer_state_hook import LoadOptimizerStateHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AtomicCheckpointHook', 'CameraHeightHook', 'CheckpointCheckHook',
    'DepthVisualizationHook', 'LoadOptimizerStateHook',
    'LossWeightScheduleHook', 'RNGStateHook'
]
