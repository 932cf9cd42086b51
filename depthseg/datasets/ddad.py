"""DDAD (Dense Depth for Automated Driving) in its DGP layout, read without
the ``dgp`` package (packnet spec §3.4 "DDAD via DGP", quirk Q26).

The PyPI package named ``dgp`` is an unrelated project (TRI's DGP is only
installable from its repository), so depthseg reads the DGP files itself::

    <data_root>/ddad.json                      scene_splits: {"0": train,
                                                 "1": val, "2": test}
                                                 {"filenames": [...]}
    <data_root>/<scene>/scene_<hash>.json      samples + data (datums)
    <data_root>/<scene>/calibration/<key>.json names, intrinsics, extrinsics
    <data_root>/<scene>/rgb/CAMERA_XX/<timestamp>.png
    <data_root>/<scene>/point_cloud/LIDAR/<timestamp>.npz   key 'data'
                                                 (N×≥3 X, Y, Z, ...)
    <data_root>/<scene>/depth/lidar/CAMERA_XX/<timestamp>.npz  optional
                                                 cache, key 'depth'

* A scene json holds ``samples`` (in time order; each with ``datum_keys``
  and a ``calibration_key``) and ``data`` (``{key, id: {name, ...},
  datum: {image | point_cloud: {filename, ...}}}``). Field names are the
  protobuf ones (snake_case, as DGP writes them); camelCase is accepted.
* Calibration: ``names`` aligned with ``intrinsics`` (``fx, fy, cx, cy,
  skew``) and ``extrinsics`` (sensor -> vehicle, ``translation {x, y, z}``,
  ``rotation {qx, qy, qz, qw}``).
* Depth (``depth_type='lidar'``): the cached map when it exists (what
  packnet-sfm writes on first use), otherwise the LiDAR sweep projected into
  the camera on the fly (``p_cam = E_cam⁻¹ · E_lidar · p``; pixel
  ``round(K·p_cam / z)``; points with z > 0 inside the image; the last
  point written to a pixel wins), DGP's ``generate_depth_map``. Nothing is
  written.
* Samples need their temporal neighbours (``frame_ids``) inside the same
  scene (the original's context filtering). Evaluation: no crop, 0-200 m
  (``configs/_base_/datasets/ddad.py``).
"""
import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset

from depthseg.registry import DATASETS, TRANSFORMS

#: DGP's DatasetSplit enum values in ``ddad.json`` (scene_splits keys)
SPLITS = {'train': '0', 'val': '1', 'test': '2', 'train_overfit': '3'}


def _get(d: dict, snake: str, default=None):
    """``d[snake]``, or its camelCase spelling."""
    if snake in d:
        return d[snake]
    parts = snake.split('_')
    return d.get(parts[0] + ''.join(p.title() for p in parts[1:]), default)


def _read_json(path: str, what: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'DDAD {what} {path} does not exist. Expected the DGP layout '
            '<data_root>/ddad.json and <data_root>/<scene>/scene_*.json, '
            '<scene>/calibration/*.json (download DDAD.tar from '
            'https://tri-ml-public.s3.amazonaws.com/github/DDAD/datasets/'
            'DDAD.tar and extract it into data_root).')
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise ValueError(f'Malformed DDAD {what} {path}: {e}') from None


def quat_to_matrix(q: dict) -> np.ndarray:
    """3×3 rotation of a DGP quaternion ``{qx, qy, qz, qw}``."""
    x, y, z, w = (float(q.get(k, 0.0)) for k in ('qx', 'qy', 'qz', 'qw'))
    n = np.sqrt(x * x + y * y + z * z + w * w)
    if n == 0:
        raise ValueError('zero quaternion')
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]
    ])


def pose_matrix(pose: dict) -> np.ndarray:
    """4×4 of a DGP pose ``{translation: {x, y, z}, rotation: {...}}``."""
    T = np.eye(4)
    T[:3, :3] = quat_to_matrix(pose.get('rotation', {'qw': 1.0}))
    t = pose.get('translation', {})
    T[:3, 3] = [float(t.get(k, 0.0)) for k in ('x', 'y', 'z')]
    return T


def intrinsics_matrix(intr: dict) -> np.ndarray:
    """3×3 pixel K of DGP intrinsics (fx, fy, cx, cy, skew)."""
    return np.array([[float(intr['fx']), float(intr.get('skew', 0.0)),
                      float(intr['cx'])],
                     [0.0, float(intr['fy']), float(intr['cy'])],
                     [0.0, 0.0, 1.0]])


def project_lidar(points: np.ndarray, K: np.ndarray, cam_from_lidar:
                  np.ndarray, size) -> np.ndarray:
    """float32 H×W depth (0 = none) of lidar points (N×≥3, sensor frame)
    in a camera; last point per pixel wins."""
    h, w = size
    xyz = np.asarray(points, np.float64)[:, :3]
    cam = xyz @ cam_from_lidar[:3, :3].T + cam_from_lidar[:3, 3]
    z = cam[:, 2]
    front = z > 0
    cam, z = cam[front], z[front]
    uvw = cam @ K.T
    u = np.round(uvw[:, 0] / z).astype(np.int64)
    v = np.round(uvw[:, 1] / z).astype(np.int64)
    inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    depth = np.zeros((h, w), np.float32)
    depth[v[inside], u[inside]] = z[inside]
    return depth


@DATASETS.register_module()
class DDADDataset(BaseDataset):
    """DDAD / any DGP scene dataset, one camera per sample.

    Args:
        data_root: folder of ``ann_file`` (the scene paths are relative to
            it).
        ann_file: the dataset json (``'ddad.json'``).
        split: ``'train'``, ``'val'`` (DDAD's evaluation split), ``'test'``.
        cameras: camera names (``'CAMERA_01'``; case-insensitive, the
            original's ``camera_01``); each (sample, camera) is one item.
        frame_ids: temporal offsets (ints) of the frames to load; samples
            whose neighbours fall outside their scene are dropped.
        depth_type: ``'lidar'`` (the LiDAR datum named ``LIDAR``).

    Data infos: ``img_paths`` ({fid: path}), ``img_path``, ``K`` (float32
    4×4 normalised by the image width / height, as the KITTI datasets),
    ``K_pixels`` (3×3), ``img_size`` (H, W), ``camera``, ``scene``,
    ``sample_index``, ``lidar_path``, ``cam_from_lidar`` (4×4),
    ``depth_cache_path``, ``frame_ids``, ``sample_idx``.
    """

    def __init__(self, data_root: str = '', ann_file: str = 'ddad.json',
                 split: str = 'val',
                 cameras: Sequence[str] = ('CAMERA_01', ),
                 frame_ids: Sequence[int] = (0, ),
                 depth_type: str = 'lidar', lidar_name: str = 'LIDAR',
                 pipeline: Sequence = (), test_mode: bool = False,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(f'DDADDataset: split must be one of '
                             f'{tuple(SPLITS)}, got {split!r}')
        for fid in frame_ids:
            if not isinstance(fid, int):
                raise ValueError('DDADDataset: frame_ids must be ints, got '
                                 f'{list(frame_ids)}')
        if depth_type != 'lidar':
            raise ValueError("DDADDataset: depth_type must be 'lidar', got "
                             f'{depth_type!r}')
        self.split = split
        self.cameras = [c.upper() for c in cameras]
        self.frame_ids = list(frame_ids)
        self.depth_type = depth_type
        self.lidar_name = lidar_name.upper()
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        meta = _read_json(self.ann_file, 'dataset json')
        splits = _get(meta, 'scene_splits')
        if not isinstance(splits, dict):
            raise ValueError(f'Malformed DDAD dataset json {self.ann_file}: '
                             'no scene_splits')
        key = SPLITS[self.split]
        entry = splits.get(key, splits.get(self.split.upper()))
        if entry is None:
            raise ValueError(
                f'DDAD dataset json {self.ann_file} has no split '
                f'{self.split!r} (scene_splits key {key}); it has '
                f'{sorted(splits)}')
        root = osp.dirname(self.ann_file)
        data_list = []
        for scene_file in entry.get('filenames', []):
            data_list += self._scene(root, scene_file, len(data_list))
        return data_list

    def _scene(self, root: str, scene_file: str, start: int) -> List[dict]:
        path = osp.join(root, scene_file)
        scene = _read_json(path, 'scene json')
        scene_dir = osp.dirname(path)
        datums = {d['key']: d for d in scene.get('data', [])}
        samples = scene.get('samples', [])
        calibs: Dict[str, dict] = {}

        def find(sample, name, kind):
            for k in _get(sample, 'datum_keys', []):
                d = datums.get(k)
                if d is None:
                    raise ValueError(f'{path}: datum key {k!r} of a sample '
                                     'is not in the scene data')
                if d['id']['name'].upper() == name and kind in d['datum']:
                    return d
            return None

        out = []
        n = len(samples)
        for i, sample in enumerate(samples):
            if any(not 0 <= i + f < n for f in self.frame_ids):
                continue
            ckey = _get(sample, 'calibration_key')
            if ckey not in calibs:
                calibs[ckey] = _read_json(
                    osp.join(scene_dir, 'calibration', f'{ckey}.json'),
                    'calibration json')
            calib = calibs[ckey]
            names = [c.upper() for c in calib.get('names', [])]
            for cam in self.cameras:
                imgs = {}
                for f in self.frame_ids:
                    d = find(samples[i + f], cam, 'image')
                    if d is None:
                        break
                    imgs[f] = osp.join(scene_dir,
                                       d['datum']['image']['filename'])
                if len(imgs) != len(self.frame_ids):
                    continue  # the camera is missing in a frame
                if cam not in names or self.lidar_name not in names:
                    raise ValueError(
                        f'{path}: calibration {ckey} lacks {cam} or '
                        f'{self.lidar_name} (names {names})')
                ci, li = names.index(cam), names.index(self.lidar_name)
                K = intrinsics_matrix(calib['intrinsics'][ci])
                E_cam = pose_matrix(calib['extrinsics'][ci])
                E_lidar = pose_matrix(calib['extrinsics'][li])
                image = find(sample, cam, 'image')['datum']['image']
                h, w = int(image['height']), int(image['width'])
                lidar = find(sample, self.lidar_name, 'point_cloud')
                rel = image['filename']
                stem = osp.splitext(rel.split('/', 1)[1])[0]
                K_norm = np.eye(4, dtype=np.float32)
                K_norm[:3, :3] = K / np.array([[w], [h], [1]])
                ref = 0 if 0 in imgs else self.frame_ids[0]
                out.append(dict(
                    img_paths=imgs, img_path=imgs[ref], K=K_norm,
                    K_pixels=K.astype(np.float32), img_size=(h, w),
                    camera=cam, scene=osp.relpath(scene_dir, self.data_root
                                                  or scene_dir),
                    sample_index=i,
                    lidar_path=None if lidar is None else osp.join(
                        scene_dir, lidar['datum']['point_cloud']['filename']),
                    cam_from_lidar=np.linalg.inv(E_cam) @ E_lidar,
                    depth_cache_path=osp.join(
                        scene_dir, 'depth', self.depth_type,
                        f'{stem}.npz'),
                    frame_ids=list(self.frame_ids), data_root=self.data_root,
                    ann_file=self.ann_file, line=f'{scene_file}#{i}',
                    line_no=i, sample_idx=start + len(out)))
        return out


@TRANSFORMS.register_module()
class LoadDDADDepth(BaseTransform):
    """DDAD LiDAR depth of the target at native resolution.

    The cached map (``depth_cache_path``, key ``depth``) when it exists,
    otherwise the LiDAR sweep (``lidar_path``, npz key ``data``) projected
    with ``K_pixels`` and ``cam_from_lidar`` (see the module docstring).
    Adds ``gt_depth`` (float32 H×W metres, 0 = none). Errors name the file.
    """

    def transform(self, results: dict) -> dict:
        cache = results.get('depth_cache_path')
        if cache and osp.isfile(cache):
            depth = self._npz(cache, 'depth')
        else:
            path = results.get('lidar_path')
            if not path or not osp.isfile(path):
                raise FileNotFoundError(
                    f'DDAD LiDAR sweep {path} (for {results.get("line")}) '
                    f'does not exist, nor the depth cache {cache}. Expected '
                    '<scene>/point_cloud/LIDAR/<timestamp>.npz (key data).')
            points = self._npz(path, 'data')
            if points.ndim != 2 or points.shape[1] < 3:
                raise ValueError(f'Malformed DDAD point cloud {path}: '
                                 f'expected N×≥3, got {points.shape}')
            depth = project_lidar(points, results['K_pixels'],
                                  results['cam_from_lidar'],
                                  results['img_size'])
        results['gt_depth'] = np.where(depth > 0, depth, 0).astype(
            np.float32)
        return results

    @staticmethod
    def _npz(path: str, key: str) -> np.ndarray:
        try:
            with np.load(path, allow_pickle=False) as z:
                if key not in z.files:
                    raise ValueError(f'no key {key!r} (keys {z.files})')
                return np.squeeze(np.asarray(z[key], np.float32)) \
                    if key == 'depth' else np.asarray(z[key], np.float64)
        except ValueError as e:
            raise ValueError(f'Malformed DDAD file {path}: {e}') from None
        except Exception as e:
            raise OSError(f'Cannot read DDAD file {path}: {e}') from e
