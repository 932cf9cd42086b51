"""End to end: GT export + tools/test.py on a tiny KITTI tree (CPU)."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from depthseg.registry import MODELS
from depthseg.testing.configs import write_tiny_config
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
TEST_TOOL = ROOT / 'tools' / 'test.py'
EXPORT_TOOL = ROOT / 'tools' / 'dataset_converters' / 'kitti_export_gt.py'


def run(args, cwd, returncode=0):
    """Run a tool with this interpreter from ``cwd``; return its output."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable] + [str(a) for a in args],
                          cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    assert proc.returncode == returncode, proc.stdout[-5000:]
    return proc.stdout


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Tiny tree, its exported Eigen-style GT and a random checkpoint."""
    tmp = tmp_path_factory.mktemp('e2e')
    tree = make_kitti_raw_tree(str(tmp / 'kitti'), num_frames=4)
    gt_file = tmp / 'gt_depths.npz'
    out = run([EXPORT_TOOL, '--data-root', tree['root'], '--split', 'eigen',
               '--split-file', tree['test'], '--out', gt_file], cwd=tmp)
    assert 'Saved 4 ground-truth depth maps' in out
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    cfg.model.depth_encoder.pretrained = None
    cfg.model.pose_net.encoder.pretrained = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = tmp / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    options = [
        '--cfg-options', f'test_dataloader.dataset.data_root={tree["root"]}',
        f'test_dataloader.dataset.ann_file={tree["test"]}',
        'test_dataloader.num_workers=0', 'test_dataloader.batch_size=3',
        'test_dataloader.dataset.pipeline.1.height=64',
        'test_dataloader.dataset.pipeline.1.width=192',
        f'test_evaluator.gt_file={gt_file}',
        'model.depth_encoder.pretrained=None',
        'model.pose_net.encoder.pretrained=None'
    ]
    return dict(tmp=tmp, ckpt=ckpt, options=options,
                state_dict=model.state_dict())


def _table(output):
    """The names row and the ``&`` row of the printed table."""
    lines = output.splitlines()
    i = next(i for i, line in enumerate(lines) if 'abs_rel |' in line)
    return lines[i].strip(), lines[i + 1]


@pytest.fixture(scope='module')
def single_run(setup):
    """One tools/test.py run with --out and --show-dir."""
    tmp = setup['tmp'] / 'single'
    tmp.mkdir()
    preds, show = tmp / 'preds.npz', tmp / 'show'
    out = run([TEST_TOOL, CONFIG, setup['ckpt'], '--work-dir', tmp / 'work',
               '--out', preds, '--show-dir', show] + setup['options'],
              cwd=tmp)
    return dict(out=out, preds=preds, show=show, work=tmp / 'work')


def test_test_tool_end_to_end(setup, single_run, tmp_path):
    out = single_run['out']
    names, values = _table(out)
    assert names.split()[:6] == ['abs_rel', '|', 'sq_rel', '|', 'rmse', '|']
    assert values.startswith('&') and values.endswith('\\\\')
    assert len(values.split('&')) == 9  # 8 metrics
    assert ' Scaling ratios | med: ' in out and 'depth/abs_rel: ' in out
    assert 'depth/ratio_median' in out
    disps = np.load(single_run['preds'])['pred_disps']
    assert disps.shape == (4, 64, 192) and disps.dtype == np.float32
    assert 0.01 <= disps.min() and disps.max() <= 10
    assert len(list(single_run['show'].glob('*_disp.png'))) == 4
    logs = list(single_run['work'].rglob('*.log'))
    assert logs and 'abs_rel |' in logs[0].read_text()

    # the saved disparities evaluated without a model give the same table
    out2 = run([TEST_TOOL, CONFIG, '-', '--eval-disps', single_run['preds']]
               + setup['options'], cwd=tmp_path)
    assert _table(out2) == (names, values)


def test_dist_test_two_cpu_processes(setup, single_run, tmp_path):
    """tools/dist_test.sh with 2 processes (gloo on CPU-only machines)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    preds = tmp_path / 'preds.npz'
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(port),
               PYTHON=sys.executable)
    proc = subprocess.run(
        ['bash', ROOT / 'tools' / 'dist_test.sh', CONFIG, setup['ckpt'], '2',
         '--work-dir', tmp_path / 'work', '--out', preds] +
        setup['options'], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-5000:]
    # the table is printed once (rank 0); predictions in dataset order
    assert proc.stdout.count(' Scaling ratios |') == 1
    np.testing.assert_allclose(np.load(preds)['pred_disps'],
                               np.load(single_run['preds'])['pred_disps'],
                               rtol=1e-4)


def test_checkpoint_of_another_architecture(setup, tmp_path):
    state = dict(setup['state_dict'])
    state.pop(next(k for k in state if k.startswith('depth_decoder')))
    ckpt = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state, meta=dict()), ckpt)
    out = run([TEST_TOOL, CONFIG, ckpt, '--work-dir', tmp_path / 'work'] +
              setup['options'], cwd=tmp_path, returncode=1)
    assert 'CheckpointMismatchError' in out and 'does not fit' in out


def test_checkpoint_dash_needs_eval_disps(tmp_path):
    out = run([TEST_TOOL, CONFIG, '-'], cwd=tmp_path, returncode=2)
    assert '--eval-disps' in out


VAL = """
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KittiRawDataset', data_root={root!r}, ann_file={test!r},
        frame_ids=[0], test_mode=True,
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='ResizePyramid', height=64, width=192, num_scales=1),
            dict(type='LoadKittiDepthGT', source='velodyne', cam=2,
                 vel_depth=True),
            dict(type='PackDepthInputs')]))
val_evaluator = dict(type='DepthMetric', crop='garg')
val_cfg = dict(type='ValLoop')
default_hooks = dict(checkpoint=dict(save_best='depth/abs_rel', rule='less'))
"""


def test_validation_with_save_best(tmp_path):
    """Training with a ValLoop on DepthMetric (GT loaded on the fly) keeps
    the best checkpoint by depth/abs_rel."""
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), size=(64, 192),
                               num_frames=4)
    cfg = write_tiny_config(tmp_path, tree['root'], tree['train'],
                            max_epochs=1,
                            extra=VAL.format(root=tree['root'],
                                             test=tree['test']))
    out = run([ROOT / 'tools' / 'train.py', cfg, '--work-dir',
               tmp_path / 'work'], cwd=tmp_path)
    assert 'Epoch(val) [1]' in out and 'depth/abs_rel: ' in out
    assert (tmp_path / 'work' / 'best_depth_abs_rel_epoch_1.pth').is_file()
