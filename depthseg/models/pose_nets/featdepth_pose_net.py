"""FeatDepth's PoseNet (featdepth spec §4.2): a Monodepth2 separate-ResNet
pose net whose inputs are first resized to a fixed size."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor

from depthseg.registry import MODELS
from .pose_net import FrameId, ResnetPoseNet


@MODELS.register_module()
class FeatDepthPoseNet(ResnetPoseNet):
    """:class:`ResnetPoseNet` on images bilinearly resized (align_corners
    False) to ``input_size`` (FeatDepth hard-codes 192×640 for every dataset
    and training resolution, quirk Q6).

    Args:
        encoder, decoder, input_mode: as :class:`ResnetPoseNet`. FeatDepth:
            ``ResnetEncoder(depth=18, num_input_images=2)`` (ImageNet conv1
            tiled twice and halved, input normalised) and
            ``PoseDecoder(num_input_features=1,
            num_frames_to_predict_for=1)`` (one 6-vector per pair) in
            ``'pairs'`` mode: [I_f, I_0] inverted for f < 0, [I_0, I_f]
            otherwise; no pose for ``'s'``.
        input_size: (H, W) the images are resized to; None keeps them.
        eval_input_size: (H, W) used in eval mode (pose evaluation); None
            = ``input_size``. The original's pose evaluation feeds
            320×1024 images directly (quirk Q15b): set (320, 1024) there.

    Attributes ``encoder`` and ``decoder`` hold the original
    ``PoseEncoder`` / ``PoseDecoder`` weights (keys ``encoder.encoder.*``,
    ``decoder.net.{0..3}.*``).
    """

    def __init__(self, encoder: dict, decoder: dict,
                 input_mode: str = 'pairs',
                 input_size: Optional[Sequence[int]] = (192, 640),
                 eval_input_size: Optional[Sequence[int]] = None,
                 init_cfg=None):
        super().__init__(encoder, decoder, input_mode, init_cfg)
        self.input_size = self._size(input_size)
        self.eval_input_size = self._size(eval_input_size)

    @staticmethod
    def _size(size) -> Optional[Tuple[int, int]]:
        if size is None:
            return None
        if len(size) != 2:
            raise ValueError(f'FeatDepthPoseNet: a size is (H, W), got '
                             f'{size}')
        return int(size[0]), int(size[1])

    def current_input_size(self) -> Optional[Tuple[int, int]]:
        """The resize target in the current (train/eval) mode."""
        if not self.training and self.eval_input_size is not None:
            return self.eval_input_size
        return self.input_size

    def forward(self, images: Dict[FrameId, Tensor],
                frame_ids: List[FrameId]) -> Dict[FrameId, dict]:
        """As :meth:`ResnetPoseNet.forward`, on resized non-stereo frames."""
        size = self.current_input_size()
        if size is not None:
            images = {
                f: (img if f == 's' or tuple(img.shape[-2:]) == size else
                    F.interpolate(img, size, mode='bilinear',
                                  align_corners=False))
                for f, img in images.items() if f in frame_ids
            }
        return super().forward(images, frame_ids)
