"""LoadOxtsPoses: KITTI OXTS packets -> target -> source camera poses, on
hand-made drives and on the built-in synthetic videos."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

from depthseg.datasets.synthetic import (
    SynthRoadScene,
    ensure_synthroad,
    write_synthroad,
)
from depthseg.datasets.synthetic import writer as writer_mod
from depthseg.datasets.transforms.oxts import (
    EARTH_RADIUS,
    IMU_TO_VELO_R,
    IMU_TO_VELO_T,
    LoadOxtsPoses,
    imu_to_cam,
    imu_to_velo_text,
    oxts_packet_from_pose,
    pose_from_oxts_packet,
)
from depthseg.registry import DATASETS, MODELS
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()
FOLDER = '2011_09_26/2011_09_26_drive_0001_sync'
FPS = 10.0


def write_straight_oxts(root, num_frames, speed, lat0=49.0, lon0=8.4,
                        yaw=0.0):
    """A drive heading east (yaw 0) at ``speed`` m/s: longitude grows by
    speed·dt·180 / (cos(lat0)·π·er) per frame, latitude constant."""
    out = osp.join(root, FOLDER, 'oxts', 'data')
    os.makedirs(out, exist_ok=True)
    scale = np.cos(lat0 * np.pi / 180)
    dlon = speed / FPS * 180 / (scale * np.pi * EARTH_RADIUS)
    for i in range(num_frames):
        row = [lat0, lon0 + i * dlon, 112.5, 0.01, -0.02, yaw] + [0.0] * 24
        with open(osp.join(out, f'{i:010d}.txt'), 'w') as f:
            f.write(' '.join(f'{v:.15g}' for v in row) + '\n')


@pytest.fixture
def kitti(tmp_path):
    root = str(tmp_path / 'kitti')
    make_kitti_raw_tree(root, num_frames=6, with_velodyne=False)
    with open(osp.join(root, '2011_09_26', 'calib_imu_to_velo.txt'),
              'w') as f:
        f.write(imu_to_velo_text(IMU_TO_VELO_R, IMU_TO_VELO_T))
    write_straight_oxts(root, 6, speed=12.0)
    return root


def info(root, index, frame_ids=(0, -1, 1)):
    return dict(data_root=root, folder=FOLDER, frame_index=index,
                frame_ids=list(frame_ids),
                calib_dir=osp.join(root, '2011_09_26'), line='x',
                line_no=3, ann_file='split.txt')


def test_conversion_round_trip():
    T = pose_from_oxts_packet([48.9, 8.41, 100., 0.02, -0.01, 1.2], 0.66)
    back = oxts_packet_from_pose(T, 0.66)
    np.testing.assert_allclose(back, [48.9, 8.41, 100., 0.02, -0.01, 1.2],
                               atol=1e-9)


def test_straight_drive_speed(kitti):
    """‖t‖ = v·Δt per frame step, no relative rotation, forward motion is
    −z of the target -> next-frame transform (camera z forward)."""
    out = LoadOxtsPoses(frame_ids=[-2, -1, 1, 2])(info(kitti, 3))
    poses = out['gt_poses']
    assert poses.shape == (4, 4, 4) and poses.dtype == np.float32
    assert out['gt_pose_ids'].tolist() == [-2, -1, 1, 2]
    for pose, f in zip(poses, [-2, -1, 1, 2]):
        assert np.linalg.norm(pose[:3, 3]) == pytest.approx(
            12.0 / FPS * abs(f), abs=1e-4)
        np.testing.assert_allclose(pose[:3, :3], np.eye(3), atol=1e-5)
        # the IMU heads along its x axis = (about) the camera's z axis
        assert np.sign(pose[2, 3]) == -np.sign(f)
        assert abs(pose[2, 3]) > 0.99 * np.linalg.norm(pose[:3, 3])
    assert out['field_kinds']['gt_poses'].kind == 'array'
    # default: the sample's temporal frame ids ('s' skipped)
    out = LoadOxtsPoses()(info(kitti, 2, (0, -1, 1, 's')))
    assert out['gt_pose_ids'].tolist() == [-1, 1]


def test_flip_mirrors_pose(kitti):
    plain = LoadOxtsPoses()(info(kitti, 2))['gt_poses']
    flipped = LoadOxtsPoses()(dict(info(kitti, 2), flip=True))['gt_poses']
    F = np.diag([-1., 1, 1, 1]).astype(np.float32)
    np.testing.assert_allclose(flipped, F @ plain @ F, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(flipped[:, :3, 3], axis=1),
                               np.linalg.norm(plain[:, :3, 3], axis=1))


def test_errors_name_the_file(kitti):
    missing = osp.join(kitti, FOLDER, 'oxts', 'data', '0000000005.txt')
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match='0000000005.txt'):
        LoadOxtsPoses()(info(kitti, 4))
    bad = osp.join(kitti, FOLDER, 'oxts', 'data', '0000000002.txt')
    with open(bad, 'w') as f:
        f.write('49.0 8.4 nan-ish\n')
    with pytest.raises(ValueError, match='0000000002.txt'):
        LoadOxtsPoses()(info(kitti, 2))
    with open(bad, 'w') as f:
        f.write('49.0 8.4\n')
    with pytest.raises(ValueError, match='0000000002.txt'):
        LoadOxtsPoses()(info(kitti, 2))
    os.remove(osp.join(kitti, '2011_09_26', 'calib_imu_to_velo.txt'))
    with pytest.raises(FileNotFoundError, match='calib_imu_to_velo.txt'):
        LoadOxtsPoses(frame_ids=[1])(info(kitti, 3))
    with open(osp.join(kitti, '2011_09_26', 'calib_imu_to_velo.txt'),
              'w') as f:
        f.write('R: 1 0 0\nT: 0 0 0\n')
    with pytest.raises(ValueError, match='calib_imu_to_velo.txt'):
        imu_to_cam(osp.join(kitti, '2011_09_26'))


# --- the built-in synthetic videos -------------------------------------
H, W = 48, 160
SYNTH = dict(sequences=2, frames=5, size=(H, W), seed=1)


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('oxts') / 'synthroad')
    write_synthroad(root, **SYNTH)
    return root


def test_synthetic_oxts_recover_true_motion(synth):
    """Every drive (0 curves, 1 is straight with seed 1): the OXTS poses
    equal the renderer's relative poses (translation within 1 cm)."""
    date = writer_mod.DATE
    assert osp.isfile(osp.join(synth, date, 'calib_imu_to_velo.txt'))
    load = LoadOxtsPoses(frame_ids=[-1, 1, 2])
    for drive in range(2):
        scene = SynthRoadScene(seed=1, drive=drive, num_frames=5,
                               size=(H, W))
        folder = f'{date}/{writer_mod.drive_name(drive)}'
        for index in (1, 2):
            out = load(dict(data_root=synth, folder=folder,
                            frame_index=index))
            for pose, f in zip(out['gt_poses'], [-1, 1, 2]):
                true = np.linalg.inv(scene.pose(index + f)) @ scene.pose(
                    index)
                assert np.abs(pose[:3, 3] - true[:3, 3]).max() < 0.01
                assert np.linalg.norm(pose[:3, 3]) == pytest.approx(
                    np.linalg.norm(true[:3, 3]), abs=0.01)
                np.testing.assert_allclose(pose[:3, :3], true[:3, :3],
                                           atol=1e-5)


def test_synthetic_batch(synth):
    """Through the dataset, the packer and the data preprocessor:
    ``gt_poses`` B×2×4×4 and ``gt_pose_ids`` B×2."""
    with DefaultScope.overwrite_default_scope('depthseg'):
        ds = DATASETS.build(dict(
            type='SynthRoadDataset', data_root=synth, synth_cfg=SYNTH,
            ann_file='splits/train_files.txt', frame_ids=[0, -1, 1],
            pipeline=[dict(type='LoadFrames'),
                      dict(type='RandomFlip', prob=0.5),
                      dict(type='LoadOxtsPoses'),
                      dict(type='ResizePyramid', height=H, width=W,
                           num_scales=1),
                      dict(type='PackDepthInputs')]))
        pre = MODELS.build(dict(type='DepthDataPreprocessor'))
    batch = pre(pseudo_collate([ds[0], ds[1]]), True)
    inputs = batch['inputs']
    assert inputs['gt_poses'].shape == (2, 2, 4, 4)
    assert inputs['gt_pose_ids'].tolist() == [[-1, 1], [-1, 1]]
    speed = inputs['gt_poses'][:, :, :3, 3].norm(dim=-1)
    assert torch.all((speed > 0.3) & (speed < 3))


def test_old_tree_is_refused(tmp_path):
    """A tree of an older data version (no oxts/) is refused with the
    delete-it message."""
    root = tmp_path / 'old'
    root.mkdir()
    with open(root / writer_mod.INFO_FILE, 'w') as f:
        json.dump(dict(version=2, seed=0, sequences=2, frames=5,
                       size=[H, W], ext='.jpg'), f)
    with pytest.raises(ValueError, match='delete it'):
        ensure_synthroad(str(root), sequences=2, frames=5, size=(H, W),
                         seed=0, generate=False)
    assert writer_mod.VERSION >= 3
