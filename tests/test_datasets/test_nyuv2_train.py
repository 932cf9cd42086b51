"""NYUv2 training (BDEdepth's indoor setting): StructDepth's nine-path
split lines, undistortion + 16 px crop and its intrinsics, clear errors,
and bdedepth_hrnet18_nyuv2.py training two iterations on a tiny tree."""
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from depthseg.datasets import (
    NYU_DISTORTION,
    NYU_INTRINSICS,
    LoadFrames,
    RandomFlip,
    UndistortCrop,
    nyu_K,
)
from depthseg.datasets.transforms.cross_eval import NYU_CROP, NYU_TEST_K
from depthseg.engine import DepthRunner
from depthseg.registry import DATASETS
from depthseg.testing.nyuv2_tree import make_nyuv2_train_tree
from depthseg.utils import disable_pretrained, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'bdedepth' / 'bdedepth_hrnet18_nyuv2.py'
FX, FY, CX, CY = NYU_INTRINSICS

register_all_modules()


def build(**kwargs):
    with DefaultScope.overwrite_default_scope('depthseg'):
        return DATASETS.build(dict(type='NYUv2TrainDataset', **kwargs))


def load(info):
    """LoadFrames then UndistortCrop on a copy of a data info."""
    return UndistortCrop()(LoadFrames()(dict(info)))


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    return make_nyuv2_train_tree(str(tmp_path_factory.mktemp('nyu')),
                                 test_images=2)


def write_split(tmp_path, *lines):
    path = tmp_path / 'split.txt'
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


# ---- reader ----


@pytest.mark.parametrize('frame_ids', [(0, -1, 1), (0, -4, 4, 2)])
def test_frame_neighbours(tree, frame_ids):
    ds = build(data_root=tree['root'], ann_file=tree['train'],
               frame_ids=frame_ids)
    assert len(ds) == 4  # frames 4, 5 of each 10-frame scene
    for idx, (scene, centre) in enumerate([('bedroom_0001', 4),
                                           ('bedroom_0001', 5),
                                           ('kitchen_0002', 4),
                                           ('kitchen_0002', 5)]):
        info = ds.get_data_info(idx)
        frames = tree['frames'][scene]
        assert info['img_paths'] == {
            fid: os.path.join(tree['root'], frames[centre + fid])
            for fid in frame_ids}
        assert info['img_path'] == info['img_paths'][0]
        assert info['folder'] == f'nyu_depth_v2/{scene}'
        assert info['frame_ids'] == list(frame_ids)
        assert info['line_no'] == idx + 1 and info['sample_idx'] == idx
        assert info['line'] == tree['lines'][idx]


def test_intrinsics_after_crop(tree):
    info = build(data_root=tree['root'], ann_file=tree['train'],
                 pipeline=[]).get_data_info(0)
    expected = np.array([[FX / 608, 0, (CX - 16) / 608, 0],
                         [0, FY / 448, (CY - 16) / 448, 0],
                         [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(info['K'], expected)
    assert info['K'][0, 0] == pytest.approx(0.853385, abs=1e-6)
    assert info['K'][0, 2] == pytest.approx(0.509182, abs=1e-6)
    # the test set's K comes from the same function (crop 44:471, 40:601)
    np.testing.assert_array_equal(NYU_TEST_K, nyu_K(NYU_CROP))
    assert NYU_TEST_K[1, 2] == np.float32((CY - 44) / 427)

    out = load(info)
    assert out['ori_shape'] == (448, 608)
    np.testing.assert_array_equal(out['K'], expected)  # K left alone
    # the spec's order: undistort the 640x480 frame, then cut 16 px
    raw = np.asarray(Image.open(info['img_paths'][-1]).convert('RGB'))
    kmat = np.array([[FX, 0, CX], [0, FY, CY], [0, 0, 1]])
    ref = cv2.undistort(raw, kmat, np.array([NYU_DISTORTION]))[16:-16,
                                                               16:-16]
    np.testing.assert_array_equal(np.asarray(out['imgs'][-1]), ref)
    assert not np.array_equal(ref, raw[16:-16, 16:-16])

    # a flip afterwards mirrors the frames and the principal point
    flipped = RandomFlip(prob=1.0)(load(info))
    np.testing.assert_array_equal(np.asarray(flipped['imgs'][-1]),
                                  ref[:, ::-1])
    assert flipped['K'][0, 2] == pytest.approx(1 - expected[0, 2])


def test_no_undistortion_no_crop(tree):
    info = build(data_root=tree['root'], ann_file=tree['train'], crop=0,
                 undistort=False, pipeline=[]).get_data_info(1)
    np.testing.assert_array_equal(info['K'], nyu_K((0, 480, 0, 640)))
    out = load(info)
    raw = np.asarray(Image.open(info['img_path']).convert('RGB'))
    np.testing.assert_array_equal(np.asarray(out['imgs'][0]), raw)


def test_packed_sample(tree):
    pipeline = [dict(type='LoadFrames'), dict(type='UndistortCrop'),
                dict(type='RandomFlip', prob=0.0),
                dict(type='ResizePyramid', height=64, width=96,
                     num_scales=1),
                dict(type='ResizeCrop', name='local'),
                dict(type='ColorJitter', prob=0.0, per_image=True),
                dict(type='PackDepthInputs')]
    out = build(data_root=tree['root'], ann_file=tree['train'],
                pipeline=pipeline)[2]
    inputs, sample = out['inputs'], out['data_samples']
    assert set(inputs['color']) == {0, -1, 1}
    assert inputs['color'][0][0].shape == (3, 64, 96)
    assert inputs['views']['local']['color_aug'][1].shape == (3, 64, 96)
    assert sample.ori_shape == (448, 608) and sample.img_shape == (64, 96)
    assert sample.folder == 'nyu_depth_v2/kitchen_0002'
    np.testing.assert_array_equal(sample.K, nyu_K((16, 464, 16, 624)))


# ---- clear errors ----


@pytest.mark.parametrize('frame_ids', [(0, 5), (0, True), (0, 's')])
def test_bad_frame_ids(frame_ids):
    with pytest.raises(ValueError, match='subset of'):
        build(frame_ids=frame_ids, lazy_init=True)


@pytest.mark.parametrize('crop', [16.0, -1, 240])
def test_bad_crop(crop):
    with pytest.raises(ValueError, match='crop must be an int'):
        build(crop=crop, lazy_init=True)


def test_missing_split(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        build(data_root=str(tmp_path), ann_file='nope/train_files.txt')
    msg = str(e.value)
    assert str(tmp_path / 'nope' / 'train_files.txt') in msg
    assert 'splits/nyuv2/train_files.txt' in msg and 'StructDepth' in msg


def test_malformed_line(tree, tmp_path):
    short = ' '.join(tree['lines'][0].split()[:8])
    split = write_split(tmp_path, tree['lines'][1], short)
    with pytest.raises(ValueError) as e:
        build(data_root=tree['root'], ann_file=split)
    msg = str(e.value)
    assert f'line 2 of split file {split}' in msg
    assert '8 fields instead of 9' in msg and 'Fix:' in msg


def test_missing_frame_names_file_and_layout(tree, tmp_path):
    paths = tree['lines'][0].split()
    paths[4] = paths[4].replace('.ppm', '_gone.ppm')  # frame -1
    split = write_split(tmp_path, ' '.join(paths))
    info = build(data_root=tree['root'], ann_file=split,
                 pipeline=[]).get_data_info(0)
    with pytest.raises(FileNotFoundError) as e:
        LoadFrames()(info)
    msg = str(e.value)
    assert os.path.join(tree['root'], paths[4]) in msg
    assert f'frame -1 of line 1 of split file {split}' in msg
    assert 'nyu_depth_v2/<scene>/r-<timestamp>-<n>.ppm' in msg
    assert 'KITTI' not in msg


def test_unreadable_frame(tree, tmp_path):
    paths = tree['lines'][0].split()
    bad = tmp_path / 'broken.ppm'
    bad.write_bytes(b'P6 not an image')
    paths[5] = str(bad)  # frame 1, absolute
    split = write_split(tmp_path, ' '.join(paths))
    info = build(data_root=tree['root'], ann_file=split,
                 pipeline=[]).get_data_info(0)
    with pytest.raises(OSError) as e:
        LoadFrames()(info)
    msg = str(e.value)
    assert str(bad) in msg and 're-extract' in msg and 'KITTI' not in msg


def test_wrong_frame_size(tree, tmp_path):
    paths = tree['lines'][0].split()
    small = tmp_path / 'small.ppm'
    Image.new('RGB', (320, 240)).save(small)
    paths[0] = str(small)
    split = write_split(tmp_path, ' '.join(paths))
    info = build(data_root=tree['root'], ann_file=split,
                 pipeline=[]).get_data_info(0)
    with pytest.raises(ValueError) as e:
        load(info)
    msg = str(e.value)
    assert str(small) in msg and '320×240' in msg and '640×480' in msg
    assert 'line 1 of split file' in msg


def test_undistort_crop_order_and_inputs(tree):
    info = build(data_root=tree['root'], ann_file=tree['train'],
                 pipeline=[]).get_data_info(0)
    with pytest.raises(ValueError, match='before RandomFlip'):
        UndistortCrop()(RandomFlip(prob=0.0)(LoadFrames()(dict(info))))
    del info['camera']
    with pytest.raises(KeyError, match='camera.*NYUv2TrainDataset'):
        load(info)


# ---- the config ----


def test_config_follows_the_original():
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.max_depth == 10.0 and cfg.model.min_depth == 0.1
    assert cfg.model.views == dict(reshuffle=None,
                                   local=dict(type='ResizeCropView'))
    assert cfg.model.depth_encoder.type == 'HRNetEncoder'
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.train_dataloader.dataset.frame_ids == [0, -1, 1]
    sizes = {(s['height'], s['width'])
             for loader in (cfg.train_dataloader, cfg.val_dataloader,
                            cfg.test_dataloader)
             for s in loader.dataset.pipeline
             if s['type'] == 'ResizePyramid'}
    assert sizes == {(288, 384)}
    assert [s['type'] for s in cfg.train_dataloader.dataset.pipeline
            ].count('PatchReshuffle') == 0
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01)
    assert cfg.param_scheduler == [dict(type='MultiStepLR', by_epoch=True,
                                        milestones=[26, 36], gamma=0.1)]
    assert cfg.train_cfg.max_epochs == 50
    assert cfg.val_evaluator == cfg.test_evaluator
    assert cfg.val_evaluator.resize == 'nearest'
    assert cfg.val_evaluator.max_depth == 10.0
    assert [s['name'] for s in cfg.test_sets] == ['nyuv2']


def test_config_trains_two_iterations(tree, tmp_path):
    """The config at 64×96 on the tiny tree: one epoch of 4 lines at batch
    2, then the NYUv2 evaluation on the tree's h5 files."""
    cfg = Config.fromfile(CONFIG)
    disable_pretrained(cfg.model)
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        for step in loader.dataset.pipeline:
            if step['type'] == 'ResizePyramid':
                step.update(height=64, width=96)
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.data_root = tree['root']
    cfg.train_dataloader.dataset.ann_file = tree['train']
    cfg.val_dataloader.dataset.ann_file = tree['test']
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    for key in ('test_cfg', 'test_dataloader', 'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint.interval = 100
    cfg.default_hooks.visualization.interval = 1000
    cfg.work_dir = str(tmp_path)
    runner = DepthRunner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
    assert 'train/loss_view_consistency_local' in scalars
    assert not any('reshuffle' in k for k in scalars)
    assert np.isfinite(scalars['val/depth/abs_rel'].current())
