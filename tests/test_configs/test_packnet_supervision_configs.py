"""PackNet-SfM's VelSup / SemiSup / DDAD configs and the FUMET + VelSup
mix: values, and short training runs on tiny trees (synthetic videos with
OXTS packets and GT PNGs, a DGP-layout DDAD tree)."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from depthseg.datasets.synthetic import write_synthroad
from depthseg.engine import DepthRunner
from depthseg.testing.ddad_tree import make_ddad_tree
from depthseg.utils import disable_pretrained, register_all_modules

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
PACKNET = ROOT / 'configs' / 'packnet'
SIZE = (64, 192)
SYNTH = dict(sequences=2, frames=6, size=SIZE, seed=0, ext='.jpg')
NARROW = dict(type='PackNetBase', version='1A',
              widths=(16, 16, 16, 32, 64, 128), d=4)


@pytest.fixture(scope='module')
def synth_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('packnet_sup') / 'synthroad')
    write_synthroad(root, **SYNTH)
    return root


def types(pipeline):
    return [step['type'] for step in pipeline]


@pytest.mark.parametrize('name,added', [
    ('packnet01_velsup_kitti', 'LoadOxtsPoses'),
    ('packnet01_semisup_kitti', 'LoadProjectedDepth')])
def test_kitti_configs_are_base_plus_one_step(name, added):
    base = Config.fromfile(str(PACKNET / 'packnet01_kitti.py'))
    cfg = Config.fromfile(str(PACKNET / f'{name}.py'))
    pipe = cfg.train_dataloader.dataset.dataset.pipeline
    base_pipe = base.train_dataloader.dataset.dataset.pipeline
    kept = [s for s in pipe if s['type'] != added]
    assert kept == base_pipe, 'restate packnet01_kitti.py\'s pipeline'
    assert types(pipe).index(added) < types(pipe).index('PackDepthInputs')
    assert cfg.train_dataloader.dataset.times == 2
    losses = cfg.model.losses
    assert losses.photometric.type == 'PackNetPhotometricLoss'
    if name.endswith('velsup_kitti'):
        assert losses.velocity == dict(type='VelocitySupervisionLoss',
                                       loss_weight=0.1)
    else:
        # (1 - w) selfsup + w sup, w = 0.9
        assert losses.photometric.loss_weight == pytest.approx(0.1)
        sup = losses.supervised
        assert (sup.type, sup.supervised_method, sup.supervised_num_scales,
                sup.loss_weight) == ('SupervisedDepthLoss', 'sparse-l1', 4,
                                     0.9)
        step = pipe[types(pipe).index('LoadProjectedDepth')]
        assert (step.height, step.width, step.resize) == (192, 640,
                                                          'preserve')


def test_ddad_config_values():
    cfg = Config.fromfile(str(PACKNET / 'packnet01_ddad.py'))
    assert cfg.optim_wrapper.optimizer.lr == 9e-5
    train = cfg.train_dataloader
    assert train.batch_size == 2 and train.dataset.type == 'DDADDataset'
    assert train.dataset.cameras == ['CAMERA_01']
    assert train.dataset.frame_ids == [0, -1, 1]
    resize = train.dataset.pipeline[types(train.dataset.pipeline).index(
        'ResizePyramid')]
    assert (resize.height, resize.width) == (384, 640)
    ev = cfg.test_evaluator
    assert (ev.crop, ev.min_depth, ev.max_depth) == (None, 0.0, 200.0)
    assert cfg.test_dataloader.batch_size == 1
    assert cfg.test_dataloader.dataset.split == 'val'


def runner_for(cfg, tmp_path, data_root, synth=True, size=SIZE,
               n_train=4):
    """1 epoch of ``n_train`` samples (batch 2: 2 iterations), then the
    validation."""
    disable_pretrained(cfg.model)
    h, w = size
    for loader in ('train_dataloader', 'val_dataloader'):
        ds = cfg[loader].dataset
        for step in ds.pipeline:
            if step['type'] in ('ResizePyramid', 'LoadCarRoadMasks',
                                'LoadProjectedDepth'):
                step.update(height=h, width=w)
            if step['type'] == 'LoadCarRoadMasks':
                step['npz_size'] = SIZE
        ds.update(data_root=data_root)
        if synth:
            ds.update(synth_cfg=SYNTH)
        cfg[loader].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.update(batch_size=2)
    cfg.train_dataloader.dataset.indices = n_train
    cfg.val_dataloader.dataset.indices = 4
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    for key in ('test_cfg', 'test_dataloader', 'test_evaluator'):
        cfg[key] = None
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.checkpoint.interval = 100
    return DepthRunner.from_cfg(cfg)


def finite(runner, name):
    scalars = runner.message_hub.log_scalars
    assert f'train/{name}' in scalars, sorted(scalars)
    return np.isfinite(scalars[f'train/{name}'].current())


def test_fumet_velsup_mix_trains(synth_root, tmp_path):
    cfg = Config.fromfile(str(ROOT / 'configs/mixed/'
                              'fumet_velsup_synthroad.py'))
    assert list(cfg.model.losses)[-1] == 'velocity'
    assert 'LoadOxtsPoses' in types(cfg.train_dataloader.dataset.pipeline)
    runner = runner_for(cfg, tmp_path, synth_root)
    runner.train()
    assert runner.iter == 2
    assert finite(runner, 'loss_velocity') and finite(runner,
                                                      'velocity_error')
    assert finite(runner, 'loss_car_height')
    assert 0.3 < runner.message_hub.log_scalars[
        'train/gt_speed'].current() < 3  # metres per frame step
    assert type(runner.model.losses[-1]).__name__ == \
        'VelocitySupervisionLoss'


def test_velsup_resnet18_synthroad_trains(synth_root, tmp_path):
    """The speed-only quick start: its own 64x192 pipelines, no FUMET
    loss, the velocity loss on the oxts poses."""
    cfg = Config.fromfile(str(PACKNET / 'velsup_resnet18_synthroad.py'))
    assert [k for k, v in cfg.model.losses.items() if v is not None] == [
        'photometric', 'smooth', 'velocity']
    assert cfg.train_cfg.max_epochs == 24
    for loader in ('train_dataloader', 'val_dataloader'):
        resize = [step for step in cfg[loader].dataset.pipeline
                  if step['type'] == 'ResizePyramid']
        assert (resize[0]['height'], resize[0]['width']) == (64, 192)
    runner = runner_for(cfg, tmp_path, synth_root)
    runner.train()
    assert runner.iter == 2
    assert finite(runner, 'loss_velocity') and finite(runner,
                                                      'loss_photometric')


def packnet_synth_cfg():
    cfg = Config.fromfile(str(PACKNET / 'packnet01_synthroad.py'))
    cfg.train_dataloader.batch_size = 2
    return cfg


def test_packnet_velsup_trains_on_synthetic(synth_root, tmp_path):
    """PackNet's pose net ({'vec'} entries) with the velocity loss."""
    cfg = packnet_synth_cfg()
    cfg.model.losses.velocity = dict(type='VelocitySupervisionLoss')
    pipe = cfg.train_dataloader.dataset.pipeline
    pipe.insert(types(pipe).index('LoadFrames') + 1,
                dict(type='LoadOxtsPoses'))
    runner = runner_for(cfg, tmp_path, synth_root)
    runner.train()
    assert runner.iter == 2 and finite(runner, 'loss_velocity')


@pytest.mark.parametrize('method', ['sparse-l1', 'silog'])
def test_packnet_semisup_trains_on_synthetic(synth_root, tmp_path, method):
    """The synthetic videos' exact depth PNGs (proj_depth/groundtruth) as
    the supervised GT."""
    cfg = packnet_synth_cfg()
    cfg.model.losses.photometric.loss_weight = 0.1
    cfg.model.losses.supervised = dict(type='SupervisedDepthLoss',
                                       supervised_method=method)
    pipe = cfg.train_dataloader.dataset.pipeline
    pipe.insert(types(pipe).index('LoadFrames') + 1,
                dict(type='LoadProjectedDepth', height=SIZE[0],
                     width=SIZE[1], depth_type='groundtruth'))
    runner = runner_for(cfg, tmp_path, synth_root)
    runner.train()
    assert runner.iter == 2 and finite(runner, 'loss_supervised')


def test_packnet_ddad_trains_and_evaluates(tmp_path):
    """packnet01_ddad.py with the narrow PackNet on a tiny DGP tree: 2
    iterations, then the 0-200 m evaluation on the val split."""
    tree = make_ddad_tree(str(tmp_path / 'ddad'), scenes=2, frames=4,
                          size=(32, 48))
    cfg = Config.fromfile(str(PACKNET / 'packnet01_ddad.py'))
    cfg.model.depth_encoder = copy.deepcopy(NARROW)
    runner = runner_for(cfg, tmp_path / 'work', str(tmp_path / 'ddad'),
                        synth=False, size=(64, 96))
    runner.train()
    assert runner.iter == 2
    scalars = runner.message_hub.log_scalars
    assert np.isfinite(scalars['val/depth/abs_rel'].current())
    assert tree['depth'].max() > 200  # the out-of-range point exists
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))


def test_kitti_configs_pipelines_on_a_tiny_tree(tmp_path):
    """The VelSup / SemiSup KITTI training pipelines on a tiny raw tree
    with oxts/, calib_imu_to_velo.txt and proj_depth/velodyne npz."""
    import os
    import os.path as osp

    from depthseg.datasets.transforms.oxts import (
        IMU_TO_VELO_R,
        IMU_TO_VELO_T,
        imu_to_velo_text,
    )
    from depthseg.datasets.transforms.proj_depth import proj_depth_path
    from depthseg.registry import DATASETS
    from depthseg.testing.kitti_tree import make_kitti_raw_tree
    tree = make_kitti_raw_tree(str(tmp_path), num_frames=5,
                               with_velodyne=False)
    date, drive = '2011_09_26', '2011_09_26_drive_0001_sync'
    with open(osp.join(tree['root'], date, 'calib_imu_to_velo.txt'),
              'w') as f:
        f.write(imu_to_velo_text(IMU_TO_VELO_R, IMU_TO_VELO_T))
    os.makedirs(osp.join(tree['root'], date, drive, 'oxts', 'data'))
    for i in range(5):  # 1 m per frame due east (≈ 9e-6° of longitude)
        with open(osp.join(tree['root'], date, drive, 'oxts', 'data',
                           f'{i:010d}.txt'), 'w') as f:
            lon = 8.4 + i * 180 / (np.pi * 6378137 * np.cos(
                49 * np.pi / 180))
            f.write(' '.join(str(v) for v in [49.0, lon, 100.0] +
                             [0.0] * 27) + '\n')
        for cam in (2, 3):
            path = proj_depth_path(tree['root'], f'{date}/{drive}', cam, i,
                                   'velodyne')
            os.makedirs(osp.dirname(path), exist_ok=True)
            depth = np.zeros((48, 160), np.float32)
            depth[30, 40] = 12.0
            np.savez(path, velodyne_depth=depth)
    for name, key in (('packnet01_velsup_kitti', 'gt_poses'),
                      ('packnet01_semisup_kitti', 'sup_depth')):
        cfg = Config.fromfile(str(PACKNET / f'{name}.py'))
        ds_cfg = cfg.train_dataloader.dataset.dataset
        ds_cfg.update(data_root=tree['root'], ann_file=tree['train'],
                      img_ext='.jpg')
        item = DATASETS.build(ds_cfg)[0]
        value = item['inputs'][key]
        if key == 'gt_poses':
            assert value.shape == (2, 4, 4)
            np.testing.assert_allclose(value[:, :3, 3].norm(dim=-1),
                                       [1.0, 1.0], atol=1e-3)
        else:
            assert value.shape == (192, 640)
            assert (value > 0).sum() == 1 and value.max() == 12.0
