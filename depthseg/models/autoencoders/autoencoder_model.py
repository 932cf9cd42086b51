"""Trains FeatDepth's autoencoder alone (featdepth spec §3, model
``autoencoder``)."""
from typing import Dict, List, Optional

from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import Tensor

from depthseg.models.losses.feature_losses import autoencoder_loss_terms
from depthseg.models.utils.nonfinite import NonFiniteGuardMixin
from depthseg.registry import MODELS

INPUT_KEYS = ('color', 'color_aug')


@MODELS.register_module()
class FeatDepthAutoEncoderModel(NonFiniteGuardMixin, BaseModel):
    """FeatureNet trained on single frames with reconstruction and feature
    regularisation losses (spec §3.2).

    Args:
        autoencoder: config of the network, e.g. ``dict(type='FeatureNet',
            depth=50, pretrained='imagenet')``.
        dis, cvt: weights of the discriminative (first-order, maximised) and
            convergent (second-order) feature regularisers (1e-3 each;
            ``dis=0`` before Feb 2021, quirk Q34).
        chained_targets: reconstruction targets resized from the previous
            scale (True, the stand-alone autoencoder) or directly from the
            image (quirk Q11).
        input_key: ``'color'`` (the original: the un-augmented frame 0,
            flip applies) or ``'color_aug'`` (colour-jittered); the same
            image is the encoder input and the loss target.
        data_preprocessor: default ``DepthDataPreprocessor``.

    Modes: ``loss`` returns the terms of :func:`autoencoder_loss_terms` as
    ``loss_smooth_{i}`` (feature regulariser of level i, the original
    ``('smooth_loss', i)``) and ``loss_min_reconstruct_{s}`` (the original
    ``('min_reconstruct_loss', s)``); all summed, as the original. ``predict``
    adds ``pred_recon`` (PixelData, scale-0 reconstruction) to each sample
    (returns ``{s: reconstruction}`` without samples); ``tensor`` returns
    the encoder features. The checkpoint keys are ``autoencoder.*``; load
    them into a :class:`FeatureNet` with ``prefix='autoencoder.'``.
    """

    def __init__(self, autoencoder: dict, dis: float = 1e-3,
                 cvt: float = 1e-3, chained_targets: bool = True,
                 input_key: str = 'color',
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='DepthDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if input_key not in INPUT_KEYS:
            raise ValueError(f'FeatDepthAutoEncoderModel: input_key must be '
                             f'one of {INPUT_KEYS}, got {input_key!r}')
        self.autoencoder = MODELS.build(autoencoder)
        if getattr(self.autoencoder, 'decoder', None) is None:
            raise ValueError('FeatDepthAutoEncoderModel: the autoencoder '
                             'needs its decoder (with_decoder=True)')
        self.dis, self.cvt = dis, cvt
        self.chained_targets = chained_targets
        self.input_key = input_key

    def _image(self, inputs: dict) -> Tensor:
        """The B×3×H×W frame-0 image (scale 0) of a preprocessed batch."""
        if self.input_key == 'color':
            return inputs['color'][0][0]
        return inputs['color_aug'][0]

    def loss(self, inputs: dict, data_samples=None) -> Dict[str, Tensor]:
        img = self._image(inputs)
        features, recons = self.autoencoder(img)
        terms = autoencoder_loss_terms(features, recons, img,
                                       chained_targets=self.chained_targets,
                                       dis=self.dis, cvt=self.cvt)
        return {
            'loss_' + name.replace('_loss', ''): value
            for name, value in terms.items()
        }

    def predict(self, inputs: dict, data_samples=None):
        _, recons = self.autoencoder(self._image(inputs))
        if data_samples is None:
            return recons
        scale = min(recons)
        for i, sample in enumerate(data_samples):
            sample.pred_recon = PixelData(data=recons[scale][i])
        return data_samples

    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.autoencoder.extract(self._image(inputs))
        raise RuntimeError(f'Invalid mode "{mode}": use loss, predict or '
                           'tensor')

    def extract(self, img: Tensor) -> List[Tensor]:
        """Encoder features of a B×3×H×W image in [0, 1]."""
        return self.autoencoder.extract(img)
