from .context import DepthContext, LazyDict, ViewContext
from .selfsup_depth_estimator import SelfSupDepthEstimator

__all__ = ['DepthContext', 'LazyDict', 'ViewContext', 'SelfSupDepthEstimator']
