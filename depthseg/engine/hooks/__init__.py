from .checkpoint_check_hook import CheckpointCheckHook
from .checkpoint_hook import AtomicCheckpointHook
from .depth_visualization_hook import DepthVisualizationHook
from .epoch_estimates_hook import EpochEstimatesHook
from .logger_hook import DepthLoggerHook
from .loss_weight_schedule_hook import LossWeightScheduleHook
from .nonfinite_check_hook import NonFiniteCheckHook
from .optimizer_state_hook import LoadOptimizerStateHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointCheckHook', 'DepthLoggerHook',
    'DepthVisualizationHook',
    'EpochEstimatesHook', 'LoadOptimizerStateHook',
    'LossWeightScheduleHook', 'NonFiniteCheckHook', 'RNGStateHook'
]
