"""Undistortion and border crop of the native frames (NYUv2 training,
BDEdepth spec §10)."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.registry import TRANSFORMS
from .loading import _where


@TRANSFORMS.register_module()
class UndistortCrop(BaseTransform):
    """Undistort every frame (OpenCV, fixed camera), then crop it.

    Needs ``imgs`` (PIL RGB at the camera's native size, from
    ``LoadFrames``) and, from the data info (e.g.
    :class:`~depthseg.datasets.NYUv2TrainDataset`), ``camera``
    (``intrinsics`` (fx, fy, cx, cy) px, ``distortion`` (k1, k2, p1, p2,
    k3) or None to only crop, ``size`` (H, W) of the frames) and
    ``crop_box`` ((top, bottom, left, right) px). ``K`` is left alone: the
    dataset's K already describes the cropped frame.

    Sets ``imgs`` ({frame_id: PIL (bottom − top)×(right − left)}) and
    ``ori_shape`` (that size). Place it before ``RandomFlip``: the
    distortion is not left-right symmetric (the original undistorts,
    flips, then crops a symmetric border, which is the same).
    """

    def transform(self, results: dict) -> dict:
        if 'flip' in results:
            raise ValueError(
                'UndistortCrop must come before RandomFlip in the pipeline '
                '(it undistorts the frames as the camera recorded them)')
        try:
            camera, box = results['camera'], results['crop_box']
        except KeyError as e:
            raise KeyError(
                f'UndistortCrop needs {e} in the data info ({_where(results)}'
                '). Fix: use it with a dataset that provides camera and '
                'crop_box, e.g. NYUv2TrainDataset') from None
        fx, fy, cx, cy = camera['intrinsics']
        kmat = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
        dist = camera['distortion']
        top, bottom, left, right = box
        imgs = {}
        for fid, img in results['imgs'].items():
            if (img.height, img.width) != tuple(camera['size']):
                h, w = camera['size']
                raise ValueError(
                    f"{results['img_paths'][fid]} (frame {fid!r} of "
                    f'{_where(results)}) is {img.width}×{img.height}, but '
                    f'the camera intrinsics and distortion are for {w}×{h}. '
                    f'Fix: use the native {w}×{h} frames (not resized '
                    'copies).')
            array = np.asarray(img)
            if dist is not None:
                array = cv2.undistort(array, kmat, np.array([dist]))
            imgs[fid] = Image.fromarray(
                np.ascontiguousarray(array[top:bottom, left:right]))
        results['imgs'] = imgs
        results['ori_shape'] = (bottom - top, right - left)
        return results
