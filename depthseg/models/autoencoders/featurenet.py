"""FeatDepth's autoencoder, FeatureNet (featdepth spec §3.1)."""
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.backbones.resnet_encoder import (ResnetEncoder,
                                                      resnet_num_ch_enc)
from depthseg.models.utils.layers import Conv3x3, ConvBlock, upsample
from depthseg.registry import MODELS


@MODELS.register_module()
class FeatureNetEncoder(ResnetEncoder):
    """:class:`ResnetEncoder` **without input normalisation**: FeatDepth's
    autoencoder encoder takes raw [0, 1] RGB (spec §2.1). Same arguments
    and key layout (``encoder.*``, a torchvision ResNet)."""

    def forward(self, img: Tensor) -> List[Tensor]:
        """img: B×3×H×W in [0, 1] -> 5 features at H/2 … H/32."""
        enc = self.encoder
        f0 = enc.relu(enc.bn1(enc.conv1(img)))
        f1 = enc.layer1(enc.maxpool(f0))
        f2 = enc.layer2(f1)
        f3 = enc.layer3(f2)
        f4 = enc.layer4(f3)
        return [f0, f1, f2, f3, f4]


@MODELS.register_module()
class FeatureNetDecoder(BaseModule):
    """Skip-less decoder from the deepest feature to 4 reconstructions.

    Five steps ``upconv{k}`` (ConvBlock, then ×2 nearest upsampling) and
    ``iconv{k}`` (ConvBlock), k = 5..1, channels 256, 128, 64, 32, 16;
    heads ``disp{k}`` (Conv3x3 + sigmoid) after ``iconv{k}`` for k = 4..1
    give the reconstruction of scale ``k - 1`` at H/2^(k-1). Attribute
    names are the original ``Decoder``'s.

    Args:
        num_ch_enc: encoder channels (only the last is used); or
            ``encoder_depth``.
        num_output_channels: 3 (RGB).
        scales: reconstruction scales returned (subset of 0..3).
    """

    num_ch_dec = (16, 32, 64, 128, 256)

    def __init__(self, num_ch_enc: Optional[Sequence[int]] = None,
                 num_output_channels: int = 3,
                 scales: Sequence[int] = (0, 1, 2, 3),
                 encoder_depth: Optional[int] = None, init_cfg=None):
        super().__init__(init_cfg)
        if (num_ch_enc is None) == (encoder_depth is None):
            raise ValueError('FeatureNetDecoder: give exactly one of '
                             'num_ch_enc and encoder_depth')
        if num_ch_enc is None:
            num_ch_enc = resnet_num_ch_enc(encoder_depth)
        self.num_ch_enc = list(num_ch_enc)
        self.scales = list(scales)
        if not self.scales or not set(self.scales) <= {0, 1, 2, 3}:
            raise ValueError(f'FeatureNetDecoder: scales must be a non-empty '
                             f'subset of 0..3, got {self.scales}')
        dec = self.num_ch_dec
        ins = [dec[1], dec[2], dec[3], dec[4], self.num_ch_enc[-1]]
        for k in (5, 4, 3, 2, 1):
            setattr(self, f'upconv{k}', ConvBlock(ins[k - 1], dec[k - 1]))
        for k in (5, 4, 3, 2, 1):
            setattr(self, f'iconv{k}', ConvBlock(dec[k - 1], dec[k - 1]))
        for k in (4, 3, 2, 1):
            setattr(self, f'disp{k}',
                    Conv3x3(dec[k - 1], num_output_channels))
        self.sigmoid = nn.Sigmoid()

    def forward(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """features: encoder maps (the last at H/32) -> {s: B×3×H/2^s×W/2^s
        reconstruction in (0, 1)} for s in ``scales``."""
        x = features[-1]
        outputs = {}
        for k in (5, 4, 3, 2, 1):
            x = upsample(getattr(self, f'upconv{k}')(x))
            x = getattr(self, f'iconv{k}')(x)
            if k <= 4 and k - 1 in self.scales:
                outputs[k - 1] = self.sigmoid(getattr(self, f'disp{k}')(x))
        return outputs


@MODELS.register_module()
class FeatureNet(BaseModule):
    """FeatDepth's autoencoder: ResNet encoder (raw RGB input) and a
    skip-less decoder reconstructing the image at 4 scales.

    Args:
        depth: ResNet depth of the encoder (50 in FeatDepth).
        pretrained: encoder initialisation, as :class:`ResnetEncoder`
            (``'imagenet'``, a torchvision ResNet file or None).
        with_decoder: build the decoder; False gives a feature extractor
            only (FeatDepth's frozen extractor keeps only the encoder).
        scales: reconstruction scales of :meth:`forward`.
        norm_eval: keep the encoder's BatchNorms in eval mode. FeatDepth
            leaves them in train mode, also when the extractor is frozen
            (quirk Q2).
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=...,
            prefix='autoencoder.')`` to load the ``autoencoder.*`` weights
            of a :class:`FeatDepthAutoEncoderModel` checkpoint.

    Keys: ``encoder.encoder.*`` (the original ``Encoder.encoder.*``) and
    ``decoder.*`` (the original ``Decoder.*``).
    """

    def __init__(self, depth: int = 50, pretrained: Optional[str] = 'imagenet',
                 with_decoder: bool = True,
                 scales: Sequence[int] = (0, 1, 2, 3),
                 num_output_channels: int = 3, norm_eval: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.encoder = FeatureNetEncoder(depth=depth, pretrained=pretrained,
                                         norm_eval=norm_eval)
        self.num_ch_enc = self.encoder.num_ch_enc
        self.decoder = FeatureNetDecoder(
            self.num_ch_enc, num_output_channels,
            scales) if with_decoder else None

    def init_weights(self):
        """ImageNet (or file) weights for the encoder first, then this
        module's ``init_cfg`` (e.g. an autoencoder checkpoint) on top."""
        self.encoder.init_weights()
        super().init_weights()

    def extract(self, img: Tensor) -> List[Tensor]:
        """img: B×3×H×W in [0, 1] (not normalised) -> 5 features
        (64/256/512/1024/2048 channels for R50) at H/2 … H/32; feature 0
        is the one FeatDepth's feature-metric loss warps."""
        return self.encoder(img)

    def decode(self, features: List[Tensor]) -> Dict[int, Tensor]:
        """Encoder features -> {s: B×3×H/2^s×W/2^s reconstruction}."""
        if self.decoder is None:
            raise RuntimeError('FeatureNet was built with with_decoder='
                               'False: use extract() for features only')
        return self.decoder(features)

    def forward(self, img: Tensor
                ) -> Tuple[List[Tensor], Dict[int, Tensor]]:
        """img -> (features, {s: B×3×H/2^s×W/2^s reconstruction})."""
        features = self.extract(img)
        return features, self.decode(features)
