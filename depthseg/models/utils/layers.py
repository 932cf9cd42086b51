"""Monodepth2 building blocks (spec §3.2); names match the original keys."""
import torch.nn.functional as F
from torch import Tensor, nn


class Conv3x3(nn.Module):
    """Pad by 1 (reflection or zeros), then a 3×3 convolution with bias.

    Keeps H×W. Submodules ``pad`` (no parameters) and ``conv``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 use_refl: bool = True):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1) if use_refl else nn.ZeroPad2d(1)
        self.conv = nn.Conv2d(in_channels, out_channels, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(self.pad(x))


class ConvBlock(nn.Module):
    """:class:`Conv3x3` then ELU(alpha=1); submodules ``conv``, ``nonlin``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = Conv3x3(in_channels, out_channels)
        self.nonlin = nn.ELU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.nonlin(self.conv(x))


def upsample(x: Tensor) -> Tensor:
    """Nearest-neighbour ×2 upsampling: B×C×H×W -> B×C×2H×2W."""
    return F.interpolate(x, scale_factor=2, mode='nearest')
