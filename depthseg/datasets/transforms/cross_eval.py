"""Loading transforms of the cross-dataset depth test sets (NYUv2, Make3D;
BDEdepth spec §9.2)."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.datasets.nyuv2 import nyu_K
from depthseg.registry import TRANSFORMS

#: NYUv2 evaluation crop (rows 44:471, columns 40:601) of the 480×640 maps.
NYU_CROP = (44, 471, 40, 601)
#: Make3D image crop box (left, top, right, bottom) of the 1704×2272 images.
MAKE3D_IMG_BOX = (0, 710, 1704, 1562)
#: Make3D GT rows kept of the 55×305 laser grid.
MAKE3D_GT_ROWS = (17, 38)
#: NYUv2 test intrinsics normalised by the cropped size 561×427 (principal
#: point shifted by the crop), as the original's test-mode NYUDataset.
NYU_TEST_K = nyu_K(NYU_CROP)
#: Make3D has no calibration: a nominal normalised K (KITTI's), only needed
#: by the batch format; depth evaluation does not use it.
MAKE3D_NOMINAL_K = np.array([[0.58, 0, 0.5, 0], [0, 1.92, 0.5, 0],
                             [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)


def _where(results: dict) -> str:
    return (f"line {results.get('line_no')} of split file "
            f"{results.get('ann_file')}: {results.get('line')!r}")


@TRANSFORMS.register_module()
class LoadNYUv2H5(BaseTransform):
    """Read an NYUv2 test ``.h5`` (``rgb`` 3×480×640 uint8, ``depth``
    480×640 metres) and crop both to ``[44:471, 40:601]`` (427×561).

    Adds ``imgs`` ({0: PIL RGB}), ``ori_shape``, ``gt_depth`` (float32)
    and ``K`` (:data:`NYU_TEST_K`).
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'NYUv2 test file {path} ({_where(results)}) does not exist. '
                'Fix: put the 654 NYUv2 test h5 files (nyu_test/00001.h5, '
                '... as in splits/nyuv2/test_files.txt) under data_root, or '
                'set test_dataloader.dataset.data_root.')
        try:
            import h5py
        except ImportError as e:  # pragma: no cover
            raise ImportError('NYUv2 evaluation needs h5py: pip install '
                              'h5py') from e
        try:
            with h5py.File(path, 'r') as f:
                rgb = np.array(f['rgb'])
                depth = np.array(f['depth'])
        except (OSError, KeyError) as e:
            raise OSError(
                f'Cannot read {path} ({_where(results)}): {e}. Expected an '
                "h5 file with datasets 'rgb' (3×480×640 uint8) and 'depth' "
                '(480×640, metres).') from e
        if rgb.ndim != 3 or rgb.shape[0] != 3 or depth.shape != \
                rgb.shape[1:]:
            raise ValueError(
                f'{path}: expected rgb 3×H×W and depth H×W, got rgb '
                f'{rgb.shape} and depth {depth.shape}')
        top, bottom, left, right = NYU_CROP
        if depth.shape[0] < bottom or depth.shape[1] < right:
            raise ValueError(f'{path}: maps of shape {depth.shape} are '
                             'smaller than the 480×640 NYUv2 frames')
        rgb = np.ascontiguousarray(
            rgb.transpose(1, 2, 0)[top:bottom, left:right])
        results['imgs'] = {0: Image.fromarray(rgb.astype(np.uint8))}
        results['K'] = NYU_TEST_K.copy()
        results['ori_shape'] = rgb.shape[:2]
        results['gt_depth'] = np.ascontiguousarray(
            depth[top:bottom, left:right], dtype=np.float32)
        return results


@TRANSFORMS.register_module()
class LoadMake3D(BaseTransform):
    """Read a Make3D test image and its laser depth grid.

    Image: ``img_path`` (``Test134/img-<name>.jpg``) cropped to the box
    (0, 710, 1704, 1562); GT: ``Position3DGrid[:, :, 3]`` (55×305) of
    ``depth_path`` (``Gridlaserdata/depth_sph_corr-<name>.mat``), rows
    17:38 (21×305). Adds ``imgs``, ``ori_shape``, ``gt_depth`` and a
    nominal ``K`` (:data:`MAKE3D_NOMINAL_K`; Make3D has no calibration).
    """

    def transform(self, results: dict) -> dict:
        from scipy.io import loadmat
        img_path, depth_path = results['img_path'], results['depth_path']
        for path, what in ((img_path, 'image'), (depth_path, 'depth .mat')):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'Make3D {what} {path} ({_where(results)}) does not '
                    'exist. Fix: extract Test134.tar.gz (Test134/img-*.jpg) '
                    'and Test134Depth.tar.gz (Gridlaserdata/'
                    'depth_sph_corr-*.mat) into data_root.')
        with open(img_path, 'rb') as f, Image.open(f) as img:
            img = img.convert('RGB')
        left, top, right, bottom = MAKE3D_IMG_BOX
        if img.width < right or img.height < bottom:
            raise ValueError(f'{img_path}: image of {img.width}×{img.height}'
                             ' is smaller than the Make3D crop box '
                             f'{MAKE3D_IMG_BOX} (expected 1704×2272)')
        try:
            grid = loadmat(depth_path)['Position3DGrid']
        except (OSError, ValueError, KeyError) as e:
            raise OSError(f'Cannot read Position3DGrid from {depth_path} '
                          f'({_where(results)}): {e}') from e
        if grid.ndim != 3 or grid.shape[2] < 4 or grid.shape[0] < 38:
            raise ValueError(f'{depth_path}: Position3DGrid of shape '
                             f'{grid.shape}, expected 55×305×4')
        results['imgs'] = {0: img.crop(MAKE3D_IMG_BOX)}
        results['K'] = MAKE3D_NOMINAL_K.copy()
        results['ori_shape'] = (bottom - top, right - left)
        r0, r1 = MAKE3D_GT_ROWS
        results['gt_depth'] = np.ascontiguousarray(grid[r0:r1, :, 3],
                                                   dtype=np.float32)
        return results
