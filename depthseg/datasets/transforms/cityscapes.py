"""Cityscapes loading and FUMET's canonical-intrinsics alignment (spec
``fumet.md`` §4.3, §6).

Training pipeline (the original's order: flip the native frames, then
align; the masks are flipped at the training size)::

    LoadCityscapesStrip -> RandomFlip -> CanonicalAlign -> LoadCarRoadMasks
    -> ResizePyramid -> ColorJitter -> PackDepthInputs

Evaluation pipeline::

    LoadCityscapesRaw -> CanonicalAlign -> LoadCityscapesDepthGT
    -> ResizePyramid(num_scales=1) -> PackDepthInputs
"""
import json
import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.datasets.cityscapes import (CITYSCAPES_CANONICAL,
                                          canonical_align_box,
                                          cityscapes_gt_window)
from depthseg.registry import TRANSFORMS


def _where(results: dict) -> str:
    return (f"line {results.get('line_no')} of split file "
            f"{results.get('ann_file')}: {results.get('line')!r}")


def _open_rgb(path: str, results: dict, what: str) -> Image.Image:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} {path} (for {_where(results)}) does not exist. Fix: '
            f"check data_root={results.get('data_root')!r} and that the "
            'split file belongs to this tree.')
    try:
        with open(path, 'rb') as f, Image.open(f) as img:
            return img.convert('RGB')
    except (OSError, SyntaxError, ValueError) as e:
        raise OSError(f'Cannot decode {what.lower()} {path} (for '
                      f'{_where(results)}): {e}. The file is probably '
                      'truncated or corrupt.') from e


def read_cam_txt(path: str, results: Optional[dict] = None):
    """SfMLearner's ``<frame>_cam.txt``: 9 comma-separated numbers (3×3 K
    row by row) -> ``(fx, fy, cx, cy)`` = entries 0, 4, 2, 5."""
    where = f' (for {_where(results)})' if results else ''
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Camera file {path}{where} does not exist. Fix: the '
            'preprocessed Cityscapes tree (SfMLearner prepare_train_data.py)'
            ' writes <city>/<frame>_cam.txt next to each strip.')
    with open(path) as f:
        text = f.read()
    try:
        values = [float(v) for v in text.replace('\n', ',').split(',')
                  if v.strip()]
    except ValueError:
        values = []
    if len(values) != 9:
        raise ValueError(
            f'{path}{where}: expected 9 comma-separated numbers (a 3×3 K '
            f'row by row: fx,0,cx,0,fy,cy,0,0,1), got {text.strip()!r}')
    if values[0] <= 0 or values[4] <= 0:
        raise ValueError(f'{path}{where}: focal lengths must be positive, '
                         f'got fx={values[0]}, fy={values[4]}')
    return values[0], values[4], values[2], values[5]


def q26_camera_path(path: str) -> str:
    """Quirk Q26: the json of the same sequence with the frame number
    replaced by 000019 (``<city>_<seq>_000019_camera.json``)."""
    folder, name = osp.split(path)
    parts = name[:-len('_camera.json')].split('_')
    if len(parts) != 3:
        raise ValueError(f'Cannot apply the 000019 fallback to {path}: '
                         'expected <city>_<seq>_<frame>_camera.json')
    return osp.join(folder, '_'.join(parts[:2] + ['000019']) +
                    '_camera.json')


def read_camera_json(path: str, results: Optional[dict] = None):
    """Cityscapes ``camera.json`` -> ``(fx, fy, u0, v0)``; a missing file
    falls back to frame 000019 of the same sequence (quirk Q26, reproduced).

    Returns:
        ``((fx, fy, cx, cy), path actually read)``.
    """
    where = f' (for {_where(results)})' if results else ''
    used = path
    if not osp.isfile(path):
        used = q26_camera_path(path)
        if not osp.isfile(used):
            raise FileNotFoundError(
                f'Camera file {path}{where} does not exist, nor its 000019 '
                f'fallback {used} (quirk Q26). Fix: extract '
                'camera_trainvaltest.zip into data_root (layout '
                '<data_root>/camera/test/<city>/<frame>_camera.json).')
    try:
        with open(used) as f:
            intr = json.load(f)['intrinsic']
        values = tuple(float(intr[k]) for k in ('fx', 'fy', 'u0', 'v0'))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f'{used}{where}: expected a Cityscapes camera json with '
            f'"intrinsic": {{"fx", "fy", "u0", "v0"}} ({e!r})') from None
    return values, used


@TRANSFORMS.register_module()
class LoadCityscapesStrip(BaseTransform):
    """Load a preprocessed strip ``[−1 | 0 | +1]`` and its ``_cam.txt``.

    Needs ``img_path``, ``cam_path`` and ``frame_ids``. Adds ``imgs``
    ({fid: PIL frame at native size, e.g. 1024×384}), ``ori_shape`` and
    ``orig_intrinsics`` ((fx, fy, cx, cy) in frame pixels).
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        strip = _open_rgb(path, results, 'Strip')
        width, height = strip.size
        if width % 3:
            raise ValueError(
                f'{path} (for {_where(results)}): a preprocessed Cityscapes '
                'strip holds the frames [-1 | 0 | +1] side by side, so its '
                f'width must be a multiple of 3; got {width}×{height} '
                '(expected 3072×384)')
        w = width // 3
        offsets = {-1: 0, 0: 1, 1: 2}
        results['imgs'] = {
            fid: strip.crop((offsets[fid] * w, 0, (offsets[fid] + 1) * w,
                             height))
            for fid in results.get('frame_ids', (0, -1, 1))
        }
        results['ori_shape'] = (height, w)
        results['orig_intrinsics'] = read_cam_txt(results['cam_path'],
                                                  results)
        return results


@TRANSFORMS.register_module()
class LoadCityscapesRaw(BaseTransform):
    """Load a raw Cityscapes frame, keep its top 3/4 (``h·3//4``, the ego
    car is below) and read its camera json (000019 fallback, Q26).

    Needs ``img_path`` and ``camera_path``. Adds ``imgs`` ({0: PIL}),
    ``ori_shape`` (the native size), ``orig_intrinsics`` and
    ``camera_path_used``.
    """

    def transform(self, results: dict) -> dict:
        img = _open_rgb(results['img_path'], results, 'Image')
        w, h = img.size
        results['ori_shape'] = (h, w)
        results['imgs'] = {0: img.crop((0, 0, w, h * 3 // 4))}
        intr, used = read_camera_json(results['camera_path'], results)
        results['orig_intrinsics'] = intr
        results['camera_path_used'] = used
        return results


@TRANSFORMS.register_module()
class CanonicalAlign(BaseTransform):
    """FUMET's canonical-intrinsics alignment (``align_img_size``).

    With ``zoom = target_f / orig_f``, every frame is LANCZOS-resized (PIL,
    antialiased) to ``(int(zoom_y·h), int(zoom_x·w))`` and an H×W window is
    cropped at ``top = int(cy_orig·zoom_y − cy)``, ``left = int(cx_orig·
    zoom_x − cx)`` (:func:`~depthseg.datasets.cityscapes.
    canonical_align_box`; ``h, w`` = the actual frame size, 1024×384 for
    training strips, 2048×768 for test images). A window outside the resized
    frame is an error (the original would pad with black).

    Args:
        height, width: training resolution (H, W).
        fx, fy, cx, cy: canonical intrinsics in pixels at (H, W); default
            FUMET's Cityscapes 192×512 model (587.5, 587.5, 267.5, 130.0).

    Needs ``imgs`` and ``orig_intrinsics``. Sets ``imgs`` (H×W frames),
    ``K`` (the canonical K normalised by W, H, as the data preprocessor
    expects; principal point mirrored ``cx -> W − cx`` when ``flip`` is
    already set, as the original) and ``canonical_align`` (the box and both
    intrinsics, for the evaluation window). The original flips the native
    frames before this crop (``RandomFlip`` first; its crop window is not
    mirrored, so a flipped frame sees a window shifted against the flipped
    masks, ≈ 15 px at 512 wide); place ``RandomFlip`` after this transform
    for flips consistent with the masks.
    """

    def __init__(self, height: int = 192, width: int = 512,
                 fx: float = CITYSCAPES_CANONICAL[0],
                 fy: float = CITYSCAPES_CANONICAL[1],
                 cx: float = CITYSCAPES_CANONICAL[2],
                 cy: float = CITYSCAPES_CANONICAL[3]):
        self.size = (int(height), int(width))
        self.canonical = (float(fx), float(fy), float(cx), float(cy))

    def normalised_K(self, flip: bool = False) -> np.ndarray:
        h, w = self.size
        fx, fy, cx, cy = self.canonical
        K = np.array([[fx / w, 0, cx / w, 0], [0, fy / h, cy / h, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
        if flip:
            K[0, 2] = 1 - K[0, 2]
        return K

    def transform(self, results: dict) -> dict:
        h, w = self.size
        orig = results['orig_intrinsics']
        aligned = {}
        box = None
        for fid, img in results['imgs'].items():
            box = canonical_align_box(orig, (img.height, img.width),
                                      self.canonical)
            if (box.top < 0 or box.left < 0 or box.top + h > box.resized_h
                    or box.left + w > box.resized_w):
                raise ValueError(
                    f"{results.get('img_path')} (for {_where(results)}): the "
                    f'canonical crop window {h}×{w} at (top {box.top}, left '
                    f'{box.left}) leaves the frame resized to '
                    f'{box.resized_h}×{box.resized_w} (frame '
                    f'{img.height}×{img.width}, intrinsics fx, fy, cx, cy = '
                    f'{tuple(orig)}, canonical {self.canonical}). Check the '
                    'camera file and the canonical intrinsics / size.')
            resized = img.resize((box.resized_w, box.resized_h),
                                 Image.Resampling.LANCZOS)
            aligned[fid] = resized.crop(
                (box.left, box.top, box.left + w, box.top + h))
        results['imgs'] = aligned
        results['K'] = self.normalised_K(bool(results.get('flip', False)))
        results['canonical_align'] = dict(
            orig_intrinsics=tuple(float(v) for v in orig),
            canonical=self.canonical, size=self.size,
            box=None if box is None else tuple(box))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(height={self.size[0]}, '
                f'width={self.size[1]}, canonical={self.canonical})')


@TRANSFORMS.register_module()
class LoadCityscapesDepthGT(BaseTransform):
    """ManyDepth's Cityscapes GT cut to the network's field of view.

    Loads ``results['gt_path']`` (``<idx:03d>_depth.npy``, metres, 0 where
    unknown), keeps its top 75 % (``round(h·0.75)``) and cuts it to the
    window of :func:`~depthseg.datasets.cityscapes.cityscapes_gt_window`
    (the canonical alignment undone, from ``canonical_align`` of
    :class:`CanonicalAlign`). ``DepthMetric(crop='cityscapes')`` then
    resizes the prediction to this array and applies ManyDepth's
    ``[256:, 192:1856]`` to it (quirk Q17).

    Adds ``gt_depth`` (float32) and ``gt_window`` ((top, bottom, left,
    right) in the top-75 % GT).

    Args:
        align: False for models fed the plain top-75 % image (no
            ``CanonicalAlign``; BDEdepth / ManyDepth protocol): the GT is
            only cut to its top 75 %.
    """

    def __init__(self, align: bool = True):
        self.align = align

    def transform(self, results: dict) -> dict:
        path = results['gt_path']
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Ground-truth depth {path} (for {_where(results)}) does not '
                "exist. Fix: unzip ManyDepth's Cityscapes gt_depths "
                '(<idx:03d>_depth.npy, idx = 0-based line of the test split)'
                ' and point the dataset gt_dir at that folder.')
        try:
            gt = np.load(path, allow_pickle=False)
        except Exception as e:
            raise OSError(f'Cannot read ground-truth depth {path}: {e}') from e
        if gt.ndim != 2:
            raise ValueError(f'{path}: expected a 2-D depth map, got shape '
                             f'{gt.shape}')
        if not self.align:
            rows = int(round(gt.shape[0] * 0.75))
            results['gt_depth'] = np.ascontiguousarray(gt[:rows],
                                                       dtype=np.float32)
            results['gt_window'] = (0, rows, 0, gt.shape[1])
            return results
        if 'canonical_align' not in results:
            raise KeyError('LoadCityscapesDepthGT needs CanonicalAlign '
                           'earlier in the pipeline (canonical_align), or '
                           'align=False for plain top-75 % inputs')
        align = results['canonical_align']
        window = cityscapes_gt_window(align['orig_intrinsics'],
                                      align['canonical'], align['size'])
        top, bottom, left, right = window
        rows = int(round(gt.shape[0] * 0.75))
        if top < 0 or left < 0 or top >= min(bottom, rows) or left >= min(
                right, gt.shape[1]):
            raise ValueError(
                f'{path} (for {_where(results)}): field-of-view window '
                f'{window} (top, bottom, left, right) does not fit the top-75'
                f' % GT of shape {(rows, gt.shape[1])}; the GT must be at '
                'the resolution of the camera json intrinsics (1024×2048).')
        gt = gt[:rows][top:bottom, left:right]
        results['gt_depth'] = np.ascontiguousarray(gt, dtype=np.float32)
        results['gt_window'] = window
        return results
