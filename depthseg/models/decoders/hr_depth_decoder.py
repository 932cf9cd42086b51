"""HR-Depth decoder (Lyu et al., AAAI 2021) as used by FUMET (spec §5)."""
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

# nested decoder nodes X_ij (i: level, j: column), in the original's order
ALL_POSITIONS = ('01', '11', '21', '31', '02', '12', '22', '03', '13', '04')
# the last node of each row fuses with an fSE module, the others with convs
ATTENTION_POSITIONS = ('31', '22', '13', '04')
NON_ATTENTION_POSITIONS = ('01', '11', '21', '02', '12', '03')


class Conv1x1(nn.Module):
    """1×1 convolution without bias; submodule ``conv``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class FSEModule(nn.Module):
    """Feature squeeze-excitation fusion (HR-Depth's ``fSEModule``).

    The high-level feature is upsampled ×2 (nearest) and concatenated with
    the low-level features; a squeeze-excitation (global average pool,
    ``fc`` = Linear(C, C//16) - ReLU - Linear(C//16, C), no biases, sigmoid)
    reweights the channels, then ``conv_se`` (1×1 with bias) + ReLU maps C to
    ``out_channels`` (default: the high feature's channels).
    """

    def __init__(self, high_channels: int, low_channels: int,
                 out_channels: int = None, reduction: int = 16):
        super().__init__()
        channels = high_channels + low_channels
        out_channels = out_channels or high_channels
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False))
        self.sigmoid = nn.Sigmoid()
        self.conv_se = nn.Conv2d(channels, out_channels, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, high: Tensor, lows: List[Tensor]) -> Tensor:
        x = torch.cat([upsample(high)] + list(lows), 1)
        b, c = x.shape[:2]
        w = self.sigmoid(self.fc(self.avg_pool(x).view(b, c))).view(b, c, 1, 1)
        return self.relu(self.conv_se(x * w))


@MODELS.register_module()
class HRDepthDecoder(BaseModule):
    """HR-Depth decoder: nested dense skip connections with fSE attention.

    Args:
        num_ch_enc: channels of the 5 encoder features (f0 at H/2 … f4 at
            H/32), e.g. [64, 64, 128, 256, 512] for ResNet18.
        scales: output scales, a subset of 0..3; the network always computes
            (and holds the convolutions of) all 4 scales, as the original.
        num_output_channels: channels of each output map.

    Node X_i0 is encoder feature i; node X_ij (j ≥ 1) fuses the upsampled,
    halved X_(i+1)(j-1) with X_i0 … X_i(j-1), through an fSE module for the
    last node of each row (31, 22, 13, 04) and a ConvBlock (preceded by a
    1×1 ``downsample`` conv when j > 1) otherwise. Disparities: scale 0 from
    ``X_04_Conv_1`` (upsampled X_04), scale 1 from X_04, 2 from X_13, 3 from
    X_22. Only the non-mobile variant (``mobile_encoder=False``) exists.

    State-dict layout: as ``HRDepthDecoder`` in the original HR-Depth
    repository (file ``networks/HR_depth_decoder.py``, copied unchanged into
    the FUMET repository), so a FUMET/HR-Depth ``depth.pth`` loads without
    renaming: ``convs`` (ModuleDict with keys ``X_{i}{j}_Conv_0``,
    ``X_04_Conv_1``, ``X_{i}{j}_attention``, ``X_{i}{j}_downsample``,
    ``X_{i}0_Conv_1``, ``X_{i}{j}_Conv_1``, ``dispConvScale{s}``) and
    ``decoder``, a ModuleList of the same modules in ``convs`` order (the
    original saves every weight twice, under both names). As in the
    original, ``X_00_Conv_0`` … ``X_03_Conv_0`` are built but never used;
    they are frozen (``requires_grad=False``) so DDP and optimisers ignore
    them.

    Channels: for num_ch_enc [64, 64, 128, 256, 512] (ResNet18/34) every
    shape equals the original's. The original derives some input channels
    from ``num_ch_enc`` assuming enc[i+1]/2 == dec[i+1] (true only for
    ResNet18/34; with ResNet50 its forward fails on a channel mismatch);
    here every convolution takes the channels its input actually has, so
    other encoders (ResNet50) work too.
    """

    num_ch_dec = (16, 32, 64, 128, 256)

    def __init__(self, num_ch_enc: Sequence[int],
                 scales: Sequence[int] = (0, 1, 2, 3),
                 num_output_channels: int = 1, init_cfg=None):
        super().__init__(init_cfg)
        self.num_ch_enc = [int(c) for c in num_ch_enc]
        if len(self.num_ch_enc) != 5:
            raise ValueError(f'HRDepthDecoder: num_ch_enc needs 5 entries '
                             f'(ResNet features), got {self.num_ch_enc}')
        self.scales = list(scales)
        if not set(self.scales) <= {0, 1, 2, 3}:
            raise ValueError(f'HRDepthDecoder: scales must be in 0..3, got '
                             f'{self.scales}')
        self.num_output_channels = num_output_channels
        enc, dec = self.num_ch_enc, self.num_ch_dec

        # channels of every node, filled in forward order
        ch = {f'{i}0': enc[i] for i in range(5)}
        for pos in ALL_POSITIONS:
            row, col = int(pos[0]), int(pos[1])
            if pos in ATTENTION_POSITIONS:
                ch[pos] = ch[f'{row + 1}{col - 1}'] // 2
            else:
                ch[pos] = dec[row + 1]

        convs = nn.ModuleDict()
        # halving ConvBlocks of every node (original order: by column)
        for j in range(5):
            for i in range(5 - j):
                c_in = ch[f'{i}{j}']
                convs[f'X_{i}{j}_Conv_0'] = ConvBlock(c_in, c_in // 2)
                if i == 0 and j == 4:
                    convs['X_04_Conv_1'] = ConvBlock(c_in // 2, dec[0])
        for pos in ATTENTION_POSITIONS:
            row, col = int(pos[0]), int(pos[1])
            high = ch[f'{row + 1}{col - 1}'] // 2
            low = sum(ch[f'{row}{k}'] for k in range(col))
            convs[f'X_{pos}_attention'] = FSEModule(high, low)
        for pos in NON_ATTENTION_POSITIONS:
            row, col = int(pos[0]), int(pos[1])
            high = ch[f'{row + 1}{col - 1}'] // 2
            low = sum(ch[f'{row}{k}'] for k in range(col))
            name = f'X_{row + 1}{col - 1}_Conv_1'
            if col == 1:
                convs[name] = ConvBlock(high + low, dec[row + 1])
            else:
                convs[f'X_{pos}_downsample'] = Conv1x1(high + low,
                                                       dec[row + 1] * 2)
                convs[name] = ConvBlock(dec[row + 1] * 2, dec[row + 1])
        disp_in = (dec[0], ch['04'], ch['13'], ch['22'])
        for s in range(4):
            convs[f'dispConvScale{s}'] = Conv3x3(disp_in[s],
                                                 num_output_channels)
        self.convs = convs
        self.decoder = nn.ModuleList(list(convs.values()))
        self.sigmoid = nn.Sigmoid()
        for j in range(4):  # built by the original, never used
            convs[f'X_0{j}_Conv_0'].requires_grad_(False)

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: 5 encoder maps (f0 at H/2 … f4 at H/32) -> {s: B×C×H/2^s
        ×W/2^s sigmoid disparity in (0, 1)} for s in ``scales``."""
        convs = self.convs
        x = {f'{i}0': features[i] for i in range(5)}
        for pos in ALL_POSITIONS:
            row, col = int(pos[0]), int(pos[1])
            src = f'{row + 1}{col - 1}'
            high = convs[f'X_{src}_Conv_0'](x[src])
            lows = [x[f'{row}{k}'] for k in range(col)]
            if pos in ATTENTION_POSITIONS:
                x[pos] = convs[f'X_{pos}_attention'](high, lows)
                continue
            y = torch.cat([upsample(high)] + lows, 1)
            if col != 1:
                y = convs[f'X_{pos}_downsample'](y)
            x[pos] = convs[f'X_{src}_Conv_1'](y)
        top = convs['X_04_Conv_1'](upsample(convs['X_04_Conv_0'](x['04'])))
        maps = (top, x['04'], x['13'], x['22'])
        return {
            s: in_float32(lambda t, head=convs[f'dispConvScale{s}']:
                          self.sigmoid(head(t)), maps[s])
            for s in self.scales
        }
