from .metric_scale import CameraHeightLoss, CarHeightLoss, road_cars
from .photometric import (PhotometricLoss, automask_min, reprojection_error,
                          road_override_min)
from .smoothness import SmoothnessLoss, edge_aware_smoothness, mean_normalise
from .ssim import ssim_loss

__all__ = [
    'PhotometricLoss', 'SmoothnessLoss', 'CarHeightLoss', 'CameraHeightLoss',
    'road_cars', 'road_override_min', 'automask_min', 'reprojection_error',
    'edge_aware_smoothness', 'mean_normalise', 'ssim_loss'
]
