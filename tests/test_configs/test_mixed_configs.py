"""Configs that mix plugins train and evaluate on the built-in synthetic
data."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from depthseg.datasets.synthetic import write_synthroad
from depthseg.engine import DepthRunner
from depthseg.utils import disable_pretrained, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
FUMET_FULL = ROOT / 'configs/fumet/fumet_r18_synthroad_full.py'
ALL_MIXED = sorted((ROOT / 'configs' / 'mixed').glob('*.py'))
# the KITTI mixes build in test_configs_build; each has a synthetic twin
MIXED = [p for p in ALL_MIXED if p.stem.endswith('_synthroad')]
SIZE = (64, 192)
SYNTH = dict(sequences=2, frames=6, size=SIZE, seed=0, ext='.jpg')

register_all_modules()
# the loss terms of the plugins (for the per-view check)
TERMS = dict(PhotometricLoss=['loss_photometric'],
             SmoothnessLoss=['loss_smooth'],
             CameraHeightLoss=['loss_camera_height'],
             CarHeightLoss=['loss_car_height'],
             FeatureMetricLoss=['loss_feature_metric'],
             ViewConsistencyLoss=['loss_view_consistency'])


@pytest.fixture(scope='module')
def synth_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mixed') / 'synthroad')
    write_synthroad(root, **SYNTH)
    return root


@pytest.mark.parametrize('path', [p for p in ALL_MIXED if p not in MIXED],
                         ids=lambda p: p.stem)
def test_kitti_mix_has_synthetic_twin(path):
    twin = path.with_name(path.stem.replace('_r50_kitti', '_synthroad') +
                          '.py')
    assert twin in MIXED, f'{path.name} has no synthetic twin {twin.name}'
    kitti, synth = Config.fromfile(path).model, Config.fromfile(twin).model
    assert {k: v.type for k, v in kitti.get('views', {}).items()} == {
        k: v.type for k, v in synth.get('views', {}).items()}
    assert {k: v.type for k, v in kitti.losses.items()} == {
        k: v.type for k, v in synth.losses.items()}


def tiny_runner(cfg, synth_root, tmp_path, train_cfg=None):
    """``cfg`` on the tiny synthetic tree at 64×192, by default 2 epochs,
    then the evaluation."""
    disable_pretrained(cfg.model)  # e.g. an autoencoder not trained here
    h, w = SIZE
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] in ('ResizePyramid', 'LoadCarRoadMasks'):
            step.update(height=h, width=w)
        if step['type'] == 'LoadCarRoadMasks':
            step['npz_size'] = SIZE
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=synth_root,
                                        synth_cfg=SYNTH)
    # two epochs, then the evaluation on the tiny tree's test split
    cfg.train_cfg = train_cfg or dict(by_epoch=True, max_epochs=2,
                                      val_interval=2)
    for step in cfg.val_dataloader.dataset.pipeline:
        if step['type'] == 'ResizePyramid':
            step.update(height=h, width=w)
    cfg.val_dataloader.update(batch_size=2, num_workers=0,
                              persistent_workers=False)
    cfg.val_dataloader.dataset.update(data_root=synth_root, synth_cfg=SYNTH)
    for key in ('test_cfg', 'test_dataloader', 'test_evaluator'):
        cfg[key] = None
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.checkpoint.interval = 100
    return DepthRunner.from_cfg(cfg)


@pytest.mark.parametrize('path', MIXED, ids=lambda p: p.stem)
def test_mixed_config_trains(path, synth_root, tmp_path):
    cfg = Config.fromfile(path)
    runner = tiny_runner(cfg, synth_root, tmp_path)
    runner.train()
    model = runner.model
    scalars = runner.message_hub.log_scalars
    metrics = {k: v.current() for k, v in scalars.items()
               if k.startswith('val/depth/')}
    assert 'val/depth/abs_rel' in metrics and np.isfinite(
        metrics['val/depth/abs_rel'])
    kinds = {type(p).__name__ for p in model.losses}
    assert {'CameraHeightLoss', 'CarHeightLoss'} <= kinds
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
    # every plugin's terms are logged
    for name in ('loss_photometric', 'loss_camera_height', 'loss_car_height'):
        assert f'train/{name}' in scalars
    if 'FeatureMetricLoss' in kinds:
        assert 'train/loss_feature_metric' in scalars
    # every view's terms, under its own name, for the plugins applied to it
    for view in model.views:
        for loss, names in zip(model.losses, model.loss_views):
            applied = view.name in names
            for term in TERMS.get(type(loss).__name__, ()):
                assert (f'train/{term}_{view.name}' in scalars) == applied, (
                    term, view.name)
    # h* was created at the end of the second epoch
    loss = [p for p in model.losses if hasattr(p, 'h_star')][0]
    assert bool(loss.h_star_valid.all())


def test_new_mix_is_one_added_entry(synth_root, tmp_path):
    """A mix written as a user would: a _base_ plus one added loss entry
    (and one dropped); the added plugin trains, the plugins' hooks are
    registered once."""
    path = tmp_path / 'my_mix.py'
    path.write_text(
        f"_base_ = [{str(FUMET_FULL)!r}]\n"
        "model = dict(losses=dict(\n"
        "    feature_metric=dict(type='FeatureMetricLoss', autoencoder=dict(\n"
        "        type='FeatureNet', depth=18, pretrained=None,\n"
        "        with_decoder=False), loss_weight=1e-3),\n"
        "    smooth=None))\n")
    cfg = Config.fromfile(str(path))
    assert list(cfg.model.losses) == [
        'photometric', 'smooth', 'camera_height', 'car_height',
        'road_override', 'feature_metric']
    runner = tiny_runner(cfg, synth_root, tmp_path, train_cfg=dict(
        by_epoch=True, max_epochs=1, val_interval=10))
    runner.train()
    assert runner.iter >= 2
    assert [type(p).__name__ for p in runner.model.losses] == [
        'PhotometricLoss', 'CameraHeightLoss', 'CarHeightLoss',
        'RoadMaskingOverride', 'FeatureMetricLoss']
    assert runner.model.loss_names[-1] == 'feature_metric'
    scalars = runner.message_hub.log_scalars
    assert 'train/loss_feature_metric' in scalars
    assert 'train/loss_smooth' not in scalars
    hooks = [type(h).__name__ for h in runner.hooks]
    for name in ('EpochEstimatesHook', 'LossWeightScheduleHook',
                 'DepthVisualizationHook', 'NonFiniteCheckHook'):
        assert hooks.count(name) == 1, hooks
