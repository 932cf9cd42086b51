"""The one self-supervised depth pipeline every method plugs into."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from torch import Tensor, nn

from depthseg.evaluation.functional import batch_post_process_disparity
from depthseg.models.utils.geometry import disp_to_depth
from depthseg.registry import MODELS
from depthseg.structures import DepthDataSample
from .context import DepthContext


@MODELS.register_module()
class SelfSupDepthEstimator(BaseModel):
    """Depth net -> pose net -> view synthesis (lazy context) -> loss plugins.

    The estimator knows no method: methods are the networks, the loss
    plugins listed in ``losses`` and the hooks of a config.

    Args:
        depth_encoder, depth_decoder: configs of the depth network; the
            decoder returns ``{s: B×1×H/2^s×W/2^s}`` sigmoid disparities.
        pose_net: config of a pose network (``forward(images, frame_ids)``
            and ``to_matrix(params, depth)``); None for stereo-only training.
        losses: loss plugin configs; each ``forward(ctx) -> {name: value}``
            (``loss*`` names are summed, others only logged); a plugin's
            optional ``prepare(ctx)`` runs before every plugin's forward.
        frame_ids: target first, then sources (ints, ``'s'`` = stereo pair).
        scales: decoder scales used by the losses.
        min_depth, max_depth: range of ``disp_to_depth``.
        multiscale: ``'full'`` warps full-resolution images with upsampled
            disparities (Monodepth2 default), ``'native'`` warps each scale
            at its own resolution (``--v1_multiscale``).
        align_corners, padding_mode: ``grid_sample`` settings of the warp.
        test_cfg: ``depth_scale`` (multiplies predicted depth, e.g. 5.4 for
            stereo models to get metres), ``flip_post_process`` (average with
            the prediction of the flipped image, as the original's
            ``--post_process``), ``predict_depth`` (default True) and
            ``predict_pose`` (pose of frame 1 relative to frame 0, for
            odometry evaluation).
    """

    def __init__(self, depth_encoder: dict, depth_decoder: dict,
                 pose_net: Optional[dict] = None,
                 losses: Sequence[dict] = (),
                 frame_ids: Sequence = (0, -1, 1),
                 scales: Sequence[int] = (0, 1, 2, 3),
                 min_depth: float = 0.1, max_depth: float = 100.,
                 multiscale: str = 'full', align_corners: bool = True,
                 padding_mode: str = 'border',
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
        self.losses = nn.ModuleList(MODELS.build(cfg) for cfg in losses)
        # set by DepthVisualizationHook: keep the last training context
        self.keep_context = False
        self.last_context = None

    def extract_disp(self, img: Tensor) -> Dict[int, Tensor]:
        """B×3×H×W image in [0, 1] -> ``{s: B×1×H/2^s×W/2^s}`` disparity."""
        return self.depth_decoder(self.depth_encoder(img))

    def build_context(self, inputs: dict) -> DepthContext:
        """Run the networks on one batch and wrap the results."""
        disp = self.extract_disp(inputs['color_aug'][0])
        pose_params = {}
        if self.pose_net is not None:
            pose_params = self.pose_net(inputs['color_aug'], self.frame_ids)
        return DepthContext(inputs, disp, self.frame_ids, self.scales,
                            pose_params=pose_params, pose_net=self.pose_net,
                            min_depth=self.min_depth,
                            max_depth=self.max_depth, **self.warp_cfg)

    def loss(self, inputs: dict, data_samples=None) -> Dict[str, Tensor]:
        """Every plugin's named terms; mmengine sums the ``loss*`` ones."""
        ctx = self.build_context(inputs)
        for loss in self.losses:  # selections other plugins may read
            if hasattr(loss, 'prepare'):
                loss.prepare(ctx)
        terms = {}
        for loss in self.losses:
            for name, value in loss(ctx).items():
                if name in terms:
                    raise KeyError(
                        f'two loss plugins return the term {name!r}; give '
                        f'{type(loss).__name__} another name')
                terms[name] = value
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
