"""KITTI calibration parsing and writing, velodyne-to-depth-map projection.

Reproduces ``generate_depth_map`` of the original Monodepth2 ``kitti_utils.py``
including its quirks (spec ``monodepth2.md`` §2.5, quirk Q9): the image shape
always comes from ``S_rect_02``, pixel coordinates are ``round(·) − 1`` with
NumPy's half-to-even rounding, ordinary writes are last-wins, and duplicates
are resolved through the non-linear ``sub2ind`` index with the group minimum
written at the first point's pixel. ``np.int`` is replaced by ``int`` (Q5).
"""
import os.path as osp
from typing import Dict, Sequence, Union

import numpy as np

_FLOAT_CHARS = set('0123456789.e+- ')

_CALIB_HINT = ('Expected the KITTI raw layout <data_root>/<date>/'
               'calib_cam_to_cam.txt and <data_root>/<date>/'
               'calib_velo_to_cam.txt (from <date>_calib.zip of the KITTI '
               'raw data download).')


def read_calib_file(path: str) -> Dict[str, Union[np.ndarray, str]]:
    """Parse a KITTI ``key: values`` calibration file.

    Values made only of ``0-9 . e + -`` and spaces become float64 1-D arrays;
    anything else (e.g. ``calib_time``) stays a stripped string.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Calibration file {path} does not exist. '
                                f'{_CALIB_HINT}')
    data = {}
    with open(path, 'r') as f:
        for line in f:
            if ':' not in line:
                continue
            key, value = line.split(':', 1)
            value = value.strip()
            data[key] = value
            if _FLOAT_CHARS.issuperset(value):
                try:
                    data[key] = np.array([float(v) for v in value.split(' ')])
                except ValueError:
                    pass
    return data


#: velodyne -> camera rotation and translation of the real KITTI
#: ``2011_09_26/calib_velo_to_cam.txt``: the template of the calibrations
#: written for synthetic data (SynthRoad, the test trees).
VELO_TO_CAM_R = np.array([[7.533745e-03, -9.999714e-01, -6.166020e-04],
                          [1.480249e-02, 7.280733e-04, -9.998902e-01],
                          [9.998621e-01, 7.523790e-03, 1.480755e-02]])
VELO_TO_CAM_T = np.array([-4.069766e-03, -7.631618e-02, -2.717806e-01])


def format_calib(values) -> str:
    """Values of a KITTI calibration line: space-separated ``%e`` numbers
    (what :func:`read_calib_file` parses back)."""
    return ' '.join(f'{v:e}' for v in np.ravel(values))


def velo_to_cam_text() -> str:
    """``calib_velo_to_cam.txt`` with :data:`VELO_TO_CAM_R` /
    :data:`VELO_TO_CAM_T`."""
    return '\n'.join([
        'calib_time: 15-Mar-2012 11:37:16',
        f'R: {format_calib(VELO_TO_CAM_R)}',
        f'T: {format_calib(VELO_TO_CAM_T)}',
        f'delta_f: {format_calib([0, 0])}', f'delta_c: {format_calib([0, 0])}'
    ]) + '\n'


def sub2ind(matrix_size: Sequence[int], row, col):
    """The original's duplicate index ``row·(n−1) + col − 1``.

    Not a true linear index (quirk Q9): distinct pixels such as
    ``(r, n−1)`` and ``(r+1, 0)`` collide.
    """
    _, n = matrix_size
    return row * (n - 1) + col - 1


def load_velodyne_points(path: str) -> np.ndarray:
    """Load a velodyne scan as float32 N×4 (x fwd, y left, z up, 1).

    The reflectance column is replaced by 1 (homogeneous coordinates).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Velodyne scan {path} does not exist. Expected the KITTI raw '
            'layout <data_root>/<date>/<drive>/velodyne_points/data/'
            '0000000000.bin (in the <drive>_sync.zip archives).')
    points = np.fromfile(path, dtype=np.float32).reshape(-1, 4)
    points[:, 3] = 1.0
    return points


def generate_depth_map(calib_dir: str,
                       velo_filename: str,
                       cam: int = 2,
                       vel_depth: bool = False) -> np.ndarray:
    """Project a velodyne scan into rectified camera ``cam`` (2 or 3).

    Args:
        calib_dir: folder holding ``calib_cam_to_cam.txt`` and
            ``calib_velo_to_cam.txt`` (``<data_root>/<date>``).
        velo_filename: the ``.bin`` scan.
        cam: rectified camera index whose ``P_rect_0{cam}`` is used.
        vel_depth: store the LiDAR forward distance ``x`` instead of the
            projected camera depth.

    Returns:
        float64 (H, W) depth in metres, 0 where no point projects; (H, W)
        is ``S_rect_02`` reversed, also for camera 3.
    """
    cam2cam = read_calib_file(osp.join(calib_dir, 'calib_cam_to_cam.txt'))
    velo2cam_calib = read_calib_file(
        osp.join(calib_dir, 'calib_velo_to_cam.txt'))
    velo2cam = np.eye(4)
    velo2cam[:3, :3] = velo2cam_calib['R'].reshape(3, 3)
    velo2cam[:3, 3] = velo2cam_calib['T']

    im_h, im_w = cam2cam['S_rect_02'][::-1].astype(np.int32)
    rect = np.eye(4)
    rect[:3, :3] = cam2cam['R_rect_00'].reshape(3, 3)
    p_rect = cam2cam[f'P_rect_0{cam}'].reshape(3, 4)
    p_velo2im = p_rect @ rect @ velo2cam

    velo = load_velodyne_points(velo_filename)
    velo = velo[velo[:, 0] >= 0]
    proj = (p_velo2im @ velo.T).T
    depth_vals = velo[:, 0].astype(np.float64) if vel_depth else proj[:, 2]
    u = np.round(proj[:, 0] / proj[:, 2]) - 1
    v = np.round(proj[:, 1] / proj[:, 2]) - 1
    keep = (u >= 0) & (v >= 0) & (u < im_w) & (v < im_h)
    u, v, depth_vals = u[keep], v[keep], depth_vals[keep]
    ui, vi = u.astype(int), v.astype(int)

    depth = np.zeros((int(im_h), int(im_w)))
    depth[vi, ui] = depth_vals  # NumPy fancy assignment: last write wins

    if len(depth_vals):
        inds = sub2ind(depth.shape, v, u)
        order = np.argsort(inds, kind='stable')
        _, starts, counts = np.unique(
            inds[order], return_index=True, return_counts=True)
        group_min = np.minimum.reduceat(depth_vals[order], starts)
        dup = counts > 1
        first = order[starts[dup]]  # first point (list order) of each group
        depth[vi[first], ui[first]] = group_min[dup]

    depth[depth < 0] = 0
    return depth
