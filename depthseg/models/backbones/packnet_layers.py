"""PackNet building blocks (packnet spec §1.1, ``layers01.py`` of the
original packnet-sfm repository).

Attribute names follow the original (``conv_base``, ``normalize``,
``conv3``, ``conv3d``, ``conv``, ``conv1``) so that original state dicts
load with only a prefix change.
"""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from depthseg.models.utils.layers import in_float32

#: GroupNorm groups of every PackNet normalisation (channels must divide).
NUM_GROUPS = 16


def packing(x: Tensor, r: int = 2) -> Tensor:
    """Space-to-depth ``B×C×H×W -> B×(r²C)×H/r×W/r``.

    Output channel ``c·r² + dy·r + dx`` holds pixel ``(r·y + dy, r·x + dx)``
    of input channel c: the exact inverse of ``PixelShuffle(r)``.
    """
    b, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f'packing: H and W ({h}×{w}) must be divisible '
                         f'by {r}')
    x = x.view(b, c, h // r, r, w // r, r).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * r * r, h // r, w // r)


class Conv2D(nn.Module):
    """Zero pad ``k//2`` → Conv2d (bias) → GroupNorm(16) → ELU."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int, stride: int = 1):
        super().__init__()
        self.kernel_size = kernel_size
        self.conv_base = nn.Conv2d(in_channels, out_channels,
                                   kernel_size=kernel_size, stride=stride)
        self.pad = nn.ConstantPad2d([kernel_size // 2] * 4, value=0)
        self.normalize = nn.GroupNorm(NUM_GROUPS, out_channels)
        self.activ = nn.ELU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.activ(self.normalize(self.conv_base(self.pad(x))))


class ResidualConv(nn.Module):
    """``ELU(GN16(conv2(conv1(x)) + conv3(x)))``, conv3 a 1×1 shortcut.

    With a truthy ``dropout`` the shortcut is ``Sequential(conv,
    Dropout2d(dropout))`` and its keys become ``conv3.0.*`` (as the
    original).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 dropout: Optional[float] = None):
        super().__init__()
        self.conv1 = Conv2D(in_channels, out_channels, 3, stride)
        self.conv2 = Conv2D(out_channels, out_channels, 3, 1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1,
                               stride=stride)
        self.normalize = nn.GroupNorm(NUM_GROUPS, out_channels)
        self.activ = nn.ELU(inplace=True)
        if dropout:
            self.conv3 = nn.Sequential(self.conv3, nn.Dropout2d(dropout))

    def forward(self, x: Tensor) -> Tensor:
        x_out = self.conv2(self.conv1(x))
        shortcut = self.conv3(x)
        return self.activ(self.normalize(x_out + shortcut))


def ResidualBlock(in_channels: int, out_channels: int, num_blocks: int,
                  stride: int, dropout: Optional[float] = None
                  ) -> nn.Sequential:
    """``num_blocks`` :class:`ResidualConv`; only the first changes the
    width (and applies ``stride``, 1 in PackNet)."""
    layers = [ResidualConv(in_channels, out_channels, stride, dropout)]
    for _ in range(1, num_blocks):
        layers.append(ResidualConv(out_channels, out_channels, 1, dropout))
    return nn.Sequential(*layers)


class InvDepth(nn.Module):
    """Zero pad 1 → 3×3 conv → sigmoid / ``min_depth``: an inverse depth
    in ``(0, 1/min_depth)`` (quirk Q18: depth > 0.5 m, no upper bound)."""

    def __init__(self, in_channels: int, out_channels: int = 1,
                 min_depth: float = 0.5):
        super().__init__()
        self.min_depth = min_depth
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3)
        self.pad = nn.ConstantPad2d([1] * 4, value=0)
        self.activ = nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return in_float32(lambda t: self.activ(self.conv1(self.pad(t))),
                          x) / self.min_depth


def _conv3d_to_channels(x: Tensor) -> Tensor:
    """``B×d×C×h×w -> B×(d·C)×h×w``: channel ``feat·C + c`` (channel
    major, as the original ``view``; needed for the official weights)."""
    b, d, c, h, w = x.shape
    return x.reshape(b, d * c, h, w)


class PackLayerConv3d(nn.Module):
    """Packing → Conv3d(1→d, 3³) on ``B×1×4C×h×w`` → ``B×(d·4C)×h×w`` →
    Conv2D(d·4C → C, k): halves the resolution, keeps the width."""

    def __init__(self, in_channels: int, kernel_size: int, r: int = 2,
                 d: int = 8):
        super().__init__()
        self.r = r
        self.conv = Conv2D(in_channels * (r**2) * d, in_channels,
                           kernel_size, 1)
        self.conv3d = nn.Conv3d(1, d, kernel_size=(3, 3, 3), stride=(1, 1, 1),
                                padding=(1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        x = packing(x, self.r)
        x = self.conv3d(x.unsqueeze(1))
        return self.conv(_conv3d_to_channels(x))


class UnpackLayerConv3d(nn.Module):
    """Conv2D(in → 4·out/d, k) → Conv3d(1→d, 3³) → ``B×4·out×h×w`` →
    PixelShuffle(2): doubles the resolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 r: int = 2, d: int = 8):
        super().__init__()
        if (out_channels * (r**2)) % d:
            raise ValueError(f'UnpackLayerConv3d: {r}²·out_channels '
                             f'({out_channels}) must be divisible by d={d}')
        self.conv = Conv2D(in_channels, out_channels * (r**2) // d,
                           kernel_size, 1)
        self.unpack = nn.PixelShuffle(r)
        self.conv3d = nn.Conv3d(1, d, kernel_size=(3, 3, 3), stride=(1, 1, 1),
                                padding=(1, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv3d(self.conv(x).unsqueeze(1))
        return self.unpack(_conv3d_to_channels(x))


def upsample_nearest(x: Tensor) -> Tensor:
    """Nearest ×2 upsampling (the decoder's ``udispK``)."""
    return F.interpolate(x, scale_factor=2, mode='nearest')


def init_packnet_weights(module: nn.Module):
    """Xavier-uniform Conv2d/Conv3d weights and zero biases (GroupNorm keeps
    its default 1/0 affine), as PackNet01's ``init_weights``."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


__all__ = [
    'packing', 'Conv2D', 'ResidualConv', 'ResidualBlock', 'InvDepth',
    'PackLayerConv3d', 'UnpackLayerConv3d', 'upsample_nearest',
    'init_packnet_weights'
]
