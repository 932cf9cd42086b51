from .photometric import PhotometricLoss, automask_min, reprojection_error
from .smoothness import SmoothnessLoss, edge_aware_smoothness, mean_normalise
from .ssim import ssim_loss

__all__ = [
    'PhotometricLoss', 'SmoothnessLoss', 'automask_min', 'reprojection_error',
    'edge_aware_smoothness', 'mean_normalise', 'ssim_loss'
]
