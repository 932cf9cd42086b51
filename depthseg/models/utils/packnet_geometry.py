"""PackNet-SfM camera geometry (packnet spec §1.4 pose convention, §2.2
view synthesis; ``geometry/{pose,pose_utils,camera,camera_utils}.py`` of
the original).

Differences from :mod:`depthseg.models.utils.geometry` (Monodepth2): 3×3
intrinsics with an analytic inverse, Euler-angle poses (``R = Rx·Ry·Rz``),
a ``clamp(z, 1e-5)`` instead of ``z + 1e-7`` in the projection, and the
``c' = (c + 0.5)·s − 0.5`` intrinsics scaling. Pixel centres are integer
coordinates and grids are normalised by (W−1, H−1), i.e. for
``grid_sample(..., align_corners=True)``.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .geometry import backproject

#: Rotation parametrisations of :func:`pose_vec2mat` (only Euler exists in
#: the original).
ROTATION_MODES = ('euler', )


def euler2mat(angle: Tensor) -> Tensor:
    """Euler angles ``B×3`` (rx, ry, rz) -> rotations ``B×3×3`` with
    ``R = Rx(rx)·Ry(ry)·Rz(rz)``."""
    b = angle.shape[0]
    x, y, z = angle[:, 0], angle[:, 1], angle[:, 2]
    zeros = torch.zeros_like(z)
    ones = torch.ones_like(z)
    cosz, sinz = torch.cos(z), torch.sin(z)
    zmat = torch.stack(
        [cosz, -sinz, zeros, sinz, cosz, zeros, zeros, zeros, ones],
        1).view(b, 3, 3)
    cosy, siny = torch.cos(y), torch.sin(y)
    ymat = torch.stack(
        [cosy, zeros, siny, zeros, ones, zeros, -siny, zeros, cosy],
        1).view(b, 3, 3)
    cosx, sinx = torch.cos(x), torch.sin(x)
    xmat = torch.stack(
        [ones, zeros, zeros, zeros, cosx, -sinx, zeros, sinx, cosx],
        1).view(b, 3, 3)
    return xmat.bmm(ymat).bmm(zmat)


def pose_vec2mat(vec: Tensor, mode: str = 'euler') -> Tensor:
    """``B×6`` pose vector ``[tx, ty, tz, rx, ry, rz]`` -> ``B×3×4``
    ``[R | t]``."""
    if mode not in ROTATION_MODES:
        raise ValueError(f'rotation mode must be one of {ROTATION_MODES}, '
                         f'got {mode!r}')
    trans = vec[:, :3].unsqueeze(-1)
    rot = euler2mat(vec[:, 3:])
    return torch.cat([rot, trans], 2)


def pose_vec_to_matrix(vec: Tensor, mode: str = 'euler') -> Tensor:
    """``Pose.from_vec``: ``B×6`` -> ``B×4×4`` ``[R | t; 0 0 0 1]``, the
    transform mapping target-camera points into the context camera (used as
    the context camera's ``Tcw``)."""
    mat = pose_vec2mat(vec, mode)
    pose = torch.eye(4, dtype=vec.dtype, device=vec.device).repeat(
        vec.shape[0], 1, 1)
    pose[:, :3, :3] = mat[:, :3, :3]
    pose[:, :3, -1] = mat[:, :3, -1]
    return pose


def invert_pose(T: Tensor) -> Tensor:
    """``B×4×4`` rigid transform -> its inverse ``[Rᵀ | −Rᵀt]``."""
    inv = torch.eye(4, dtype=T.dtype, device=T.device).repeat(
        T.shape[0], 1, 1)
    rot_t = T[:, :3, :3].transpose(-2, -1)
    inv[:, :3, :3] = rot_t
    inv[:, :3, -1] = torch.bmm(-rot_t, T[:, :3, -1:]).squeeze(-1)
    return inv


def transform_points(T: Tensor, points: Tensor) -> Tensor:
    """``R·X + t`` for ``B×4×4`` T and ``B×3×H×W`` points."""
    b, _, h, w = points.shape
    out = T[:, :3, :3].bmm(points.reshape(b, 3, -1)) + T[:, :3, -1:]
    return out.view(b, 3, h, w)


def scale_intrinsics(K: Tensor, x_scale: float,
                     y_scale: Optional[float] = None) -> Tensor:
    """``Camera.scaled``: ``fx·sx, fy·sy, c' = (c + 0.5)·s − 0.5``
    (quirk Q16). ``B×3×3``; (1, 1) returns K itself."""
    if y_scale is None:
        y_scale = x_scale
    if x_scale == 1 and y_scale == 1:
        return K
    K = K.clone()
    K[..., 0, 0] *= x_scale
    K[..., 1, 1] *= y_scale
    K[..., 0, 2] = (K[..., 0, 2] + 0.5) * x_scale - 0.5
    K[..., 1, 2] = (K[..., 1, 2] + 0.5) * y_scale - 0.5
    return K


def inv_intrinsics(K: Tensor) -> Tensor:
    """Analytic inverse of a zero-skew ``B×3×3`` K: ``1/f`` on the
    diagonal and ``−c/f`` in the last column (other entries copied)."""
    Kinv = K.clone()
    fx, fy = K[..., 0, 0], K[..., 1, 1]
    cx, cy = K[..., 0, 2], K[..., 1, 2]
    Kinv[..., 0, 0] = 1. / fx
    Kinv[..., 1, 1] = 1. / fy
    Kinv[..., 0, 2] = -1. * cx / fx
    Kinv[..., 1, 2] = -1. * cy / fy
    return Kinv


def inv2depth(inv_depth: Tensor, min_inv: float = 1e-6) -> Tensor:
    """``1 / clamp(inv_depth, min_inv)``."""
    return 1. / inv_depth.clamp(min=min_inv)


def reconstruct(depth: Tensor, K: Tensor,
                Twc: Optional[Tensor] = None) -> Tensor:
    """``Camera.reconstruct``: ``X = depth · K⁻¹[u, v, 1]ᵀ`` (B×3×H×W),
    moved to the world frame by ``Twc`` when given (PackNet's target
    camera has the identity pose)."""
    b, _, h, w = depth.shape
    Kinv = inv_intrinsics(K)
    points = backproject(depth, Kinv)[:, :3].view(b, 3, h, w)
    return points if Twc is None else transform_points(Twc, points)


def project(points: Tensor, K: Tensor, Tcw: Optional[Tensor] = None,
            z_min: float = 1e-5) -> Tensor:
    """``Camera.project``: world points ``B×3×H×W`` -> ``B×H×W×2`` grid.

    ``p = K·(R·X + t)``, ``u' = p_x / clamp(p_z, z_min)``, normalised
    ``2u'/(W−1) − 1`` (x first), for align_corners=True sampling.
    """
    b, _, h, w = points.shape
    if Tcw is not None:
        points = transform_points(Tcw, points)
    cam = K.bmm(points.reshape(b, 3, -1))
    z = cam[:, 2].clamp(min=z_min)
    x_norm = 2 * (cam[:, 0] / z) / (w - 1) - 1.
    y_norm = 2 * (cam[:, 1] / z) / (h - 1) - 1.
    return torch.stack([x_norm, y_norm], -1).view(b, h, w, 2)


def view_synthesis(ref_image: Tensor, depth: Tensor, ref_K: Tensor,
                   ref_Tcw: Tensor, K: Tensor, mode: str = 'bilinear',
                   padding_mode: str = 'zeros',
                   return_coords: bool = False):
    """Warp ``ref_image`` into the target view (packnet spec §2.2).

    Args:
        ref_image: ``B×C×H×W`` context image at the depth's resolution.
        depth: ``B×1×H×W`` target depth.
        ref_K, K: ``B×3×3`` context and target intrinsics (already scaled).
        ref_Tcw: ``B×4×4`` target -> context transform (the pose).
        padding_mode: ``'zeros'`` (quirk Q15: out-of-view pixels read 0).

    Returns:
        The warped image, or ``(warped, ref_coords)`` with
        ``return_coords``.
    """
    world_points = reconstruct(depth, K)
    ref_coords = project(world_points, ref_K, ref_Tcw)
    warped = F.grid_sample(ref_image, ref_coords, mode=mode,
                           padding_mode=padding_mode, align_corners=True)
    return (warped, ref_coords) if return_coords else warped


def flip_lr(x: Tensor) -> Tensor:
    """Left-right flip of a ``B×C×H×W`` tensor."""
    return torch.flip(x, [3])


def flip_intrinsics(K: Tensor, width: int) -> Tensor:
    """Intrinsics of a flipped image as the original: a copy with
    ``cx ← W − cx`` (quirk Q9: not ``W − 1 − cx``)."""
    K = K.clone()
    K[..., 0, 2] = width - K[..., 0, 2]
    return K


def flip_outputs(maps: Sequence[Tensor]) -> list:
    """Flip every map of a multi-scale output back (``flip_output``)."""
    return [flip_lr(m) for m in maps]
