"""No file the toolbox reads can run code (depthseg.utils.safe_load).

Every entry point gets a crafted file whose payload would create a marker
file: the marker must not appear, the tool must fail with a non-zero exit
and the error must name the file and the offending global.
"""
import argparse
import fractions
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from tool_helpers import ROOT, tool_env, write_toy_config

from depthseg.apis import init_model
from depthseg.engine.hooks.optimizer_state_hook import LoadOptimizerStateHook
from depthseg.evaluation import load_gt_depths
from depthseg.models.backbones import HRNetEncoder, ResnetEncoder
from depthseg.models.losses.feature_metric import load_checkpoint_state
from depthseg.testing.original_checkpoints import save_with_yacs_config
from depthseg.utils.safe_load import (UnsafeFileError,
                                      load_checkpoint, load_npz, load_pickle,
                                      set_trust, to_plain)

R18 = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
CONVERTERS = ROOT / 'tools' / 'model_converters'


class Payload:
    """Unpickling this runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / 'PWNED'
    yield path
    assert not path.exists(), 'the payload ran'


def crafted_pth(path, marker, **extra):
    torch.save(dict(state_dict={'w': torch.zeros(1)}, evil=Payload(marker),
                    **extra), path)
    return path


def assert_refused(err_text, path):
    assert str(path) in err_text
    assert "'posix.system'" in err_text
    assert '--trust-checkpoint' in err_text


def run_tool(*args, cwd):
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=cwd,
                          env=tool_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


# ---- the tools -------------------------------------------------------------

def test_test_tool(tmp_path, marker):
    config = write_toy_config(tmp_path)
    with open(config, 'a') as f:
        f.write('test_dataloader = val_dataloader\n'
                'test_evaluator = val_evaluator\n'
                "test_cfg = dict(type='TestLoop')\n")
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    out = run_tool(ROOT / 'tools/test.py', config, ckpt, '--work-dir',
                   tmp_path / 'wd', cwd=tmp_path)
    assert_refused(out, ckpt)


def test_train_resume(tmp_path, marker):
    config = write_toy_config(tmp_path)
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    out = run_tool(ROOT / 'tools/train.py', config, '--resume', ckpt,
                   '--work-dir', tmp_path / 'wd', cwd=tmp_path)
    assert_refused(out, ckpt)


def test_train_load_from(tmp_path, marker):
    config = write_toy_config(tmp_path)
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    out = run_tool(ROOT / 'tools/train.py', config, '--work-dir',
                   tmp_path / 'wd', '--cfg-options', f'load_from={ckpt}',
                   cwd=tmp_path)
    assert_refused(out, ckpt)


def test_infer_tool(tmp_path, marker):
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    image = ROOT.parent / 'shared' / 'data' / 'images' / 'road_photo.jpg'
    out = run_tool(ROOT / 'tools/infer.py', R18, ckpt, image, '--out-dir',
                   tmp_path / 'out', cwd=tmp_path)
    assert_refused(out, ckpt)
    assert not (tmp_path / 'out').exists() or not any(
        (tmp_path / 'out').iterdir())


def test_monodepth2_converter(tmp_path, marker):
    folder = tmp_path / 'mono_640x192'
    folder.mkdir()
    crafted_pth(folder / 'encoder.pth', marker)
    crafted_pth(folder / 'depth.pth', marker)
    out = run_tool(CONVERTERS / 'monodepth2_to_depthseg.py', folder,
                   tmp_path / 'out.pth', cwd=tmp_path)
    assert str(folder) in out and "'posix.system'" in out
    assert not (tmp_path / 'out.pth').exists()


def test_fumet_converter_pickle(tmp_path, marker):
    """Valid weights, a crafted ``cam_height_expect.pkl``."""
    sys.path.insert(0, str(ROOT / 'tests' / 'test_apis'))
    try:
        from test_fumet_converter import released_folder
    finally:
        sys.path.pop(0)
    _, folder = released_folder(
        tmp_path, ROOT / 'configs/fumet/fumet_hrdepth_r18_kitti.py')
    with open(folder / 'cam_height_expect.pkl', 'wb') as f:
        pickle.dump({0: 1.6, 'evil': Payload(marker)}, f)
    out = run_tool(CONVERTERS / 'fumet_to_depthseg.py', folder,
                   tmp_path / 'out.pth', '--arch', 'hrdepth', cwd=tmp_path)
    assert_refused(out, folder / 'cam_height_expect.pkl')
    assert not (tmp_path / 'out.pth').exists()


@pytest.mark.parametrize('tool', ['bdedepth', 'featdepth'])
def test_checkpoint_converters(tmp_path, marker, tool):
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    out = run_tool(CONVERTERS / f'{tool}_to_depthseg.py', ckpt,
                   tmp_path / 'out.pth', cwd=tmp_path)
    assert_refused(out, ckpt)
    assert not (tmp_path / 'out.pth').exists()


# ---- the Python entry points -------------------------------------------------

def test_init_model(tmp_path, marker):
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    with pytest.raises(UnsafeFileError) as err:
        init_model(str(R18), str(ckpt))
    assert_refused(str(err.value), ckpt)
    assert err.value.global_name == 'posix.system'


def test_mmengine_loader_and_pretrained_init_cfg(tmp_path, marker):
    """``load_from``, ``--resume`` and ``init_cfg`` Pretrained all go
    through mmengine's CheckpointLoader, which depthseg re-registers."""
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    with pytest.raises(UnsafeFileError):
        CheckpointLoader.load_checkpoint(str(ckpt))
    module = BaseModule(init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    module.w = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(UnsafeFileError):
        module.init_weights()


def test_pretrained_weight_files(tmp_path, marker):
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker)
    for encoder in (ResnetEncoder(depth=18, pretrained=str(ckpt)),
                    HRNetEncoder(pretrained=str(ckpt))):
        with pytest.raises(UnsafeFileError):
            encoder.init_weights()


def test_autoencoder_checkpoint_and_optimizer_state(tmp_path, marker):
    ckpt = crafted_pth(tmp_path / 'evil.pth', marker, optimizer={})
    with pytest.raises(UnsafeFileError):
        load_checkpoint_state(torch.nn.Linear(1, 1), str(ckpt))
    with pytest.raises(UnsafeFileError):
        LoadOptimizerStateHook(str(ckpt)).before_train(runner=None)


def test_gt_file(tmp_path, marker):
    data = np.empty(2, dtype=object)
    data[0], data[1] = np.ones((2, 3), np.float32), Payload(marker)
    path = tmp_path / 'gt_depths.npz'
    np.savez_compressed(path, data=data)
    with pytest.raises(UnsafeFileError) as err:
        load_gt_depths(str(path))
    assert_refused(str(err.value), path)


# ---- what still loads ----------------------------------------------------------

def test_training_checkpoint_resumes_without_trust(tmp_path):
    """A full mmengine checkpoint (message hub with HistoryBuffers, numpy
    RNG state, scheduler state) loads through the restricted loader."""
    config = write_toy_config(tmp_path)
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tools/train.py'), str(config),
         '--work-dir', str(tmp_path / 'wd'), '--cfg-options',
         'train_cfg.max_epochs=1'], cwd=tmp_path, env=tool_env(),
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ckpt = load_checkpoint(tmp_path / 'wd' / 'epoch_1.pth')
    assert {'message_hub', 'rng_state', 'optimizer', 'param_schedulers'} <= \
        set(ckpt)
    hub = ckpt['message_hub']['log_scalars']
    assert hub['train/loss'].mean() == pytest.approx(
        hub['train/loss'].mean())  # a working HistoryBuffer


def test_original_option_objects_become_dicts(tmp_path):
    """yacs ``CfgNode`` (without yacs) and ``argparse.Namespace`` configs,
    tensors saved on any device load as plain data."""
    path = tmp_path / 'packnet.ckpt'
    save_with_yacs_config(
        path, config=dict(model=dict(name='SelfSupModel'),
                          datasets=dict(image_shape=(192, 640))),
        state_dict={'w': torch.ones(2)}, args=argparse.Namespace(lr=1e-4))
    ckpt = to_plain(load_checkpoint(path))
    assert ckpt['config'] == dict(model=dict(name='SelfSupModel'),
                                  datasets=dict(image_shape=(192, 640)))
    assert type(ckpt['config']) is dict and ckpt['args'] == dict(lr=1e-4)
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))


def test_trust_opt_in(tmp_path):
    """A harmless type outside the list is refused, and loads after the
    explicit opt-in (argument or process-wide switch)."""
    path = tmp_path / 'other.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'x': fractions.Fraction(1, 3)}, f)
    with pytest.raises(UnsafeFileError, match='fractions.Fraction'):
        load_pickle(path)
    assert load_pickle(path, trust=True)['x'] == fractions.Fraction(1, 3)
    set_trust(True)
    try:
        assert load_pickle(path)['x'] == fractions.Fraction(1, 3)
    finally:
        set_trust(False)
    with pytest.raises(UnsafeFileError):
        load_pickle(path)


def test_npz_plain_arrays(tmp_path):
    path = tmp_path / 'a.npz'
    np.savez(path, a=np.arange(6, dtype=np.int16).reshape(2, 3),
             b=np.asfortranarray(np.ones((3, 2))))
    arrays = load_npz(path)
    np.testing.assert_array_equal(arrays['a'],
                                  np.arange(6).reshape(2, 3))
    assert arrays['b'].shape == (3, 2)
