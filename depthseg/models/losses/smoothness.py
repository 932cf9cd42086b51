"""Edge-aware disparity smoothness."""
from typing import Dict, Optional, Sequence

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS
from .functional import (edge_aware_smoothness, edge_aware_terms,
                         mean_normalise)


#: Values of the ``image_resize`` argument of :class:`SmoothnessLoss`.
IMAGE_RESIZES = (None, 'area')


@MODELS.register_module()
class SmoothnessLoss(BaseModule):
    """Edge-aware smoothness: ``loss_weight / 2^s · smooth(norm(disp_s), I)``.

    Uses each scale's native-resolution disparity; the value is averaged over
    scales. Monodepth2 (the defaults): first-order term with a = 1 against
    the un-augmented target image at pyramid level s (which must have the
    disparity's size). FeatDepth: ``second_order=True, edge_alpha=0.5,
    image_resize='area'`` gives S1 + S2 (spec §2.6) against the
    full-resolution target area-downsampled to the disparity's size (its
    depth scale 0 is at H/2, so the sizes do not follow the pyramid).

    Args:
        loss_weight: weight (1e-3 in Monodepth2); schedulable by hooks.
        normalise: divide the disparity by its spatial mean first.
        scales: disparity scales (default: the context's).
        second_order: add the second-order term S2 (∂xx, ∂xy, ∂yx, ∂yy).
        edge_alpha: a in the edge weight ``exp(−a·mean_c|∂I|)``.
        image_resize: None = ``ctx.color(0, s)``; ``'area'`` = area resize of
            ``ctx.color(0, 0)`` to the disparity's size.
    """

    def __init__(self, loss_weight: float = 1e-3, normalise: bool = True,
                 scales: Sequence[int] = None, second_order: bool = False,
                 edge_alpha: float = 1.0, image_resize: Optional[str] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if image_resize not in IMAGE_RESIZES:
            raise ValueError(f'image_resize must be one of {IMAGE_RESIZES}, '
                             f'got {image_resize!r}')
        self.loss_weight = loss_weight
        self.normalise = normalise
        self.scales = scales
        self.second_order = second_order
        self.edge_alpha = edge_alpha
        self.image_resize = image_resize

    def image(self, ctx, s: int, size) -> Tensor:
        """The target image for the disparity of scale s (size h×w)."""
        if self.image_resize is None:
            img = ctx.color(0, s)
            if img.shape[-2:] != size:
                raise ValueError(
                    f'SmoothnessLoss: the disparity of scale {s} is '
                    f'{tuple(size)} but the image pyramid level {s} is '
                    f"{tuple(img.shape[-2:])}; use image_resize='area'")
            return img
        img = ctx.color(0, 0)
        if img.shape[-2:] == size:
            return img
        return F.interpolate(img, size=tuple(size), mode='area')

    def scale_value(self, ctx, s: int) -> Tensor:
        """Unweighted smoothness of scale s (before ``/2^s``)."""
        disp = ctx.disp[s]
        if self.normalise:
            disp = mean_normalise(disp)
        img = self.image(ctx, s, disp.shape[-2:])
        if not self.second_order:
            return edge_aware_smoothness(disp, img, self.edge_alpha)
        s1, s2 = edge_aware_terms(disp, img, self.edge_alpha)
        return s1 + s2

    def forward(self, ctx) -> Dict[str, Tensor]:
        scales = self.scales if self.scales is not None else ctx.scales
        total = 0
        for s in scales:
            total = total + self.scale_value(ctx, s) / (2**s)
        return {'loss_smooth': self.loss_weight * total / len(scales)}
