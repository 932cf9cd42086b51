from .hooks import *  # noqa: F401,F403
from .loops import ResumableEpochBasedTrainLoop
from .model_wrappers import CPUSafeDistributedDataParallel

__all__ = ['CPUSafeDistributedDataParallel', 'ResumableEpochBasedTrainLoop']
