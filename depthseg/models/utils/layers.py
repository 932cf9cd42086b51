"""Shared building blocks: Monodepth2's (spec §3.2; names match the original
keys), the stochastic depth of the Lite-Mono and VAN encoders, and the
channels-last weight layout."""
import itertools
from typing import Callable

import torch
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


def in_float32(head: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``head(x)`` in float32 with autocast off.

    For the output heads whose values feed the warping geometry (sigmoid
    disparities, pose vectors): under ``--amp`` a bfloat16 output keeps 8
    significant bits (0.4 %), which shifts the reprojection by a pixel at
    64 px of disparity and slowed training measurably. Outside autocast
    this is ``head(x)``: float64 inputs (parity tests) stay float64.
    """
    if x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    device = x.device.type
    if device not in ('cpu', 'cuda') or not torch.is_autocast_enabled(device):
        return head(x)  # e.g. 'meta' tensors of the shape checks
    with torch.autocast(device, enabled=False):
        return head(x)


def drop_path(x: Tensor, drop_prob: float = 0., training: bool = False
              ) -> Tensor:
    """Stochastic depth per sample (timm's ``drop_path``): zero the residual
    branch of a sample with probability ``drop_prob``, scale the kept ones
    by 1 / (1 - drop_prob)."""
    if drop_prob == 0. or not training:
        return x
    keep = 1 - drop_prob
    mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


class DropPath(nn.Module):
    """Module form of :func:`drop_path` (no parameters).

    Not mmcv's ``DropPath``: that one draws ``floor(keep + rand)`` instead of
    ``bernoulli_(keep)`` and computes ``x / keep · mask`` (other random
    numbers, other rounding) and defaults to ``drop_prob=0.1``.
    """

    def __init__(self, drop_prob: float = 0.):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'


def to_channels_last(module: nn.Module) -> nn.Module:
    """Store every 4-D parameter and buffer of ``module`` channels-last
    (NHWC), in place; returns ``module``.

    oneDNN (CPU) and cuDNN pick faster convolution kernels for NHWC weights,
    and the activations follow the weights. Unlike
    ``module.to(memory_format=torch.channels_last)`` this leaves other
    ranks alone (PackNet's 3-D convolutions have 5-D weights). The stored
    values are unchanged (outputs change only by float32 rounding); a state
    dict saved from it loads into a plain model.
    """
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        if tensor.dim() == 4:
            tensor.data = tensor.data.contiguous(
                memory_format=torch.channels_last)
    return module
