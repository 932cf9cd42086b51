from .autoencoder_model import FeatDepthAutoEncoderModel
from .featurenet import FeatureNet, FeatureNetDecoder, FeatureNetEncoder

__all__ = [
    'FeatureNet', 'FeatureNetEncoder', 'FeatureNetDecoder',
    'FeatDepthAutoEncoderModel'
]
