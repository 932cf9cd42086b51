"""The one self-supervised depth pipeline every method plugs into."""
from typing import (Dict, List, Mapping, Optional, Sequence, Tuple,
                    Union)

import torch
from mmengine.model import BaseModel, ModuleList
from mmengine.structures import PixelData
from torch import Tensor, nn

from depthseg.models.utils.geometry import disp_to_depth
from depthseg.models.utils.nonfinite import NonFiniteGuardMixin
from depthseg.models.utils.post_process import batch_post_process_disparity
from depthseg.registry import MODELS
from depthseg.structures import DepthDataSample
from .context import DepthContext, ViewContext

#: Names of view groups in a loss plugin's ``views``.
VIEW_GROUPS = ('all', 'original', 'augmented')

#: ``losses`` / ``views`` of the estimator: configs keyed by name, or a list
PluginSpecs = Union[Mapping[str, Optional[dict]], Sequence[dict]]


def to_float32(tree):
    """Reduced-precision (autocast) tensors in nested dicts/lists/tuples ->
    float32; everything else unchanged."""
    if torch.is_tensor(tree):
        return tree.float() if tree.dtype in (torch.float16,
                                              torch.bfloat16) else tree
    if isinstance(tree, dict):
        return type(tree)((k, to_float32(v)) for k, v in tree.items())
    if isinstance(tree, (list, tuple)):
        return type(tree)(to_float32(v) for v in tree)
    return tree


def keyed_plugins(specs: PluginSpecs, what: str) -> List[Tuple[str, dict]]:
    """``(name, config)`` pairs in order; ``None`` entries (dropped by a
    config) are left out; a list gets the names ``'0'``, ``'1'``, ..."""
    items = specs.items() if isinstance(specs, Mapping) else (
        (str(i), cfg) for i, cfg in enumerate(specs))
    pairs = []
    for key, cfg in items:
        if cfg is None:
            continue
        if not isinstance(cfg, Mapping) or 'type' not in cfg:
            raise ValueError(
                f'model.{what}.{key} must be a plugin config with a type '
                f'(or None to drop it), got {cfg!r}')
        pairs.append((key, dict(cfg)))
    return pairs


@MODELS.register_module()
class SelfSupDepthEstimator(NonFiniteGuardMixin, BaseModel):
    """Depth net -> pose net -> view synthesis (lazy context) -> loss plugins.

    The estimator knows no method: methods are the networks, the loss
    plugins listed in ``losses`` and the hooks of a config.

    Args:
        depth_encoder, depth_decoder: configs of the depth network; the
            decoder returns ``{s: B×1×H/2^s×W/2^s}`` sigmoid disparities.
        pose_net: config of a pose network (``forward(images, frame_ids)``
            and ``to_matrix(params, depth)``); None for stereo-only training.
        losses: loss plugin configs keyed by a short name
            (``dict(photometric=dict(type='PhotometricLoss'), ...)``), so a
            config adds a plugin with one entry, drops one with
            ``name=None`` and changes one field with ``name=dict(field=v)``
            (mmengine merges dicts). Plugins run in the dict's order: the
            base config's entries first, then each child config's new
            entries in the order written; the i-th plugin's weights and
            buffers are ``losses.<i>.*`` in checkpoints. Each plugin's
            ``forward(ctx) -> {name: value}`` (``loss*`` names are summed,
            others only logged); its optional ``prepare(ctx)`` runs before
            every plugin's forward (e.g. to register a
            ``ctx.photometric_overrides`` entry), and its optional
            ``plugin_hooks()`` lists the hook configs it needs
            (:meth:`plugin_hooks`). With views, a config may carry
            ``views``: the views the plugin is applied to, ``'all'``,
            ``'original'``, ``'augmented'`` or a list of names (``'ori'`` =
            the original view); default the plugin class's
            ``default_views`` (``'all'`` when absent). A list of configs is
            accepted too (names ``'0'``, ``'1'``, ...).
        views: view configs keyed by the view's name (the key is the
            view's ``name``: the suffix of its logged terms), e.g.
            BDEdepth's ``ResizeCropView`` and ``PatchReshuffleView``
            (``depthseg.models.views``); a list of configs with ``name``
            is accepted too. Each view's
            augmented target gets its own depth-net pass and its own
            context (a ``ViewContext``: the view's batch, restored
            disparity and transformed poses; poses come from one pose-net
            pass on the original frames). Every plugin runs on each context
            it applies to; a view's terms are logged with the suffix
            ``_<view name>``. A plugin applied to k views has its ``loss*``
            terms divided by k (``view_reduction = 'mean'``, the default:
            BDEdepth's ``(L_ori + L_local + L_reshuffle) / (1 + n_aug)``)
            or not (``view_reduction = 'sum'``, e.g.
            ``ViewConsistencyLoss``).
        frame_ids: target first, then sources (ints, ``'s'`` = stereo pair).
        scales: decoder scales used by the losses.
        min_depth, max_depth: range of ``disp_to_depth``.
        multiscale: ``'full'`` warps full-resolution images with upsampled
            disparities (Monodepth2 default), ``'native'`` warps each scale
            at its own resolution (``--v1_multiscale``).
        align_corners, padding_mode: ``grid_sample`` settings of the warp.
        depth_flip_prob: probability, drawn once per training batch, of
            running the depth net on the left-right flipped target and
            flipping every output scale back (PackNet-SfM's in-model flip
            augmentation, quirk Q37: the pose net and the loss images are
            not flipped); 0 (default) = off.
        test_cfg: ``depth_scale`` (multiplies predicted depth, e.g. 5.4 for
            stereo models to get metres), ``flip_post_process`` (average with
            the prediction of the flipped image, as the original's
            ``--post_process``), ``predict_depth`` (default True) and
            ``predict_pose`` (pose of frame 1 relative to frame 0, for
            odometry evaluation).
    """

    def __init__(self, depth_encoder: dict, depth_decoder: dict,
                 pose_net: Optional[dict] = None,
                 losses: PluginSpecs = (),
                 views: PluginSpecs = (),
                 frame_ids: Sequence = (0, -1, 1),
                 scales: Sequence[int] = (0, 1, 2, 3),
                 min_depth: float = 0.1, max_depth: float = 100.,
                 multiscale: str = 'full', align_corners: bool = True,
                 padding_mode: str = 'border',
                 depth_flip_prob: float = 0.0,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='DepthDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if not frame_ids or frame_ids[0] != 0:
            raise ValueError(f'frame_ids must start with the target frame 0, '
                             f'got {list(frame_ids)}')
        self.frame_ids = list(frame_ids)
        self.scales = list(scales)
        self.min_depth, self.max_depth = min_depth, max_depth
        if not 0.0 <= depth_flip_prob <= 1.0:
            raise ValueError(f'depth_flip_prob must be in [0, 1], got '
                             f'{depth_flip_prob}')
        self.depth_flip_prob = depth_flip_prob
        self.warp_cfg = dict(multiscale=multiscale,
                             align_corners=align_corners,
                             padding_mode=padding_mode)
        self.test_cfg = dict(depth_scale=1.0, flip_post_process=False,
                             predict_depth=True, predict_pose=False)
        self.test_cfg.update(test_cfg or {})
        self.depth_encoder = MODELS.build(depth_encoder)
        if 'num_ch_enc' not in depth_decoder and hasattr(
                self.depth_encoder, 'num_ch_enc'):
            depth_decoder = dict(depth_decoder,
                                 num_ch_enc=self.depth_encoder.num_ch_enc)
        self.depth_decoder = MODELS.build(depth_decoder)
        temporal = [f for f in self.frame_ids[1:] if f != 's']
        if temporal and pose_net is None:
            raise ValueError(f'frame_ids {self.frame_ids} has temporal '
                             'sources, so the model needs a pose_net')
        self.pose_net = MODELS.build(pose_net) if temporal else None
        if self.test_cfg['predict_pose'] and self.pose_net is None:
            raise ValueError('test_cfg.predict_pose needs a pose_net and '
                             'temporal frame_ids (e.g. [0, -1, 1])')
        # mmengine's ModuleList: model.init_weights() reaches the plugins
        # (e.g. FeatureMetricLoss loads its autoencoder there)
        self.views = ModuleList(
            MODELS.build(dict(cfg, name=cfg.get('name', key)) if isinstance(
                views, Mapping) else cfg)
            for key, cfg in keyed_plugins(views, 'views'))
        names = ['ori'] + [view.name for view in self.views]
        if len(set(names)) != len(names):
            raise ValueError(f'view names must be unique and not ori, got '
                             f'{names[1:]}')
        losses = [(key, dict(cfg)) for key, cfg in keyed_plugins(
            losses, 'losses')]
        self.loss_names = [key for key, _ in losses]
        applies = [cfg.pop('views', None) for _, cfg in losses]
        self.losses = ModuleList(MODELS.build(cfg) for _, cfg in losses)
        self.loss_views = [
            self._resolve_views(loss, spec, names)
            for loss, spec in zip(self.losses, applies)
        ]
        # set by DepthVisualizationHook: keep the last training context
        self.keep_context = False
        self.last_context = None

    def plugin_hooks(self) -> List[dict]:
        """Hook configs the loss plugins and views declare
        (``plugin_hooks()``), one per hook type, in plugin order; the
        :class:`~depthseg.engine.DepthRunner` registers those the config
        does not configure itself."""
        hooks = {}
        for plugin in [*self.losses, *self.views]:
            declare = getattr(plugin, 'plugin_hooks', None)
            for cfg in (declare() if callable(declare) else ()):
                hooks.setdefault(cfg['type'], dict(cfg))
        return list(hooks.values())

    @staticmethod
    def _resolve_views(loss: nn.Module, spec, names: List[str]) -> tuple:
        """The names of the contexts a loss plugin is applied to."""
        if spec is None:
            spec = getattr(loss, 'default_views', 'all')
        groups = dict(all=names, original=names[:1], augmented=names[1:])
        if isinstance(spec, str):
            if spec not in VIEW_GROUPS:
                raise ValueError(f'{type(loss).__name__}: views={spec!r} '
                                 f'must be one of {VIEW_GROUPS} or a list '
                                 f'of the view names {names}')
            return tuple(groups[spec])
        unknown = [n for n in spec if n not in names]
        if unknown:
            raise ValueError(f'{type(loss).__name__}: views {unknown} are '
                             f'not among the model views {names}')
        return tuple(n for n in names if n in spec)

    def extract_disp(self, img: Tensor) -> Dict[int, Tensor]:
        """B×3×H×W image in [0, 1] -> ``{s: B×1×H/2^s×W/2^s}`` disparity."""
        return self.depth_decoder(self.depth_encoder(img))

    def build_context(self, inputs: dict) -> DepthContext:
        """Run the networks on one batch and wrap the results; each view's
        context is in ``ctx.views[name]`` (one depth-net pass per view)."""
        img = inputs['color_aug'][0]
        if self.training and self.depth_flip_prob > 0 and \
                float(torch.rand(())) < self.depth_flip_prob:
            disp = {s: d.flip(-1) for s, d in
                    self.extract_disp(img.flip(-1)).items()}
        else:
            disp = self.extract_disp(img)
        pose_params = {}
        if self.pose_net is not None:
            pose_params = self.pose_net(inputs['color_aug'], self.frame_ids)
        disp, pose_params = to_float32(disp), to_float32(pose_params)
        ctx = DepthContext(inputs, disp, self.frame_ids, self.scales,
                           pose_params=pose_params, pose_net=self.pose_net,
                           min_depth=self.min_depth,
                           max_depth=self.max_depth, **self.warp_cfg)
        for view in self.views:
            out = view(inputs)
            ctx.views[view.name] = ViewContext(
                ctx, out, to_float32(self.extract_disp(out.image)))
        return ctx

    def loss_terms(self, ctx: DepthContext) -> Dict[str, Tensor]:
        """Apply every plugin to the contexts (views) it applies to."""
        contexts = dict(ori=ctx, **ctx.views)
        for loss, names in zip(self.losses, self.loss_views):
            if hasattr(loss, 'prepare'):  # selections other plugins read
                for name in names:
                    loss.prepare(contexts[name])
        terms = {}
        for loss, names in zip(self.losses, self.loss_views):
            reduction = getattr(loss, 'view_reduction', 'mean')
            share = len(names) if reduction == 'mean' else 1
            for view in names:
                for name, value in loss(contexts[view]).items():
                    if view != 'ori':
                        name = f'{name}_{view}'
                    if name in terms:
                        raise KeyError(
                            f'two loss plugins return the term {name!r}; '
                            f'give {type(loss).__name__} another name')
                    if name.startswith('loss') and share > 1:
                        value = value / share
                    terms[name] = value
        return terms

    def loss(self, inputs: dict, data_samples=None) -> Dict[str, Tensor]:
        """Every plugin's named terms; mmengine sums the ``loss*`` ones."""
        ctx = self.build_context(inputs)
        # the networks run under the optimizer wrapper's autocast (--amp);
        # the warping geometry (pixel coordinates need float32's mantissa)
        # and every loss plugin (SSIM variances, FUMET's plane fits and
        # camera heights) run in float32
        with torch.autocast(ctx.color(0, 0).device.type, enabled=False):
            terms = self.loss_terms(ctx)
        if self.keep_context:
            self.last_context = ctx
        return terms

    def predict(self, inputs: dict,
                data_samples: List[DepthDataSample]) -> List[DepthDataSample]:
        """Fill each sample with ``pred_disp_map`` (scaled disparity,
        1/units, network resolution), ``pred_depth_map`` (depth ×
        ``depth_scale``) and the ``depth_scale`` metainfo; with
        ``predict_pose`` also ``pred_pose`` (4×4, frame 0 -> frame 1)."""
        cfg = self.test_cfg
        if cfg['predict_depth']:
            scaled_disp = self.predict_scaled_disp(inputs['color_aug'][0])
            depth = cfg['depth_scale'] / scaled_disp
            for i, sample in enumerate(data_samples):
                sample.pred_disp_map = PixelData(data=scaled_disp[i])
                sample.pred_depth_map = PixelData(data=depth[i])
                sample.set_metainfo(dict(depth_scale=cfg['depth_scale']))
        if cfg['predict_pose']:
            pose = self.pose_net(inputs['color_aug'], [0, 1])[1]
            matrices = self.pose_net.to_matrix(pose)
            for sample, matrix in zip(data_samples, matrices):
                sample.pred_pose = matrix
        return data_samples

    def predict_scaled_disp(self, img: Tensor) -> Tensor:
        """B×3×H×W image -> B×1×H×W scaled disparity (``disp_to_depth``),
        flip-post-processed when ``test_cfg.flip_post_process``."""
        if not self.test_cfg['flip_post_process']:
            disp = self.extract_disp(img)[0]
            return disp_to_depth(disp, self.min_depth, self.max_depth)[0]
        disp = self.extract_disp(torch.cat([img, img.flip(-1)]))[0]
        scaled = disp_to_depth(disp, self.min_depth, self.max_depth)[0]
        left, right = scaled.chunk(2)
        return batch_post_process_disparity(left, right.flip(-1))

    def forward(self, inputs: dict, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_disp(inputs['color_aug'][0])
        raise RuntimeError(f'Invalid mode "{mode}": use loss, predict or '
                           'tensor')
