"""KITTI raw OXTS (GPS/IMU) poses for velocity supervision (packnet spec
§3.4 "Pose", §2.8 VelSup; quirks Q4, Q7).

The conversion is packnet-sfm's ``KITTIDataset._get_pose``:

* each ``<drive>/oxts/data/<%010d>.txt`` holds one OXTS packet (30
  numbers: lat lon alt roll pitch yaw vn ve vf vl vu ax ay az af al au wx
  wy wz wf wl wu pos_accuracy vel_accuracy navstat numsats posmode velmode
  orimode); only the first six are used;
* the IMU pose in a local Mercator frame: ``scale = cos(lat_0)`` from the
  **first frame of the drive** (``0000000000.txt``), ``tx = scale·lon·π·
  er/180``, ``ty = scale·er·ln tan((90 + lat)·π/360)``, ``tz = alt``
  (``er = 6378137`` m), ``R = Rz(yaw)·Ry(pitch)·Rx(roll)``;
* moved into the rectified camera frame with ``imu2cam = R_rect_00 ·
  T_velo→cam · T_imu→velo`` (``calib_cam_to_cam.txt``,
  ``calib_velo_to_cam.txt``, ``calib_imu_to_velo.txt`` of ``<date>/``):
  ``odo(t) = imu2cam · P(0)⁻¹ · P(t) · imu2cam⁻¹`` (camera at t -> camera
  at frame 0);
* target -> source: ``odo(source)⁻¹ · odo(target)`` (the original's
  ``pose_context = inv(context_pose) @ pose``), i.e. it maps points of the
  target camera into the source camera, the meaning of the estimator's
  ``ctx.poses[(f, s)]``. Its translation norm is the distance the
  (rectified camera 0) travelled between the two frames.

Poses are loaded only by this transform (quirk Q7 fixed: evaluation never
needs ``oxts/``).
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from depthseg.datasets.kitti_utils import format_calib, read_calib_file
from depthseg.registry import TRANSFORMS
from depthseg.structures.fields import declare_fields

#: Earth radius of the original's Mercator projection (m).
EARTH_RADIUS = 6378137.
#: Names of the 30 values of one OXTS packet (KITTI raw devkit).
OXTS_FIELDS = ('lat', 'lon', 'alt', 'roll', 'pitch', 'yaw', 'vn', 've',
               'vf', 'vl', 'vu', 'ax', 'ay', 'az', 'af', 'al', 'au', 'wx',
               'wy', 'wz', 'wf', 'wl', 'wu', 'pos_accuracy', 'vel_accuracy',
               'navstat', 'numsats', 'posmode', 'velmode', 'orimode')

_OXTS_HINT = ('Expected the KITTI raw layout <data_root>/<date>/<drive>/'
              'oxts/data/<%010d>.txt (one line of 30 numbers, from the '
              '<drive>_sync.zip archives).')
_CALIB_FILES = ('calib_cam_to_cam.txt', 'calib_velo_to_cam.txt',
                'calib_imu_to_velo.txt')


def oxts_path(data_root: str, folder: str, frame_index: int) -> str:
    """``<data_root>/<folder>/oxts/data/<%010d>.txt``."""
    return osp.join(data_root, folder, 'oxts', 'data',
                    f'{int(frame_index):010d}.txt')


def read_oxts_packet(path: str) -> np.ndarray:
    """The float64 values of one OXTS file (at least lat, lon, alt, roll,
    pitch, yaw). Errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'OXTS file {path} does not exist. '
                                f'{_OXTS_HINT}')
    with open(path) as f:
        text = f.read()
    try:
        values = np.array([float(v) for v in text.split()], np.float64)
    except ValueError as e:
        raise ValueError(f'Malformed OXTS file {path}: {e}. {_OXTS_HINT}'
                         ) from None
    if len(values) < 6 or not np.isfinite(values[:6]).all():
        raise ValueError(
            f'Malformed OXTS file {path}: {len(values)} values, expected 30 '
            'with finite lat lon alt roll pitch yaw first. ' + _OXTS_HINT)
    return values


def _rot(axis: int, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    R = np.eye(3)
    R[i, i], R[j, j] = c, c
    sign = -1 if axis == 1 else 1  # roty has +s at (0, 2)
    R[i, j], R[j, i] = -s * sign, s * sign
    return R


def pose_from_oxts_packet(packet: Sequence[float], scale: float) -> np.ndarray:
    """4×4 IMU -> local Mercator world pose (the original's
    ``pose_from_oxts_packet`` + ``transform_from_rot_trans``)."""
    lat, lon, alt, roll, pitch, yaw = (float(v) for v in packet[:6])
    tx = scale * lon * np.pi * EARTH_RADIUS / 180.
    ty = scale * EARTH_RADIUS * np.log(np.tan((90. + lat) * np.pi / 360.))
    T = np.eye(4)
    T[:3, :3] = _rot(2, yaw) @ _rot(1, pitch) @ _rot(0, roll)
    T[:3, 3] = [tx, ty, alt]
    return T


def oxts_packet_from_pose(T: np.ndarray, scale: float) -> np.ndarray:
    """Inverse of :func:`pose_from_oxts_packet`: ``[lat, lon, alt, roll,
    pitch, yaw]`` of a 4×4 IMU -> world pose (the rotation is
    orthonormalised first; |pitch| < 90°)."""
    U, _, Vt = np.linalg.svd(np.asarray(T, np.float64)[:3, :3])
    R = U @ Vt
    pitch = np.arcsin(-np.clip(R[2, 0], -1, 1))
    roll = np.arctan2(R[2, 1], R[2, 2])
    yaw = np.arctan2(R[1, 0], R[0, 0])
    tx, ty, alt = T[:3, 3]
    lon = tx * 180. / (scale * np.pi * EARTH_RADIUS)
    lat = np.arctan(np.exp(ty / (scale * EARTH_RADIUS))) * 360. / np.pi - 90.
    return np.array([lat, lon, alt, roll, pitch, yaw])


def _rigid(calib: dict, path: str, rkey: str = 'R', tkey: str = 'T'
           ) -> np.ndarray:
    missing = [k for k in (rkey, tkey) if k is not None and k not in calib]
    if missing:
        raise ValueError(f'Calibration file {path} lacks {missing}')
    T = np.eye(4)
    try:
        T[:3, :3] = np.asarray(calib[rkey], np.float64).reshape(3, 3)
        if tkey is not None:
            T[:3, 3] = np.asarray(calib[tkey], np.float64).reshape(3)
    except (ValueError, TypeError) as e:
        raise ValueError(f'Malformed calibration file {path}: {rkey}/{tkey} '
                         f'must hold 9 and 3 numbers ({e})') from None
    return T


def imu_to_cam(calib_dir: str) -> np.ndarray:
    """4×4 IMU -> rectified camera 0 transform ``R_rect_00 · T_velo→cam ·
    T_imu→velo`` of a KITTI raw ``<date>/`` folder. Errors name the file
    (missing file or key, wrong number of values)."""
    paths = [osp.join(calib_dir, name) for name in _CALIB_FILES]
    cam2cam, velo2cam, imu2velo = (read_calib_file(p) for p in paths)
    rect = _rigid(cam2cam, paths[0], 'R_rect_00', None)
    return rect @ _rigid(velo2cam, paths[1]) @ _rigid(imu2velo, paths[2])


def imu_to_velo_text(R: np.ndarray, T: np.ndarray) -> str:
    """``calib_imu_to_velo.txt`` (KITTI format) for rotation R, translation
    T."""
    return '\n'.join(['calib_time: 25-May-2012 16:47:16',
                      f'R: {format_calib(R)}', f'T: {format_calib(T)}']
                     ) + '\n'


#: KITTI ``2011_09_26/calib_imu_to_velo.txt`` (the template of the
#: synthetic calibrations, as ``VELO_TO_CAM_R`` / ``_T``).
IMU_TO_VELO_R = np.array([[9.999976e-01, 7.553071e-04, -2.035826e-03],
                          [-7.854027e-04, 9.998898e-01, -1.482298e-02],
                          [2.024406e-03, 1.482454e-02, 9.998881e-01]])
IMU_TO_VELO_T = np.array([-8.086759e-01, 3.195559e-01, -7.997231e-01])


def oxts_camera_poses(packets: Dict[int, np.ndarray], origin: np.ndarray,
                      imu2cam: np.ndarray) -> Dict[int, np.ndarray]:
    """``{frame: odo}`` camera -> frame-0 camera poses (the original's
    ``_get_pose``) from packets and the drive's first packet."""
    scale = np.cos(float(origin[0]) * np.pi / 180.)
    inv_origin = np.linalg.inv(pose_from_oxts_packet(origin, scale))
    cam2imu = np.linalg.inv(imu2cam)
    return {f: imu2cam @ inv_origin @ pose_from_oxts_packet(p, scale)
            @ cam2imu for f, p in packets.items()}


@TRANSFORMS.register_module()
class LoadOxtsPoses(BaseTransform):
    """Ground-truth target -> source poses from KITTI raw OXTS files (for
    :class:`~depthseg.models.losses.VelocitySupervisionLoss`).

    Reads ``<data_root>/<folder>/oxts/data/<%010d>.txt`` of the target
    (``frame_index``), of every temporal source ``frame_index + f`` and of
    the drive's first frame (Mercator scale), and the calibrations of
    ``calib_dir`` (``calib_cam_to_cam.txt``, ``calib_velo_to_cam.txt``,
    ``calib_imu_to_velo.txt``); see the module docstring for the
    conversion. Works with :class:`~depthseg.datasets.KittiRawDataset` and
    ``SynthRoadDataset`` data infos (``data_root``, ``folder``,
    ``frame_index``, ``frame_ids``, ``calib_dir``).

    Args:
        frame_ids: source frames (non-zero ints); default the temporal
            sources of the sample's ``frame_ids`` in order ('s' skipped).
        origin_frame: frame index whose latitude sets the Mercator scale
            (0 = the drive's first frame, as the original).

    Adds (kind ``array``, :attr:`adds`): ``gt_poses`` float32 n×4×4
    target -> source transforms and ``gt_pose_ids`` int64 n (the source
    frame id of each row). The poses are those of the unflipped camera:
    placed after :class:`RandomFlip`, a flipped sample gets the mirrored
    poses ``F·T·F`` (F = diag(−1, 1, 1, 1)); translation norms (velocity
    supervision) do not change either way. Files are cached per instance
    (one drive's packets are read once per worker).
    """

    adds = dict(gt_poses='array', gt_pose_ids='array')

    def __init__(self, frame_ids: Optional[Sequence[int]] = None,
                 origin_frame: int = 0):
        if frame_ids is not None:
            for f in frame_ids:
                if not isinstance(f, int) or f == 0:
                    raise ValueError('LoadOxtsPoses: frame_ids must be '
                                     f'non-zero ints, got {list(frame_ids)}')
        self.frame_ids = None if frame_ids is None else list(frame_ids)
        self.origin_frame = int(origin_frame)
        self._packets: Dict[str, np.ndarray] = {}
        self._imu2cam: Dict[str, np.ndarray] = {}

    def _packet(self, path: str) -> np.ndarray:
        if path not in self._packets:
            self._packets[path] = read_oxts_packet(path)
        return self._packets[path]

    def _calib(self, calib_dir: str) -> np.ndarray:
        if calib_dir not in self._imu2cam:
            self._imu2cam[calib_dir] = imu_to_cam(calib_dir)
        return self._imu2cam[calib_dir]

    def sources(self, results: dict) -> list:
        if self.frame_ids is not None:
            return list(self.frame_ids)
        return [f for f in results.get('frame_ids', ())
                if isinstance(f, int) and f != 0]

    def relative_poses(self, results: dict) -> Tuple[np.ndarray, list]:
        missing = [k for k in ('data_root', 'folder', 'frame_index')
                   if k not in results]
        if missing:
            raise KeyError(
                f'LoadOxtsPoses: the data info lacks {missing}; use a KITTI '
                'raw dataset (KittiRawDataset, SynthRoadDataset)')
        root, folder = results['data_root'], results['folder']
        calib_dir = results.get('calib_dir') or osp.join(
            root, folder.split('/')[0])
        index = int(results['frame_index'])
        sources = self.sources(results)
        frames = [index] + [index + f for f in sources]
        try:
            packets = {i: self._packet(oxts_path(root, folder, i))
                       for i in frames}
            origin = self._packet(oxts_path(root, folder, self.origin_frame))
            odo = oxts_camera_poses(packets, origin, self._calib(calib_dir))
        except (FileNotFoundError, ValueError) as e:
            where = results.get('line')
            where = (f" (line {results.get('line_no')} of split file "
                     f"{results.get('ann_file')}: {where!r})"
                     if where is not None else '')
            raise type(e)(f'LoadOxtsPoses{where}: {e}') from None
        target = odo[index]
        rel = [np.linalg.inv(odo[index + f]) @ target for f in sources]
        poses = np.stack(rel) if rel else np.zeros((0, 4, 4))
        return poses, sources

    def transform(self, results: dict) -> dict:
        poses, sources = self.relative_poses(results)
        if results.get('flip', False):
            F = np.diag([-1., 1., 1., 1.])
            poses = F @ poses @ F
        results['gt_poses'] = poses.astype(np.float32)
        results['gt_pose_ids'] = np.asarray(sources, np.int64)
        return declare_fields(results, self.adds, source=self)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(frame_ids={self.frame_ids}, '
                f'origin_frame={self.origin_frame})')
