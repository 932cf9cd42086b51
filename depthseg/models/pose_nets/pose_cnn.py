"""Monodepth2 PoseCNN (spec §3.5)."""
from typing import Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.layers import in_float32
from depthseg.registry import MODELS


@MODELS.register_module()
class PoseCNN(BaseModule):
    """Seven stride-2 conv+ReLU layers and a 1×1 pose convolution.

    Args:
        num_input_frames: n, RGB frames stacked on channels (3n inputs);
            poses are predicted for n - 1 frames.

    Modules: ``net`` (7 Conv2d, keys ``net.0..6``) and ``pose_conv``.
    """

    def __init__(self, num_input_frames: int, init_cfg=None):
        super().__init__(init_cfg)
        self.num_input_frames = num_input_frames
        specs = [(3 * num_input_frames, 16, 7), (16, 32, 5), (32, 64, 3),
                 (64, 128, 3), (128, 256, 3), (256, 256, 3), (256, 256, 3)]
        self.net = nn.ModuleList([
            nn.Conv2d(cin, cout, k, stride=2, padding=k // 2)
            for cin, cout, k in specs
        ])
        self.pose_conv = nn.Conv2d(256, 6 * (num_input_frames - 1), 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """x: B×3n×H×W images in [0, 1] (not normalised) -> (axisangle,
        translation), each B×(n-1)×1×3, spatial mean × 0.01."""
        for conv in self.net:
            x = self.relu(conv(x))
        x = in_float32(self.pose_conv, x)
        x = 0.01 * x.mean(3).mean(2).view(-1, self.num_input_frames - 1, 1, 6)
        return x[..., :3], x[..., 3:]
