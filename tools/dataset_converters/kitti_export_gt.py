"""Export KITTI depth ground truth for evaluation (``export_gt_depth.py``).

``eigen``: velodyne scans projected into camera 2 with ``vel_depth=True``
(LiDAR forward distance), keeping the original's quirks (spec §2.5, Q9).
``eigen_benchmark``: the improved GT PNGs ``proj_depth/groundtruth/image_02``
as float32 / 256. All maps are saved compressed and pickle-free (their
values concatenated in ``values``, their sizes in ``shapes``; quirk Q6: the
original's object array needs pickle). ``depthseg.evaluation.load_gt_depths``
reads both layouts.

Example::

    python tools/dataset_converters/kitti_export_gt.py \\
        --data-root data/kitti_raw --split eigen \\
        --out data/kitti_raw/gt_depths_eigen.npz
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from tqdm import tqdm  # noqa: E402

from depthseg.datasets.kitti_utils import generate_depth_map  # noqa: E402
from depthseg.evaluation import save_gt_depths  # noqa: E402

SPLITS = ('eigen', 'eigen_benchmark')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export KITTI ground-truth depth maps to one .npz')
    parser.add_argument('--data-root', required=True,
                        help='KITTI raw root (holds the <date>/ folders)')
    parser.add_argument('--split', required=True, choices=SPLITS,
                        help='eigen: velodyne GT; eigen_benchmark: improved '
                        'GT PNGs')
    parser.add_argument('--split-file',
                        help='split file (default: splits/kitti/<split>/'
                        'test_files.txt of this repository)')
    parser.add_argument('--out',
                        help='output .npz (default: <data-root>/'
                        'gt_depths_<split>.npz, where the eval configs look)')
    return parser.parse_args(argv)


def _missing(path: str, line_no: int, line: str, split_file: str,
             hint: str) -> FileNotFoundError:
    return FileNotFoundError(
        f'{path} (line {line_no} of {split_file}: {line!r}) does not exist. '
        f'Fix: {hint}')


def load_gt(data_root: str, split: str, line: str, line_no: int,
            split_file: str) -> np.ndarray:
    """The float32 GT map of one ``<folder> <frame> <side>`` line."""
    tokens = line.split()
    if len(tokens) != 3 or not tokens[1].isdigit():
        raise ValueError(f'Malformed line {line_no} of {split_file}: '
                         f'{line!r}; expected "<folder> <frame> <side>" with '
                         'an integer frame. Fix: correct or delete this '
                         'line.')
    folder, frame_id = tokens[0], int(tokens[1])
    if split == 'eigen':
        calib_dir = osp.join(data_root, folder.split('/')[0])
        velo = osp.join(data_root, folder, 'velodyne_points', 'data',
                        f'{frame_id:010d}.bin')
        for path in (velo, osp.join(calib_dir, 'calib_cam_to_cam.txt'),
                     osp.join(calib_dir, 'calib_velo_to_cam.txt')):
            if not osp.isfile(path):
                raise _missing(
                    path, line_no, line, split_file,
                    'extract the KITTI raw <drive>_sync.zip (velodyne_points)'
                    ' and <date>_calib.zip archives into --data-root.')
        gt = generate_depth_map(calib_dir, velo, 2, True)
    else:
        path = osp.join(data_root, folder, 'proj_depth', 'groundtruth',
                        'image_02', f'{frame_id:010d}.png')
        if not osp.isfile(path):
            raise _missing(
                path, line_no, line, split_file,
                'download data_depth_annotated.zip from the KITTI depth '
                'benchmark and merge each <drive>/proj_depth folder into '
                '--data-root.')
        with Image.open(path) as img:
            gt = np.array(img).astype(np.float32) / 256
    return gt.astype(np.float32)


def export_gt(data_root: str, split: str, split_file: str,
              out: str) -> int:
    """Write the GT maps of every line of ``split_file``; returns the
    count."""
    if not osp.isfile(split_file):
        raise FileNotFoundError(f'Split file {split_file} does not exist.')
    with open(split_file) as f:
        lines = [(i, line) for i, line in enumerate(f.read().splitlines(), 1)
                 if line.strip()]
    depths = [
        load_gt(data_root, split, line, line_no, split_file)
        for line_no, line in tqdm(lines, desc=f'Exporting {split} GT')
    ]
    save_gt_depths(out, depths)
    return len(depths)


def main(argv=None):
    args = parse_args(argv)
    split_file = args.split_file or osp.join(REPO_ROOT, 'splits', 'kitti',
                                             args.split, 'test_files.txt')
    out = args.out or osp.join(args.data_root, f'gt_depths_{args.split}.npz')
    num = export_gt(args.data_root, args.split, split_file, out)
    print(f'Saved {num} ground-truth depth maps of {split_file} to {out}')


if __name__ == '__main__':
    main()
