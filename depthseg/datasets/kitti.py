"""KITTI raw and odometry datasets driven by Monodepth2-style split files.

A split file has one ``<folder> <frame_index> <side>`` line per sample
(spec ``monodepth2.md`` §2.1; a line with another number of fields is an
error, not the original's frame 0 without side). The datasets only build
paths; the loading transforms check that files exist, so a 40k-line split
loads instantly.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np

from depthseg.registry import DATASETS
from .split_file import SplitFileDataset

# The original's side map.
SIDE_TO_CAM = {'2': 2, '3': 3, 'l': 2, 'r': 3}
OTHER_CAM = {2: 3, 3: 2}

# Average KITTI intrinsics normalised by image width / height (spec §2.3).
KITTI_K = np.array([[0.58, 0, 0.5, 0],
                    [0, 1.92, 0.5, 0],
                    [0, 0, 1, 0],
                    [0, 0, 0, 1]], dtype=np.float32)


@DATASETS.register_module()
class KittiRawDataset(SplitFileDataset):
    """KITTI raw sequences (``<root>/<date>/<drive>/image_0{2,3}/data``).

    Args:
        data_root: KITTI raw root (holds ``<date>/`` folders).
        ann_file: split file. Used as given when absolute or existing
            relative to the working directory, else joined with
            ``data_root``.
        frame_ids: temporal offsets to load (ints) and ``'s'`` for the
            other camera at the same index. Default ``(0, -1, 1)``.
        img_ext: ``'.jpg'`` (the original's converted images) or ``'.png'``.
        K: 4×4 intrinsics normalised by width / height; default the KITTI
            average :data:`KITTI_K`.
        pipeline, test_mode, **kwargs: see
            :class:`mmengine.dataset.BaseDataset`.

    Each data info holds ``folder``, ``frame_index``, ``side``, ``cam``
    (2 or 3), ``img_paths`` ({frame_id: path}), ``img_path`` (frame 0 or the
    first frame id), ``calib_dir``, ``velo_path``, ``gt_png_path``, ``K``
    (float32 4×4), ``frame_ids``, ``data_root``, ``ann_file``, ``line_no``
    (1-based), ``line`` and ``sample_idx``.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 frame_ids: Sequence[Union[int, str]] = (0, -1, 1),
                 img_ext: str = '.jpg',
                 K: Optional[Sequence[Sequence[float]]] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        for fid in frame_ids:
            if fid != 's' and not isinstance(fid, int):
                raise ValueError(f'frame_ids must be ints or "s", got {fid!r}')
        if img_ext not in ('.jpg', '.png'):
            raise ValueError(f"img_ext must be '.jpg' or '.png', got "
                             f'{img_ext!r}')
        self.frame_ids = list(frame_ids)
        self.img_ext = img_ext
        self.K = KITTI_K.copy() if K is None else np.asarray(
            K, dtype=np.float32).reshape(4, 4)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    # ---- paths (overridden by the odometry dataset) ----
    def image_path(self, folder: str, frame_index: int, cam: int) -> str:
        return osp.join(self.data_root, folder, f'image_0{cam}', 'data',
                        f'{frame_index:010d}{self.img_ext}')

    def extra_paths(self, folder: str, frame_index: int, cam: int) -> dict:
        """Calibration and ground-truth paths of one sample."""
        return dict(
            calib_dir=osp.join(self.data_root, folder.split('/')[0]),
            velo_path=osp.join(self.data_root, folder, 'velodyne_points',
                               'data', f'{frame_index:010d}.bin'),
            gt_png_path=osp.join(self.data_root, folder, 'proj_depth',
                                 'groundtruth', f'image_0{cam}',
                                 f'{frame_index:010d}.png'))

    # ---- parsing ----
    line_format = '<folder> <frame_index> <side>'
    line_example = '2011_09_26/2011_09_26_drive_0022_sync 473 r'

    def _malformed(self, line_no: int, text: str, problem: str):
        return ValueError(
            f'Malformed line {line_no} of split file {self.ann_file}: '
            f'{text!r} ({problem}). Expected "{self.line_format}" with an '
            'integer frame index and side one of l, r, 2, 3, e.g. '
            f'"{self.line_example}". Fix: correct or delete this line.')

    def _parse_line(self, text: str, line_no: int):
        """Return ``(folder, frame_index, side)`` of one split line."""
        tokens = text.split()
        if len(tokens) != 3:
            raise self._malformed(line_no, text,
                                  f'{len(tokens)} fields instead of 3')
        folder, index, side = tokens
        try:
            frame_index = int(index)
        except ValueError:
            raise self._malformed(line_no, text, f'frame index {index!r} '
                                  'is not an integer') from None
        if side not in SIDE_TO_CAM:
            raise self._malformed(line_no, text, f'unknown side {side!r}')
        return folder, frame_index, side

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            tried = ', '.join(osp.abspath(p) for p in self._ann_file_tried)
            raise FileNotFoundError(
                f'Split file not found; tried: {tried}. Fix: pass an existing '
                'split file, e.g. --cfg-options train_dataloader.dataset.'
                'ann_file=splits/kitti/eigen_zhou/train_files.txt (absolute, '
                'relative to the working directory, or relative to '
                f'data_root={self.data_root!r}).')
        with open(self.ann_file) as f:
            lines = f.read().splitlines()
        data_list = []
        for line_no, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            folder, frame_index, side = self._parse_line(text, line_no)
            cam = SIDE_TO_CAM[side]
            img_paths = {}
            for fid in self.frame_ids:
                if fid == 's':
                    img_paths[fid] = self.image_path(folder, frame_index,
                                                     OTHER_CAM[cam])
                else:
                    img_paths[fid] = self.image_path(folder,
                                                     frame_index + fid, cam)
            ref = 0 if 0 in img_paths else self.frame_ids[0]
            info = dict(
                folder=folder,
                frame_index=frame_index,
                side=side,
                cam=cam,
                img_paths=img_paths,
                img_path=img_paths[ref],
                K=self.K.copy(),
                frame_ids=list(self.frame_ids),
                data_root=self.data_root,
                ann_file=self.ann_file,
                line_no=line_no,
                line=text,
                sample_idx=len(data_list))
            info.update(self.extra_paths(folder, frame_index, cam))
            data_list.append(info)
        return data_list


@DATASETS.register_module()
class KittiOdomDataset(KittiRawDataset):
    """KITTI odometry (``<root>/sequences/XX/image_{2,3}/NNNNNN<ext>``).

    Split lines are ``<sequence> <frame_index> <side>`` (e.g. ``8 4056 r``).
    Data infos carry ``calib_path`` (``sequences/XX/calib.txt``) and
    ``pose_path`` (``poses/XX.txt``) instead of the raw GT paths.
    """

    def image_path(self, folder: str, frame_index: int, cam: int) -> str:
        return osp.join(self.data_root, 'sequences', f'{int(folder):02d}',
                        f'image_{cam}', f'{frame_index:06d}{self.img_ext}')

    def extra_paths(self, folder: str, frame_index: int, cam: int) -> dict:
        seq = f'{int(folder):02d}'
        return dict(
            calib_path=osp.join(self.data_root, 'sequences', seq,
                                'calib.txt'),
            pose_path=osp.join(self.data_root, 'poses', f'{seq}.txt'))

    line_format = '<sequence> <frame_index> <side>'
    line_example = '8 4056 r'

    def _parse_line(self, text: str, line_no: int):
        folder, frame_index, side = super()._parse_line(text, line_no)
        if not folder.isdigit():
            raise self._malformed(line_no, text, f'sequence {folder!r} is '
                                  'not a number')
        return folder, frame_index, side
