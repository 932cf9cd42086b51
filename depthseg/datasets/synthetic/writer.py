"""Write synthetic drives in the KITTI raw layout (+ FUMET npz, poses).

Tree under ``root`` (``<date>`` = :data:`DATE`, ``<drive>`` =
``<date>_drive_<NNNN>_sync``)::

    synthroad_info.json                       sizes, seed, camera, K, ...
    splits/{train,val,test}_files.txt         Monodepth2 line format
    <date>/calib_cam_to_cam.txt               KITTI format (1-based pixels)
    <date>/calib_velo_to_cam.txt
    <date>/calib_imu_to_velo.txt              KITTI's 2011_09_26 values
    <date>/<drive>/image_0{2,3}/data/<%010d><ext>
    <date>/<drive>/proj_depth/groundtruth/image_0{2,3}/<%010d>.png
    <date>/<drive>/velodyne_points/data/<%010d>.bin
    <date>/<drive>/heights_segms_with_road_<W>x<H>_0{2,3}/<%010d>.npz
    <date>/<drive>/poses.txt                  camera 2, 3×4 cam-to-world rows
    <date>/<drive>/oxts/data/<%010d>.txt      GPS/IMU packets (see below)

The calibration projects exactly like the renderer: ``P_rect_02`` holds the
dataset's pixel K with the principal point shifted by +1 (KITTI's 1-based
pixel convention, undone by the ``− 1`` of ``generate_depth_map``),
``P_rect_03`` adds ``−fx·baseline``, ``R_rect_00`` is the identity and the
velodyne and IMU extrinsics are KITTI's ``2011_09_26`` values.

The OXTS packets (:func:`oxts_packets`) are the exact camera-2 poses seen
through the IMU (``T_world_imu = T_world_cam · imu2cam``, imu2cam parsed
from the written calibrations), with the renderer's world (x right, y
down, z forward at frame 0) mapped to east / −up / north, and converted to
latitude / longitude / altitude by the inverse of packnet-sfm's Mercator
conversion (scale = cos of frame 0's latitude): :class:`~depthseg.datasets.
transforms.LoadOxtsPoses` recovers the true relative poses.
"""
import fcntl
import glob
import json
import os
import os.path as osp
import shutil
import tempfile
import zipfile
from typing import Callable, Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from depthseg.datasets.kitti import KittiRawDataset
from depthseg.datasets.kitti_utils import format_calib, velo_to_cam_text
from depthseg.datasets.transforms.oxts import (
    IMU_TO_VELO_R,
    IMU_TO_VELO_T,
    imu_to_velo_text,
    oxts_packet_from_pose,
)
from depthseg.registry import DATASETS
from .renderer import SynthRoadScene, _noise_table

INFO_FILE = 'synthroad_info.json'
#: data_root of the synthroad configs: rendered on first use without asking.
DEFAULT_ROOT = 'data/synthroad'
DATE = '2000_01_01'
SEGM_DIRNAME = 'heights_segms_with_road'
# bump when the rendered content changes (2: set-back fronts, open lots;
# 3: oxts/ packets and calib_imu_to_velo.txt)
VERSION = 3
#: latitude / longitude (degrees) and altitude (m) of drive d's first IMU
#: position: OXTS_ORIGIN + d * OXTS_DRIVE_STEP
OXTS_ORIGIN = (49.0, 8.4, 110.0)
OXTS_DRIVE_STEP = (0.01, 0.0, 0.0)
# generation parameters recorded in the info json and checked on reuse
PARAM_KEYS = ('version', 'seed', 'sequences', 'frames', 'size', 'ext')


def drive_name(index: int) -> str:
    """Folder of drive ``index`` (0-based): ``<date>_drive_<index+1>_sync``."""
    return f'{DATE}_drive_{index + 1:04d}_sync'


def cam_to_cam_text(K: np.ndarray, size: Tuple[int, int],
                    baseline: float) -> str:
    """``calib_cam_to_cam.txt`` for pixel intrinsics ``K`` (3×3, 0-based
    principal point) at ``size`` (H, W); cameras 0/2 left, 1/3 right."""
    h, w = size
    k1 = np.array(K, np.float64)
    k1[:2, 2] += 1  # KITTI calibration: 1-based pixel coordinates
    lines = ['calib_time: 01-Jan-2000 00:00:00', 'corner_dist: 9.950000e-02']
    for cam in range(4):
        tx = -baseline if cam % 2 else 0.0
        p = np.concatenate([k1, [[k1[0, 0] * tx], [0], [0]]], 1)
        lines += [
            f'S_0{cam}: {format_calib([w, h])}',
            f'K_0{cam}: {format_calib(k1)}',
            f'D_0{cam}: {format_calib([0, 0, 0, 0, 0])}',
            f'R_0{cam}: {format_calib(np.eye(3))}',
            f'T_0{cam}: {format_calib([tx, 0, 0])}',
            f'S_rect_0{cam}: {format_calib([w, h])}',
            f'R_rect_0{cam}: {format_calib(np.eye(3))}',
            f'P_rect_0{cam}: {format_calib(p)}'
        ]
    return '\n'.join(lines) + '\n'


def velo_to_cam() -> np.ndarray:
    """4×4 velodyne -> camera transform of ``calib_velo_to_cam.txt``,
    parsed from its text as ``read_calib_file`` does."""
    values = dict(line.split(':', 1)
                  for line in velo_to_cam_text().splitlines())
    T = np.eye(4)
    T[:3, :3] = np.array([float(v) for v in values['R'].split()]).reshape(3,
                                                                          3)
    T[:3, 3] = [float(v) for v in values['T'].split()]
    return T


def imu_to_cam() -> np.ndarray:
    """4×4 IMU -> camera transform of the written calibrations
    (``R_rect_00`` = I): ``T_velo→cam · T_imu→velo``, both parsed from
    their text."""
    values = dict(line.split(':', 1) for line in imu_to_velo_text(
        IMU_TO_VELO_R, IMU_TO_VELO_T).splitlines())
    T = np.eye(4)
    T[:3, :3] = np.array([float(v) for v in values['R'].split()]).reshape(3,
                                                                          3)
    T[:3, 3] = [float(v) for v in values['T'].split()]
    return velo_to_cam() @ T


#: renderer world (x right, y down, z forward) -> east / north / up
_WORLD_TO_ENU = np.array([[1., 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0],
                          [0, 0, 0, 1]])


def _imu_pose(scene: SynthRoadScene, frame: float,
              imu2cam: np.ndarray) -> np.ndarray:
    """IMU -> ENU world (origin: the renderer's) at a (fractional)
    frame."""
    return _WORLD_TO_ENU @ scene.pose(frame, 2) @ imu2cam


def oxts_packets(scene: SynthRoadScene, drive: int,
                 imu2cam: np.ndarray) -> np.ndarray:
    """float64 F×30 OXTS packets of a drive (KITTI field order).

    lat / lon / alt / roll / pitch / yaw from the exact poses (the first
    frame's IMU at ``OXTS_ORIGIN + drive·OXTS_DRIVE_STEP``); velocities,
    accelerations (specific force: + g upwards) and angular rates by central
    differences (±0.01 frame) in the world (vn, ve, vu) and the IMU frame
    (vf, vl; ax..az = af..au; wx..wz = wf..wu); accuracies 0.05 m / 0.02
    m/s, navstat 4, 10 satellites, modes 5 / 5 / 6.
    """
    lat0, lon0, alt0 = np.add(OXTS_ORIGIN, np.multiply(OXTS_DRIVE_STEP,
                                                       drive))
    scale = np.cos(lat0 * np.pi / 180.)
    er = 6378137.
    ref = np.array([scale * lon0 * np.pi * er / 180.,
                    scale * er * np.log(np.tan((90. + lat0) * np.pi / 360.)),
                    alt0])
    p0 = _imu_pose(scene, 0, imu2cam)[:3, 3]
    h, dt = 0.01, 0.01 / scene.fps
    rows = []
    for frame in range(scene.num_frames):
        T = _imu_pose(scene, frame, imu2cam)
        T_enu = T.copy()
        T_enu[:3, 3] = ref + T[:3, 3] - p0
        llh_rpy = oxts_packet_from_pose(T_enu, scale)
        before, after = (_imu_pose(scene, frame + d, imu2cam)
                         for d in (-h, h))
        v = (after[:3, 3] - before[:3, 3]) / (2 * dt)
        a = (after[:3, 3] - 2 * T[:3, 3] + before[:3, 3]) / dt ** 2
        R = T[:3, :3]
        vb = R.T @ v
        ab = R.T @ (a + [0., 0., 9.81])
        dR = before[:3, :3].T @ after[:3, :3]
        w = np.array([dR[2, 1] - dR[1, 2], dR[0, 2] - dR[2, 0],
                      dR[1, 0] - dR[0, 1]]) / 2 / (2 * dt)
        rows.append(np.concatenate([
            llh_rpy, [v[1], v[0], vb[0], vb[1], v[2]], ab, ab, w, w,
            [0.05, 0.02, 4, 10, 5, 5, 6]]))
    return np.array(rows)


def save_npz(path: str, **arrays: np.ndarray) -> None:
    """``np.savez_compressed`` with fixed zip timestamps (byte-identical
    output for identical arrays)."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f'{name}.npy', (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, 'w') as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr),
                                          allow_pickle=False)


def _float32_list(a: np.ndarray) -> list:
    """Nested list of the shortest decimals of float32 values (0.58, not
    0.5799999833)."""
    return [[float(str(np.float32(v))) for v in row] for row in a]


def _split_drives(n: int) -> Dict[str, list]:
    """Drive indices per split: the last ⌈n/8⌉ test, the ⌈n/8⌉ before
    them val, the rest train; with fewer than 3 drives all splits use all
    drives."""
    if n < 3:
        return dict(train=list(range(n)), val=list(range(n)),
                    test=list(range(n)))
    k = -(-n // 8)
    return dict(train=list(range(n - 2 * k)), val=list(range(n - 2 * k,
                                                             n - k)),
                test=list(range(n - k, n)))


def write_synthroad(root: str,
                    sequences: int = 8,
                    frames: int = 60,
                    size: Sequence[int] = (192, 640),
                    seed: int = 0,
                    ext: str = '.jpg',
                    progress: Optional[Callable[[int], None]] = None) -> dict:
    """Render ``sequences`` drives of ``frames`` frames into ``root``.

    Same arguments -> byte-identical files. ``progress(n)`` is called after
    every frame (both cameras, LiDAR and labels written). Split lines: train
    / val use frames 1..frames−2 (so −1 / +1 exist) with a seeded random
    side; test lines list every frame of the test drives as
    ``<folder> <%010d> l``.

    Returns:
        the info dict also written to ``<root>/synthroad_info.json``.
    """
    if ext not in ('.jpg', '.png'):
        raise ValueError(f"ext must be '.jpg' or '.png', got {ext!r}")
    if sequences < 1:
        raise ValueError(f'sequences must be >= 1, got {sequences}')
    if frames < 3:
        raise ValueError(f'frames must be >= 3 (train lines need frames -1 '
                         f'and +1), got {frames}')
    h, w = (int(v) for v in size)
    calib_dir = osp.join(root, DATE)
    os.makedirs(calib_dir, exist_ok=True)
    table = _noise_table(np.random.default_rng(seed))
    with open(osp.join(calib_dir, 'calib_velo_to_cam.txt'), 'w') as f:
        f.write(velo_to_cam_text())
    with open(osp.join(calib_dir, 'calib_imu_to_velo.txt'), 'w') as f:
        f.write(imu_to_velo_text(IMU_TO_VELO_R, IMU_TO_VELO_T))
    for drive in range(sequences):
        scene = SynthRoadScene(seed, drive, frames, (h, w),
                               noise_table=table)
        if drive == 0:
            with open(osp.join(calib_dir, 'calib_cam_to_cam.txt'), 'w') as f:
                f.write(cam_to_cam_text(scene.K, (h, w), scene.baseline))
        _write_drive(osp.join(calib_dir, drive_name(drive)), scene,
                     velo_to_cam(), ext, progress)
        _write_oxts(osp.join(calib_dir, drive_name(drive)), scene, drive)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 1 << 20]))
    counts = {}
    for split, drives in _split_drives(sequences).items():
        lines = []
        for drive in drives:
            folder = f'{DATE}/{drive_name(drive)}'
            if split == 'test':
                lines += [f'{folder} {i:010d} l' for i in range(frames)]
            else:
                lines += [f'{folder} {i} {"lr"[rng.integers(2)]}'
                          for i in range(1, frames - 1)]
        os.makedirs(osp.join(root, 'splits'), exist_ok=True)
        with open(osp.join(root, 'splits', f'{split}_files.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        counts[split] = len(lines)

    info = dict(
        name='synthroad', version=VERSION, seed=int(seed),
        sequences=int(sequences), frames=int(frames), size=[h, w], ext=ext,
        date=DATE, drives=[drive_name(d) for d in range(sequences)],
        splits=counts, camera_height=scene.cam_height,
        baseline=scene.baseline, fps=scene.fps, max_depth=scene.far,
        K=_float32_list(scene.K_norm), K_pixels=_float32_list(scene.K),
        segm_dirname=f'{SEGM_DIRNAME}_{w}x{h}_0{{2,3}}',
        depth='z (camera depth) in metres; proj_depth PNG = uint16 '
        'round(depth*256), 0 = sky/invalid',
        labels='npz segms uint8: 0 background, 1..n cars (heights[k-1] '
        'in metres, float32), 100 road',
        poses='poses.txt: camera 2 to world (first frame), 3x4 rows',
        oxts='oxts/data/<%010d>.txt: KITTI OXTS packets of the exact poses '
        '(IMU of calib_imu_to_velo.txt; first frame at lat/lon/alt '
        f'{list(OXTS_ORIGIN)} + drive * {list(OXTS_DRIVE_STEP)})')
    with open(osp.join(root, INFO_FILE), 'w') as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write('\n')
    return info


def _write_drive(drive_dir: str, scene: SynthRoadScene,
                 velo_T: np.ndarray, ext: str,
                 progress: Optional[Callable[[int], None]]) -> None:
    """Images, GT depth, npz labels, LiDAR scans and poses of one drive."""
    h, w = scene.size
    dirs = {}
    for cam in (2, 3):
        dirs['img', cam] = osp.join(drive_dir, f'image_0{cam}', 'data')
        dirs['gt', cam] = osp.join(drive_dir, 'proj_depth', 'groundtruth',
                                   f'image_0{cam}')
        dirs['npz', cam] = osp.join(drive_dir,
                                    f'{SEGM_DIRNAME}_{w}x{h}_0{cam}')
    dirs['velo'] = osp.join(drive_dir, 'velodyne_points', 'data')
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    img_args = [cv2.IMWRITE_JPEG_QUALITY, 92] if ext == '.jpg' else []
    poses = []
    for frame in range(scene.num_frames):
        name = f'{frame:010d}'
        for cam in (2, 3):
            out = scene.render(frame, cam)
            cv2.imwrite(osp.join(dirs['img', cam], name + ext),
                        out['image'][..., ::-1], img_args)
            gt = np.round(out['depth'] * 256).clip(0, 65535).astype(
                np.uint16)
            cv2.imwrite(osp.join(dirs['gt', cam], name + '.png'), gt)
            save_npz(osp.join(dirs['npz', cam], name + '.npz'),
                     segms=out['labels'], heights=out['heights'])
            if cam == 2:
                poses.append(out['pose'][:3])
        scene.lidar_scan(frame, velo_T).tofile(
            osp.join(dirs['velo'], name + '.bin'))
        if progress is not None:
            progress(1)
    with open(osp.join(drive_dir, 'poses.txt'), 'w') as f:
        f.write(''.join(format_calib(p) + '\n' for p in poses))


def _write_oxts(drive_dir: str, scene: SynthRoadScene, drive: int) -> None:
    """``oxts/data/<%010d>.txt`` of one drive (:func:`oxts_packets`)."""
    out = osp.join(drive_dir, 'oxts', 'data')
    os.makedirs(out, exist_ok=True)
    for frame, row in enumerate(oxts_packets(scene, drive, imu_to_cam())):
        with open(osp.join(out, f'{frame:010d}.txt'), 'w') as f:
            f.write(' '.join(f'{v:.15g}' for v in row) + '\n')


def _read_info(root: str) -> Optional[dict]:
    path = osp.join(root, INFO_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def ensure_synthroad(root: str,
                     sequences: int = 8,
                     frames: int = 60,
                     size: Sequence[int] = (192, 640),
                     seed: int = 0,
                     ext: str = '.jpg',
                     progress: bool = True,
                     generate: bool = True) -> dict:
    """Generate the synthetic tree at ``root`` unless it is complete
    (``generate=False``: raise FileNotFoundError, naming how to render it,
    instead). Rendering is logged first, with its rough duration.

    A tree is complete when ``root/synthroad_info.json`` exists: the tree is
    written into a hidden sibling temp dir (info json last) and renamed to
    ``root`` in one step, so a crash never leaves a tree that looks
    complete. An exclusive lock (``.<name>.lock`` beside ``root``) makes
    concurrent callers (e.g. distributed ranks) wait for one writer; stale
    temp dirs of crashed runs are removed under the lock.

    Returns:
        the info dict of the tree.

    Raises:
        ValueError: ``root`` holds a complete tree generated with other
            parameters, or a non-empty folder that is not a synthetic tree.
    """
    root = osp.abspath(root)
    want = dict(version=VERSION, seed=int(seed), sequences=int(sequences),
                frames=int(frames), size=[int(v) for v in size], ext=ext)

    def check(info):
        got = {k: info.get(k) for k in PARAM_KEYS}
        if got != want:
            raise ValueError(
                f'{root} holds a synthetic tree generated with {got}, not '
                f'{want}. Fix: delete it, or use another data_root.')
        return info

    info = _read_info(root)
    if info is not None:
        return check(info)
    h, w = (int(v) for v in size)
    if not generate:
        raise FileNotFoundError(
            f'{root} holds no synthetic tree (no {INFO_FILE}); only the '
            f'default data_root {DEFAULT_ROOT} is rendered without asking. '
            'Fix: render it with python tools/dataset_converters/'
            f'make_synthetic_kitti.py --out {root} --sequences {sequences} '
            f'--frames {frames} --size {h}x{w} --seed {seed} --ext {ext}, or '
            'pass generate=True to SynthRoadDataset (e.g. --cfg-options '
            'train_dataloader.dataset.generate=True), or correct data_root.')
    parent, name = osp.split(root)
    os.makedirs(parent, exist_ok=True)
    with open(osp.join(parent, f'.{name}.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = _read_info(root)  # another process may have finished
        if info is not None:
            return check(info)
        if osp.isdir(root):
            if os.listdir(root):
                raise ValueError(
                    f'{root} exists but holds no {INFO_FILE}: not a complete '
                    'synthetic tree. Fix: delete it, or use another '
                    'data_root.')
            os.rmdir(root)
        for stale in glob.glob(osp.join(parent, f'.{name}.tmp-*')):
            shutil.rmtree(stale, ignore_errors=True)
        # measured on one CPU core: 0.1 s per 192x640 frame, 0.04 s at 96x320
        seconds = sequences * frames * (0.02 + 0.08 * h * w / (192 * 640))
        duration = (f'{seconds / 60:.0f} min' if seconds >= 120 else
                    f'{max(seconds, 1):.0f} s')
        print_log(
            f'Rendering the built-in synthetic videos ({sequences} drives x '
            f'{frames} frames at {h}x{w}) into {root}, once: about '
            f'{duration} on one CPU core.', logger='current')
        tmp = tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=parent)
        bar = None
        if progress:
            bar = tqdm(total=sequences * frames, unit='frame',
                       desc=f'synthroad -> {root}')
        try:
            info = write_synthroad(tmp, sequences, frames, size, seed, ext,
                                   bar.update if bar else None)
            os.chmod(tmp, 0o755)  # mkdtemp creates 0700
            os.rename(tmp, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            if bar is not None:
                bar.close()
    return info


@DATASETS.register_module()
class SynthRoadDataset(KittiRawDataset):
    """:class:`KittiRawDataset` on a synthetic tree generated on first use.

    Its only job is calling :func:`ensure_synthroad` (``data_root`` and
    ``synth_cfg``) before :class:`KittiRawDataset` reads the tree; all
    reading is KittiRawDataset's.

    Args:
        synth_cfg: keyword arguments of :func:`ensure_synthroad`
            (``sequences``, ``frames``, ``size``, ``seed``, ``ext``).
        generate: render a missing tree; None (default): only at
            :data:`DEFAULT_ROOT`, elsewhere a missing tree is an error (a
            mistyped data_root is not filled with renderings).
        data_root, **kwargs: see :class:`KittiRawDataset`.
    """

    def __init__(self, data_root: str = '', synth_cfg: Optional[dict] = None,
                 generate: Optional[bool] = None, **kwargs):
        if generate is None:
            generate = osp.abspath(data_root) == osp.abspath(DEFAULT_ROOT)
        ensure_synthroad(data_root, generate=generate, **(synth_cfg or {}))
        super().__init__(data_root=data_root, **kwargs)
