"""Per-drive KITTI intrinsics (PackNet-SfM's ``KITTIDataset``, packnet spec
§3.4: ``P_rect_02[:, :3]`` / ``P_rect_03[:, :3]`` of
``calib_cam_to_cam.txt``), instead of Monodepth2's average :data:`KITTI_K`.
"""
import os.path as osp
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from depthseg.datasets.kitti_utils import read_calib_file
from depthseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadKittiIntrinsics(BaseTransform):
    """Replace ``results['K']`` with the drive's rectified camera matrix.

    Reads ``P_rect_0{cam}`` from ``<calib_dir>/calib_cam_to_cam.txt``
    (``calib_dir`` and ``cam`` of the KITTI data info) and normalises its
    first two rows by the loaded frame's width and height
    (``results['ori_shape']``: put it after ``LoadFrames``), so that the
    data preprocessor's ``K · (W, H)`` at the network size equals
    PackNet's ``fx·W'/W, cx·W'/W`` resize scaling. Parsed files are cached
    per path.
    """

    _cache: Dict[str, np.ndarray] = {}

    def __init__(self, calib_file: str = 'calib_cam_to_cam.txt'):
        self.calib_file = calib_file

    def projection(self, calib_dir: str, cam: int) -> np.ndarray:
        """``P_rect_0{cam}`` as a 3×4 float64 array (cached)."""
        path = osp.join(calib_dir, self.calib_file)
        key = f'{path}#{cam}'
        if key not in self._cache:
            calib = read_calib_file(path)
            name = f'P_rect_0{cam}'
            if name not in calib or not isinstance(calib[name], np.ndarray):
                raise KeyError(f'{path} has no numeric {name} entry')
            self._cache[key] = calib[name].reshape(3, 4)
        return self._cache[key]

    def transform(self, results: dict) -> dict:
        if 'ori_shape' not in results:
            raise KeyError('LoadKittiIntrinsics needs ori_shape: put it '
                           'after LoadFrames in the pipeline')
        P = self.projection(results['calib_dir'], int(results['cam']))
        height, width = results['ori_shape']
        K = np.eye(4, dtype=np.float32)
        K[0, :3] = P[0, :3] / width
        K[1, :3] = P[1, :3] / height
        results['K'] = K
        return results
