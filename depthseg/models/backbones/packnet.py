"""PackNet01 and PackNetSlim01 (packnet spec §1.2–1.3).

Whole encoder-decoder depth networks. In depthseg they are used as the
estimator's ``depth_encoder`` together with the parameter-free
:class:`~depthseg.models.decoders.PassThroughDecoder`, which turns the
``{'inv_depths': [...]}`` output into ``{scale: inverse depth}``; the
network's state-dict keys are the original ones (``pre_calc.*``,
``packK.*``, ``convK.*``, ``unpackK.*``, ``iconvK.*``, ``dispK_layer.*``),
so a converter only swaps the ``model.depth_net.`` prefix.
"""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.registry import MODELS
from .packnet_layers import (Conv2D, InvDepth, PackLayerConv3d, ResidualBlock,
                             UnpackLayerConv3d, init_packnet_weights,
                             upsample_nearest)

#: Values of the second character of ``version``.
PACKNET_VERSIONS = ('A', 'B')


@MODELS.register_module()
class PackNetBase(BaseModule):
    """PackNet graph with configurable widths (PackNet01 / PackNetSlim01;
    registered so configs can build narrow CPU-sized variants, e.g.
    ``widths=(16, 16, 16, 32, 64, 128), d=4``).

    Args:
        dropout: Dropout2d probability on the residual shortcuts; falsy
            (None or 0.0, the official model) means none. A truthy value
            renames the shortcut keys to ``conv3.0.*``.
        version: only its second character matters: ``'A'`` concatenates
            the skips in the decoder (official ``'1A'``), ``'B'`` adds them.
        min_depth: InvDepth divisor: inverse depths lie in (0, 1/min_depth).
        legacy_eval_output: False (default, quirk Q1 fixed): eval mode
            returns ``{'inv_depths': [inv_depth1]}``, a one-element list.
            True: the original's bare ``B×1×H×W`` tensor.
        widths: ``(ni, n1, n2, n3, n4, n5)``.
        d: feature count of the 3-D (un)packing convolutions.

    Input: RGB in [0, 1], not normalised; H and W divisible by 32.
    Output (train): ``{'inv_depths': [full, 1/2, 1/4, 1/8]}`` resolution.
    """

    num_blocks = (2, 2, 3, 3)
    pack_kernel = (5, 3, 3, 3, 3)
    unpack_kernel = (3, 3, 3, 3, 3)
    iconv_kernel = (3, 3, 3, 3, 3)

    def __init__(self, dropout: Optional[float] = None, version: str = '1A',
                 min_depth: float = 0.5, legacy_eval_output: bool = False,
                 widths: Sequence[int] = (64, 64, 64, 128, 256, 512),
                 d: int = 8, init_cfg=None):
        super().__init__(init_cfg)
        name = type(self).__name__
        if not isinstance(version, str) or version[1:] not in \
                PACKNET_VERSIONS:
            raise ValueError(f"{name}: version must be '1A' or '1B' (only "
                             f'the second character is read), got '
                             f'{version!r}')
        self.version = version[1:]
        self.dropout = dropout
        self.legacy_eval_output = legacy_eval_output
        ni, n1, n2, n3, n4, n5 = widths
        nb, pk, uk, ik = (self.num_blocks, self.pack_kernel,
                          self.unpack_kernel, self.iconv_kernel)
        if self.version == 'A':
            n1o, n1i = n1, n1 + ni + 1
            n2o, n2i = n2, n2 + n1 + 1
            n3o, n3i = n3, n3 + n2 + 1
            n4o, n4i = n4, n4 + n3
            n5o, n5i = n5, n5 + n4
        else:
            n1o, n1i = n1, n1 + 1
            n2o, n2i = n2, n2 + 1
            n3o, n3i = n3 // 2, n3 // 2 + 1
            n4o, n4i = n4 // 2, n4 // 2
            n5o, n5i = n5 // 2, n5 // 2
        # registration order = original state-dict order
        self.pre_calc = Conv2D(3, ni, 5, 1)
        self.pack1 = PackLayerConv3d(n1, pk[0], d=d)
        self.pack2 = PackLayerConv3d(n2, pk[1], d=d)
        self.pack3 = PackLayerConv3d(n3, pk[2], d=d)
        self.pack4 = PackLayerConv3d(n4, pk[3], d=d)
        self.pack5 = PackLayerConv3d(n5, pk[4], d=d)
        self.conv1 = Conv2D(ni, n1, 7, 1)
        self.conv2 = ResidualBlock(n1, n2, nb[0], 1, dropout=dropout)
        self.conv3 = ResidualBlock(n2, n3, nb[1], 1, dropout=dropout)
        self.conv4 = ResidualBlock(n3, n4, nb[2], 1, dropout=dropout)
        self.conv5 = ResidualBlock(n4, n5, nb[3], 1, dropout=dropout)
        self.unpack5 = UnpackLayerConv3d(n5, n5o, uk[0], d=d)
        self.unpack4 = UnpackLayerConv3d(n5, n4o, uk[1], d=d)
        self.unpack3 = UnpackLayerConv3d(n4, n3o, uk[2], d=d)
        self.unpack2 = UnpackLayerConv3d(n3, n2o, uk[3], d=d)
        self.unpack1 = UnpackLayerConv3d(n2, n1o, uk[4], d=d)
        self.iconv5 = Conv2D(n5i, n5, ik[0], 1)
        self.iconv4 = Conv2D(n4i, n4, ik[1], 1)
        self.iconv3 = Conv2D(n3i, n3, ik[2], 1)
        self.iconv2 = Conv2D(n2i, n2, ik[3], 1)
        self.iconv1 = Conv2D(n1i, n1, ik[4], 1)
        self.unpack_disps = nn.PixelShuffle(2)  # unused, as the original
        self.disp4_layer = InvDepth(n4, min_depth=min_depth)
        self.disp3_layer = InvDepth(n3, min_depth=min_depth)
        self.disp2_layer = InvDepth(n2, min_depth=min_depth)
        self.disp1_layer = InvDepth(n1, min_depth=min_depth)
        init_packnet_weights(self)

    def _merge(self, unpacked: Tensor, skip: Tensor, *extra: Tensor
               ) -> Tensor:
        if self.version == 'A':
            return torch.cat((unpacked, skip) + extra, 1)
        merged = unpacked + skip
        return torch.cat((merged, ) + extra, 1) if extra else merged

    def forward(self, rgb: Tensor) -> dict:
        h, w = rgb.shape[-2:]
        if h % 32 or w % 32:
            raise ValueError(f'{type(self).__name__}: H and W must be '
                             f'divisible by 32, got {h}×{w}')
        x = self.pre_calc(rgb)
        # encoder
        x1 = self.conv1(x)
        x1p = self.pack1(x1)
        x2 = self.conv2(x1p)
        x2p = self.pack2(x2)
        x3 = self.conv3(x2p)
        x3p = self.pack3(x3)
        x4 = self.conv4(x3p)
        x4p = self.pack4(x4)
        x5 = self.conv5(x4p)
        x5p = self.pack5(x5)
        skip1, skip2, skip3, skip4, skip5 = x, x1p, x2p, x3p, x4p
        # decoder
        iconv5 = self.iconv5(self._merge(self.unpack5(x5p), skip5))
        iconv4 = self.iconv4(self._merge(self.unpack4(iconv5), skip4))
        inv_depth4 = self.disp4_layer(iconv4)
        iconv3 = self.iconv3(
            self._merge(self.unpack3(iconv4), skip3,
                        upsample_nearest(inv_depth4)))
        inv_depth3 = self.disp3_layer(iconv3)
        iconv2 = self.iconv2(
            self._merge(self.unpack2(iconv3), skip2,
                        upsample_nearest(inv_depth3)))
        inv_depth2 = self.disp2_layer(iconv2)
        iconv1 = self.iconv1(
            self._merge(self.unpack1(iconv2), skip1,
                        upsample_nearest(inv_depth2)))
        inv_depth1 = self.disp1_layer(iconv1)
        if self.training:
            return {'inv_depths': [inv_depth1, inv_depth2, inv_depth3,
                                   inv_depth4]}
        if self.legacy_eval_output:
            return {'inv_depths': inv_depth1}
        return {'inv_depths': [inv_depth1]}


@MODELS.register_module()
class PackNet01(PackNetBase):
    """PackNet01 (ni = n1 = 64, n2..n5 = 64, 128, 256, 512, d = 8):
    128,294,020 parameters in version 1A, 124,164,580 in 1B. See
    :class:`PackNetBase` for the arguments."""

    def __init__(self, dropout: Optional[float] = None, version: str = '1A',
                 min_depth: float = 0.5, legacy_eval_output: bool = False,
                 init_cfg=None):
        super().__init__(dropout, version, min_depth, legacy_eval_output,
                         widths=(64, 64, 64, 128, 256, 512), d=8,
                         init_cfg=init_cfg)


@MODELS.register_module()
class PackNetSlim01(PackNetBase):
    """PackNetSlim01 (ni = n1 = 32, n2..n5 = 64, 128, 256, 512, d = 4):
    76,997,796 parameters in version 1A. See :class:`PackNetBase`."""

    def __init__(self, dropout: Optional[float] = None, version: str = '1A',
                 min_depth: float = 0.5, legacy_eval_output: bool = False,
                 init_cfg=None):
        super().__init__(dropout, version, min_depth, legacy_eval_output,
                         widths=(32, 32, 64, 128, 256, 512), d=4,
                         init_cfg=init_cfg)
