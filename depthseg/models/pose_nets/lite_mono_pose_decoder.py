"""Lite-Mono pose decoder: Monodepth2's with trunc-normal init (FUMET)."""
from typing import Optional, Sequence

from torch import nn

from depthseg.registry import MODELS
from .pose_decoder import PoseDecoder


@MODELS.register_module()
class LiteMonoPoseDecoder(PoseDecoder):
    """:class:`PoseDecoder` whose convolution weights are trunc-normal
    (std 0.02) initialised with zero biases, as ``LiteMonoPoseDecoder`` in
    file ``networks/pose_decoder.py`` of the original FUMET repository
    (the Lite-Mono repository's own ``PoseDecoder`` does the same).

    Arguments, inputs, outputs ((axisangle, translation), each B×F×1×3) and
    the state-dict layout (``net.0`` squeeze … ``net.3``) are those of
    :class:`PoseDecoder`; use it as the ``decoder`` of
    :class:`ResnetPoseNet`. (FUMET's ``LiteMonoResnetEncoder`` only adds a
    parameter-free, unused ``normalize`` transform to the ResNet encoder,
    so the pose encoder is a plain :class:`ResnetEncoder`.)
    """

    def __init__(self, num_ch_enc: Sequence[int], num_input_features: int,
                 num_frames_to_predict_for: Optional[int] = None,
                 stride: int = 1, translation_scale: float = 0.01,
                 init_cfg=None):
        super().__init__(num_ch_enc, num_input_features,
                         num_frames_to_predict_for, stride,
                         translation_scale, init_cfg)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
