"""Swappable pose networks used by the estimators (spec §3.6).

Every pose network maps ``images`` ({frame_id: B×3×H×W scale-0 colour-
augmented image in [0, 1]}) and ``frame_ids`` to ``{frame_id: dict(
axisangle=B×1×3, translation=B×1×3, invert=bool)}`` for each frame id other
than 0 and ``'s'``; :meth:`to_matrix` turns one entry into the B×4×4
target-to-source transform (points of frame 0 into frame ``frame_id``).
"""
import copy
from typing import Callable, Dict, List, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.models.pose_nets.pose_cnn import PoseCNN
from depthseg.models.utils.geometry import transformation_from_parameters
from depthseg.registry import MODELS

FrameId = Union[int, str]
INPUT_MODES = ('pairs', 'all')


def _predict_poses(predict: Callable[[Tensor], tuple],
                   images: Dict[FrameId, Tensor], frame_ids: List[FrameId],
                   input_mode: str, invert_all: bool) -> Dict[FrameId, dict]:
    """Run ``predict`` (B×3k×H×W -> (axisangle, translation), each B×F×1×3)
    in ``input_mode``; in ``'all'`` mode ``invert`` is ``f < 0`` if
    ``invert_all`` else False. No source frame: {} without a pass."""
    sources = [f for f in frame_ids if f != 's' and f != 0]
    poses = {}
    if input_mode == 'pairs':
        for f in sources:
            pair = [images[f], images[0]] if f < 0 else [images[0], images[f]]
            axisangle, translation = predict(torch.cat(pair, 1))
            poses[f] = dict(axisangle=axisangle[:, 0],
                            translation=translation[:, 0], invert=f < 0)
    elif sources:
        frames = [images[f] for f in frame_ids if f != 's']
        axisangle, translation = predict(torch.cat(frames, 1))
        for i, f in enumerate(sources):
            poses[f] = dict(axisangle=axisangle[:, i],
                            translation=translation[:, i],
                            invert=invert_all and f < 0)
    return poses


def _check_input_mode(name: str, input_mode: str):
    if input_mode not in INPUT_MODES:
        raise ValueError(f'{name}: input_mode must be one of {INPUT_MODES}, '
                         f'got {input_mode!r}')


@MODELS.register_module()
class ResnetPoseNet(BaseModule):
    """Separate ResNet pose encoder + :class:`PoseDecoder`
    (``pose_model_type='separate_resnet'``).

    Args:
        encoder: config of the encoder, e.g. ``dict(type='ResnetEncoder',
            depth=18, num_input_images=2, pretrained='imagenet')``.
        decoder: config of the decoder, e.g. ``dict(type='PoseDecoder',
            num_input_features=1, num_frames_to_predict_for=2)``;
            ``num_ch_enc`` defaults to the encoder's.
        input_mode: ``'pairs'``: one pass per source frame on the temporally
            ordered pair ([I_f, I_0] if f < 0 else [I_0, I_f]), output 0 used,
            inverted for f < 0. ``'all'``: one pass on all non-stereo frames
            in ``frame_ids`` order; the i-th source frame uses output i, not
            inverted.
    """

    def __init__(self, encoder: dict, decoder: dict, input_mode: str = 'pairs',
                 init_cfg=None):
        super().__init__(init_cfg)
        _check_input_mode(type(self).__name__, input_mode)
        self.input_mode = input_mode
        self.encoder = MODELS.build(encoder)
        decoder = copy.deepcopy(decoder)
        decoder.setdefault('num_ch_enc', self.encoder.num_ch_enc)
        self.decoder = MODELS.build(decoder)

    def _predict(self, x: Tensor):
        """B×3k×H×W -> (axisangle, translation), each B×F×1×3."""
        return self.decoder([self.encoder(x)])

    def forward(self, images: Dict[FrameId, Tensor],
                frame_ids: List[FrameId]) -> Dict[FrameId, dict]:
        """See the module docstring; returns {} without running the network
        when there is no source frame."""
        return _predict_poses(self._predict, images, frame_ids,
                              self.input_mode, invert_all=False)

    def to_matrix(self, pose: dict, depth: Optional[Tensor] = None) -> Tensor:
        """One pose entry -> B×4×4 target-to-source transform (``depth`` is
        unused)."""
        return transformation_from_parameters(pose['axisangle'],
                                              pose['translation'],
                                              pose['invert'])


@MODELS.register_module()
class PoseCNNNet(BaseModule):
    """:class:`PoseCNN` on channel-stacked raw images
    (``pose_model_type='posecnn'``).

    Args:
        num_input_frames: frames the PoseCNN takes; must be 2 in
            ``'pairs'`` mode, the number of non-stereo frame ids in ``'all'``.
        input_mode: ``'pairs'`` or ``'all'``, inputs and output indices as
            in :class:`ResnetPoseNet`.

    As in Monodepth2's posecnn path, ``invert`` is ``f < 0`` in both modes
    (the original rebuilds every posecnn transform with that flag) and
    :meth:`to_matrix` scales the translation by the target's mean inverse
    depth. The PoseCNN is the attribute ``pose_cnn``.
    """

    def __init__(self, num_input_frames: int = 2, input_mode: str = 'pairs',
                 init_cfg=None):
        super().__init__(init_cfg)
        _check_input_mode(type(self).__name__, input_mode)
        if input_mode == 'pairs' and num_input_frames != 2:
            raise ValueError(f"PoseCNNNet: input_mode='pairs' needs "
                             f'num_input_frames=2, got {num_input_frames}')
        self.input_mode = input_mode
        self.pose_cnn = PoseCNN(num_input_frames)

    def forward(self, images: Dict[FrameId, Tensor],
                frame_ids: List[FrameId]) -> Dict[FrameId, dict]:
        """See the module docstring; returns {} without running the network
        when there is no source frame."""
        return _predict_poses(self.pose_cnn, images, frame_ids,
                              self.input_mode, invert_all=True)

    def to_matrix(self, pose: dict, depth: Optional[Tensor] = None) -> Tensor:
        """One pose entry and the target depth (B×1×H×W at the current scale)
        -> B×4×4 transform with translation × per-image mean(1 / depth)."""
        if depth is None:
            raise ValueError('PoseCNNNet.to_matrix needs the target depth '
                             '(B×1×H×W) to scale the translation')
        mean_inv_depth = (1 / depth).mean(3).mean(2).view(-1, 1, 1)
        return transformation_from_parameters(
            pose['axisangle'], pose['translation'] * mean_inv_depth,
            pose['invert'])
