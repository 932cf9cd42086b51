"""FUMET's road-masking override of the photometric auto-mask."""
from typing import Dict

import torch
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS


def road_override_min(to_optimise: Tensor, reprojection: Tensor, won: Tensor,
                      road: Tensor, static_ratio: float = 0.75) -> Tensor:
    """FUMET's road-masking override of the auto-masked minimum.

    Args:
        to_optimise: B×H×W minimum over reprojection and identity errors.
        reprojection: B×S×H×W reprojection errors.
        won: B×H×W float, 1 where a reprojection term won.
        road: B×H×W bool road mask.
        static_ratio: an image is moving when its auto-masked fraction
            ``1 - mean(won)`` is below this.

    Returns:
        B×H×W: on road pixels of moving images the minimum over
        reprojections only, elsewhere ``to_optimise``.
    """
    moving = (1 - won.flatten(1).mean(1)) < static_ratio
    override = road & moving[:, None, None]
    return torch.where(override, reprojection.min(1)[0], to_optimise)


@MODELS.register_module()
class RoadMaskingOverride(BaseModule):
    """FUMET ``--disable_road_masking`` as a plugin of the photometric loss.

    An image in which fewer than ``static_ratio`` of the pixels are
    auto-masked counts as moving; on its road pixels (``inputs['road']``,
    B×H×W bool, from ``LoadCarRoadMasks``) the identity errors are ignored
    and the minimum is taken over reprojections only, so the low-texture
    road keeps training the geometry. It adds no loss term: ``prepare``
    registers :meth:`override` in ``ctx.photometric_overrides``, which the
    photometric loss applies when it auto-masks.

    Args:
        static_ratio: auto-masked fraction at or above which an image is
            static (0.75).
    """

    def __init__(self, static_ratio: float = 0.75, init_cfg=None):
        super().__init__(init_cfg)
        self.static_ratio = static_ratio

    def prepare(self, ctx) -> None:
        ctx.photometric_overrides.append(self.override)

    def override(self, ctx, s: int, to_optimise: Tensor, reprojection: Tensor,
                 won: Tensor) -> Tensor:
        road = ctx.inputs.get('road')
        if road is None:
            raise KeyError(
                "RoadMaskingOverride needs inputs['road']: add "
                'LoadCarRoadMasks to the training pipeline')
        if road.shape != to_optimise.shape:
            raise ValueError(
                f'road mask {tuple(road.shape)} does not match the '
                f'photometric loss map {tuple(to_optimise.shape)} at scale '
                f"{s}: the override needs multiscale='full' and masks at "
                'the training resolution')
        return road_override_min(to_optimise, reprojection, won, road,
                                 self.static_ratio)

    def forward(self, ctx) -> Dict[str, Tensor]:
        return {}
