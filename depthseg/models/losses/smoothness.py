"""Edge-aware disparity smoothness."""
from typing import Dict, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS


def edge_aware_smoothness(disp: Tensor, img: Tensor) -> Tensor:
    """``mean(|∂x d|·exp(-mean_c|∂x I|)) + mean(|∂y d|·exp(-mean_c|∂y I|))``.

    disp: B×1×H×W, img: B×3×H×W (same size). Forward differences; the two
    means are taken separately. Mean-normalisation is the caller's job.
    """
    grad_disp_x = (disp[:, :, :, :-1] - disp[:, :, :, 1:]).abs()
    grad_disp_y = (disp[:, :, :-1, :] - disp[:, :, 1:, :]).abs()
    grad_img_x = (img[:, :, :, :-1] - img[:, :, :, 1:]).abs().mean(
        1, keepdim=True)
    grad_img_y = (img[:, :, :-1, :] - img[:, :, 1:, :]).abs().mean(
        1, keepdim=True)
    return ((grad_disp_x * torch.exp(-grad_img_x)).mean() +
            (grad_disp_y * torch.exp(-grad_img_y)).mean())


def mean_normalise(disp: Tensor, eps: float = 1e-7) -> Tensor:
    """Divide each disparity map by its spatial mean (B×1×H×W)."""
    return disp / (disp.mean((2, 3), keepdim=True) + eps)


@MODELS.register_module()
class SmoothnessLoss(BaseModule):
    """Monodepth2 smoothness: ``loss_weight / 2^s · smooth(norm(disp_s), I_s)``.

    Uses each scale's native-resolution disparity and the un-augmented
    target image at that scale; the value is averaged over scales.

    Args:
        loss_weight: weight (1e-3 in Monodepth2); schedulable by hooks.
        normalise: divide the disparity by its spatial mean first.
    """

    def __init__(self, loss_weight: float = 1e-3, normalise: bool = True,
                 scales: Sequence[int] = None, init_cfg=None):
        super().__init__(init_cfg)
        self.loss_weight = loss_weight
        self.normalise = normalise
        self.scales = scales

    def forward(self, ctx) -> Dict[str, Tensor]:
        scales = self.scales if self.scales is not None else ctx.scales
        total = 0
        for s in scales:
            disp = ctx.disp[s]
            if self.normalise:
                disp = mean_normalise(disp)
            total = total + edge_aware_smoothness(
                disp, ctx.color(0, s)) / (2**s)
        return {'loss_smooth': self.loss_weight * total / len(scales)}
