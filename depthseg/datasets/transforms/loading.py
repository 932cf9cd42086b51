"""Loading transforms: frames (PIL RGB) and KITTI depth ground truth."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.datasets.kitti_utils import generate_depth_map
from depthseg.registry import TRANSFORMS

_LAYOUTS = ('KITTI raw: <data_root>/<date>/<drive>/image_02/data/'
            '0000000000<ext>; KITTI odometry: <data_root>/sequences/00/'
            'image_2/000000<ext>')


def _where(results: dict) -> str:
    """'line N of split file F: '<text>'' for error messages."""
    return (f"line {results.get('line_no')} of split file "
            f"{results.get('ann_file')}: {results.get('line')!r}")


@TRANSFORMS.register_module()
class LoadFrames(BaseTransform):
    """Open every ``results['img_paths'][fid]`` as a PIL RGB image.

    Adds ``imgs`` ({frame_id: PIL.Image at native resolution}) and
    ``ori_shape`` ((H, W) of frame 0, or of the first frame id). Error
    hints describe the KITTI layouts, or ``results['layout']`` when the
    dataset gives one.
    """

    def transform(self, results: dict) -> dict:
        imgs = {}
        for fid, path in results['img_paths'].items():
            imgs[fid] = self._load(path, fid, results)
        ref = 0 if 0 in imgs else next(iter(imgs))
        results['imgs'] = imgs
        results['ori_shape'] = (imgs[ref].height, imgs[ref].width)
        return results

    @staticmethod
    def _load(path: str, fid, results: dict) -> Image.Image:
        layout = results.get('layout')
        if not osp.isfile(path):
            stem, ext = osp.splitext(path)
            other = stem + ('.png' if ext == '.jpg' else '.jpg')
            if layout is not None:
                hint = (f"check that data_root={results.get('data_root')!r}"
                        f' follows the layout {layout} and that the split '
                        'file belongs to this dataset')
            elif osp.isfile(other):
                hint = (f"{other} exists: set img_ext='"
                        f"{osp.splitext(other)[1]}' in the dataset config")
            else:
                hint = (f"check that data_root={results.get('data_root')!r}"
                        f' follows the expected layout ({_LAYOUTS}), that '
                        'the split file belongs to this dataset, and that '
                        "img_ext matches the files ('.jpg' vs '.png'; "
                        'Monodepth2 converts the KITTI PNGs with: find '
                        "<data_root> -name '*.png' | parallel 'convert "
                        '-quality 92 -sampling-factor 2x2,1x1,1x1 {.}.png '
                        "{.}.jpg && rm {}')")
            raise FileNotFoundError(
                f'{path} (frame {fid!r} of {_where(results)}) does not '
                f'exist. Fix: {hint}.')
        try:
            with open(path, 'rb') as f, Image.open(f) as img:
                return img.convert('RGB')
        except (OSError, SyntaxError, ValueError) as e:
            fix = ('re-extract it from the KITTI archive (and re-run the PNG '
                   'to JPEG conversion if you use .jpg)' if layout is None
                   else f're-extract it from the dataset archive ({layout})')
            raise OSError(
                f'Cannot decode image {path} (frame {fid!r} of '
                f'{_where(results)}): {e}. The file is probably truncated or '
                f'corrupt. Fix: {fix}.') from e


@TRANSFORMS.register_module()
class LoadKittiDepthGT(BaseTransform):
    """Load KITTI depth ground truth at its native size.

    Args:
        source: ``'velodyne'`` (projected LiDAR scan, spec §2.5) or
            ``'png'`` (improved GT ``proj_depth/groundtruth``, uint16 / 256).
        cam: camera for the velodyne projection: ``'side'`` (from the split
            line, 2 when it has none; the training monitor) or 2 / 3 (the
            Eigen GT export uses 2).
        vel_depth: velodyne only; store the LiDAR forward distance instead of
            the camera depth (the Eigen GT export uses True).

    Adds ``gt_depth``: float32 (H, W) metres, 0 where unknown.
    """

    def __init__(self, source: str = 'velodyne', cam='side',
                 vel_depth: bool = False):
        if source not in ('velodyne', 'png'):
            raise ValueError(f"source must be 'velodyne' or 'png', got "
                             f'{source!r}')
        if cam not in ('side', 2, 3):
            raise ValueError(f"cam must be 'side', 2 or 3, got {cam!r}")
        self.source = source
        self.cam = cam
        self.vel_depth = vel_depth

    def transform(self, results: dict) -> dict:
        if self.source == 'velodyne':
            depth = self._velodyne(results)
        else:
            depth = self._png(results)
        results['gt_depth'] = depth.astype(np.float32)
        return results

    def _velodyne(self, results: dict) -> np.ndarray:
        cam = results.get('cam', 2) if self.cam == 'side' else self.cam
        path = results['velo_path']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Velodyne scan {path} (for {_where(results)}) does not '
                'exist. Fix: extract the velodyne_points folders of the KITTI '
                'raw <drive>_sync.zip archives into data_root (layout '
                '<data_root>/<date>/<drive>/velodyne_points/data/'
                "0000000000.bin), use LoadKittiDepthGT(source='png') with the "
                'improved ground truth, or remove LoadKittiDepthGT from the '
                'pipeline.')
        return generate_depth_map(results['calib_dir'], path, cam,
                                  self.vel_depth)

    def _png(self, results: dict) -> np.ndarray:
        path = results['gt_png_path']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Depth PNG {path} (for {_where(results)}) does not exist. '
                'Fix: download data_depth_annotated.zip from the KITTI depth '
                'benchmark and merge each <drive>/proj_depth folder into the '
                'raw tree (layout <data_root>/<date>/<drive>/proj_depth/'
                'groundtruth/image_02/0000000005.png), or use '
                "source='velodyne'.")
        with Image.open(path) as img:
            return np.array(img, dtype=np.float32) / 256
