"""FeatDepth's feature-metric loss (spec ``featdepth.md`` §5.1 step 2 and 5,
§3.3, §6)."""
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS
from depthseg.utils.safe_load import load_checkpoint
from .feature_losses import autoencoder_loss_terms
from .functional import charbonnier

#: Values of ``intrinsics`` of :class:`FeatureMetricLoss`.
FEATURE_INTRINSICS = ('matched', 'full')
#: Values of ``frozen_bn`` of :class:`FeatureMetricLoss`.
FROZEN_BN_MODES = ('eval', 'train')


def feature_metric_min(target: Tensor,
                       warped: Sequence[Tensor]) -> tuple:
    """Per-pixel minimum over sources of ``mean_c ρ(target, warped_f)``.

    Args:
        target: B×C×h×w target features.
        warped: per source, B×C×h×w warped source features.

    Returns:
        ``(errors B×S×h×w, min B×h×w, argmin B×h×w int64)``; no identity
        term.
    """
    if not warped:
        raise ValueError('feature_metric_min needs at least one source')
    errors = torch.cat(
        [charbonnier(w, target).mean(1, keepdim=True) for w in warped], 1)
    minimum, index = errors.min(1)
    return errors, minimum, index


def load_checkpoint_state(module: torch.nn.Module, filename: str,
                          prefix: str = '') -> None:
    """Load ``module``'s weights (and buffers: BN running stats) from the
    ``state_dict`` entries of ``filename`` that start with ``prefix``.

    Raises a ``FileNotFoundError`` / ``KeyError`` naming the file (and the
    missing keys) when the file or some of the module's entries are absent.
    Entries of the file the module does not have are ignored (logged).
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'autoencoder checkpoint {filename!r} does not exist. Fix: train '
            'the autoencoder first (e.g. configs/featdepth/'
            'featdepth_autoencoder_kitti.py) and set `checkpoint` of '
            'FeatureMetricLoss in the config to its file (the featdepth '
            'configs show the --cfg-options key). Tests and inference need '
            'no such file: a trained model\'s checkpoint holds the '
            'autoencoder.')
    ckpt = load_checkpoint(filename)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise KeyError(f'{filename!r} holds no state_dict')
    state = {k[len(prefix):]: v for k, v in state.items()
             if k.startswith(prefix)}
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        shown = ', '.join(missing[:10]) + (' …' if len(missing) > 10 else '')
        raise KeyError(
            f'autoencoder checkpoint {filename!r} lacks {len(missing)} of the '
            f'{len(own)} entries of the autoencoder under prefix {prefix!r}: '
            f'{shown}')
    unexpected = [k for k in state if k not in own]
    if unexpected:
        print_log(f'{filename}: ignored {len(unexpected)} entries under '
                  f'{prefix!r} the autoencoder does not have '
                  f'(e.g. {unexpected[0]})', logger='current')
    module.load_state_dict({k: state[k] for k in own}, strict=True)


@MODELS.register_module()
class FeatureMetricLoss(BaseModule):
    """FeatDepth's feature-metric loss with the autoencoder it owns.

    Features of the un-augmented target and of every source frame
    (``ctx.color(f, 0)``, one ``extract`` call per frame as the original)
    are taken at ``feature_level``; each source's features are warped onto
    the target with :meth:`DepthContext.grid_at` at the feature size (the
    same poses as the photometric loss, depth from ``disp[disp_scale]``
    resized to that size, the intrinsics of that resolution), and

    ``loss_feature_metric = loss_weight · mean_pixels(min_f mean_c ρ(F_0,
    warp(F_f)))``,

    ρ = Charbonnier, minimum over the sources only (no identity term). The
    original adds ``loss_weight·mean/num_scales`` at each of its scales, all
    equal (quirk Q4), which sums to this value. Writes
    ``ctx.state['feature_metric']`` = ``{'errors': B×S×h×w, 'min': B×h×w,
    'index': B×h×w, 'warped': {f: B×C×h×w}}`` (detached).

    **Frozen** (``mono_fm``): the autoencoder's parameters get
    ``requires_grad=False`` and features are extracted under
    ``torch.no_grad()``, so gradients reach depth and pose only through the
    sampling grid. Its BatchNorm layers stay in eval mode
    (``frozen_bn='eval'``, running statistics of the checkpoint) or follow
    the model's train/eval mode (``'train'``: batch statistics per
    ``extract`` call, as the original's frozen extractor, quirk Q2).

    **Joint** (``frozen=False``, ``mono_fm_joint``): features carry
    gradients (through target and warped source features). Trained only
    through this loss the features would collapse (constant features give
    zero loss), so by default (``autoencoder_losses=None`` = not frozen)
    the plugin also adds the autoencoder's own terms of the joint model
    (:func:`autoencoder_loss_terms` with ``chained_targets=False``:
    feature regularisation of every level and direct-resize reconstruction,
    spec §6) as ``loss_ae_feature_regularization_{i}`` /
    ``loss_ae_img_reconstruct_{s}``. That needs the autoencoder's
    ``decode(features) -> {s: B×3×H/2^s×W/2^s}``.

    Args:
        autoencoder: config of the autoencoder module; it must have
            ``extract(img B×3×H×W in [0, 1]) -> [B×C_i×h_i×w_i, …]``.
        checkpoint: depthseg checkpoint of the trained autoencoder; the
            ``state_dict`` entries under ``checkpoint_prefix`` are loaded
            (all of the module's parameters and buffers must be there).
            Nothing is read at construction (a config builds without the
            file): :meth:`init_weights` (``Runner.train``) loads it after
            the autoencoder's own ``init_weights`` (so a pretrained
            ``init_cfg`` of the autoencoder cannot overwrite it), and raises
            ``FileNotFoundError`` naming a missing file. Trained models hold
            the autoencoder in their own checkpoint (tests, inference).
            None with ``frozen`` warns in :meth:`init_weights`: a frozen
            random extractor (Q36).
        checkpoint_prefix: prefix of the autoencoder's entries in the
            checkpoint ('' = the checkpoint of the autoencoder model itself).
        frozen: freeze the autoencoder (see above).
        frozen_bn: ``'eval'`` or ``'train'`` BatchNorm of a frozen
            autoencoder.
        loss_weight: FeatDepth's ``perception_weight`` (1e-3).
        feature_level: index of the feature map in ``extract``'s list (f0).
        disp_scale: disparity scale of the warp depth and of the poses (0).
        intrinsics: ``'matched'`` = the K of the feature resolution (HEAD,
            K/2 for H/2 features); ``'full'`` = level-0 K on the feature grid
            (the paper-era warp, quirk Q3).
        frame_ids: source frames (default: the context's sources).
        autoencoder_losses: add the autoencoder's terms (default: not
            frozen); ``autoencoder_loss_weight`` multiplies them.
        dis, cvt: weights of the discriminative / convergent regularisers.
    """

    def __init__(self, autoencoder: dict, checkpoint: Optional[str] = None,
                 checkpoint_prefix: str = '', frozen: bool = True,
                 frozen_bn: str = 'eval', loss_weight: float = 1e-3,
                 feature_level: int = 0, disp_scale: int = 0,
                 intrinsics: str = 'matched',
                 frame_ids: Optional[Sequence] = None,
                 autoencoder_losses: Optional[bool] = None,
                 autoencoder_loss_weight: float = 1.0, dis: float = 1e-3,
                 cvt: float = 1e-3, init_cfg=None):
        super().__init__(init_cfg)
        if intrinsics not in FEATURE_INTRINSICS:
            raise ValueError(f'intrinsics must be one of '
                             f'{FEATURE_INTRINSICS}, got {intrinsics!r}')
        if frozen_bn not in FROZEN_BN_MODES:
            raise ValueError(f'frozen_bn must be one of {FROZEN_BN_MODES}, '
                             f'got {frozen_bn!r}')
        if frame_ids is not None and (0 in frame_ids or not frame_ids):
            raise ValueError(f'frame_ids lists the source frames (not 0), '
                             f'got {frame_ids}')
        self.autoencoder = MODELS.build(autoencoder)
        if not callable(getattr(self.autoencoder, 'extract', None)):
            raise TypeError(f'{type(self.autoencoder).__name__} has no '
                            'extract(img) -> list of feature maps')
        self.checkpoint = checkpoint
        self.checkpoint_prefix = checkpoint_prefix
        self.frozen = frozen
        self.frozen_bn = frozen_bn
        self.loss_weight = loss_weight
        self.feature_level = feature_level
        self.disp_scale = disp_scale
        self.intrinsics = intrinsics
        self.frame_ids = None if frame_ids is None else list(frame_ids)
        self.autoencoder_losses = (not frozen if autoencoder_losses is None
                                   else autoencoder_losses)
        if self.autoencoder_losses and not callable(
                getattr(self.autoencoder, 'decode', None)):
            raise TypeError(
                'FeatureMetricLoss(autoencoder_losses=True) needs '
                f'{type(self.autoencoder).__name__}.decode(features) -> '
                '{s: reconstruction}')
        self.autoencoder_loss_weight = autoencoder_loss_weight
        self.dis, self.cvt = dis, cvt
        if frozen:
            self.autoencoder.requires_grad_(False)
            self.train(self.training)

    def init_weights(self):
        """Initialise (mmengine, the autoencoder's own ``init_weights``),
        then load ``checkpoint`` into the autoencoder, at every call."""
        super().init_weights()
        if self.checkpoint is not None:
            load_checkpoint_state(self.autoencoder, self.checkpoint,
                                  self.checkpoint_prefix)
        elif self.frozen:
            print_log('FeatureMetricLoss: frozen autoencoder without a '
                      'checkpoint keeps its initial weights',
                      logger='current', level=30)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen and self.frozen_bn == 'eval':
            self.autoencoder.eval()
        return self

    def extract(self, img: Tensor) -> list:
        """The autoencoder's feature list of one B×3×H×W image (no graph
        when frozen)."""
        if self.frozen:
            with torch.no_grad():
                return self.autoencoder.extract(img)
        return self.autoencoder.extract(img)

    def _level(self, features: list, f) -> Tensor:
        if not 0 <= self.feature_level < len(features):
            raise IndexError(f'feature_level {self.feature_level} but '
                             f'extract returned {len(features)} maps')
        feat = features[self.feature_level]
        if feat.dim() != 4:
            raise ValueError(f'features of frame {f!r} must be B×C×h×w, got '
                             f'{tuple(feat.shape)}')
        return feat

    def forward(self, ctx) -> Dict[str, Tensor]:
        sources = self.frame_ids if self.frame_ids is not None else [
            f for f in ctx.source_ids
        ]
        if not sources:
            raise ValueError('FeatureMetricLoss needs source frames')
        target_img = ctx.color(0, 0)
        target_all = self.extract(target_img)
        target = self._level(target_all, 0)
        size = target.shape[-2:]
        k_level = 0 if self.intrinsics == 'full' else None
        warped = {}
        for f in sources:
            feat = self._level(self.extract(ctx.color(f, 0)), f)
            if feat.shape != target.shape:
                raise ValueError(f'features of frame {f!r} '
                                 f'{tuple(feat.shape)} differ from the '
                                 f'target\'s {tuple(target.shape)}')
            grid = ctx.grid_at(f, self.disp_scale, size, k_level)
            warped[f] = ctx.resample(feat, grid)
        errors, minimum, index = feature_metric_min(
            target, [warped[f] for f in sources])
        ctx.state['feature_metric'] = dict(
            errors=errors.detach(), min=minimum.detach(), index=index,
            warped={f: w.detach() for f, w in warped.items()})
        terms = {'loss_feature_metric': self.loss_weight * minimum.mean()}
        if self.autoencoder_losses:
            recons = self.autoencoder.decode(target_all)
            ae = autoencoder_loss_terms(target_all, recons, target_img,
                                        chained_targets=False, dis=self.dis,
                                        cvt=self.cvt)
            for name, value in ae.items():
                name = name.replace('_loss', '')
                terms[f'loss_ae_{name}'] = self.autoencoder_loss_weight * value
        return terms
