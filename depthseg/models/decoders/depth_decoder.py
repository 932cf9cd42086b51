"""Monodepth2 depth decoder (spec §3.3)."""
import math
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.backbones.resnet_encoder import resnet_num_ch_enc
from depthseg.models.utils.layers import (
    Conv3x3,
    ConvBlock,
    in_float32,
    upsample,
)
from depthseg.registry import MODELS


@MODELS.register_module()
class DepthDecoder(BaseModule):
    """U-Net decoder from 5 encoder features to sigmoid disparities.

    Args:
        num_ch_enc: channels of the 5 encoder features; or give
            ``encoder_depth`` (ResNet depth) instead.
        scales: output scales s; output s has size H/2^s × W/2^s, where H×W
            is the encoder input size.
        num_output_channels: channels of each output map.
        use_skips: concatenate encoder features (after the upsampled ones).
        encoder_depth: ResNet depth giving ``num_ch_enc``.
        init_disp: start the sigmoid disparities near this value in (0, 1)
            (the heads' biases become its logit): metric-scale training from
            scratch starts at a plausible depth instead of the ~0.5 of a
            fresh head (0.2 m with depth range 0.1-100 m). None keeps
            PyTorch's initialisation.

    Modules: ``decoder`` (ModuleList) holds upconv(4,0), upconv(4,1), …,
    upconv(0,1) (ConvBlocks, indices 0..9) then dispconv(s) (Conv3x3) for
    ``s`` in ``scales`` order, as in Monodepth2's ``depth.pth``.
    """

    num_ch_dec = (16, 32, 64, 128, 256)

    def __init__(self, num_ch_enc: Optional[Sequence[int]] = None,
                 scales: Sequence[int] = (0, 1, 2, 3),
                 num_output_channels: int = 1, use_skips: bool = True,
                 encoder_depth: Optional[int] = None,
                 init_disp: Optional[float] = None, init_cfg=None):
        super().__init__(init_cfg)
        if (num_ch_enc is None) == (encoder_depth is None):
            raise ValueError('DepthDecoder: give exactly one of num_ch_enc '
                             'and encoder_depth')
        if num_ch_enc is None:
            num_ch_enc = resnet_num_ch_enc(encoder_depth)
        self.num_ch_enc = list(num_ch_enc)
        self.scales = list(scales)
        if not set(self.scales) <= {0, 1, 2, 3, 4}:
            raise ValueError(f'DepthDecoder: scales must be in 0..4, got '
                             f'{self.scales}')
        self.use_skips = use_skips
        enc, dec = self.num_ch_enc, self.num_ch_dec
        layers = []
        for i in range(4, -1, -1):
            layers.append(ConvBlock(enc[4] if i == 4 else dec[i + 1], dec[i]))
            skip = enc[i - 1] if use_skips and i > 0 else 0
            layers.append(ConvBlock(dec[i] + skip, dec[i]))
        heads = [Conv3x3(dec[s], num_output_channels) for s in self.scales]
        if init_disp is not None:
            if not 0 < init_disp < 1:
                raise ValueError(f'DepthDecoder: init_disp must be in (0, 1) '
                                 f'(a sigmoid output), got {init_disp}')
            for head in heads:
                nn.init.constant_(head.conv.bias,
                                  math.log(init_disp / (1 - init_disp)))
        self.decoder = nn.ModuleList(layers + heads)

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 5 encoder maps (f0 at H/2 … f4 at H/32) -> {s: B×C×H/2^s
        ×W/2^s sigmoid disparity in (0, 1)} for s in ``scales``."""
        outputs = {}
        x = features[4]
        for k, i in enumerate(range(4, -1, -1)):
            x = upsample(self.decoder[2 * k](x))
            if self.use_skips and i > 0:
                x = torch.cat([x, features[i - 1]], 1)
            x = self.decoder[2 * k + 1](x)
            if i in self.scales:
                disp_conv = self.decoder[10 + self.scales.index(i)]
                outputs[i] = in_float32(
                    lambda t: torch.sigmoid(disp_conv(t)), x)
        return outputs
