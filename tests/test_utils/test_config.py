"""--cfg-options checking and the num_workers=0 fix of merge_cfg_options."""
from argparse import Namespace
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from depthseg.datasets.synthetic import write_synthroad
from depthseg.utils import (merge_cfg_options, merge_common_args,
                            register_all_modules)

ROOT = Path(__file__).resolve().parents[2]
MONODEPTH2 = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


def args(*options, config=MONODEPTH2):
    return Namespace(config=str(config), launcher='none', work_dir=None,
                     cfg_options=dict(options) or None)


def test_unknown_key_lists_the_closest_keys():
    cfg = Config.fromfile(MONODEPTH2)
    with pytest.raises(ValueError) as err:
        merge_common_args(cfg, args(('train_cfg.max_epoch', 1)))
    assert str(err.value) == (
        "--cfg-options train_cfg.max_epoch: train_cfg has no key "
        "'max_epoch'. Closest existing keys: train_cfg.max_epochs, "
        'train_cfg.by_epoch, train_cfg.val_interval. Fix: correct the key, '
        'or write +train_cfg.max_epoch=... to add it (without +, new keys '
        'are accepted only directly below the config root, in a dict with a '
        'type (arguments of a built component) and, in a dataloader, as '
        "arguments of torch's DataLoader).")
    assert 'max_epoch' not in cfg.train_cfg  # nothing merged


@pytest.mark.parametrize('key, problem', [
    ('train_cfgg.max_epochs', "the config has no key 'train_cfgg'"),
    ('train_dataloader.num_worker',
     "train_dataloader has no key 'num_worker'. Closest existing keys: "
     'train_dataloader.num_workers'),
    ('test_dataloader.dataset.pipeline.7.height',
     "test_dataloader.dataset.pipeline has no key '7'"),
    ('model.depth_encoder.pretrained.x',
     'model.depth_encoder.pretrained is a str, not a dict'),
])
def test_refused_keys(key, problem):
    with pytest.raises(ValueError, match=f'--cfg-options {key}: {problem}'):
        merge_cfg_options(Config.fromfile(MONODEPTH2), {key: 1})


def test_accepted_keys():
    cfg = Config.fromfile(MONODEPTH2)
    merge_cfg_options(cfg, {
        'train_cfg.max_epochs': 2,  # exists
        'test_dataloader.dataset.pipeline.0.new_arg': 0.5,  # in a type=
        'test_dataloader.dataset.pipeline.1.height': 96,  # list item
        'find_unused_parameters': True,  # new below the root
        'train_dataloader.pin_memory': True,  # a DataLoader argument
        '+train_cfg.new_key': 3,  # forced
    })
    assert cfg.train_cfg.max_epochs == 2
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[0].new_arg == 0.5 and pipeline[1].height == 96
    assert cfg.find_unused_parameters is True
    assert cfg.train_dataloader.pin_memory is True
    assert cfg.train_cfg.new_key == 3


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.stem)
def test_no_workers_means_no_persistent_workers(path):
    cfg = Config.fromfile(path)
    options = {f'{name}.num_workers': 0 for name in
               ('train_dataloader', 'val_dataloader', 'test_dataloader')
               if cfg.get(name)}
    merge_cfg_options(cfg, options)
    for name in options:
        loader = cfg[name.split('.')[0]]
        assert not loader.get('persistent_workers'), name


def test_num_workers_zero_builds_the_dataloader(tmp_path):
    synth = dict(sequences=1, frames=3, size=(48, 160), seed=0, ext='.jpg')
    root = str(tmp_path / 'synthroad')
    write_synthroad(root, **synth)
    cfg = Config.fromfile(
        ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_synthroad.py')
    assert cfg.train_dataloader.persistent_workers is True
    cfg.train_dataloader.dataset.update(data_root=root, synth_cfg=synth)
    merge_common_args(cfg, args(('train_dataloader.num_workers', 0)))
    register_all_modules()
    with DefaultScope.overwrite_default_scope('depthseg'):
        loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    assert loader.num_workers == 0 and not loader.persistent_workers
    assert len(loader.dataset) == 1
