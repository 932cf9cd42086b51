from .consistency import ViewConsistencyLoss, si_log_loss, si_log_per_image
from .feature_losses import (autoencoder_loss_terms, charbonnier,
                             edge_aware_terms, feature_regularization,
                             reconstruction_targets)
from .feature_metric import FeatureMetricLoss, feature_metric_min
from .metric_scale import CameraHeightLoss, CarHeightLoss, road_cars
from .photometric import (PhotometricLoss, automask_min, reprojection_error,
                          road_override_min)
from .smoothness import SmoothnessLoss, edge_aware_smoothness, mean_normalise
from .ssim import ssim_loss

__all__ = [
    'PhotometricLoss', 'SmoothnessLoss', 'CarHeightLoss', 'CameraHeightLoss',
    'road_cars', 'road_override_min', 'automask_min', 'reprojection_error',
    'edge_aware_smoothness', 'mean_normalise', 'ssim_loss',
    'FeatureMetricLoss', 'feature_metric_min', 'charbonnier',
    'edge_aware_terms', 'feature_regularization', 'autoencoder_loss_terms',
    'reconstruction_targets', 'ViewConsistencyLoss', 'si_log_loss',
    'si_log_per_image'
]
