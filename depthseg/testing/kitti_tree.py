"""Tiny synthetic KITTI raw / odometry trees for tests and smoke runs.

Images are a smooth random texture seen through a window that slides a few
pixels per frame (so neighbouring frames overlap); the right camera sees the
same texture shifted by the stereo disparity. Calibration texts follow the
KITTI formats, scaled to the requested image size.
"""
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
from PIL import Image

from depthseg.datasets.kitti_utils import (VELO_TO_CAM_R, VELO_TO_CAM_T,
                                           format_calib, velo_to_cam_text)

# Real KITTI (2011_09_26) values used as a template.
_FX_FULL, _W_FULL = 721.5377, 1242
_BASELINE = 0.54  # metres between the colour cameras


def _intrinsics(size: Tuple[int, int]):
    """(fx, cx, cy) of the rectified cameras at size (H, W)."""
    h, w = size
    return _FX_FULL * w / _W_FULL, w / 2.0, h / 2.0


def _projections(size) -> Dict[int, np.ndarray]:
    fx, cx, cy = _intrinsics(size)
    base = np.array([[fx, 0, cx, 0], [0, fx, cy, 0], [0, 0, 1, 0]])
    projs = {}
    for cam, tx in ((0, 0.0), (1, -_BASELINE), (2, 0.06), (3, -0.48)):
        p = base.copy()
        p[0, 3] = fx * tx
        projs[cam] = p
    return projs


def _cam_to_cam_text(size) -> str:
    h, w = size
    fx, cx, cy = _intrinsics(size)
    k = np.array([[fx, 0, cx], [0, fx, cy], [0, 0, 1]])
    lines = ['calib_time: 09-Jan-2012 13:57:47', 'corner_dist: 9.950000e-02']
    for cam, p in _projections(size).items():
        lines += [
            f'S_0{cam}: {format_calib([w, h])}',
            f'K_0{cam}: {format_calib(k)}',
            f'D_0{cam}: {format_calib([0, 0, 0, 0, 0])}',
            f'R_0{cam}: {format_calib(np.eye(3))}',
            f'T_0{cam}: {format_calib([p[0, 3] / fx, 0, 0])}',
            f'S_rect_0{cam}: {format_calib([w, h])}',
            f'R_rect_0{cam}: {format_calib(np.eye(3))}',
            f'P_rect_0{cam}: {format_calib(p)}'
        ]
    return '\n'.join(lines) + '\n'


def _velodyne_scan(rng, size, num_points: int = 1500) -> np.ndarray:
    """float32 N×4 LiDAR points (x fwd, y left, z up, reflectance) that
    project into the image of camera 2 (plus a few behind the car)."""
    h, w = size
    fx, cx, cy = _intrinsics(size)
    z = rng.uniform(3.0, 60.0, num_points)
    u = rng.uniform(0, w, num_points)
    v = rng.uniform(h * 0.4, h, num_points)
    cam = np.stack([(u - cx) * z / fx, (v - cy) * z / fx, z], axis=1)
    velo = (cam - VELO_TO_CAM_T) @ VELO_TO_CAM_R  # inverse of cam = R·velo + T
    velo[:8, 0] *= -1  # a few points behind the sensor
    refl = rng.uniform(0, 1, (num_points, 1))
    return np.concatenate([velo, refl], axis=1).astype(np.float32)


def _sparse_depth_png(rng, size) -> np.ndarray:
    """uint16 (H, W) KITTI depth PNG: metres·256 on ~5% of pixels, else 0."""
    depth = rng.uniform(3.0, 80.0, size) * (rng.uniform(0, 1, size) < 0.05)
    return np.round(depth * 256).astype(np.uint16)


def _texture(rng, h: int, w: int) -> np.ndarray:
    """Smooth random uint8 RGB texture of size h×w."""
    coarse = rng.uniform(0, 255, (max(h // 4, 2), max(w // 4, 2), 3))
    img = Image.fromarray(coarse.astype(np.uint8)).resize(
        (w, h), Image.Resampling.BILINEAR)
    noise = rng.normal(0, 12, (h, w, 3))
    return np.clip(np.asarray(img, np.float64) + noise, 0, 255).astype(
        np.uint8)


def _write_frames(rng, dirs: Dict[int, str], names: Sequence[str], size,
                  shift: int = 3, disparity: int = 4):
    """Write one image per name into each camera folder (2 = left)."""
    h, w = size
    n = len(names)
    tex = _texture(rng, h, w + shift * n + disparity)
    for i, name in enumerate(names):
        for cam, offset in ((2, 0), (3, disparity)):
            x0 = shift * i + offset
            Image.fromarray(tex[:, x0:x0 + w]).save(
                osp.join(dirs[cam], name), quality=92)


def _write_split(path: str, lines: Sequence[str]):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def make_kitti_raw_tree(
        root: str,
        drives: Sequence[Tuple[str, str]] = (
            ('2011_09_26', '2011_09_26_drive_0001_sync'), ),
        num_frames: int = 6,
        size: Tuple[int, int] = (48, 160),
        ext: str = '.jpg',
        with_velodyne: bool = True,
        with_gt_png: bool = False,
        seed: int = 0) -> dict:
    """Write a tiny KITTI raw tree under ``root``.

    Layout: ``<root>/<date>/calib_{cam_to_cam,velo_to_cam}.txt`` and
    ``<root>/<date>/<drive>/image_0{2,3}/data/{i:010d}<ext>``, optional
    ``velodyne_points/data/{i:010d}.bin`` and
    ``proj_depth/groundtruth/image_0{2,3}/{i:010d}.png`` (uint16, m·256);
    split files ``<root>/splits/{train,val,test}_files.txt``. Train / val
    lines use frames 1..num_frames−2 (so −1 / +1 exist), alternating l / r;
    test lines use zero-padded indices and side l.

    Returns:
        dict with ``root``, ``train``, ``val``, ``test`` (split paths),
        ``calib_dirs`` ({date: dir}) and ``drives`` (list of drive dirs).
    """
    rng = np.random.default_rng(seed)
    names = [f'{i:010d}' for i in range(num_frames)]
    out = dict(root=root, calib_dirs={}, drives=[])
    train, val, test = [], [], []
    for date, drive in drives:
        calib_dir = osp.join(root, date)
        os.makedirs(calib_dir, exist_ok=True)
        with open(osp.join(calib_dir, 'calib_cam_to_cam.txt'), 'w') as f:
            f.write(_cam_to_cam_text(size))
        with open(osp.join(calib_dir, 'calib_velo_to_cam.txt'), 'w') as f:
            f.write(velo_to_cam_text())
        out['calib_dirs'][date] = calib_dir

        drive_dir = osp.join(root, date, drive)
        dirs = {}
        for cam in (2, 3):
            dirs[cam] = osp.join(drive_dir, f'image_0{cam}', 'data')
            os.makedirs(dirs[cam], exist_ok=True)
        _write_frames(rng, dirs, [n + ext for n in names], size)
        if with_velodyne:
            velo_dir = osp.join(drive_dir, 'velodyne_points', 'data')
            os.makedirs(velo_dir, exist_ok=True)
            for name in names:
                _velodyne_scan(rng, size).tofile(
                    osp.join(velo_dir, name + '.bin'))
        if with_gt_png:
            for cam in (2, 3):
                gt_dir = osp.join(drive_dir, 'proj_depth', 'groundtruth',
                                  f'image_0{cam}')
                os.makedirs(gt_dir, exist_ok=True)
                for name in names:
                    Image.fromarray(_sparse_depth_png(rng, size)).save(
                        osp.join(gt_dir, name + '.png'))
        out['drives'].append(drive_dir)

        folder = f'{date}/{drive}'
        inner = list(range(1, num_frames - 1))
        train += [f'{folder} {i} {"lr"[i % 2]}' for i in inner]
        val += [f'{folder} {i} {"rl"[i % 2]}' for i in inner[:2]]
        test += [f'{folder} {i:010d} l' for i in range(num_frames)]
    for split, lines in (('train', train), ('val', val), ('test', test)):
        out[split] = osp.join(root, 'splits', f'{split}_files.txt')
        _write_split(out[split], lines)
    return out


def make_kitti_odom_tree(root: str,
                         sequences: Sequence[int] = (9, ),
                         num_frames: int = 6,
                         size: Tuple[int, int] = (48, 160),
                         ext: str = '.jpg',
                         seed: int = 0) -> dict:
    """Write a tiny KITTI odometry tree under ``root``.

    Layout: ``<root>/sequences/XX/image_{2,3}/{i:06d}<ext>``,
    ``<root>/sequences/XX/calib.txt`` (P0..P3, Tr) and ``<root>/poses/XX.txt``
    (one row-major 3×4 camera-to-world pose per frame, driving forward
    0.5 m per frame); split files ``<root>/splits/{train,val,test}_files.txt``
    with lines ``<seq> <frame> <side>``.

    Returns:
        dict with ``root``, ``train``, ``val``, ``test`` and ``sequences``
        (list of sequence dirs).
    """
    rng = np.random.default_rng(seed)
    out = dict(root=root, sequences=[])
    train, val, test = [], [], []
    pose_dir = osp.join(root, 'poses')
    os.makedirs(pose_dir, exist_ok=True)
    for seq in sequences:
        seq_dir = osp.join(root, 'sequences', f'{seq:02d}')
        dirs = {}
        for cam in (2, 3):
            dirs[cam] = osp.join(seq_dir, f'image_{cam}')
            os.makedirs(dirs[cam], exist_ok=True)
        _write_frames(rng, dirs, [f'{i:06d}{ext}' for i in range(num_frames)],
                      size)
        tr = np.concatenate([VELO_TO_CAM_R, VELO_TO_CAM_T[:, None]], axis=1)
        with open(osp.join(seq_dir, 'calib.txt'), 'w') as f:
            for cam, p in _projections(size).items():
                f.write(f'P{cam}: {format_calib(p)}\n')
            f.write(f'Tr: {format_calib(tr)}\n')
        with open(osp.join(pose_dir, f'{seq:02d}.txt'), 'w') as f:
            for i in range(num_frames):
                pose = np.eye(4)[:3]
                pose[2, 3] = 0.5 * i
                f.write(format_calib(pose) + '\n')
        out['sequences'].append(seq_dir)
        inner = list(range(1, num_frames - 1))
        train += [f'{seq} {i} {"lr"[i % 2]}' for i in inner]
        val += [f'{seq} {i} l' for i in inner[:2]]
        test += [f'{seq} {i} l' for i in range(num_frames)]
    for split, lines in (('train', train), ('val', val), ('test', test)):
        out[split] = osp.join(root, 'splits', f'{split}_files.txt')
        _write_split(out[split], lines)
    return out
