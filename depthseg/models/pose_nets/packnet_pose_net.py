"""PackNet-SfM's PoseNet (packnet spec §1.4): SfMLearner-style, all frames
in one pass, GroupNorm, Euler angles."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from depthseg.models.utils.packnet_geometry import (ROTATION_MODES,
                                                    pose_vec_to_matrix)
from depthseg.models.utils.layers import in_float32
from depthseg.registry import MODELS
from .pose_net import FrameId

#: GroupNorm groups of every PoseNet layer.
NUM_GROUPS = 16


def _conv_gn(in_planes: int, out_planes: int, kernel_size: int) -> nn.Module:
    """Conv (stride 2, pad (k−1)/2) + GroupNorm(16) + ReLU: keys
    ``0.*`` (conv) and ``1.*`` (GroupNorm)."""
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size,
                  padding=(kernel_size - 1) // 2, stride=2),
        nn.GroupNorm(NUM_GROUPS, out_planes), nn.ReLU(inplace=True))


@MODELS.register_module()
class PackNetPoseNet(BaseModule):
    """The original ``PoseNet`` (registered under this name because
    ``PoseNet`` is too generic for a shared registry).

    Input: target and ``nb_ref_imgs`` contexts concatenated on channels
    (3·(1 + nb_ref) channels, RGB in [0, 1]). Seven stride-2 conv + GN(16) +
    ReLU layers (16, 32, 64, 128, 256, 256, 256 channels, kernels 7, 5, 3,
    3, 3, 3, 3), a 1×1 ``pose_pred`` to 6·nb_ref channels, the spatial mean
    and ×0.01: ``B×nb_ref×6`` vectors ``[tx, ty, tz, rx, ry, rz]`` (target ->
    context). 1,592,684 parameters for nb_ref_imgs = 2.

    Quirk Q22 fixed: the number of contexts is checked against
    ``nb_ref_imgs`` with a clear error (the original never configures it).

    Args:
        nb_ref_imgs: number of context frames (back + forward context).
        rotation_mode: only ``'euler'`` (``R = Rx·Ry·Rz``).
    """

    conv_planes = (16, 32, 64, 128, 256, 256, 256)
    kernels = (7, 5, 3, 3, 3, 3, 3)

    def __init__(self, nb_ref_imgs: int = 2, rotation_mode: str = 'euler',
                 init_cfg=None):
        super().__init__(init_cfg)
        if rotation_mode not in ROTATION_MODES:
            raise ValueError(f'PackNetPoseNet: rotation_mode must be one of '
                             f'{ROTATION_MODES}, got {rotation_mode!r}')
        if nb_ref_imgs < 1:
            raise ValueError(f'PackNetPoseNet: nb_ref_imgs must be >= 1, got '
                             f'{nb_ref_imgs}')
        self.nb_ref_imgs = nb_ref_imgs
        self.rotation_mode = rotation_mode
        in_planes = 3 * (1 + nb_ref_imgs)
        for i, (planes, k) in enumerate(zip(self.conv_planes, self.kernels)):
            setattr(self, f'conv{i + 1}', _conv_gn(in_planes, planes, k))
            in_planes = planes
        self.pose_pred = nn.Conv2d(in_planes, 6 * nb_ref_imgs,
                                   kernel_size=1, padding=0)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def predict(self, image: Tensor, contexts: Sequence[Tensor]) -> Tensor:
        """The original ``forward``: target ``B×3×H×W`` and the contexts ->
        ``B×nb_ref×6`` pose vectors."""
        if len(contexts) != self.nb_ref_imgs:
            raise ValueError(f'PackNetPoseNet was built for nb_ref_imgs='
                             f'{self.nb_ref_imgs} context frames but got '
                             f'{len(contexts)}: set nb_ref_imgs to back + '
                             'forward context')
        x = torch.cat([image, *contexts], 1)
        for i in range(len(self.conv_planes)):
            x = getattr(self, f'conv{i + 1}')(x)
        pose = in_float32(self.pose_pred, x).mean(3).mean(2)
        return 0.01 * pose.view(pose.size(0), self.nb_ref_imgs, 6)

    def forward(self, images: Dict[FrameId, Tensor],
                frame_ids: List[FrameId]) -> Dict[FrameId, dict]:
        """depthseg pose-net contract: ``images`` ({frame_id: B×3×H×W}) ->
        ``{f: {'vec': B×6}}`` for the source frames of ``frame_ids`` (other
        than 0 and ``'s'``), the contexts in ``frame_ids`` order (packnet's
        [t−1, t+1] for (0, −1, 1)). {} without a source frame."""
        sources = [f for f in frame_ids if f != 's' and f != 0]
        if not sources:
            return {}
        vecs = self.predict(images[0], [images[f] for f in sources])
        return {f: dict(vec=vecs[:, i]) for i, f in enumerate(sources)}

    def to_matrix(self, pose: dict, depth: Optional[Tensor] = None) -> Tensor:
        """One pose entry -> ``B×4×4`` target -> source transform
        (``Pose.from_vec``; ``depth`` is unused)."""
        return pose_vec_to_matrix(pose['vec'], self.rotation_mode)
