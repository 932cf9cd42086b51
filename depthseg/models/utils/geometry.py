"""Camera geometry shared by every method (Monodepth2 conventions).

Pixel centres are integer coordinates x = 0..W-1, y = 0..H-1; projected
coordinates are normalised by (W-1, H-1), i.e. for ``grid_sample`` with
``align_corners=True``. Poses map 3-D points of the target camera into the
source camera.
"""
from typing import Tuple

import numpy as np
import torch
from torch import Tensor


def disp_to_depth(disp: Tensor, min_depth: float = 0.1,
                  max_depth: float = 100.) -> Tuple[Tensor, Tensor]:
    """Sigmoid disparity (0..1) to (scaled disparity, depth).

    scaled = 1/max_depth + (1/min_depth - 1/max_depth) * disp,
    depth = 1/scaled, so depth lies in [min_depth, max_depth] (units of
    the training baseline).
    """
    min_disp = 1 / max_depth
    max_disp = 1 / min_depth
    scaled_disp = min_disp + (max_disp - min_disp) * disp
    return scaled_disp, 1 / scaled_disp


def rot_from_axisangle(vec: Tensor) -> Tensor:
    """Rodrigues rotation: B×1×3 axis-angle -> B×4×4 homogeneous matrix.

    The axis is ``vec / (|vec| + 1e-7)`` as in the original, so R is
    orthonormal only to ~1e-7 and a zero vector gives the identity.
    """
    angle = torch.norm(vec, 2, 2, True)
    axis = vec / (angle + 1e-7)
    ca, sa = torch.cos(angle), torch.sin(angle)
    C = 1 - ca
    x, y, z = axis[..., 0:1], axis[..., 1:2], axis[..., 2:3]
    xs, ys, zs = x * sa, y * sa, z * sa
    xC, yC, zC = x * C, y * C, z * C
    xyC, yzC, zxC = x * yC, y * zC, z * xC
    rows = [
        [x * xC + ca, xyC - zs, zxC + ys],
        [xyC + zs, y * yC + ca, yzC - xs],
        [zxC - ys, yzC + xs, z * zC + ca],
    ]
    rot = torch.zeros((vec.shape[0], 4, 4), dtype=vec.dtype,
                      device=vec.device)
    for i in range(3):
        for j in range(3):
            rot[:, i, j] = rows[i][j].reshape(-1)
    rot[:, 3, 3] = 1
    return rot


def get_translation_matrix(translation: Tensor) -> Tensor:
    """B×1×3 (or B×3) translation -> B×4×4 matrix [I | t]."""
    T = torch.eye(4, dtype=translation.dtype, device=translation.device)
    T = T.repeat(translation.shape[0], 1, 1)
    T[:, :3, 3] = translation.reshape(-1, 3)
    return T


def transformation_from_parameters(axisangle: Tensor, translation: Tensor,
                                   invert: bool = False) -> Tensor:
    """Pose network output (B×1×3 each) -> B×4×4 target-to-source matrix.

    Not inverted: M = T(t)·R. Inverted: M = Rᵀ·T(-t) (the inverse).
    """
    R = rot_from_axisangle(axisangle)
    t = translation.clone()
    if invert:
        R = R.transpose(1, 2)
        t = -t
    T = get_translation_matrix(t)
    return torch.matmul(R, T) if invert else torch.matmul(T, R)


def pixel_grid(height: int, width: int, dtype=torch.float32,
               device=None) -> Tensor:
    """Homogeneous pixel coordinates 3×(H·W), row-major (x fastest)."""
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=dtype, device=device),
        torch.arange(width, dtype=dtype, device=device), indexing='ij')
    ones = torch.ones_like(xs)
    return torch.stack([xs, ys, ones], 0).reshape(3, -1)


def backproject(depth: Tensor, inv_K: Tensor) -> Tensor:
    """Depth B×1×H×W and inverse intrinsics B×4×4 -> points B×4×(H·W).

    cam = depth · inv_K[:3,:3] · [x, y, 1]ᵀ, plus a row of ones.
    """
    B, _, H, W = depth.shape
    pix = pixel_grid(H, W, depth.dtype, depth.device)
    cam = torch.matmul(inv_K[:, :3, :3], pix.unsqueeze(0))
    cam = depth.reshape(B, 1, -1) * cam
    ones = torch.ones_like(cam[:, :1])
    return torch.cat([cam, ones], 1)


def project(points: Tensor, K: Tensor, T: Tensor, height: int, width: int,
            eps: float = 1e-7) -> Tensor:
    """Points B×4×N in the target camera -> sampling grid B×H×W×2.

    P = (K·T)[:3]; uv = P·X / (z + eps), normalised by (W-1, H-1) to [-1, 1]
    (x first), matching ``grid_sample(..., align_corners=True)``.
    """
    P = torch.matmul(K, T)[:, :3, :]
    cam = torch.matmul(P, points)
    pix = cam[:, :2] / (cam[:, 2:3] + eps)
    pix = pix.reshape(points.shape[0], 2, height, width).permute(0, 2, 3, 1)
    norm = torch.tensor([width - 1, height - 1], dtype=pix.dtype,
                        device=pix.device)
    return (pix / norm - 0.5) * 2


def scale_intrinsics(K_norm: np.ndarray, height: int, width: int,
                     num_scales: int = 4):
    """Normalised 4×4 K -> per-scale pixel K and pinv(K) (float32 numpy).

    Row 0 is multiplied by W // 2**s and row 1 by H // 2**s (integer division,
    principal point at (W/2, H/2)), as the Monodepth2 dataset does.

    Returns:
        (K, inv_K): arrays of shape S×4×4.
    """
    Ks, inv_Ks = [], []
    for s in range(num_scales):
        K = np.array(K_norm, dtype=np.float32).copy()
        K[0, :] *= width // (2**s)
        K[1, :] *= height // (2**s)
        Ks.append(K)
        inv_Ks.append(np.linalg.pinv(K))
    return np.stack(Ks), np.stack(inv_Ks)
