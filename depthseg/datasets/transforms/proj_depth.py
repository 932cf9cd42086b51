"""Projected depth maps of packnet-sfm's KITTI layout, as a training field
(SemiSup; packnet spec §3.4 "Depth path", §3.5 train transforms, quirks
Q8, Q35).

``<data_root>/<folder>/proj_depth/<depth_type>/image_0<cam>/<%010d>``:

* ``groundtruth``: the KITTI depth-benchmark PNG (uint16, metres·256, 0 =
  invalid);
* any other type (``velodyne``: raw LiDAR projected into the image, the
  original Eigen GT): an ``.npz`` with the key of the type, falling back to
  ``velodyne_depth`` (quirk Q8 fixed: the original always reads
  ``velodyne_depth``).

Invalid pixels are 0 (the original's PNG reader writes −1; both become
inverse depth 0, so the loss is the same).
"""
import os.path as osp
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.registry import TRANSFORMS
from depthseg.structures.fields import declare_fields


def proj_depth_path(data_root: str, folder: str, cam: int, frame_index: int,
                    depth_type: str) -> str:
    ext = '.png' if depth_type == 'groundtruth' else '.npz'
    return osp.join(data_root, folder, 'proj_depth', depth_type,
                    f'image_0{cam}', f'{int(frame_index):010d}{ext}')


def read_proj_depth(path: str, depth_type: str) -> np.ndarray:
    """float32 H×W metres (0 = invalid) of one file; errors name it."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Projected depth file {path} does not exist. Expected '
            '<data_root>/<date>/<drive>/proj_depth/<depth_type>/image_0X/'
            '<%010d>.npz (velodyne, key velodyne_depth) or .png '
            '(groundtruth, uint16 metres*256); packnet-sfm distributes them '
            'as KITTI_raw_velodyne.tar.gz / KITTI_raw_groundtruth.tar.gz.')
    try:
        if path.endswith('.png'):
            with Image.open(path) as img:
                raw = np.array(img)
            if raw.ndim != 2:
                raise ValueError(f'expected a single-channel uint16 PNG, got '
                                 f'shape {raw.shape}')
            return raw.astype(np.float32) / 256.
        with np.load(path, allow_pickle=False) as z:
            key = depth_type if depth_type in z.files else 'velodyne_depth'
            if key not in z.files:
                raise ValueError(f'no key {depth_type!r} or '
                                 f"'velodyne_depth' (keys {z.files})")
            depth = np.asarray(z[key], np.float32)
    except ValueError as e:
        raise ValueError(f'Malformed projected depth file {path}: {e}'
                         ) from None
    except Exception as e:  # zip / format errors
        raise OSError(f'Cannot read projected depth file {path}: {e}'
                      ) from e
    depth = np.squeeze(depth)
    if depth.ndim != 2:
        raise ValueError(f'Malformed projected depth file {path}: expected '
                         f'an H×W map, got shape {depth.shape}')
    return np.where(depth > 0, depth, 0).astype(np.float32)


def resize_depth_preserve(depth: np.ndarray, shape: Tuple[int, int]
                          ) -> np.ndarray:
    """The original's ``resize_depth_preserve`` (quirk Q35): every valid
    point (> 0) moves to ``(int(r·H'/H), int(c·W'/W))``; the last point
    written to a pixel wins; other pixels are 0."""
    h, w = depth.shape
    x = depth.reshape(-1)
    uv = np.mgrid[:h, :w].transpose(1, 2, 0).reshape(-1, 2)
    idx = x > 0
    crd, val = uv[idx], x[idx]
    crd[:, 0] = (crd[:, 0] * (shape[0] / h)).astype(np.int32)
    crd[:, 1] = (crd[:, 1] * (shape[1] / w)).astype(np.int32)
    idx = (crd[:, 0] < shape[0]) & (crd[:, 1] < shape[1])
    crd, val = crd[idx], val[idx]
    out = np.zeros(shape, np.float32)
    out[crd[:, 0], crd[:, 1]] = val
    return out


def resize_depth_nearest(depth: np.ndarray, shape: Tuple[int, int]
                         ) -> np.ndarray:
    """Centre-aligned nearest-neighbour resize (pixel i takes input pixel
    ``floor((i + 0.5)·in/out)``)."""
    h0, w0 = depth.shape
    h, w = shape
    rows = np.minimum(((np.arange(h) + 0.5) * h0 / h).astype(np.int64),
                      h0 - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * w0 / w).astype(np.int64),
                      w0 - 1)
    return depth[rows[:, None], cols[None, :]].astype(np.float32)


@TRANSFORMS.register_module()
class LoadProjectedDepth(BaseTransform):
    """Load a projected depth map of the target frame as a training field.

    Args:
        height, width: network size = the size of the output map.
        depth_type: ``'velodyne'`` (npz) or ``'groundtruth'`` (png); other
            names are npz files with that key (fallback ``velodyne_depth``).
        resize: ``'preserve'`` (the original's point scattering, quirk
            Q35; default) or ``'nearest'``.
        out_key: name of the field (``'sup_depth'``).

    Path: ``results['proj_depth_path']`` when given, else
    ``<data_root>/<folder>/proj_depth/<depth_type>/image_0<cam>/<%010d>``
    from the KITTI data info. Adds ``out_key``: float32 H×W metres (0 = no
    GT), declared ``pixel`` (nearest). Flip: placed after
    :class:`RandomFlip` the map is flipped here when ``results['flip']``;
    placed before it, ``RandomFlip`` flips it.
    """

    def __init__(self, height: int, width: int,
                 depth_type: str = 'velodyne', resize: str = 'preserve',
                 out_key: str = 'sup_depth'):
        if resize not in ('preserve', 'nearest'):
            raise ValueError("LoadProjectedDepth: resize must be 'preserve' "
                             f"or 'nearest', got {resize!r}")
        self.size = (int(height), int(width))
        self.depth_type = depth_type
        self.resize = resize
        self.out_key = out_key

    def get_path(self, results: dict) -> str:
        if results.get('proj_depth_path'):
            return results['proj_depth_path']
        missing = [k for k in ('data_root', 'folder', 'cam', 'frame_index')
                   if k not in results]
        if missing:
            raise KeyError(f'LoadProjectedDepth: the data info lacks '
                           f'{missing} (use a KITTI raw dataset)')
        return proj_depth_path(results['data_root'], results['folder'],
                               results['cam'], results['frame_index'],
                               self.depth_type)

    def transform(self, results: dict) -> dict:
        path = self.get_path(results)
        depth = read_proj_depth(path, self.depth_type)
        if depth.shape != self.size:
            fn = resize_depth_preserve if self.resize == 'preserve' else \
                resize_depth_nearest
            depth = fn(depth, self.size)
        if results.get('flip', False):
            depth = depth[:, ::-1]
        results[self.out_key] = np.ascontiguousarray(depth, np.float32)
        return declare_fields(results, {self.out_key: ('pixel', 'nearest')},
                              source=self)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(height={self.size[0]}, '
                f'width={self.size[1]}, depth_type={self.depth_type!r}, '
                f'resize={self.resize!r}, out_key={self.out_key!r})')
