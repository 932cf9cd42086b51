"""DepthMetric: known answers, GT sources, external disparities, outputs."""
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData

from depthseg.evaluation import (DEPTH_METRIC_NAMES, DepthMetric,
                                 evaluate_depth_sample, load_gt_depths,
                                 load_pred_disps, save_gt_depths)
from depthseg.structures import DepthDataSample
from depthseg.testing.fixtures import load_fixture
from depthseg.utils import register_all_modules

H, W = 12, 20
register_all_modules()


def _disp(seed=0, shape=(H, W)):
    """Scaled disparities in [0.02, 1] (depth 1..50, no clamping)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.02, 1, shape).astype(np.float32)


def _sample(idx, disp, gt=None, **metainfo):
    sample = DepthDataSample(metainfo=dict(sample_idx=idx, **metainfo))
    sample.pred_disp_map = PixelData(data=torch.from_numpy(disp)[None])
    if gt is not None:
        sample.gt_depth_map = PixelData(data=torch.from_numpy(gt)[None])
    return sample.to_dict()


def test_known_answer_fixed_scale():
    """gt = 1.1·pred -> abs_rel 1/11, rmse_log ln 1.1, ratio 1.1."""
    metric = DepthMetric(crop=None, scaling='none')
    disps = [_disp(i) for i in range(3)]
    metric.process(None, [_sample(i, d, gt=1.1 / d)
                          for i, d in enumerate(disps)])
    res = metric.evaluate(3)
    assert set(res) == {f'depth/{k}' for k in DEPTH_METRIC_NAMES} | {
        'depth/ratio_median', 'depth/ratio_std'}
    assert res['depth/abs_rel'] == pytest.approx(1 / 11, rel=1e-6)
    assert res['depth/rmse_log'] == pytest.approx(np.log(1.1), rel=1e-5)
    assert res['depth/a1'] == 1.0
    assert res['depth/abs_err'] == pytest.approx(
        np.mean([np.mean(0.1 / d) for d in disps]), rel=1e-5)
    assert res['depth/sq_rel'] == pytest.approx(
        np.mean([np.mean(0.01 / d / 1.1) for d in disps]), rel=1e-5)
    assert res['depth/ratio_median'] == pytest.approx(1.1, rel=1e-6)
    assert res['depth/ratio_std'] == pytest.approx(0, abs=1e-6)


def test_depth_scale_metainfo_and_median_scaling():
    disp = _disp(1) + 0.1  # 5.94 / disp < 80
    # stereo: depth = 5.4 / disp, gt = 1.1 x that
    metric = DepthMetric(crop=None, scaling='none')
    metric.process(None, [_sample(0, disp, gt=5.94 / disp, depth_scale=5.4)])
    assert metric.evaluate(1)['depth/abs_rel'] == pytest.approx(1 / 11,
                                                                rel=1e-5)
    # median scaling removes any global scale
    metric = DepthMetric(crop=None, scaling='median')
    metric.process(None, [_sample(0, disp, gt=3 / disp)])
    res = metric.evaluate(1)
    assert res['depth/abs_rel'] == pytest.approx(0, abs=1e-6)
    assert res['depth/ratio_median'] == pytest.approx(3, rel=1e-6)


def test_table_is_logged():
    metric = DepthMetric(crop=None)
    disp = _disp(2) + 0.1
    metric.process(None, [_sample(0, disp, gt=2 / disp)])
    with mock.patch(
            'depthseg.evaluation.metrics.depth_metric.print_log') as log:
        metric.evaluate(1)
    table = log.call_args_list[-1].args[0]
    assert 'Depth evaluation on 1 images (crop=None, scaling=median)' in table
    assert ' Scaling ratios | med: 2.000 | std: 0.000' in table
    lines = table.splitlines()
    assert lines[-2] == '  ' + ''.join(
        f'{k:>8} | ' for k in DEPTH_METRIC_NAMES)
    assert lines[-1] == '&   0.000  ' * 4 + '&   1.000  ' * 3 + \
        '&   0.000  \\\\'
    assert 'not applied' in DepthMetric(scaling='none').format_table(
        dict.fromkeys(DEPTH_METRIC_NAMES + ('ratio_median', 'ratio_std'),
                      1.0), 1)


def test_evaluator_prefix_for_save_best():
    """Through mmengine's Evaluator the keys are depth/<name>, the names
    CheckpointHook(save_best='depth/abs_rel') looks up."""
    evaluator = Evaluator(dict(type='DepthMetric', crop=None))
    disp = _disp(3)
    sample = DepthDataSample(metainfo=dict(sample_idx=0))
    sample.pred_disp_map = PixelData(data=torch.from_numpy(disp)[None])
    sample.gt_depth_map = PixelData(data=torch.from_numpy(2 / disp)[None])
    evaluator.process([sample])
    assert 'depth/abs_rel' in evaluator.evaluate(1)


def _fixture_loop(tmp_path):
    ins, outs = load_fixture('monodepth2_eval', 'evaluate_depth_loop')
    gts = [ins[f'gt_depth_{i}'] for i in range(3)]
    gt_file = str(tmp_path / 'gt.npz')
    save_gt_depths(gt_file, gts)
    return ins['pred_disps'], gts, gt_file, outs


def test_gt_file_matches_fixture_loop(tmp_path):
    disps, gts, gt_file, outs = _fixture_loop(tmp_path)
    loaded = load_gt_depths(gt_file)
    assert len(loaded) == 3
    for a, b in zip(loaded, gts):
        np.testing.assert_array_equal(a, b)
    # the original's object-array layout reads too, without allow_pickle
    original = tmp_path / 'original_gt_depths.npz'
    data = np.empty(3, dtype=object)
    data[:] = [g.astype(np.float32) for g in gts]
    np.savez_compressed(original, data=data)
    for a, b in zip(load_gt_depths(str(original)), gts):
        np.testing.assert_array_equal(a, b.astype(np.float32))
    metric = DepthMetric(crop='garg', gt_file=gt_file)
    metric.process(None, [_sample(i, d) for i, d in enumerate(disps)])
    res = metric.evaluate(3)
    np.testing.assert_allclose(
        [res[f'depth/{k}'] for k in DEPTH_METRIC_NAMES[:7]],
        outs['eigen_mono_mean_errors'], rtol=1e-5)
    assert res['depth/ratio_median'] == pytest.approx(
        float(outs['eigen_mono_ratio_med']), rel=1e-6)
    assert res['depth/ratio_std'] == pytest.approx(
        float(outs['eigen_mono_ratio_std']), rel=1e-5)


def test_gt_file_shorter_than_split(tmp_path):
    disps, gts, gt_file, _ = _fixture_loop(tmp_path)
    split = tmp_path / 'test_files.txt'
    split.write_text(''.join(f'2011_09_26/drive {i} l\n' for i in range(5)))
    metric = DepthMetric(gt_file=gt_file)
    with pytest.raises(ValueError) as err:
        metric.process(None, [_sample(0, disps[0], ann_file=str(split))])
    msg = str(err.value)
    assert gt_file in msg and '3 ground-truth' in msg and '5 samples' in msg
    assert str(split) in msg and 'kitti_export_gt.py' in msg
    # without the split file: caught at the first index past the end
    metric = DepthMetric(gt_file=gt_file)
    with pytest.raises(ValueError, match='holds 3 ground-truth'):
        metric.process(None, [_sample(3, disps[0])])


def test_gt_file_longer_than_split(tmp_path):
    disps, _, gt_file, _ = _fixture_loop(tmp_path)
    split = tmp_path / 'test_files.txt'
    split.write_text(''.join(f'2011_09_26/drive {i} l\n' for i in range(2)))
    metric = DepthMetric(gt_file=gt_file)
    with pytest.raises(ValueError) as err:
        metric.process(None, [_sample(0, disps[0], ann_file=str(split))])
    assert str(err.value).startswith(
        f'{gt_file} holds 3 ground-truth depth maps but the split {split} '
        'has 2 samples (the GT of another split: its maps would be compared '
        'with the wrong images). Fix: re-export the ground truth for this '
        f'split: python tools/dataset_converters/kitti_export_gt.py')
    # fewer disparities than GT maps (evaluate_external)
    np.save(tmp_path / 'fewer.npy', disps[:2])
    metric = DepthMetric(gt_file=gt_file,
                         pred_disps_file=str(tmp_path / 'fewer.npy'))
    with pytest.raises(ValueError, match='3 ground-truth depth maps but the '
                       r'disparity file .* has 2 samples \(the GT of another '
                       'split'):
        metric.evaluate_external()


def test_missing_gt(tmp_path):
    metric = DepthMetric(gt_file=str(tmp_path / 'nope.npz'))
    with pytest.raises(FileNotFoundError, match='kitti_export_gt.py'):
        metric.process(None, [_sample(0, _disp())])
    with pytest.raises(KeyError, match='LoadKittiDepthGT'):
        DepthMetric().process(None, [_sample(0, _disp())])


@pytest.mark.parametrize('ext', ['.npy', '.npz'])
def test_external_disparities(tmp_path, ext):
    disps, gts, gt_file, outs = _fixture_loop(tmp_path)
    path = str(tmp_path / f'disps{ext}')
    if ext == '.npy':
        np.save(path, disps)
    else:
        np.savez_compressed(path, pred_disps=disps)
    np.testing.assert_array_equal(load_pred_disps(path), disps)
    metric = DepthMetric(crop='garg', scaling='none', gt_file=gt_file,
                         pred_disps_file=path)
    res = metric.evaluate_external(depth_scale=5.4)
    np.testing.assert_allclose(
        [res[f'depth/{k}'] for k in DEPTH_METRIC_NAMES[:7]],
        outs['eigen_stereo_mean_errors'], rtol=1e-5)
    expected_abs_err = np.mean([
        evaluate_depth_sample(g, d, depth_scale=5.4,
                              median_scaling=False)['abs_err']
        for g, d in zip(gts, disps)
    ])
    assert res['depth/abs_err'] == pytest.approx(expected_abs_err, rel=1e-6)
    # more disparities than GT maps
    np.save(tmp_path / 'more.npy', np.concatenate([disps, disps]))
    metric = DepthMetric(gt_file=gt_file,
                         pred_disps_file=str(tmp_path / 'more.npy'))
    with pytest.raises(ValueError, match='3 ground-truth depth maps but the '
                       'disparity file'):
        metric.evaluate_external()
    # a disparity file shorter than the evaluated split
    metric = DepthMetric(crop=None, pred_disps_file=path)
    with pytest.raises(ValueError, match='holds 3 disparities'):
        metric.process(None, [_sample(3, disps[0], gt=gts[0])])


def test_out_file_and_show_dir(tmp_path):
    disps = [_disp(i) for i in range(3)]
    out = tmp_path / 'out' / 'preds.npz'
    show = tmp_path / 'show'
    metric = DepthMetric(crop=None, out_file=str(out), show_dir=str(show))
    # results arrive out of order (distributed collection): sorted on save
    metric.process(None, [_sample(i, disps[i], gt=2 / disps[i])
                          for i in (2, 0, 1)])
    metric.evaluate(3)
    np.testing.assert_array_equal(np.load(out)['pred_disps'],
                                  np.stack(disps))
    pngs = sorted(p.name for p in show.iterdir())
    assert pngs == ['000000_disp.png', '000001_disp.png', '000002_disp.png']
    img = cv2.imread(str(show / pngs[0]))
    assert img.shape == (H, W, 3)


def test_benchmark_pngs(tmp_path):
    disp = np.full((24, 80), 0.5, np.float32)
    disp[:, :40] = 0.01  # 540 m -> clipped to 80
    metric = DepthMetric(format_only=True, output_dir=str(tmp_path / 'bm'))
    metric.process(None, [_sample(i, disp) for i in range(2)])
    assert metric.evaluate(2) == {}
    png = cv2.imread(str(tmp_path / 'bm' / '0000000001.png'),
                     cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == (352, 1216)
    assert png[0, 0] == 80 * 256
    assert png[0, -1] == int(5.4 / 0.5 * 256)  # uint16 truncates
    with pytest.raises(ValueError, match='output_dir'):
        DepthMetric(format_only=True)


def test_invalid_options():
    with pytest.raises(ValueError, match='scaling'):
        DepthMetric(scaling='mean')
    with pytest.raises(ValueError, match='crop'):
        DepthMetric(crop='nyu')


def test_both_scalings_side_by_side(caplog):
    """Metric models: gt = 1.1·pred -> unscaled abs_rel 1/11, scaled 0."""
    metric = DepthMetric(crop=None, scaling='both')
    disps = [_disp(i) for i in range(2)]
    metric.process(None, [_sample(i, d, gt=1.1 / d)
                          for i, d in enumerate(disps)])
    res = metric.evaluate(2)
    assert res['depth/abs_rel'] == pytest.approx(1 / 11, rel=1e-6)
    assert res['depth/median_abs_rel'] == pytest.approx(0, abs=1e-6)
    assert res['depth/ratio_median'] == pytest.approx(1.1, rel=1e-6)
    table = metric.format_table(
        {k.split('/')[1]: v for k, v in res.items()}, 2)
    assert 'w/o scaling' in table and 'w/ scaling' in table
