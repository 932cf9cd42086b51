"""A tiny DDAD tree in the DGP layout (see :mod:`depthseg.datasets.ddad`)
for tests: one or more scenes of a few samples, one camera looking along
the vehicle's x axis, a LiDAR at the vehicle origin whose points project to
known pixels at known depths."""
import json
import os
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
from PIL import Image

#: camera -> vehicle rotation of a forward camera (camera z = vehicle x,
#: camera x = −vehicle y, camera y = −vehicle z), as a quaternion
_CAM_ROT = np.array([[0., 0, 1], [-1, 0, 0], [0, -1, 0]])


def _quat(R: np.ndarray) -> dict:
    w = np.sqrt(max(1 + R[0, 0] + R[1, 1] + R[2, 2], 0)) / 2
    x = (R[2, 1] - R[1, 2]) / (4 * w)
    y = (R[0, 2] - R[2, 0]) / (4 * w)
    z = (R[1, 0] - R[0, 1]) / (4 * w)
    return dict(qx=x, qy=y, qz=z, qw=w)


def make_ddad_tree(root: str, scenes: int = 1, frames: int = 3,
                   size: Tuple[int, int] = (32, 48),
                   cam_height: float = 1.5,
                   points: Sequence[Tuple[int, int, float]] = (
                       (10, 20, 5.0), (20, 30, 150.0), (25, 5, 210.0)),
                   seed: int = 0) -> Dict:
    """Write ``ddad.json`` with every scene in train (``"0"``) and val
    (``"1"``), and per scene ``scene_<i>.json``, ``calibration/calib.json``,
    ``rgb/CAMERA_01/<ts>.png`` and ``point_cloud/LIDAR/<ts>.npz``.

    ``points``: (row, col, depth) pixels the LiDAR sweep of every sample
    hits (the camera sits ``cam_height`` above the LiDAR; fx = fy = W,
    principal point at the image centre).

    Returns:
        dict with ``json`` (the dataset json path), ``K`` (3×3 pixels),
        ``depth`` (the expected H×W map) and ``scenes`` (scene folders).
    """
    h, w = size
    rng = np.random.default_rng(seed)
    K = np.array([[w, 0., w / 2], [0., w, h / 2], [0, 0, 1]])
    cam_t = np.array([0.2, 0.0, cam_height])  # camera in the vehicle frame
    depth = np.zeros((h, w), np.float32)
    lidar_pts = []
    for r, c, z in points:
        p_cam = np.linalg.inv(K) @ np.array([c, r, 1.0]) * z
        lidar_pts.append(_CAM_ROT @ p_cam + cam_t)  # lidar = vehicle frame
        depth[r, c] = z
    # points behind the camera never show up
    lidar_pts.append(np.array([-5.0, 0.0, 0.0]))
    lidar = np.concatenate([np.array(lidar_pts),
                            np.ones((len(lidar_pts), 1))], 1)
    splits = []
    out = dict(K=K, depth=depth, scenes=[])
    for s in range(scenes):
        name = f'{s:06d}'
        scene_dir = osp.join(root, name)
        for sub in ('rgb/CAMERA_01', 'point_cloud/LIDAR', 'calibration'):
            os.makedirs(osp.join(scene_dir, sub), exist_ok=True)
        calib = dict(
            names=['CAMERA_01', 'LIDAR'],
            intrinsics=[dict(fx=K[0, 0], fy=K[1, 1], cx=K[0, 2],
                             cy=K[1, 2], skew=0.0), dict()],
            extrinsics=[dict(translation=dict(zip('xyz', cam_t.tolist())),
                             rotation=_quat(_CAM_ROT)),
                        dict(translation=dict(x=0.0, y=0.0, z=0.0),
                             rotation=dict(qx=0.0, qy=0.0, qz=0.0,
                                           qw=1.0))])
        with open(osp.join(scene_dir, 'calibration', 'calib.json'),
                  'w') as f:
            json.dump(calib, f)
        samples, data = [], []
        for i in range(frames):
            ts = str(1562000000000000 + 100000 * i + s)
            img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            Image.fromarray(img).save(
                osp.join(scene_dir, 'rgb', 'CAMERA_01', ts + '.png'))
            np.savez(osp.join(scene_dir, 'point_cloud', 'LIDAR',
                              ts + '.npz'), data=lidar)
            keys = [f'img{s}_{i}', f'pc{s}_{i}']
            data += [
                dict(id=dict(name='CAMERA_01', index=str(i)), key=keys[0],
                     datum=dict(image=dict(
                         filename=f'rgb/CAMERA_01/{ts}.png', height=h,
                         width=w, channels=3))),
                dict(id=dict(name='LIDAR', index=str(i)), key=keys[1],
                     datum=dict(point_cloud=dict(
                         filename=f'point_cloud/LIDAR/{ts}.npz',
                         point_format=['X', 'Y', 'Z', 'INTENSITY'])))]
            samples.append(dict(id=dict(index=str(i)), datum_keys=keys,
                                calibration_key='calib'))
        with open(osp.join(scene_dir, f'scene_{s}.json'), 'w') as f:
            json.dump(dict(name=name, samples=samples, data=data), f)
        splits.append(f'{name}/scene_{s}.json')
        out['scenes'].append(scene_dir)
    out['json'] = osp.join(root, 'ddad.json')
    with open(out['json'], 'w') as f:
        json.dump(dict(metadata=dict(name='DDAD_tiny'),
                       scene_splits={'0': dict(filenames=splits),
                                     '1': dict(filenames=splits)}), f)
    return out
