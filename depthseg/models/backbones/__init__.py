from .resnet_encoder import (ResnetEncoder, ResNetMultiImageInput,
                             resnet_num_ch_enc)

__all__ = ['ResnetEncoder', 'ResNetMultiImageInput', 'resnet_num_ch_enc']
