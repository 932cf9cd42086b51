"""NYUv2 raw training sequences in StructDepth's layout (BDEdepth spec
§10, BDEdepth's indoor setting).

A split line holds nine paths relative to ``data_root``, the frames
0, −4, −3, −2, −1, 1, 2, 3, 4 of one Kinect sequence (640×480 ``.ppm``)::

    nyu_depth_v2/bedroom_0086/r-1315251252.453265-3131793654.ppm ...

Every frame is undistorted with the fixed Kinect calibration and cropped by
16 px on every side (608×448; :class:`UndistortCrop`); K is the fixed
intrinsics with the principal point shifted by the crop, normalised by the
cropped size. The dataset only builds paths: the loading transforms check
the files, naming the file and its split line.
"""
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

from depthseg.registry import DATASETS
from .split_file import SplitFileDataset

#: Kinect RGB camera of NYUv2 (fx, fy, cx, cy), pixels at 640×480.
NYU_INTRINSICS = (5.1885790117450188e+02, 5.1946961112127485e+02,
                  3.2558244941119034e+02, 2.5373616633400465e+02)
#: Its OpenCV distortion (k1, k2, p1, p2, k3).
NYU_DISTORTION = (2.0796615318809061e-01, -5.8613825163911781e-01,
                  7.2231363135888329e-04, 1.0479627195765181e-03,
                  4.9856986684705107e-01)
#: Native frame size (H, W).
NYU_RAW_SIZE = (480, 640)
#: Frame offsets of the nine columns of a training split line.
NYU_LINE_FRAMES = (0, -4, -3, -2, -1, 1, 2, 3, 4)
NYU_LAYOUT = ('NYUv2 (StructDepth): <data_root>/nyu_depth_v2/<scene>/'
              'r-<timestamp>-<n>.ppm, 640×480, nine paths per split line '
              '(frames 0, -4, -3, -2, -1, 1, 2, 3, 4)')


def nyu_K(box: Tuple[int, int, int, int]) -> np.ndarray:
    """Normalised 4×4 float32 K of the NYUv2 camera cropped to ``box``.

    Args:
        box: ``(top, bottom, left, right)`` in the 480×640 frame.

    Returns:
        ``[[fx/w, 0, (cx − left)/w, 0], [0, fy/h, (cy − top)/h, 0],
        [0, 0, 1, 0], [0, 0, 0, 1]]`` with ``h, w`` the crop's size.
    """
    top, bottom, left, right = box
    h, w = bottom - top, right - left
    fx, fy, cx, cy = NYU_INTRINSICS
    return np.array([[fx / w, 0, (cx - left) / w, 0],
                     [0, fy / h, (cy - top) / h, 0],
                     [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)


@DATASETS.register_module()
class NYUv2TrainDataset(SplitFileDataset):
    """NYUv2 raw training sequences (StructDepth's split and layout).

    Args:
        data_root: NYUv2 root (holds ``nyu_depth_v2/<scene>/``; the test
            files ``nyu_test/*.h5`` may sit beside).
        ann_file: split file of nine-path lines (module docstring); CWD
            first, then ``data_root``.
        frame_ids: offsets to load, a subset of −4…4. Default (0, −1, 1).
        crop: pixels cut from every side after undistortion (16: 608×448).
        undistort: undistort with :data:`NYU_DISTORTION` (the original
            does).
        pipeline, test_mode, **kwargs: see
            :class:`mmengine.dataset.BaseDataset`.

    Each data info holds ``folder`` (scene folder of frame 0),
    ``img_paths`` ({frame_id: path}), ``img_path`` (frame 0), ``K``
    (:func:`nyu_K` of the crop), ``camera`` (``intrinsics`` (fx, fy, cx,
    cy) px, ``distortion`` (5 or None), ``size`` (480, 640)) and
    ``crop_box`` ((top, bottom, left, right)) for :class:`UndistortCrop`,
    ``layout`` (for the loaders' errors), ``frame_ids``, ``data_root``,
    ``ann_file``, ``line_no`` (1-based), ``line`` and ``sample_idx``.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 frame_ids: Sequence[int] = (0, -1, 1),
                 crop: int = 16,
                 undistort: bool = True,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        for fid in frame_ids:
            if isinstance(fid, bool) or fid not in NYU_LINE_FRAMES:
                raise ValueError(
                    f'frame_ids must be a subset of {NYU_LINE_FRAMES} (the '
                    f'frames of an NYUv2 split line), got {fid!r}')
        h, w = NYU_RAW_SIZE
        if not isinstance(crop, int) or not 0 <= crop < min(h, w) // 2:
            raise ValueError(f'crop must be an int in [0, {min(h, w) // 2})'
                             f' pixels, got {crop!r}')
        self.frame_ids = list(frame_ids)
        self.crop_box = (crop, h - crop, crop, w - crop)
        self.camera = dict(intrinsics=NYU_INTRINSICS,
                           distortion=NYU_DISTORTION if undistort else None,
                           size=NYU_RAW_SIZE)
        self.K = nyu_K(self.crop_box)
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            tried = ', '.join(osp.abspath(p) for p in self._ann_file_tried)
            raise FileNotFoundError(
                f'NYUv2 training split file not found; tried: {tried}. Fix: '
                "copy StructDepth's NYUv2 training list (nine paths per "
                'line, see configs/bdedepth/README.md) to '
                'splits/nyuv2/train_files.txt, or pass another one with '
                '--cfg-options train_dataloader.dataset.ann_file=FILE '
                '(absolute, relative to the working directory, or relative '
                f'to data_root={self.data_root!r}).')
        with open(self.ann_file) as f:
            lines = f.read().splitlines()
        column = {fid: i for i, fid in enumerate(NYU_LINE_FRAMES)}
        data_list = []
        for line_no, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            paths = text.split()
            if len(paths) != len(NYU_LINE_FRAMES):
                raise ValueError(
                    f'Malformed line {line_no} of split file '
                    f'{self.ann_file}: {text!r} ({len(paths)} fields '
                    f'instead of {len(NYU_LINE_FRAMES)}). Expected nine '
                    'paths relative to data_root, the frames 0, -4, -3, -2, '
                    '-1, 1, 2, 3, 4 of one sequence, e.g. "nyu_depth_v2/'
                    'bedroom_0086/r-1315251252.453265-3131793654.ppm ...". '
                    'Fix: correct or delete this line.')
            img_paths = {fid: osp.join(self.data_root, paths[column[fid]])
                         for fid in self.frame_ids}
            data_list.append(dict(
                folder=osp.dirname(paths[0]),
                img_paths=img_paths,
                img_path=osp.join(self.data_root, paths[0]),
                K=self.K.copy(),
                camera=dict(self.camera),
                crop_box=self.crop_box,
                layout=NYU_LAYOUT,
                frame_ids=list(self.frame_ids),
                data_root=self.data_root,
                ann_file=self.ann_file,
                line_no=line_no,
                line=text,
                sample_idx=len(data_list)))
        return data_list
