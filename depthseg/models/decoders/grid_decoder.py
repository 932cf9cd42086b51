"""BDEdepth 6-level × 3-column grid decoder (spec §6.3, key table §11.1)."""
from typing import Dict, List, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.layers import Conv3x3, in_float32
from depthseg.registry import MODELS


class ResidualBlock(nn.Sequential):
    """PReLU, conv3×3 (bias), PReLU, conv3×3 (bias); zero padding.

    Despite the name there is no skip connection (quirk Q13). Keys
    ``0.weight`` (PReLU), ``1.weight/bias``, ``2.weight``, ``3.weight/bias``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.PReLU(), nn.Conv2d(in_channels, out_channels, 3, 1, 1),
            nn.PReLU(), nn.Conv2d(out_channels, out_channels, 3, 1, 1))


class UpsampleBlock(nn.Sequential):
    """×2 bilinear upsampling (align_corners=False), PReLU, conv3×3 (bias).

    Keys ``1.weight`` (PReLU), ``2.weight/bias``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
            nn.PReLU(), nn.Conv2d(in_channels, out_channels, 3, 1, 1))


def grid_channels(num_ch_enc: Sequence[int]):
    """``(enc, grid_ch)`` of the 6 levels: enc = [c0] + num_ch_enc,
    grid_ch = [16] + [c // 2 for c in enc[1:]]."""
    enc = [num_ch_enc[0]] + list(num_ch_enc)
    grid_ch = [c // 2 for c in enc]
    grid_ch[0] = 16
    return enc, grid_ch


@MODELS.register_module()
class GridDecoder(BaseModule):
    """Grid decoder from 6 encoder features (context + 5) to sigmoid
    disparities.

    Args:
        num_ch_enc: the encoder's 5 ``num_ch_enc`` entries ([64, 64, 128,
            256, 512] for ResNet18, [64, 18, 36, 72, 144] for HRNet18);
            the context level gets ``num_ch_enc[0]`` channels.
        scales: output scales (level i has size H/2^i); BDEdepth uses (0, ).
        num_output_channels: channels of each disparity map.

    ``decoder`` (ModuleList) holds, level by level (i = 0..5), lateral(i, j)
    (:class:`ResidualBlock`) and, for i < 5, upconv(i, j)
    (:class:`UpsampleBlock`, from level i + 1 to level i) alternately for
    j = 0, 1, 2, then dispconv(i) (:class:`Conv3x3`, reflection padding) if
    i is an output scale: the original ``ckpt["depth"]`` index order.
    Conv weights are trunc-normal (std 0.02) with zero biases; PReLUs start
    at 0.25.
    """

    def __init__(self, num_ch_enc: Sequence[int],
                 scales: Sequence[int] = (0, ),
                 num_output_channels: int = 1, init_cfg=None):
        super().__init__(init_cfg)
        if len(num_ch_enc) != 5:
            raise ValueError('GridDecoder: num_ch_enc must have the 5 '
                             f'encoder entries, got {list(num_ch_enc)}')
        self.scales = sorted(scales)
        if not set(self.scales) <= set(range(6)):
            raise ValueError(f'GridDecoder: scales must be in 0..5, got '
                             f'{list(scales)}')
        self.num_ch_enc = list(num_ch_enc)
        self.enc, self.grid_ch = grid_channels(num_ch_enc)
        layers, self.index = [], {}
        for i in range(6):
            for j in range(3):
                in_ch = self.enc[i] if j == 0 else self.grid_ch[i]
                self.index['lateral', i, j] = len(layers)
                layers.append(ResidualBlock(in_ch, self.grid_ch[i]))
                if i < 5:
                    self.index['upconv', i, j] = len(layers)
                    layers.append(UpsampleBlock(self.grid_ch[i + 1],
                                                self.grid_ch[i]))
            if i in self.scales:
                self.index['dispconv', i] = len(layers)
                layers.append(Conv3x3(self.grid_ch[i], num_output_channels))
        self.decoder = nn.ModuleList(layers)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def _module(self, *key) -> nn.Module:
        return self.decoder[self.index[key]]

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 6 maps (context at H, then H/2 … H/32) -> {s: B×C×H/2^s
        ×W/2^s sigmoid disparity} for s in ``scales``."""
        if len(features) != 6:
            raise ValueError(f'GridDecoder needs 6 features (context + 5), '
                             f'got {len(features)}: use a context encoder '
                             '(HRNetEncoder or ContextResnetEncoder)')
        outputs = {}
        carry = [None, None, None]
        for i in range(5, -1, -1):
            x = features[i]
            for j in range(3):
                x = self._module('lateral', i, j)(x)
                if i < 5:
                    x = x + carry[j]
                if i > 0:
                    carry[j] = self._module('upconv', i - 1, j)(x)
            if i in self.scales:
                head = self._module('dispconv', i)
                outputs[i] = in_float32(lambda t: torch.sigmoid(head(t)), x)
        return outputs
