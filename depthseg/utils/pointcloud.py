"""Back-project depth maps to coloured point clouds; binary PLY files.

Camera frame as the datasets': x right, y down, z forward (the depth's
units). Pixel centres lie at integer coordinates, as the datasets' pixel
``K`` (normalised ``K`` times (W, H)) assumes.
"""
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from .fileio import atomic_write

PLY_VERTEX = np.dtype([('x', '<f4'), ('y', '<f4'), ('z', '<f4'),
                       ('red', 'u1'), ('green', 'u1'), ('blue', 'u1')])
_PLY_PROPERTIES = [('float', 'x'), ('float', 'y'), ('float', 'z'),
                   ('uchar', 'red'), ('uchar', 'green'), ('uchar', 'blue')]


def pixel_intrinsics(K_norm: np.ndarray, height: int,
                     width: int) -> np.ndarray:
    """Normalised 3×3 (or 4×4) intrinsics -> 3×3 float64 pixel ``K`` of an
    H×W image (row 0 times W, row 1 times H)."""
    K = np.array(K_norm, np.float64)[:3, :3]
    K[0] *= width
    K[1] *= height
    return K


def depth_to_points(depth: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Depth H×W and pixel intrinsics 3×3 -> camera points H×W×3 float32.

    ``(x, y, z) = depth · K⁻¹ · (u, v, 1)`` for pixel column u, row v.
    """
    depth = np.asarray(depth, np.float64)
    if depth.ndim != 2:
        raise ValueError(f'depth must be H×W, got shape {depth.shape}')
    v, u = np.indices(depth.shape, dtype=np.float64)
    pixels = np.stack([u, v, np.ones_like(u)], -1)
    rays = pixels @ np.linalg.inv(np.asarray(K, np.float64)[:3, :3]).T
    return (rays * depth[..., None]).astype(np.float32)


def point_cloud(depth: np.ndarray, rgb: np.ndarray, K: np.ndarray,
                max_depth: Optional[float] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Coloured points of the pixels with finite depth in (0, max_depth].

    Args:
        depth: H×W depth (units of the output points).
        rgb: H×W×3 uint8 colours.
        K: 3×3 pixel intrinsics of the H×W image.
        max_depth: drop points farther than this (None: keep all).

    Returns:
        points N×3 float32 and colours N×3 uint8, row-major pixel order.
    """
    rgb = np.asarray(rgb)
    if rgb.shape != (*np.shape(depth), 3):
        raise ValueError(f'rgb must be H×W×3 for an H×W depth '
                         f'{np.shape(depth)}, got shape {rgb.shape}')
    depth = np.asarray(depth)
    keep = np.isfinite(depth) & (depth > 0)
    if max_depth is not None:
        keep &= depth <= max_depth
    return depth_to_points(depth, K)[keep], rgb[keep].astype(np.uint8)


def ply_bytes(points: np.ndarray,
              colors: Optional[np.ndarray] = None) -> bytes:
    """A binary little-endian PLY of N points (N×3) with N×3 uint8 colours
    (grey 128 when None): ``float x, y, z`` and ``uchar red, green, blue``
    per vertex, the layout Open3D, MeshLab and CloudCompare read."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'points must be N×3, got shape {points.shape}')
    if colors is None:
        colors = np.full(points.shape, 128, np.uint8)
    colors = np.asarray(colors)
    if colors.shape != points.shape:
        raise ValueError(f'colors must be N×3 like points {points.shape}, '
                         f'got shape {colors.shape}')
    vertices = np.empty(len(points), PLY_VERTEX)
    for i, axis in enumerate('xyz'):
        vertices[axis] = points[:, i]
    for i, channel in enumerate(('red', 'green', 'blue')):
        vertices[channel] = colors[:, i]
    header = ['ply', 'format binary_little_endian 1.0',
              'comment written by depthseg',
              f'element vertex {len(points)}']
    header += [f'property {kind} {name}' for kind, name in _PLY_PROPERTIES]
    header.append('end_header\n')
    return '\n'.join(header).encode('ascii') + vertices.tobytes()


def write_ply(path: Union[str, Path], points: np.ndarray,
              colors: Optional[np.ndarray] = None) -> None:
    """Write :func:`ply_bytes` to ``path`` atomically."""
    atomic_write(ply_bytes(points, colors), path)


def read_ply(path: Union[str, Path]) -> Tuple[np.ndarray, np.ndarray]:
    """Read a PLY written by :func:`write_ply`: (points N×3 float32,
    colours N×3 uint8). Other layouts raise ValueError."""
    data = Path(path).read_bytes()
    end = data.find(b'end_header\n')
    if not data.startswith(b'ply\n') or end < 0:
        raise ValueError(f'{path} is not a PLY file (no ply / end_header '
                         'lines)')
    lines = [ln for ln in data[:end].decode('ascii').splitlines()
             if not ln.startswith('comment')]
    count = _vertex_count(lines, path)
    expected: Sequence[str] = [
        'ply', 'format binary_little_endian 1.0', f'element vertex {count}'
    ] + [f'property {kind} {name}' for kind, name in _PLY_PROPERTIES]
    if lines != expected:
        raise ValueError(f'{path}: unsupported PLY layout; read_ply reads '
                         'the binary little-endian x, y, z (float) + red, '
                         'green, blue (uchar) vertices of write_ply; open '
                         'other files with Open3D or plyfile')
    body = data[end + len(b'end_header\n'):]
    if len(body) != count * PLY_VERTEX.itemsize:
        raise ValueError(f'{path}: {len(body)} bytes of vertex data, '
                         f'expected {count} × {PLY_VERTEX.itemsize} '
                         '(truncated file?)')
    vertices = np.frombuffer(body, PLY_VERTEX)
    points = np.stack([vertices[a] for a in 'xyz'], 1)
    colors = np.stack([vertices[c] for c in ('red', 'green', 'blue')], 1)
    return points, colors


def _vertex_count(lines: Sequence[str], path) -> int:
    for line in lines:
        if line.startswith('element vertex '):
            return int(line.split()[2])
    raise ValueError(f'{path}: PLY header has no "element vertex" line')
