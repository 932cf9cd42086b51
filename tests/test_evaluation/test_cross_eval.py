"""NYUv2 / Make3D test sets, the BDEdepth evaluation settings and
tools/test.py --test-sets (BDEdepth spec §9.2)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from depthseg.apis.inference import build_model
from depthseg.evaluation.functional import evaluate_depth_sample
from depthseg.registry import DATASETS
from depthseg.testing.cross_eval_trees import (make_make3d_tree,
                                               make_nyuv2_tree)

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOL = ROOT / 'tools' / 'test.py'


def _build(cfg_file, root, ann_file, height=64, width=192):
    init_default_scope('depthseg')
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets' / cfg_file))
    ds = cfg.test_dataloader.dataset
    ds.data_root, ds.ann_file = root, ann_file
    ds.pipeline[1].update(height=height, width=width)
    return DATASETS.build(ds), cfg.test_evaluator


def test_nyuv2_dataset(tmp_path):
    tree = make_nyuv2_tree(str(tmp_path / 'nyu'), num_images=2)
    dataset, evaluator = _build('nyuv2_test.py', tree['root'], tree['test'])
    assert len(dataset) == 2
    item = dataset[1]
    sample = item['data_samples']
    assert sample.gt_depth_map.data.shape == (1, 427, 561)
    assert item['inputs']['color'][0][0].shape[-2:] == (64, 192) \
        if isinstance(item['inputs'], dict) else True
    assert sample.metainfo['sample_idx'] == 1
    assert evaluator['max_depth'] == 10.0 and evaluator['resize'] == \
        'nearest'
    # the crop [44:471, 40:601] of the file's depth
    import h5py
    with h5py.File(os.path.join(tree['root'], tree['names'][1])) as f:
        depth = np.array(f['depth'])
    np.testing.assert_array_equal(sample.gt_depth_map.data[0].numpy(),
                                  depth[44:471, 40:601])


def test_make3d_dataset(tmp_path):
    tree = make_make3d_tree(str(tmp_path / 'make3d'))
    dataset, evaluator = _build('make3d_test.py', tree['root'], tree['test'])
    assert len(dataset) == 2
    sample = dataset[0]['data_samples']
    assert sample.gt_depth_map.data.shape == (1, 21, 305)
    assert sample.metainfo['ori_shape'] == (852, 1704)
    from scipy.io import loadmat
    grid = loadmat(os.path.join(
        tree['root'], 'Gridlaserdata',
        f"depth_sph_corr-{tree['names'][0]}.mat"))['Position3DGrid']
    np.testing.assert_allclose(sample.gt_depth_map.data[0].numpy(),
                               grid[17:38, :, 3].astype(np.float32))
    assert evaluator['log_base'] == '10' and evaluator['max_depth'] == 70.0


def test_missing_and_malformed_inputs(tmp_path):
    tree = make_nyuv2_tree(str(tmp_path / 'nyu'), num_images=1)
    os.remove(os.path.join(tree['root'], tree['names'][0]))
    dataset, _ = _build('nyuv2_test.py', tree['root'], tree['test'])
    with pytest.raises(FileNotFoundError, match='00001.h5'):
        dataset[0]
    bad = tmp_path / 'bad.txt'
    bad.write_text('nyu_test/00001.png\n')
    with pytest.raises(ValueError, match='bad.txt'):
        _build('nyuv2_test.py', tree['root'], str(bad))
    bad.write_text('nyu_test/00001.h5 extra\n')  # 2 fields
    with pytest.raises(ValueError, match=r"line 1 .*'nyu_test/00001.h5 "
                       r"extra'. Expected one .h5 path.* Fix: correct"):
        _build('nyuv2_test.py', tree['root'], str(bad))
    m3 = make_make3d_tree(str(tmp_path / 'make3d'), names=('a', ))
    os.remove(os.path.join(m3['root'], 'Gridlaserdata',
                           'depth_sph_corr-a.mat'))
    dataset, _ = _build('make3d_test.py', m3['root'], m3['test'])
    with pytest.raises(FileNotFoundError, match='depth_sph_corr-a.mat'):
        dataset[0]
    with pytest.raises(FileNotFoundError, match='split file not found'):
        _build('make3d_test.py', m3['root'], str(tmp_path / 'nope.txt'))


def test_evaluation_settings():
    rng = np.random.default_rng(0)
    gt = rng.uniform(1, 60, (21, 305)).astype(np.float32)
    gt[0, 0] = 75  # outside the Make3D cap: masked
    # disparity 2x too small (depth 2x too far) at the GT resolution
    disp = (1 / (2 * gt)).astype(np.float32)
    out = evaluate_depth_sample(gt, disp, crop=None, gt_mask='range',
                                min_depth=0.0, max_depth=70.0,
                                resize='nearest', median='torch',
                                log_base='10')
    assert out['abs_rel'] < 1e-6 and out['rmse_log'] < 1e-6
    assert abs(out['ratio'] - 0.5) < 1e-6
    # torch median = lower middle value; log10 vs ln
    gt = np.array([[1., 2., 3., 4.]], np.float32)
    pred = np.array([[1., 1., 1., 1.]], np.float32)
    kw = dict(crop=None, gt_mask='positive', min_depth=0.0, max_depth=10.0,
              median_scaling=False, resize='nearest')
    assert evaluate_depth_sample(gt, pred, median='torch', **kw)['ratio'] \
        == 2.0
    assert evaluate_depth_sample(gt, pred, **kw)['ratio'] == 2.5
    ln = evaluate_depth_sample(gt, pred, **kw)['rmse_log']
    l10 = evaluate_depth_sample(gt, pred, log_base='10', **kw)['rmse_log']
    assert abs(ln / l10 - np.log(10)) < 1e-5
    # align_corners=True resize of a 2-pixel row to 3 pixels
    gt = np.ones((1, 3), np.float32)
    disp = np.array([[1., 3.]], np.float32)
    out = evaluate_depth_sample(gt, disp, crop=None, median_scaling=False,
                                resize='bilinear_align_corners',
                                return_mask=True)
    assert abs(out['abs_rel'] - np.mean(np.abs(1 - 1 / np.array(
        [1., 2., 3.])))) < 1e-6
    with pytest.raises(ValueError, match='resize'):
        evaluate_depth_sample(gt, disp, resize='cubic')


TEST_SETS_CFG = """\
_base_ = [{base!r}]
model = dict(depth_encoder=dict(pretrained=None),
             pose_net=dict(encoder=dict(pretrained=None)))
_r = dict(type='ResizePyramid', height=64, width=192, num_scales=1)
_loader = dict(batch_size=2, num_workers=0, persistent_workers=False,
               drop_last=False,
               sampler=dict(type='DefaultSampler', shuffle=False))
test_sets = [
    dict(name='make3d', dataloader=dict(_loader, dataset=dict(
        type='Make3DTestDataset', data_root={m3!r}, ann_file={m3_ann!r},
        pipeline=[dict(type='LoadMake3D'), _r,
                  dict(type='PackDepthInputs')])),
         evaluator=dict(type='DepthMetric', crop=None, gt_mask='range',
                        min_depth=0.0, max_depth=70.0, resize='nearest',
                        median='torch', log_base='10')),
    dict(name='nyuv2', dataloader=dict(_loader, dataset=dict(
        type='NYUv2TestDataset', data_root={nyu!r}, ann_file={nyu_ann!r},
        pipeline=[dict(type='LoadNYUv2H5'), _r,
                  dict(type='PackDepthInputs')])),
         evaluator=dict(type='DepthMetric', crop=None, gt_mask='range',
                        min_depth=0.0, max_depth=10.0, resize='nearest',
                        median='torch')),
]
val_cfg = None
val_dataloader = None
val_evaluator = None
"""


def test_test_tool_several_sets(tmp_path):
    nyu = make_nyuv2_tree(str(tmp_path / 'nyu'), num_images=2)
    m3 = make_make3d_tree(str(tmp_path / 'make3d'))
    cfg = tmp_path / 'sets.py'
    cfg.write_text(TEST_SETS_CFG.format(
        base=str(ROOT / 'configs/bdedepth/bdedepth_r18_kitti.py'),
        m3=m3['root'], m3_ann=m3['test'], nyu=nyu['root'],
        nyu_ann=nyu['test']))
    torch.manual_seed(0)
    model = build_model(str(cfg))
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def run(*extra, code=0):
        proc = subprocess.run(
            [sys.executable, str(TEST_TOOL), str(cfg), str(ckpt),
             '--work-dir', str(tmp_path / 'work'), *extra], cwd=tmp_path,
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=600)
        assert proc.returncode == code, proc.stdout[-4000:]
        return proc.stdout

    out = run('--test-sets', 'all')
    assert out.count('Depth evaluation on 2 images') == 2
    assert 'Test set make3d' in out and 'Test set nyuv2' in out
    summary = out[out.index('Summary over test sets'):]
    assert 'make3d' in summary and 'nyuv2' in summary
    out = run('--test-sets', 'kitti', code=1)
    assert "unknown test set(s) ['kitti']" in out
    assert "['make3d', 'nyuv2']" in out
