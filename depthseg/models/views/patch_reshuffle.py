"""BDEdepth's splitting-permuting view (spec §3)."""
from typing import Dict

import torch
from torch import Tensor

from depthseg.registry import MODELS
from .base import BaseView, Pairs, ViewOutput


def restore_reshuffled(disp: Tensor, split_xy: Tensor, s: int = 0) -> Tensor:
    """Undo the patch reshuffle of a B×1×h×w map at scale s.

    ``sx = round(split_x / 2^s)``, ``sy = round(split_y / 2^s)`` (Python
    round, half to even: approximate at s > 0, BDEdepth Q5), then rows
    ``[sy:] + [:sy]`` and columns ``[sx:] + [:sx]``; at scale 0 the exact
    inverse of ``roll(img, (−h_i, −w_i))`` with ``split_xy = (W − w_i,
    H − h_i)``.
    """
    out = []
    for d, (x, y) in zip(disp, split_xy.tolist()):
        sx, sy = round(x / 2**s), round(y / 2**s)
        out.append(torch.roll(d, (-sy, -sx), dims=(-2, -1)))
    return torch.stack(out)


def reshuffle(img: Tensor, split_xy: Tensor) -> Tensor:
    """Torch splitting-permuting of a B×C×H×W batch: the inverse of
    :func:`restore_reshuffled` at scale 0 (``roll(−h_i, −w_i)``)."""
    out = []
    for d, (x, y) in zip(img, split_xy.tolist()):
        out.append(torch.roll(d, (y, x), dims=(-2, -1)))
    return torch.stack(out)


@MODELS.register_module()
class PatchReshuffleView(BaseView):
    """Splitting-permuting: the target's quadrants swapped diagonally.

    Reads ``inputs['views'][name]`` from the ``PatchReshuffle`` transform:
    ``color_aug[0]`` (B×3×H×W, the depth net's input) and ``split_xy``
    (B×2 int64). The prediction is un-permuted (:func:`restore_reshuffled`)
    at every scale and then treated as a prediction of the original frame:
    the view's losses read the original batch (images, intrinsics, masks)
    and the original poses (spec §3.3). ``map_back`` pairs the restored
    disparity with the original one, both at their native scale.
    """

    def __init__(self, name: str = 'reshuffle', init_cfg=None):
        super().__init__(name, init_cfg)

    def forward(self, inputs: dict) -> ViewOutput:
        data = self.view_data(inputs, 'PatchReshuffle')
        batch = {k: v for k, v in inputs.items() if k != 'views'}
        return ViewOutput(self, data['color_aug'][0], batch,
                          dict(split_xy=data['split_xy']))

    def restore(self, disp: Dict[int, Tensor],
                params: dict) -> Dict[int, Tensor]:
        return {s: restore_reshuffled(d, params['split_xy'], s)
                for s, d in disp.items()}

    def map_back(self, disp: Tensor, ref_disp: Tensor, params: dict,
                 s: int) -> Pairs:
        return [(disp, ref_disp, None)]
