"""Lite-Mono depth decoder (Zhang et al., CVPR 2023) as used by FUMET."""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.layers import Conv3x3, ConvBlock, in_float32
from depthseg.registry import MODELS


@MODELS.register_module()
class LiteMonoDecoder(BaseModule):
    """3-level U-Net decoder over the Lite-Mono features (H/4, H/8, H/16).

    Args:
        num_ch_enc: channels of the 3 encoder features ([48, 80, 128]);
            decoder channels are ``num_ch_enc // 2``.
        scales: output scales, a subset of 0..2. Level i works at H/2^(i+1);
            its disparity is bilinearly upsampled ×2, so output s has size
            H/2^s × W/2^s.
        num_output_channels: channels of each output map.
        use_skips: concatenate encoder features.
        upsample_mode: interpolation of the decoder features between levels.
            ``'nearest'`` (default) is what FUMET's copy of the decoder does
            (its ``upsample`` defaults to nearest) and what its released
            checkpoints were trained with; the original Lite-Mono repository
            upsamples the features bilinearly (``'bilinear'``). The
            disparities are always upsampled bilinearly.

    Convolution weights are trunc-normal (std 0.02) initialised, biases 0,
    as the original.

    State-dict layout: as ``DepthDecoder`` in file
    ``networks/depth_decoder.py`` of the original Lite-Mono repository
    (``LiteMonoDecoder`` in FUMET's ``networks/litemono_decoder.py``):
    ``decoder`` (ModuleList) = upconv(2,0), upconv(2,1), upconv(1,0),
    upconv(1,1), upconv(0,0), upconv(0,1) (ConvBlocks, indices 0..5), then
    dispconv(s) (Conv3x3) for ``s`` in ``scales`` order.
    """

    def __init__(self, num_ch_enc: Sequence[int],
                 scales: Sequence[int] = (0, 1, 2),
                 num_output_channels: int = 1, use_skips: bool = True,
                 upsample_mode: str = 'nearest', init_cfg=None):
        super().__init__(init_cfg)
        self.num_ch_enc = [int(c) for c in num_ch_enc]
        if len(self.num_ch_enc) != 3:
            raise ValueError(f'LiteMonoDecoder: num_ch_enc needs 3 entries '
                             f'(Lite-Mono features), got {self.num_ch_enc}')
        self.scales = list(scales)
        if not set(self.scales) <= {0, 1, 2}:
            raise ValueError(f'LiteMonoDecoder: scales must be in 0..2 (use '
                             f'scales=(0, 1, 2) with Lite-Mono), got '
                             f'{self.scales}')
        self.use_skips = use_skips
        self.upsample_mode = upsample_mode
        enc = self.num_ch_enc
        dec = [c // 2 for c in enc]
        self.num_ch_dec = dec
        layers = []
        for i in range(2, -1, -1):
            layers.append(ConvBlock(enc[-1] if i == 2 else dec[i + 1],
                                    dec[i]))
            skip = enc[i - 1] if use_skips and i > 0 else 0
            layers.append(ConvBlock(dec[i] + skip, dec[i]))
        layers += [Conv3x3(dec[s], num_output_channels) for s in self.scales]
        self.decoder = nn.ModuleList(layers)
        self.sigmoid = nn.Sigmoid()
        self.apply(self._init_module)

    @staticmethod
    def _init_module(m: nn.Module):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 3 encoder maps (H/4, H/8, H/16) -> {s: B×C×H/2^s×W/2^s
        sigmoid disparity in (0, 1)} for s in ``scales``."""
        outputs = {}
        x = features[-1]
        for k, i in enumerate(range(2, -1, -1)):
            x = F.interpolate(self.decoder[2 * k](x), scale_factor=2,
                              mode=self.upsample_mode)
            if self.use_skips and i > 0:
                x = torch.cat([x, features[i - 1]], 1)
            x = self.decoder[2 * k + 1](x)
            if i in self.scales:
                head = self.decoder[6 + self.scales.index(i)]
                outputs[i] = in_float32(lambda t: self.sigmoid(F.interpolate(
                    head(t), scale_factor=2, mode='bilinear')), x)
        return outputs
