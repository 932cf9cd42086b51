"""Synthetic driving videos: geometry, file formats, determinism, loading."""
import filecmp
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from PIL import Image

from depthseg.datasets import KITTI_K, generate_depth_map, read_calib_file
from depthseg.datasets.synthetic import (INFO_FILE, ROAD_LABEL,
                                         SynthRoadScene, ensure_synthroad,
                                         write_synthroad)
from depthseg.datasets.synthetic import writer as writer_mod
from depthseg.models.utils.geometry import backproject, project
from depthseg.registry import DATASETS
from depthseg.testing.tools import load_tool

H, W = 48, 160
SEQ, FRAMES, SEED = 2, 5, 1  # seed 1: drive 0 curves, drive 1 is straight
DATE = writer_mod.DATE


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synth') / 'synthroad')
    info = write_synthroad(root, sequences=SEQ, frames=FRAMES, size=(H, W),
                           seed=SEED)
    return root, info


def drive_dir(root, drive=0):
    return osp.join(root, DATE, writer_mod.drive_name(drive))


def warp_error(scene, frame, src_frame, T_err=None, src_cam=2):
    """Mean L1 of frame ``src_frame`` (camera ``src_cam``) warped into
    camera 2 at ``frame`` with the true depth; ``T_err`` perturbs the
    relative pose. Returns the error over valid, in-image pixels."""
    h, w = scene.size
    tgt, src = scene.render(frame), scene.render(src_frame, src_cam)
    T = np.linalg.inv(src['pose']) @ tgt['pose']  # target -> source camera
    if T_err is not None:
        T = T_err @ T
    K = np.eye(4)
    K[:3, :3] = scene.K
    K = torch.from_numpy(K).float()[None]
    depth = torch.from_numpy(tgt['depth'])[None, None]
    pix = project(backproject(depth, torch.linalg.inv(K)), K,
                  torch.from_numpy(T).float()[None], h, w)
    img = torch.from_numpy(src['image']).permute(2, 0, 1)[None].float()
    warped = F.grid_sample(img / 255, pix, padding_mode='border',
                           align_corners=True)
    target = torch.from_numpy(tgt['image']).permute(2, 0, 1)[None] / 255
    inside = (pix.abs() <= 1).all(-1)[0]
    valid = (depth[0, 0] > 0) & inside
    return (warped - target).abs().mean(1)[0][valid].mean().item()


@pytest.mark.parametrize('drive', [0, 1, 2])
def test_true_pose_warps_better_than_perturbed(drive):
    """Exposure changes, moving cars, occlusions and aliased silhouettes
    leave some error with the true pose; 96×320 keeps the silhouette share
    (large at 48×160) small."""
    scene = SynthRoadScene(seed=1, drive=drive, num_frames=4,
                           size=(96, 320))
    err_true = warp_error(scene, 1, 2)
    assert err_true < 0.025
    for shift in ((0.15, 0, 0), (0, 0.1, 0), (0, 0, 0.2)):
        T_err = np.eye(4)
        T_err[:3, 3] = shift
        assert err_true < 0.75 * warp_error(scene, 1, 2, T_err), shift


def test_stereo_baseline_warp():
    """Camera 3 is +0.54 m along camera x: warping it with the true
    baseline beats a baseline of the wrong sign by far."""
    scene = SynthRoadScene(seed=2, drive=0, num_frames=2, size=(H, W))
    pose2, pose3 = scene.pose(0, 2), scene.pose(0, 3)
    np.testing.assert_allclose(
        (np.linalg.inv(pose2) @ pose3)[:3, 3], [0.54, 0, 0], atol=1e-12)
    T_flip = np.eye(4)
    T_flip[0, 3] = 2 * 0.54  # turns the true x offset of -0.54 into +0.54
    assert warp_error(scene, 0, 0, src_cam=3) < 0.5 * warp_error(
        scene, 0, 0, T_flip, src_cam=3)


def test_road_is_plane_below_camera():
    scene = SynthRoadScene(seed=4, drive=1, num_frames=3, size=(H, W))
    assert scene.cam_height == 1.65
    for cam in (2, 3):
        out = scene.render(2, cam)
        road = out['labels'] == ROAD_LABEL
        assert road.sum() > 0.05 * H * W
        v = np.nonzero(road)[0]
        y = out['depth'][road] * (v - scene.K[1, 2]) / scene.K[1, 1]
        np.testing.assert_allclose(y, 1.65, atol=1e-4)


def test_intrinsics_match_dataset_K():
    for size in ((48, 160), (192, 640), (375, 1242)):
        scene = SynthRoadScene(size=size, num_frames=2)
        K = KITTI_K[:3, :3] * np.array([[size[1]], [size[0]], [1]])
        np.testing.assert_allclose(scene.K, K, rtol=1e-6)


def test_render_contract():
    scene = SynthRoadScene(seed=0, drive=0, num_frames=3, size=(H, W))
    out = scene.render(1)
    assert out['image'].shape == (H, W, 3) and out['image'].dtype == np.uint8
    assert out['depth'].shape == (H, W) and out['depth'].dtype == np.float32
    assert out['labels'].dtype == np.uint8
    assert out['pose'].shape == (4, 4)
    assert (out['depth'][0] == 0).any()  # sky in the top row
    assert (out['depth'] >= 0).all() and out['depth'].max() <= scene.far
    np.testing.assert_allclose(scene.pose(0), np.eye(4), atol=1e-12)


@pytest.mark.parametrize('cam', [2, 3])
@pytest.mark.parametrize('drive', [0, 1])
def test_velodyne_matches_rendered_depth(tree, cam, drive):
    """Scans projected by generate_depth_map (camera z: vel_depth=False)
    land on the pixels whose rendered depth they match; shifting the GT by
    one pixel is clearly worse (the calibration's 1-based principal point
    cancels the projection's − 1)."""
    root, _ = tree
    calib_dir = osp.join(root, DATE)
    rel, rel_shift = [], []
    for frame in (0, FRAMES - 1):
        name = f'{frame:010d}'
        velo = osp.join(drive_dir(root, drive), 'velodyne_points', 'data',
                        name + '.bin')
        lidar = generate_depth_map(calib_dir, velo, cam=cam, vel_depth=False)
        assert lidar.shape == (H, W)
        png = osp.join(drive_dir(root, drive), 'proj_depth', 'groundtruth',
                       f'image_0{cam}', name + '.png')
        gt = np.asarray(Image.open(png), np.float32) / 256
        for out, ref in ((rel, gt), (rel_shift, np.roll(gt, 1, axis=1))):
            both = (lidar > 0) & (ref > 0)
            assert both.sum() > 0.03 * H * W
            out.append(np.abs(lidar[both] - ref[both]) / ref[both])
    rel, rel_shift = np.concatenate(rel), np.concatenate(rel_shift)
    assert np.median(rel) < 0.01
    assert np.percentile(rel, 80) < 0.05
    assert np.median(rel) < 0.7 * np.median(rel_shift)


def test_calibration_consistent_with_K(tree):
    root, info = tree
    cam2cam = read_calib_file(osp.join(root, DATE, 'calib_cam_to_cam.txt'))
    K = np.array(info['K_pixels'])
    np.testing.assert_allclose(KITTI_K[:3, :3] * [[W], [H], [1]], K)
    for cam, tx in ((2, 0.0), (3, -0.54)):
        P = cam2cam[f'P_rect_0{cam}'].reshape(3, 4)
        np.testing.assert_allclose(P[:, :3], K + [[0, 0, 1], [0, 0, 1],
                                                  [0, 0, 0]])  # 1-based
        np.testing.assert_allclose(P[0, 3], K[0, 0] * tx)
    np.testing.assert_array_equal(cam2cam['S_rect_02'], [W, H])


def test_fumet_npz_format(tree):
    root, _ = tree
    scene = SynthRoadScene(seed=SEED, drive=1, num_frames=FRAMES,
                           size=(H, W))
    seen_car = False
    for cam in (2, 3):
        folder = osp.join(drive_dir(root, 1),
                          f'heights_segms_with_road_{W}x{H}_0{cam}')
        assert sorted(os.listdir(folder)) == [
            f'{i:010d}.npz' for i in range(FRAMES)]
        for frame in range(FRAMES):
            with np.load(osp.join(folder, f'{frame:010d}.npz')) as z:
                assert sorted(z.files) == ['heights', 'segms']
                segms, heights = z['segms'], z['heights']
            assert segms.shape == (H, W) and segms.dtype == np.uint8
            assert heights.ndim == 1 and heights.dtype == np.float32
            out = scene.render(frame, cam)
            np.testing.assert_array_equal(segms, out['labels'])
            np.testing.assert_array_equal(heights, out['heights'])
            # FUMET's matching rule: sorted non-zero, non-road labels pair
            # with heights in order; cars < 100, road is the largest label
            labels = np.unique(segms)
            cars = labels[(labels != 0) & (labels != ROAD_LABEL)]
            np.testing.assert_array_equal(cars, np.arange(1, len(cars) + 1))
            assert len(cars) == len(heights) and labels.max() <= ROAD_LABEL
            assert ((heights >= 1.4) & (heights <= 1.9)).all()
            np.testing.assert_array_equal(
                heights, scene.car_heights[out['car_ids']])
            seen_car |= len(cars) > 0
    assert seen_car


def test_poses_file(tree):
    root, _ = tree
    scene = SynthRoadScene(seed=SEED, drive=0, num_frames=FRAMES,
                           size=(H, W))
    assert scene.kappa != 0
    poses = np.loadtxt(osp.join(drive_dir(root), 'poses.txt'))
    assert poses.shape == (FRAMES, 12)
    for frame in range(FRAMES):
        np.testing.assert_allclose(poses[frame].reshape(3, 4),
                                   scene.pose(frame)[:3], atol=1e-5)


def test_tree_layout_and_info(tree):
    root, info = tree
    with open(osp.join(root, INFO_FILE)) as f:
        assert json.load(f) == info
    assert info['size'] == [H, W] and info['seed'] == SEED
    assert info['camera_height'] == 1.65 and info['baseline'] == 0.54
    d = drive_dir(root)
    for sub in ('image_02/data', 'image_03/data',
                'proj_depth/groundtruth/image_02',
                'proj_depth/groundtruth/image_03', 'velodyne_points/data'):
        assert len(os.listdir(osp.join(d, sub))) == FRAMES, sub
    gt = np.asarray(Image.open(osp.join(
        d, 'proj_depth/groundtruth/image_02/0000000000.png')))
    assert gt.dtype == np.uint16 and gt.shape == (H, W)
    with open(osp.join(root, 'splits', 'train_files.txt')) as f:
        lines = f.read().splitlines()
    assert len(lines) == SEQ * (FRAMES - 2)  # < 3 drives: all splits share
    for line in lines:
        _, index, side = line.split()
        assert 1 <= int(index) <= FRAMES - 2 and side in 'lr'
    with open(osp.join(root, 'splits', 'test_files.txt')) as f:
        assert f.readline().split()[1:] == ['0000000000', 'l']


def test_split_drives():
    splits = writer_mod._split_drives(8)
    assert splits == dict(train=list(range(6)), val=[6], test=[7])
    assert writer_mod._split_drives(17)['test'] == [14, 15, 16]


def _tree_files(root):
    out = []
    for d, _, files in os.walk(root):
        out += [osp.relpath(osp.join(d, f), root) for f in files]
    return sorted(out)


def test_deterministic(tree, tmp_path):
    root, _ = tree
    other = str(tmp_path / 'again')
    write_synthroad(other, sequences=SEQ, frames=FRAMES, size=(H, W),
                    seed=SEED)
    files = _tree_files(root)
    assert files == _tree_files(other)
    _, mismatch, errors = filecmp.cmpfiles(root, other, files, shallow=False)
    assert not mismatch and not errors
    third = str(tmp_path / 'other_seed')
    write_synthroad(third, sequences=1, frames=3, size=(H, W),
                    seed=SEED + 1)
    img = 'image_02/data/0000000001.jpg'
    assert not filecmp.cmp(osp.join(drive_dir(root), img),
                           osp.join(drive_dir(third), img), shallow=False)


def _build(cfg):
    with DefaultScope.overwrite_default_scope('depthseg'):
        return DATASETS.build(cfg)


def test_kitti_raw_dataset_reads_tree(tree):
    root, info = tree
    train = _build(dict(
        type='KittiRawDataset', data_root=root,
        ann_file='splits/train_files.txt', frame_ids=(0, -1, 1, 's'),
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='ResizePyramid', height=H, width=W, num_scales=4),
            dict(type='ColorJitter', brightness=0.2, contrast=0.2,
                 saturation=0.2, hue=0.1, prob=0.5),
            dict(type='PackDepthInputs'),
        ]))
    assert len(train) == info['splits']['train']
    for idx in (0, len(train) - 1):
        out = train[idx]
        color = out['inputs']['color']
        assert set(color) == {0, -1, 1, 's'}
        assert [tuple(t.shape) for t in color[0]] == [
            (3, H, W), (3, H // 2, W // 2), (3, H // 4, W // 4),
            (3, H // 8, W // 8)]
        np.testing.assert_array_equal(out['data_samples'].K, KITTI_K)
    test = _build(dict(
        type='KittiRawDataset', data_root=root,
        ann_file='splits/test_files.txt', frame_ids=(0, ), test_mode=True,
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='LoadKittiDepthGT', source='velodyne', cam=2,
                 vel_depth=True),
            dict(type='ResizePyramid', height=H, width=W, num_scales=1),
            dict(type='PackDepthInputs'),
        ]))
    sample = test[0]['data_samples']
    assert sample.gt_depth_map.data.shape == (1, H, W)
    assert (sample.gt_depth_map.data > 0).float().mean() > 0.03


def _fail_after_some_files(*args, **kwargs):
    """A writer that leaves a half-written tree, then crashes."""
    root = args[0]
    write_synthroad(root, sequences=1, frames=3, size=(H, W), seed=0)
    os.remove(osp.join(root, INFO_FILE))
    raise RuntimeError('simulated crash')


def test_ensure_idempotent_and_atomic(tmp_path, monkeypatch):
    root = str(tmp_path / 'data' / 'synthroad')
    kwargs = dict(sequences=1, frames=3, size=(H, W), seed=0,
                  progress=False)
    monkeypatch.setattr(writer_mod, 'write_synthroad', _fail_after_some_files)
    with pytest.raises(RuntimeError, match='simulated crash'):
        ensure_synthroad(root, **kwargs)
    assert not osp.exists(root)  # no half tree at the target
    assert os.listdir(tmp_path / 'data') == ['.synthroad.lock']
    monkeypatch.undo()

    info = ensure_synthroad(root, **kwargs)
    assert info['frames'] == 3
    mtime = os.stat(osp.join(root, INFO_FILE)).st_mtime_ns

    def boom(*args, **kwargs):
        raise AssertionError('must not regenerate a complete tree')

    monkeypatch.setattr(writer_mod, 'write_synthroad', boom)
    assert ensure_synthroad(root, **kwargs) == info
    assert os.stat(osp.join(root, INFO_FILE)).st_mtime_ns == mtime
    with pytest.raises(ValueError, match='generated with'):
        ensure_synthroad(root, **dict(kwargs, seed=1))
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'x.txt').write_text('mine')
    with pytest.raises(ValueError, match='not a complete'):
        ensure_synthroad(str(foreign), **kwargs)


@pytest.mark.parametrize('data_root, generate', [
    ('data/synthroad', None),  # the configs' root: rendered without asking
    ('elsewhere/synthroad', True)])
def test_synthroad_dataset_generates_on_first_use(tmp_path, monkeypatch,
                                                  data_root, generate):
    monkeypatch.chdir(tmp_path)
    logged = []
    monkeypatch.setattr(writer_mod, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    ds = _build(dict(
        type='SynthRoadDataset', data_root=data_root, generate=generate,
        synth_cfg=dict(sequences=1, frames=3, size=(H, W), seed=0,
                       progress=False),
        ann_file='splits/train_files.txt',
        pipeline=[dict(type='LoadFrames')]))
    root = str(tmp_path / data_root)
    assert osp.isfile(osp.join(root, INFO_FILE))
    assert len(ds) == 1 and ds[0]['imgs'][0].size == (W, H)
    assert logged == [
        'Rendering the built-in synthetic videos (1 drives x 3 frames at '
        f'48x160) into {root}, once: about 1 s on one CPU core.']


def test_synthroad_dataset_other_root_must_be_asked_for(tmp_path):
    root = str(tmp_path / 'typo' / 'synthroad')
    with pytest.raises(FileNotFoundError) as err:
        _build(dict(type='SynthRoadDataset', data_root=root,
                    synth_cfg=dict(sequences=1, frames=3, size=(H, W)),
                    ann_file='splits/train_files.txt'))
    assert str(err.value) == (
        f'{root} holds no synthetic tree (no {INFO_FILE}); only the default '
        'data_root data/synthroad is rendered without asking. Fix: render it '
        'with python tools/dataset_converters/make_synthetic_kitti.py --out '
        f'{root} --sequences 1 --frames 3 --size {H}x{W} --seed 0 --ext '
        '.jpg, or pass generate=True to SynthRoadDataset (e.g. --cfg-options '
        'train_dataloader.dataset.generate=True), or correct data_root.')
    assert not osp.exists(tmp_path / 'typo')


def test_make_synthetic_kitti_cli(tmp_path, capsys):
    tool = load_tool('tools/dataset_converters/make_synthetic_kitti.py')
    out = str(tmp_path / 'synthroad')
    args = ['--out', out, '--sequences', '1', '--frames', '3', '--size',
            f'{H}x{W}', '--ext', '.png']
    tool.main(args)
    assert '1 drives x 3 frames at 48x160' in capsys.readouterr().out
    img = osp.join(drive_dir(out), 'image_03', 'data', '0000000002.png')
    with Image.open(img) as im:
        assert im.size == (W, H)
    tool.main(args)  # complete: kept as is
    with pytest.raises(SystemExit, match='generated with'):
        tool.main(args + ['--seed', '5'])
