from .hooks import *  # noqa: F401,F403
from .model_wrappers import CPUSafeDistributedDataParallel

__all__ = ['CPUSafeDistributedDataParallel']
