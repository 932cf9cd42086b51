"""Monodepth2 pose decoder (spec §3.4)."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.layers import in_float32
from depthseg.registry import MODELS


@MODELS.register_module()
class PoseDecoder(BaseModule):
    """Relative poses from the last feature map of one or more encodings.

    Args:
        num_ch_enc: encoder feature channels (only the last is used).
        num_input_features: number of feature lists given to forward.
        num_frames_to_predict_for: F, poses predicted per sample; defaults
            to ``num_input_features - 1``.
        stride: stride of the two 3×3 convolutions.
        translation_scale: multiplies the raw translation output (0.01 in
            the original, as the rotation). A larger value lets a network
            trained from scratch reach metric motion (about 1 m per frame)
            in few iterations, for metric methods such as FUMET.
        init_translation: start the translation of every predicted pose
            near this (x, y, z) (the biases of the last convolution), e.g.
            ``(0, 0, -0.3)``: slow forward driving, a motion prior for
            training from scratch. The translation is that of the pose
            between two frames in temporal order (earlier -> later: the
            camera moves to −z in the later frame's view for a car driving
            forward). None keeps PyTorch's initialisation.

    Modules: ``net`` = [squeeze (1×1), pose0 (3×3), pose1 (3×3), pose2
    (1×1, 6F outputs)], all with bias, as in Monodepth2's ``pose.pth``.
    """

    def __init__(self, num_ch_enc: Sequence[int], num_input_features: int,
                 num_frames_to_predict_for: Optional[int] = None,
                 stride: int = 1, translation_scale: float = 0.01,
                 init_translation: Optional[Sequence[float]] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        self.translation_scale = translation_scale
        if num_frames_to_predict_for is None:
            num_frames_to_predict_for = num_input_features - 1
        self.num_ch_enc = list(num_ch_enc)
        self.num_input_features = num_input_features
        self.num_frames_to_predict_for = num_frames_to_predict_for
        self.net = nn.ModuleList([
            nn.Conv2d(self.num_ch_enc[-1], 256, 1),
            nn.Conv2d(num_input_features * 256, 256, 3, stride, 1),
            nn.Conv2d(256, 256, 3, stride, 1),
            nn.Conv2d(256, 6 * num_frames_to_predict_for, 1),
        ])
        if init_translation is not None:
            if len(init_translation) != 3:
                raise ValueError(f'PoseDecoder: init_translation must be 3 '
                                 f'numbers (x, y, z), got {init_translation}')
            with torch.no_grad():
                bias = self.net[3].bias.view(num_frames_to_predict_for, 6)
                bias[:, 3:] = torch.tensor(
                    [float(v) / translation_scale for v in init_translation])
        self.relu = nn.ReLU()

    def forward(self, input_features: List[List[Tensor]]
                ) -> Tuple[Tensor, Tensor]:
        """input_features: ``num_input_features`` encoder feature lists.

        Returns (axisangle, translation), each B×F×1×3: the spatial mean of
        the last convolution scaled by 0.01 (axis-angle in radians) and by
        ``translation_scale`` (translation in units of the depth scale).
        """
        squeeze = self.net[0]
        x = torch.cat([self.relu(squeeze(f[-1])) for f in input_features], 1)
        for conv in self.net[1:3]:
            x = self.relu(conv(x))
        x = in_float32(self.net[3], x)
        x = x.mean(3).mean(2).view(-1, self.num_frames_to_predict_for, 1, 6)
        return 0.01 * x[..., :3], self.translation_scale * x[..., 3:]
