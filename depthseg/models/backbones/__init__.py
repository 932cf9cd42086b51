from .base_encoder import PretrainedEncoder
from .context_resnet_encoder import ContextResnetEncoder
from .hrnet import HighResolutionNet, HRNetEncoder
from .lite_mono import LiteMono
from .packnet import PackNet01, PackNetSlim01
from .resnet_encoder import (ResnetEncoder, ResNetMultiImageInput,
                             resnet_num_ch_enc)
from .van import VANEncoder

__all__ = [
    'ResnetEncoder', 'ResNetMultiImageInput', 'resnet_num_ch_enc', 'LiteMono',
    'VANEncoder', 'ContextResnetEncoder', 'HRNetEncoder', 'HighResolutionNet',
    'PackNet01', 'PackNetSlim01', 'PretrainedEncoder'
]
