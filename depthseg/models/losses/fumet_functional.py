"""FUMET's metric-scale loss math (pure tensor functions).

* :func:`camera_height_terms`: the fine metric (camera-height) loss and the
  per-frame road statistics (median camera height, road normal);
* :func:`car_height_loss`: the rough metric (car-height) loss.

The road and car geometry they use is in
:mod:`depthseg.models.utils.road_geometry`; conventions and quirk numbers
(Qxx, FUMET method spec) as there.
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.models.utils.road_geometry import car_pixels, pixel_cam_heights

__all__ = ['camera_height_terms', 'car_height_loss']


def _zero_like_graph(t: Tensor) -> Tensor:
    """0-d zero that is part of ``t``'s autograd graph (if any)."""
    return t.sum() * 0


def camera_height_terms(
        points: Tensor, road: Tensor,
        h_star: Optional[Union[Tensor, float]]
) -> Tuple[Tensor, Tensor, Tensor]:
    """Fine metric loss and per-frame road statistics.

    Args:
        points: B×H×W×3 camera points of the road frames (gradient flows).
        road: B×H×W bool road mask, already border-zeroed
            (:func:`~depthseg.models.utils.road_geometry.zero_road_borders`).
        h_star: camera-height pseudo-label h*: None (not yet existing), a 0-d
            tensor / float, or a per-frame B tensor.

    Returns:
        loss: 0-d, (1/B) Σ_b mean_{road_b} |h*_b − h|; a graph-connected zero
            when ``h_star`` is None or B == 0 (frames with an empty road
            contribute 0).
        htilde: B, detached per-frame median of the road heights h (quantile
            0.5, linear interpolation; NaN for an empty road mask).
        nbar: B×3, detached −normalise(Σ_road n): the road normal pointing
            down (+Y).
    """
    B = points.shape[0]
    h, n = pixel_cam_heights(points)
    road = road.to(torch.bool)
    roadf = road.to(h.dtype)
    count = roadf.sum((1, 2))

    with torch.no_grad():
        hd = h.detach().masked_fill(~road, math.nan).flatten(1)
        if B > 0:
            htilde = torch.nanquantile(hd, 0.5, dim=1)
        else:
            htilde = h.new_zeros((0, ))
        nsum = (n.detach() * roadf.unsqueeze(-1)).sum((1, 2))
        nbar = -F.normalize(nsum, dim=-1)

    if h_star is None or B == 0:
        return _zero_like_graph(h), htilde, nbar
    h_star = torch.as_tensor(h_star, dtype=h.dtype, device=h.device)
    if h_star.dim() > 0:
        h_star = h_star.reshape(-1, 1, 1)
    per_frame = ((h_star - h).abs() * roadf).sum((1, 2)) / count.clamp(min=1)
    return per_frame.sum() / B, htilde, nbar


def car_height_loss(depth: Tensor, segms: Tensor, frame_idx: Tensor,
                    pix_heights: Tensor, heights: Tensor, fy: float,
                    n_frames: Union[int, Tensor]) -> Tensor:
    """Rough metric (car-height) loss.

    Per car i: l_i = Σ_{x∈M_i} |H_i − pix_h_i·D(x)/f_y| / |M_i| with D the
    depth of the car's frame; the loss is mean_i(l_i)/n_frames (QUIRK Q13:
    averaged over cars, then divided by the number of frames with cars).
    Only the car pixels are gathered (no N×H×W copy).

    Args:
        depth: B×1×H×W or B×H×W depth (differentiable).
        segms: N×H×W bool car masks.
        frame_idx: N long, frame of each car (index into ``depth``).
        pix_heights: N pixel heights
            (:func:`~depthseg.models.utils.road_geometry.mask_pixel_heights`).
        heights: N prior car heights (metres).
        fy: focal length in pixels (scale 0).
        n_frames: number of frames with cars.

    Returns:
        0-d loss; a graph-connected zero when N == 0.
    """
    if depth.dim() == 4:
        depth = depth.squeeze(1)
    N = segms.shape[0]
    if N == 0:
        return _zero_like_graph(depth)
    car, lin = car_pixels(segms, frame_idx)
    d = depth.reshape(-1)[lin]
    coef = pix_heights.to(device=depth.device, dtype=depth.dtype) / fy
    hts = heights.to(device=depth.device, dtype=depth.dtype)
    err = (hts[car] - coef[car] * d).abs()
    per_car = depth.new_zeros(N).index_add(0, car, err)
    count = torch.bincount(car, minlength=N).clamp(min=1).to(depth.dtype)
    if torch.is_tensor(n_frames):
        n_frames = n_frames.to(device=depth.device, dtype=depth.dtype)
        n_frames = n_frames.clamp(min=1)
    else:
        n_frames = max(float(n_frames), 1.)
    return (per_car / count).mean() / n_frames
