"""KITTI datasets, transforms and their error messages on tiny trees."""
import os
import random

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from PIL import Image

from depthseg.datasets import (KITTI_K, ColorJitter, LoadFrames,
                               LoadKittiDepthGT, PackDepthInputs, RandomFlip)
from depthseg.registry import DATASETS
from depthseg.structures import DepthDataSample
from depthseg.testing.kitti_tree import (make_kitti_odom_tree,
                                         make_kitti_raw_tree)

H, W = 48, 160
FOLDER = '2011_09_26/2011_09_26_drive_0001_sync'


def train_pipeline(flip_prob=0.5, jitter_prob=0.5):
    return [
        dict(type='LoadFrames'),
        dict(type='RandomFlip', prob=flip_prob),
        dict(type='ResizePyramid', height=H, width=W),
        dict(type='ColorJitter', prob=jitter_prob),
        dict(type='PackDepthInputs'),
    ]


def build(cfg):
    with DefaultScope.overwrite_default_scope('depthseg'):
        return DATASETS.build(cfg)


def raw_dataset(tree, split='train', pipeline=None, **kwargs):
    cfg = dict(type='KittiRawDataset', data_root=tree['root'],
               ann_file=tree[split],
               pipeline=train_pipeline() if pipeline is None else pipeline)
    cfg.update(kwargs)
    return build(cfg)


def write_split(tmp_path, *lines):
    path = tmp_path / 'split.txt'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


@pytest.fixture
def tree(tmp_path):
    return make_kitti_raw_tree(str(tmp_path / 'kitti'))


@pytest.mark.parametrize('flip', [False, True])
def test_packed_contract(tree, flip):
    ds = raw_dataset(tree, frame_ids=(0, -1, 1, 's'),
                     pipeline=train_pipeline(flip_prob=float(flip)))
    assert len(ds) == 4  # frames 1..4 of a 6-frame drive
    for idx, side_sign in ((0, 1), (1, -1)):  # line 1 is 'r', line 2 'l'
        out = ds[idx]
        color, color_aug = out['inputs']['color'], out['inputs']['color_aug']
        assert set(color) == set(color_aug) == {0, -1, 1, 's'}
        for fid in color:
            shapes = [tuple(t.shape) for t in color[fid]]
            assert shapes == [(3, 48, 160), (3, 24, 80), (3, 12, 40),
                              (3, 6, 20)]
            assert all(t.dtype == torch.uint8 for t in color[fid])
            assert color_aug[fid].shape == (3, 48, 160)
            assert color_aug[fid].dtype == torch.uint8
        sample = out['data_samples']
        assert isinstance(sample, DepthDataSample)
        assert sample.K.dtype == np.float32
        np.testing.assert_array_equal(sample.K, KITTI_K)
        assert sample.flip is flip
        assert sample.ori_shape == sample.img_shape == (48, 160)
        assert sample.frame_ids == [0, -1, 1, 's']
        assert sample.line_no == idx + 1 and sample.sample_idx == idx
        assert sample.ann_file == tree['train']
        expected_T = np.eye(4, dtype=np.float32)
        expected_T[0, 3] = side_sign * (-1 if flip else 1) * 0.1
        np.testing.assert_array_equal(sample.stereo_T, expected_T)
        assert 'gt_depth_map' not in sample


def test_data_info_paths(tree):
    ds = raw_dataset(tree, frame_ids=(0, -1, 1, 's'))
    info = ds.get_data_info(0)  # line 'FOLDER 1 r'
    root = tree['root']
    img = os.path.join(root, FOLDER, 'image_0{}', 'data', '{:010d}.jpg')
    assert info['img_paths'] == {
        0: img.format(3, 1), -1: img.format(3, 0), 1: img.format(3, 2),
        's': img.format(2, 1)}
    assert info['img_path'] == img.format(3, 1)
    assert info['calib_dir'] == os.path.join(root, '2011_09_26')
    assert info['velo_path'] == os.path.join(
        root, FOLDER, 'velodyne_points', 'data', '0000000001.bin')
    assert info['gt_png_path'] == os.path.join(
        root, FOLDER, 'proj_depth', 'groundtruth', 'image_03',
        '0000000001.png')
    assert (info['folder'], info['frame_index'], info['side']) == (FOLDER, 1,
                                                                   'r')
    assert info['line'] == f'{FOLDER} 1 r' and info['line_no'] == 1


def test_split_line_variants(tree, tmp_path):
    split = write_split(tmp_path, f'{FOLDER} 0000000003 2', f'{FOLDER} 4 l',
                        '', f'{FOLDER} 2 3')
    ds = raw_dataset(tree, ann_file=split, frame_ids=(0, ))
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [(i['frame_index'], i['side'], i['cam'], i['line_no'])
            for i in infos] == [(3, '2', 2, 1), (4, 'l', 2, 2),
                                (2, '3', 3, 4)]


def test_ann_file_relative_to_data_root(tree):
    ds = raw_dataset(tree, ann_file='splits/val_files.txt')
    assert ds.ann_file == tree['val'] and len(ds) == 2


def test_test_pipeline_with_gt(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), with_gt_png=True)
    for gt in (dict(source='velodyne', cam=2, vel_depth=True),
               dict(source='velodyne'), dict(source='png')):
        ds = raw_dataset(tree, split='test', frame_ids=(0, ), pipeline=[
            dict(type='LoadFrames'),
            dict(type='ResizePyramid', height=32, width=96),
            dict(type='LoadKittiDepthGT', **gt),
            dict(type='PackDepthInputs')
        ])
        out = ds[2]
        assert ds.get_data_info(2)['frame_index'] == 2  # zero-padded index
        color = out['inputs']['color'][0]
        assert [tuple(t.shape) for t in color] == [(3, 32, 96), (3, 16, 48),
                                                   (3, 8, 24), (3, 4, 12)]
        # without ColorJitter, color_aug is scale 0 of color
        assert torch.equal(out['inputs']['color_aug'][0], color[0])
        sample = out['data_samples']
        assert sample.flip is False and 'stereo_T' not in sample
        assert sample.ori_shape == (48, 160) and sample.img_shape == (32, 96)
        depth = sample.gt_depth_map.data
        assert depth.shape == (1, 48, 160) and depth.dtype == torch.float32
        assert (depth > 0).sum() > 50 and depth.min() >= 0


def test_png_images(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), ext='.png')
    ds = raw_dataset(tree, img_ext='.png')
    out = ds[0]
    assert out['inputs']['color'][1][0].shape == (3, 48, 160)
    assert ds.get_data_info(0)['img_path'].endswith('0000000001.png')
    # a jpg config on a png tree points at the img_ext fix
    ds = raw_dataset(tree)
    with pytest.raises(FileNotFoundError, match="img_ext='.png'"):
        ds[0]


def test_odometry_dataset(tmp_path):
    tree = make_kitti_odom_tree(str(tmp_path / 'odom'))
    ds = build(dict(type='KittiOdomDataset', data_root=tree['root'],
                    ann_file=tree['train'], frame_ids=(0, -1, 1, 's'),
                    pipeline=train_pipeline()))
    info = ds.get_data_info(0)  # line '9 1 r'
    root = tree['root']
    img = os.path.join(root, 'sequences', '09', 'image_{}', '{:06d}.jpg')
    assert info['img_paths'] == {
        0: img.format(3, 1), -1: img.format(3, 0), 1: img.format(3, 2),
        's': img.format(2, 1)}
    assert info['calib_path'] == os.path.join(root, 'sequences', '09',
                                              'calib.txt')
    assert info['pose_path'] == os.path.join(root, 'poses', '09.txt')
    assert os.path.isfile(info['calib_path'])
    assert np.loadtxt(info['pose_path']).shape == (6, 12)
    assert ds[0]['inputs']['color']['s'][3].shape == (3, 6, 20)


def _results(imgs):
    return dict(color={fid: [img] for fid, img in imgs.items()})


def test_color_jitter_shared_across_frames():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    jitter = ColorJitter(prob=1.0)
    torch.manual_seed(0)
    out = jitter(_results({0: img, -1: img.copy(), 1: img.copy()}))
    aug = out['color_aug']
    # the recorded draw is the one applied (to every frame)
    np.testing.assert_array_equal(
        np.array(ColorJitter.apply(Image.fromarray(img),
                                   out['color_jitter'])), aug[0])
    assert np.array_equal(aug[0], aug[-1]) and np.array_equal(aug[0], aug[1])
    assert not np.array_equal(aug[0], img)
    # injected params are applied as given, in the given order
    params = dict(order=[3, 2, 1, 0], brightness=1.2, contrast=0.8,
                  saturation=1.1, hue=0.05)
    out = jitter.transform(_results({0: img, 's': img.copy()}), params=params)
    expected = np.asarray(ColorJitter.apply(Image.fromarray(img), params))
    for fid in (0, 's'):
        np.testing.assert_array_equal(out['color_aug'][fid], expected)
    params = jitter.get_params()
    assert sorted(params['order']) == [0, 1, 2, 3]
    assert 0.8 <= params['brightness'] <= 1.2
    assert -0.1 <= params['hue'] <= 0.1
    # prob 0: identity copies
    out = ColorJitter(prob=0.0)(_results({0: img}))
    assert out['color_jitter'] is None
    np.testing.assert_array_equal(out['color_aug'][0], img)


def test_flip_flips_all_frames():
    rng = np.random.default_rng(0)
    arrays = {fid: rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
              for fid in (0, -1, 1, 's')}
    gt = rng.uniform(0, 80, (6, 8)).astype(np.float32)
    results = dict(imgs={fid: Image.fromarray(a) for fid, a in arrays.items()},
                   gt_depth=gt.copy())
    out = RandomFlip(prob=1.0)(results)
    assert out['flip'] is True
    for fid, a in arrays.items():
        np.testing.assert_array_equal(np.asarray(out['imgs'][fid]),
                                      a[:, ::-1])
    np.testing.assert_array_equal(out['gt_depth'], gt[:, ::-1])
    out = RandomFlip(prob=0.0)(dict(imgs={0: Image.fromarray(arrays[0])}))
    assert out['flip'] is False
    # the original's draw: flip iff random.random() > 0.5
    random.seed(3)
    draw = random.random() > 0.5
    random.seed(3)
    assert RandomFlip()(dict(imgs={}))['flip'] is draw


def test_pack_gt_and_side_none():
    img = np.zeros((4, 6, 3), np.uint8)
    results = dict(color={0: [img], 's': [img]}, frame_ids=[0, 's'], cam=2,
                   side=None, K=KITTI_K, flip=True,
                   gt_depth=np.ones((5, 7), np.float32))
    out = PackDepthInputs()(results)
    sample = out['data_samples']
    assert sample.stereo_T[0, 3] == pytest.approx(0.1)  # left, flipped
    assert sample.gt_depth_map.data.shape == (1, 5, 7)


# ---- clear errors ----


def test_missing_frame_names_file_and_line(tree, tmp_path):
    split = write_split(tmp_path, f'{FOLDER} 2 l', f'{FOLDER} 5 l')
    ds = raw_dataset(tree, ann_file=split)
    ds[0]
    missing = os.path.join(tree['root'], FOLDER, 'image_02', 'data',
                           '0000000006.jpg')
    with pytest.raises(FileNotFoundError) as e:
        ds[1]
    msg = str(e.value)
    assert missing in msg and 'frame 1 of line 2' in msg
    assert split in msg and f"'{FOLDER} 5 l'" in msg
    assert 'data_root' in msg and 'img_ext' in msg


@pytest.mark.parametrize('content', ['garbage', 'truncated'])
def test_unreadable_image(tree, content):
    ds = raw_dataset(tree)
    path = ds.get_data_info(0)['img_paths'][-1]
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(b'not an image at all' if content == 'garbage' else
                data[:len(data) // 3])
    with pytest.raises(OSError) as e:
        LoadFrames()(ds.get_data_info(0))
    msg = str(e.value)
    assert not isinstance(e.value, FileNotFoundError)
    assert path in msg and 'line 1 of split file' in msg
    assert 're-extract' in msg


def test_missing_calibration(tree):
    ds = raw_dataset(tree, pipeline=[])
    info = ds.get_data_info(0)
    calib = os.path.join(info['calib_dir'], 'calib_cam_to_cam.txt')
    os.remove(calib)
    with pytest.raises(FileNotFoundError) as e:
        LoadKittiDepthGT()(info)
    assert calib in str(e.value) and 'calib_velo_to_cam.txt' in str(e.value)


def test_missing_gt_files(tree):
    info = raw_dataset(tree, pipeline=[]).get_data_info(0)
    with pytest.raises(FileNotFoundError, match='data_depth_annotated'):
        LoadKittiDepthGT(source='png')(dict(info))
    os.remove(info['velo_path'])
    with pytest.raises(FileNotFoundError, match='velodyne_points'):
        LoadKittiDepthGT()(dict(info))


@pytest.mark.parametrize('line, problem', [
    (f'{FOLDER} 3 x', "unknown side 'x'"),
    (f'{FOLDER} three l', "frame index 'three' is not an integer"),
    (f'{FOLDER} 3', '2 fields instead of 3'),
    (f'{FOLDER} 3 l extra', '4 fields instead of 3'),
    (FOLDER, '1 fields instead of 3')])
def test_malformed_split_line(tree, tmp_path, line, problem):
    split = write_split(tmp_path, f'{FOLDER} 1 l', line)
    with pytest.raises(ValueError) as e:
        raw_dataset(tree, ann_file=split)
    msg = str(e.value)
    assert f'line 2 of split file {split}: {line!r} ({problem})' in msg
    assert 'Expected "<folder> <frame_index> <side>"' in msg
    assert 'Fix: correct or delete this line' in msg


@pytest.mark.parametrize('line', ['8 4056', 'x 4056 r'])
def test_malformed_odometry_line(tmp_path, line):
    tree = make_kitti_odom_tree(str(tmp_path / 'odom'))
    split = write_split(tmp_path, line)
    with pytest.raises(ValueError) as e:
        build(dict(type='KittiOdomDataset', data_root=tree['root'],
                   ann_file=split))
    msg = str(e.value)
    assert f'line 1 of split file {split}: {line!r}' in msg
    assert 'Expected "<sequence> <frame_index> <side>"' in msg
    assert 'e.g. "8 4056 r"' in msg


def test_missing_split_file(tree):
    with pytest.raises(FileNotFoundError) as e:
        raw_dataset(tree, ann_file='splits/nope_files.txt')
    msg = str(e.value)
    assert os.path.abspath('splits/nope_files.txt') in msg
    assert os.path.join(tree['root'], 'splits/nope_files.txt') in msg
    assert 'train_dataloader.dataset.ann_file=' in msg
