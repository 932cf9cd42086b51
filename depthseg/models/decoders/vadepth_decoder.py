"""VADepth decoder (Xiang et al. 2022) as used by FUMET (spec §5)."""
from typing import Dict, List, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.layers import (
    Conv3x3,
    ConvBlock,
    in_float32,
    upsample,
)
from depthseg.registry import MODELS


class PAMModule(nn.Module):
    """DANet position attention (``PAM_Module``): self-attention over the
    H·W positions with 1×1 ``query_conv``/``key_conv`` (C/8 channels) and
    ``value_conv``; output ``gamma`` · attention + input (gamma starts at
    0)."""

    def __init__(self, in_dim: int):
        super().__init__()
        self.chanel_in = in_dim  # sic, the original's attribute name
        self.query_conv = nn.Conv2d(in_dim, in_dim // 8, 1)
        self.key_conv = nn.Conv2d(in_dim, in_dim // 8, 1)
        self.value_conv = nn.Conv2d(in_dim, in_dim, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        B, C, H, W = x.shape
        query = self.query_conv(x).view(B, -1, H * W).permute(0, 2, 1)
        key = self.key_conv(x).view(B, -1, H * W)
        attention = self.softmax(torch.bmm(query, key))
        value = self.value_conv(x).view(B, -1, H * W)
        out = torch.bmm(value, attention.permute(0, 2, 1)).view(B, C, H, W)
        return self.gamma * out + x


class CAMModule(nn.Module):
    """DANet channel attention (``CAM_Module``): attention between
    channels (softmax of max-minus-energy); output ``gamma`` · attention +
    input."""

    def __init__(self, in_dim: int):
        super().__init__()
        self.chanel_in = in_dim
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        B, C, H, W = x.shape
        query = x.view(B, C, -1)
        energy = torch.bmm(query, query.permute(0, 2, 1))
        energy = energy.max(-1, keepdim=True)[0].expand_as(energy) - energy
        out = torch.bmm(self.softmax(energy), query).view(B, C, H, W)
        return self.gamma * out + x


class DANetHead(nn.Module):
    """DANet head: two branches (``conv5a`` → PAM ``sa`` → ``conv51``;
    ``conv5c`` → CAM ``sc`` → ``conv52``; 3×3 conv-BN-ReLU at C/4
    channels) summed, then dropout + 1×1 conv (``conv8``) to
    ``out_channels``.

    ``conv6`` and ``conv7`` (the per-branch outputs of DANet) exist in the
    original but do not contribute to the output; they are kept for the
    state-dict layout and frozen.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        inter = in_channels // 4

        def conv_bn_relu(c_in):
            return nn.Sequential(
                nn.Conv2d(c_in, inter, 3, padding=1, bias=False),
                norm_layer(inter), nn.ReLU())

        def head():
            return nn.Sequential(nn.Dropout2d(0.1, False),
                                 nn.Conv2d(inter, out_channels, 1))

        self.conv5a = conv_bn_relu(in_channels)
        self.conv5c = conv_bn_relu(in_channels)
        self.sa = PAMModule(inter)
        self.sc = CAMModule(inter)
        self.conv51 = conv_bn_relu(inter)
        self.conv52 = conv_bn_relu(inter)
        self.conv6 = head()
        self.conv7 = head()
        self.conv8 = head()
        self.conv6.requires_grad_(False)
        self.conv7.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        sa = self.conv51(self.sa(self.conv5a(x)))
        sc = self.conv52(self.sc(self.conv5c(x)))
        return self.conv8(sa + sc)


class SpatialAttention(nn.Module):
    """CBAM-style spatial attention: sigmoid(7×7 conv of [mean, max] over
    channels) gates the input; ``conv1`` has no bias."""

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2,
                               bias=False)
        self.sigmoid = nn.Sigmoid()
        nn.init.kaiming_normal_(self.conv1.weight, mode='fan_out',
                                nonlinearity='relu')

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.mean(1, keepdim=True),
                            x.max(1, keepdim=True)[0]], 1)
        return self.sigmoid(self.conv1(pooled)) * x


class ChannelAttention(nn.Module):
    """Squeeze-excitation (``fc``: Linear(C, C/ratio) - ReLU - Linear, no
    biases) reweighting, then 3×3 conv (``conv3``, zero padding, bias) +
    ReLU from ``in_planes`` to ``out_planes``."""

    def __init__(self, in_planes: int, out_planes: int, ratio: int = 16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(in_planes, in_planes // ratio, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(in_planes // ratio, in_planes, bias=False))
        self.sigmoid = nn.Sigmoid()
        self.conv3 = nn.Conv2d(in_planes, out_planes, 3, padding=1)
        self.act3 = nn.ReLU(inplace=True)
        nn.init.kaiming_normal_(self.conv3.weight, mode='fan_out',
                                nonlinearity='relu')

    def forward(self, x: Tensor) -> Tensor:
        b, c = x.shape[:2]
        w = self.fc(self.avg_pool(x).view(b, c)).view(b, c, 1, 1)
        return self.act3(self.conv3(self.sigmoid(w) * x))


@MODELS.register_module()
class VADepthDecoder(BaseModule):
    """VADepth decoder over the 4 VAN features (H/4 … H/32).

    Args:
        num_ch_enc: channels of the 4 encoder features ([64, 128, 320, 512]
            for VAN-small).
        scales: output scales, a subset of 0..3 (the 4 disparity convs always
            exist, as in the original).
        num_output_channels: channels of each output map.
        use_skips: fuse encoder features at levels 4, 3, 2.

    A DANet head (position + channel attention) maps the deepest feature
    to 320 channels; level i = 4 … 0 upsamples ×2 (nearest) after a
    ConvBlock to ``num_ch_dec[i]``, concatenates the spatially attended
    encoder feature ``i - 2`` (levels 4, 3, 2), and fuses with a
    channel-attention block (ratio 4). Output s (sigmoid of a 3×3 conv at
    level s) has size H/2^s × W/2^s.

    State-dict layout: as ``VANDecoder`` in file ``networks/van_decoder.py``
    of the original VADepth and FUMET repositories: ``decoder`` (ModuleList)
    = da (``DANetHead``: ``conv5a``, ``conv5c``, ``sa.{query,key,value}_conv``,
    ``sa.gamma``, ``sc.gamma``, ``conv51``, ``conv52``, ``conv6``, ``conv7``,
    ``conv8``), then for i = 4 … 0: [sa(i) if i > 1], upconv(i,0)
    (ConvBlock), upconv(i,1) (ChannelAttention: ``fc.0``, ``fc.2``,
    ``conv3``), then dispconv(3), dispconv(2), dispconv(1), dispconv(0)
    (indices 0 … 17 with skips).
    """

    num_ch_dec = (16, 32, 64, 128, 320)

    def __init__(self, num_ch_enc: Sequence[int],
                 scales: Sequence[int] = (0, 1, 2, 3),
                 num_output_channels: int = 1, use_skips: bool = True,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.num_ch_enc = [int(c) for c in num_ch_enc]
        if len(self.num_ch_enc) != 4:
            raise ValueError(f'VADepthDecoder: num_ch_enc needs 4 entries '
                             f'(VAN features), got {self.num_ch_enc}')
        self.scales = list(scales)
        if not set(self.scales) <= {0, 1, 2, 3}:
            raise ValueError(f'VADepthDecoder: scales must be in 0..3, got '
                             f'{self.scales}')
        self.use_skips = use_skips
        enc, dec = self.num_ch_enc, self.num_ch_dec
        layers = [DANetHead(enc[-1], dec[-1])]
        self._index = {}  # ('sa', i) / ('up', i, k) / ('disp', s) -> index
        for i in range(4, -1, -1):
            skip = use_skips and i > 1
            if skip:
                self._index[('sa', i)] = len(layers)
                layers.append(SpatialAttention(kernel_size=7))
            self._index[('up', i, 0)] = len(layers)
            layers.append(ConvBlock(dec[-1] if i == 4 else dec[i + 1],
                                    dec[i]))
            c_in = dec[i] + (enc[i - 2] if skip else 0)
            self._index[('up', i, 1)] = len(layers)
            layers.append(ChannelAttention(c_in, dec[i], ratio=4))
        for s in range(3, -1, -1):
            self._index[('disp', s)] = len(layers)
            layers.append(Conv3x3(dec[s], num_output_channels))
        self.decoder = nn.ModuleList(layers)
        self.sigmoid = nn.Sigmoid()

    def _layer(self, *key) -> nn.Module:
        return self.decoder[self._index[key]]

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 4 encoder maps (H/4 … H/32) -> {s: B×C×H/2^s×W/2^s
        sigmoid disparity in (0, 1)} for s in ``scales``."""
        outputs = {}
        x = self.decoder[0](features[-1])
        for i in range(4, -1, -1):
            x = [upsample(self._layer('up', i, 0)(x))]
            if self.use_skips and i > 1:
                x.append(self._layer('sa', i)(features[i - 2]))
            x = self._layer('up', i, 1)(torch.cat(x, 1))
            if i in self.scales:
                head = self._layer('disp', i)
                outputs[i] = in_float32(lambda t: self.sigmoid(head(t)), x)
        return outputs
