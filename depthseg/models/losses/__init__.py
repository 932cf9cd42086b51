from .consistency import ViewConsistencyLoss, si_log_loss, si_log_per_image
from .feature_losses import (autoencoder_loss_terms, feature_regularization,
                             reconstruction_targets)
from .feature_metric import FeatureMetricLoss, feature_metric_min
from .functional import (charbonnier, edge_aware_smoothness,
                         edge_aware_terms, mean_normalise, reprojection_error,
                         ssim_loss)
from .metric_scale import CameraHeightLoss, CarHeightLoss, road_cars
from .packnet_loss import PackNetPhotometricLoss
from .photometric import PhotometricLoss, automask_min
from .plugin import LossPlugin
from .road_override import RoadMaskingOverride, road_override_min
from .smoothness import SmoothnessLoss
from .supervised_depth import SupervisedDepthLoss
from .velocity import VelocitySupervisionLoss

__all__ = [
    'PhotometricLoss', 'SmoothnessLoss', 'CarHeightLoss', 'CameraHeightLoss',
    'road_cars', 'road_override_min', 'automask_min', 'reprojection_error',
    'edge_aware_smoothness', 'mean_normalise', 'ssim_loss',
    'FeatureMetricLoss', 'feature_metric_min', 'charbonnier',
    'edge_aware_terms', 'feature_regularization', 'autoencoder_loss_terms',
    'reconstruction_targets', 'ViewConsistencyLoss', 'si_log_loss',
    'si_log_per_image', 'LossPlugin', 'RoadMaskingOverride',
    'PackNetPhotometricLoss', 'VelocitySupervisionLoss',
    'SupervisedDepthLoss'
]
