"""FeatDepth RefineNet-style depth decoder (featdepth spec §2.2, §4.1)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.backbones.resnet_encoder import resnet_num_ch_enc
from depthseg.models.utils.layers import Conv3x3, in_float32, upsample
from depthseg.registry import MODELS


class Conv1x1(nn.Module):
    """1×1 convolution (no bias by default); submodule ``conv`` as in the
    original's ``Conv1x1``."""

    def __init__(self, in_channels: int, out_channels: int,
                 bias: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class CRPBlock(nn.Module):
    """Chained residual pooling (RefineNet) with ``n_stages`` stages::

        top = x
        for i in 1..n_stages:
            top = conv1x1_i(maxpool5x5/s1/p2(top))   # no bias
            x = x + top

    The 1×1 convolutions are the attributes ``1_pointwise``,
    ``2_pointwise``, … (each a :class:`Conv1x1`), the original key names.
    Keeps B×C×H×W.
    """

    def __init__(self, in_planes: int, out_planes: int, n_stages: int = 4):
        super().__init__()
        if in_planes != out_planes:
            # the residual sum needs equal channels (the original also
            # only works with in_planes == out_planes)
            raise ValueError(f'CRPBlock: in_planes ({in_planes}) must equal '
                             f'out_planes ({out_planes})')
        self.n_stages = n_stages
        for i in range(n_stages):
            setattr(self, f'{i + 1}_pointwise',
                    Conv1x1(in_planes if i == 0 else out_planes, out_planes))
        self.maxpool = nn.MaxPool2d(kernel_size=5, stride=1, padding=2)

    def forward(self, x: Tensor) -> Tensor:
        top = x
        for i in range(self.n_stages):
            top = getattr(self, f'{i + 1}_pointwise')(self.maxpool(top))
            x = x + top
        return x


@MODELS.register_module()
class FeatDepthDecoder(BaseModule):
    """FeatDepth's DepthDecoder: four RefineNet stages with CRP blocks.

    Scale ``s`` is at H/2^(s+1) × W/2^(s+1) of the encoder input: **scale 0
    is at half resolution** (quirk Q5); the estimator's ``'full'``
    multiscale mode upsamples every scale to H×W for the photometric warp.

    Args:
        num_ch_enc: channels of the 5 encoder features (only features 1–4
            are used); or give ``encoder_depth`` (ResNet depth) instead.
        scales: scales returned (a subset of 0..3; all four are computed,
            each stage feeds the next).
        bottleneck: channels inside the decoder (256).
        n_stages: stages of each CRP block (4).
        dropout: p of the elementwise ``Dropout`` on the two deepest
            features during training (0.5, quirk Q32).
        leaky_slope: negative slope of the leaky ReLUs (0.01).

    Modules keep the original attribute names (``do``, ``reduce1..4``,
    ``iconv1..4``, ``crp1..4`` = Sequential(CRPBlock), ``merge1..4``,
    ``disp1..4`` = Sequential(Conv3x3, Sigmoid)), so the released
    ``DepthDecoder.*`` keys only change prefix; ``disp{k}`` gives scale
    ``k - 1``. Requires H and W divisible by 32.
    """

    def __init__(self, num_ch_enc: Optional[Sequence[int]] = None,
                 scales: Sequence[int] = (0, 1, 2, 3),
                 bottleneck: int = 256, n_stages: int = 4,
                 dropout: float = 0.5, leaky_slope: float = 0.01,
                 encoder_depth: Optional[int] = None, init_cfg=None):
        super().__init__(init_cfg)
        if (num_ch_enc is None) == (encoder_depth is None):
            raise ValueError('FeatDepthDecoder: give exactly one of '
                             'num_ch_enc and encoder_depth')
        if num_ch_enc is None:
            num_ch_enc = resnet_num_ch_enc(encoder_depth)
        self.num_ch_enc = list(num_ch_enc)
        if len(self.num_ch_enc) != 5:
            raise ValueError(f'FeatDepthDecoder: num_ch_enc must list 5 '
                             f'channels, got {self.num_ch_enc}')
        self.scales = list(scales)
        if not self.scales or not set(self.scales) <= {0, 1, 2, 3}:
            raise ValueError(f'FeatDepthDecoder: scales must be a non-empty '
                             f'subset of 0..3, got {self.scales}')
        self.leaky_slope = leaky_slope
        enc, b = self.num_ch_enc, bottleneck
        self.do = nn.Dropout(p=dropout)
        self.reduce4 = Conv1x1(enc[4], 2 * b)
        self.reduce3 = Conv1x1(enc[3], b)
        self.reduce2 = Conv1x1(enc[2], b)
        self.reduce1 = Conv1x1(enc[1], b)
        self.iconv4 = Conv3x3(2 * b, b)
        self.iconv3 = Conv3x3(2 * b + 1, b)
        self.iconv2 = Conv3x3(2 * b + 1, b)
        self.iconv1 = Conv3x3(2 * b + 1, b)
        for k in (4, 3, 2, 1):
            setattr(self, f'crp{k}', nn.Sequential(CRPBlock(b, b, n_stages)))
        for k in (4, 3, 2, 1):
            setattr(self, f'merge{k}', Conv3x3(b, b))
        for k in (4, 3, 2, 1):
            setattr(self, f'disp{k}',
                    nn.Sequential(Conv3x3(b, 1), nn.Sigmoid()))

    def _lrelu(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.leaky_slope)

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 5 encoder maps (f0 at H/2 … f4 at H/32) -> {s: B×1×
        H/2^(s+1)×W/2^(s+1) sigmoid disparity} for s in ``scales``."""
        _, l1, l2, l3, l4 = features
        l4, l3 = self.do(l4), self.do(l3)
        skips = {4: None, 3: l3, 2: l2, 1: l1}
        x = disp = None
        outputs = {}
        for k in (4, 3, 2, 1):
            if k == 4:
                x = self.reduce4(l4)
            else:
                x = torch.cat(
                    (getattr(self, f'reduce{k}')(skips[k]), x, disp), 1)
            x = self._lrelu(getattr(self, f'iconv{k}')(x))
            x = getattr(self, f'crp{k}')(x)
            x = upsample(self._lrelu(getattr(self, f'merge{k}')(x)))
            disp = in_float32(getattr(self, f'disp{k}'), x)
            if k - 1 in self.scales:
                outputs[k - 1] = disp
        return outputs
