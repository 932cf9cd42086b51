"""BDEdepth's resizing-cropping view (spec §4)."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.registry import MODELS
from .base import BaseView, Pairs, ViewOutput

#: FUMET car keys: they are not cropped, so the view drops them.
CAR_KEYS = ('segms_flat', 'heights_flat', 'n_inst', 'car_frame_idx')


def crop_rectification(grid: Tensor, K: Tensor, height: int,
                       width: int) -> Tuple[Tensor, dict]:
    """The crop's pose correction ``Rc`` (B×3×3, grid dtype).

    ``grid``: B×2×H×W crop coordinates in the resized image's [−1, 1]
    frame; ``K``: B×4×4 scale-0 intrinsics of an H×W image. Per image:
    crop centre ``gx0 = (g_x[0, −1] + g_x[0, 0])/2``, ``gy0 = (g_y[−1, 0] +
    g_y[0, 0])/2``, ``f = (g_x[0, −1] − g_x[0, 0])/2`` (≈ 1/r, x extent for
    both axes) and the normalised focal lengths of batch element 0 (Q4):
    ``Rc = [[1, 0, −gx0/(2fx)], [0, 1, −gy0/(2fy)], [0, 0, f]]``. Also
    returns ``gx0``, ``gy0`` and ``f`` (B each).
    """
    gx, gy = grid[:, 0], grid[:, 1]
    gx0 = (gx[:, 0, -1] + gx[:, 0, 0]) / 2
    gy0 = (gy[:, -1, 0] + gy[:, 0, 0]) / 2
    f = (gx[:, 0, -1] - gx[:, 0, 0]) / 2
    fx = K[0, 0, 0].to(grid.dtype) / width
    fy = K[0, 1, 1].to(grid.dtype) / height
    Rc = torch.zeros(len(grid), 3, 3, dtype=grid.dtype, device=grid.device)
    Rc[:, 0, 0] = Rc[:, 1, 1] = 1
    Rc[:, 0, 2] = -gx0 / (2 * fx)
    Rc[:, 1, 2] = -gy0 / (2 * fy)
    Rc[:, 2, 2] = f
    return Rc, dict(gx0=gx0, gy0=gy0, f=f)


def conjugate_pose(T: Tensor, Rc: Tensor) -> Tensor:
    """``T' = [Rc·R·Rc⁻¹ | Rc·t]`` with a zero last row (Q17); B×4×4 in
    T's dtype (computed in Rc's)."""
    T64 = T.to(Rc.dtype)
    out = torch.zeros_like(T64)
    out[:, :3, :3] = Rc @ T64[:, :3, :3] @ torch.linalg.inv(Rc)
    out[:, :3, 3:] = Rc @ T64[:, :3, 3:]
    return out.to(T.dtype)


def crop_window(grid: Tensor, ratio: Tensor, height: int,
                width: int) -> Tensor:
    """B×4 int64 ``(x0, y0, w, h)``: the crop's window in the original
    H×W frame. ``x0 = round(W·(g_x[0, 0] + 1)/2)``, ``y0 = round(H·(g_y[0,
    0] + 1)/2)``, ``w = round(W/ratio)``, ``h = round(H/ratio)`` (ratio in
    its own dtype, float32; half to even)."""
    x0 = torch.round(width * (grid[:, 0, 0, 0] + 1) / 2)
    y0 = torch.round(height * (grid[:, 1, 0, 0] + 1) / 2)
    r = ratio.reshape(-1)
    w = torch.round(width / r)
    h = torch.round(height / r)
    return torch.stack([x0, y0, w.to(x0), h.to(x0)], 1).long()


@MODELS.register_module()
class ResizeCropView(BaseView):
    """Resizing-cropping: every frame zoomed by r ∈ [1.2, 2] and cropped.

    Reads ``inputs['views'][name]`` from the ``ResizeCrop`` transform:
    ``color`` (cropped pyramids of all frames), ``color_aug[0]`` (the depth
    net's input), ``grid_local`` (B×2×H×W float64), ``ratio_local`` (B×1
    float32) and, with FUMET masks, ``road``. The view's losses read the
    cropped frames with the **original** intrinsics and the original poses
    conjugated by ``Rc`` (:func:`crop_rectification`, spec §4.2), which is
    equivalent to the crop's true intrinsics. FUMET car masks are not
    cropped, so the view's batch has no car keys (car-based losses apply to
    the original view only). ``map_back``: per image, the view's disparity
    resized to the crop's window in the original frame (depth × r, the zoom
    undone) against the original full-resolution disparity cut to that
    window.
    """

    def __init__(self, name: str = 'local', init_cfg=None):
        super().__init__(name, init_cfg)

    def forward(self, inputs: dict) -> ViewOutput:
        data = self.view_data(inputs, 'ResizeCrop')
        batch = {k: v for k, v in inputs.items()
                 if k != 'views' and k not in CAR_KEYS}
        batch['color'] = data['color']
        if 'road' in inputs:
            batch['road'] = data['road']
        grid = data['grid_local']
        height, width = grid.shape[-2:]
        Rc, _ = crop_rectification(grid, inputs['K'][0], height, width)
        params = dict(grid_local=grid, ratio_local=data['ratio_local'],
                      Rc=Rc)
        return ViewOutput(self, data['color_aug'][0], batch, params)

    def transform_pose(self, T: Tensor, params: dict) -> Tensor:
        return conjugate_pose(T, params['Rc'])

    def map_back(self, disp: Tensor, ref_disp: Tensor, params: dict,
                 s: int) -> Pairs:
        grid, ratio = params['grid_local'], params['ratio_local']
        height, width = grid.shape[-2:]
        ref_up = F.interpolate(ref_disp, (height, width), mode='bilinear',
                               align_corners=False)
        pairs = []
        windows = crop_window(grid, ratio, height, width).tolist()
        for b, (x0, y0, w, h) in enumerate(windows):
            local = F.interpolate(disp[b:b + 1], (h, w), mode='bilinear',
                                  align_corners=False)
            pairs.append((local, ref_up[b:b + 1, :, y0:y0 + h, x0:x0 + w],
                          ratio[b].to(local.dtype)))
        return pairs
