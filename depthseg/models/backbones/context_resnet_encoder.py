"""BDEdepth ResNet depth encoder with a full-resolution context branch
(spec §6.1, key table §11.2)."""
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from depthseg.registry import MODELS
from .resnet_encoder import ResnetEncoder


@MODELS.register_module()
class ContextResnetEncoder(ResnetEncoder):
    """:class:`ResnetEncoder` plus BDEdepth's context branch.

    ``conv1`` = Conv2d(3, 64, 7, stride 1, pad 3, no bias) and ``bn1``
    (keys ``conv1.weight``, ``bn1.*`` next to ``encoder.*``, as the original
    ``ckpt["encoder"]``). The conv weight is a clone of
    ``encoder.conv1.weight`` and the BN affine parameters clones of
    ``encoder.bn1`` (running statistics fresh, quirk Q14), at construction
    and again after the ImageNet weights are loaded.

    Forward: ``[relu(bn1(conv1(x)))] + ResnetEncoder(x)`` = 6 features
    ``[64@H, 64@H/2, 64@H/4, 128@H/8, 256@H/16, 512@H/32]`` (ResNet18);
    ``num_ch_enc`` keeps the 5 ResNet entries (the grid decoder prepends the
    context channels). Single-image input only.
    """

    def __init__(self, depth: int = 18, pretrained='imagenet',
                 norm_eval: bool = False, init_cfg=None):
        super().__init__(depth=depth, num_input_images=1,
                         pretrained=pretrained, norm_eval=norm_eval,
                         init_cfg=init_cfg)
        self.conv1 = nn.Conv2d(3, 64, 7, 1, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self._clone_context()

    def _clone_context(self) -> None:
        with torch.no_grad():
            self.conv1.weight.copy_(self.encoder.conv1.weight)
            self.bn1.weight.copy_(self.encoder.bn1.weight)
            self.bn1.bias.copy_(self.encoder.bn1.bias)

    def load_pretrained(self, pretrained: str):
        super().load_pretrained(pretrained)
        self._clone_context()

    def forward(self, img: Tensor) -> List[Tensor]:
        x = (img - 0.45) / 0.225
        context = F.relu(self.bn1(self.conv1(x)))
        return [context] + super().forward(img)
