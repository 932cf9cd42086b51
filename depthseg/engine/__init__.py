from .hooks import *  # noqa: F401,F403
from .loops import ResumableEpochBasedTrainLoop
from .model_wrappers import CPUSafeDistributedDataParallel
from .optim_wrappers import (
    CPUAutocastOptimWrapper,
    DepthOptimWrapperConstructor,
    enable_amp,
)
from .runner import DepthRunner

__all__ = [
    'CPUAutocastOptimWrapper', 'CPUSafeDistributedDataParallel',
    'DepthOptimWrapperConstructor', 'DepthRunner',
    'ResumableEpochBasedTrainLoop', 'enable_amp'
]
