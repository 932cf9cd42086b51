from .context import DepthContext, LazyDict
from .selfsup_depth_estimator import SelfSupDepthEstimator

__all__ = ['DepthContext', 'LazyDict', 'SelfSupDepthEstimator']
