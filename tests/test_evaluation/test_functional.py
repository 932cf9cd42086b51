"""Parity of the evaluation functions with ``monodepth2_eval.npz``."""
import numpy as np
import pytest
import torch

from depthseg.evaluation import (DEPTH_ERROR_NAMES, ate_5frame,
                                 batch_post_process_disparity,
                                 compute_depth_errors, dump_xyz,
                                 evaluate_depth_sample, garg_crop,
                                 gt_local_poses, mean_abs_error, ratio_stats,
                                 snippet_ates)
from depthseg.testing.fixtures import load_fixture


def test_compute_errors():
    ins, outs = load_fixture('monodepth2_eval', 'compute_errors')
    for gt, pred, expected in zip(ins['gt'], ins['pred'], outs['errors']):
        np.testing.assert_allclose(compute_depth_errors(gt, pred), expected,
                                   rtol=1e-10, atol=1e-12)


def test_fumet_compute_errors():
    """FUMET's metric vector: abse (mean |gt − pred|) before the 7 of
    Monodepth2."""
    ins, outs = load_fixture('fumet', 'compute_errors')
    for gt, pred, expected in zip(ins['gt'], ins['pred'], outs['errors']):
        got = (mean_abs_error(gt, pred), *compute_depth_errors(gt, pred))
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_compute_errors_closed_form():
    ins, outs = load_fixture('monodepth2_eval', 'compute_errors_closed_form')
    for gt, pred, expected in zip(ins['gt'], ins['pred'], outs['errors']):
        np.testing.assert_allclose(compute_depth_errors(gt, pred), expected,
                                   rtol=1e-10, atol=1e-12)
    gt = np.array([1., 2., 4., 10., 50.])
    np.testing.assert_allclose(
        compute_depth_errors(gt, 1.5 * gt),
        (0.5, 3.35, 11.447707, 0.405465, 0, 1, 1), rtol=1e-6)
    np.testing.assert_allclose(
        compute_depth_errors(gt, gt + 1),
        (0.374, 0.374, 1.0, 0.375266, 0.4, 0.8, 0.8), rtol=1e-6)
    assert mean_abs_error(gt, gt + 1) == 1.0


@pytest.mark.parametrize('parity', ['even', 'odd'])
def test_median_scaling(parity):
    ins, outs = load_fixture('monodepth2_eval', 'median_scaling')
    gt, pred = ins[f'gt_{parity}'], ins[f'pred_{parity}']
    # the ratio evaluate_depth_sample computes: the NumPy median
    disp = (1 / pred).reshape(1, -1)
    res = evaluate_depth_sample(gt.reshape(1, -1), disp, crop=None,
                                max_depth=1e9)
    np.testing.assert_allclose(res['ratio'], outs[f'ratio_{parity}'],
                               rtol=1e-10)


def test_garg_crop():
    ins, outs = load_fixture('monodepth2_eval', 'evaluate_depth_loop')
    for i in range(3):
        crop = garg_crop(*ins[f'gt_depth_{i}'].shape)
        assert crop.dtype == np.int32
        np.testing.assert_array_equal(crop, outs[f'eigen_mono_crop_{i}'])
    np.testing.assert_array_equal(garg_crop(374, 1238), [152, 370, 44, 1193])
    np.testing.assert_array_equal(garg_crop(375, 1242), [153, 371, 44, 1197])


LOOP_CASES = {
    'eigen_mono': dict(crop='garg'),
    'eigen_stereo': dict(crop='garg', depth_scale=5.4, median_scaling=False),
    'benchmark_mono': dict(crop=None),
}


@pytest.mark.parametrize('case', sorted(LOOP_CASES))
def test_evaluate_depth_loop(case):
    ins, outs = load_fixture('monodepth2_eval', 'evaluate_depth_loop')
    results = [
        evaluate_depth_sample(ins[f'gt_depth_{i}'], disp, return_mask=True,
                              **LOOP_CASES[case])
        for i, disp in enumerate(ins['pred_disps'])
    ]
    errors = np.array([[r[k] for k in DEPTH_ERROR_NAMES] for r in results])
    np.testing.assert_allclose(errors, outs[f'{case}_errors'], rtol=1e-5)
    np.testing.assert_allclose(errors.mean(0), outs[f'{case}_mean_errors'],
                               rtol=1e-5)
    ratios = [r['ratio'] for r in results]
    if f'{case}_ratios' in outs:
        np.testing.assert_allclose(ratios, outs[f'{case}_ratios'], rtol=1e-6)
        med, std = ratio_stats(ratios)
        np.testing.assert_allclose(med, outs[f'{case}_ratio_med'], rtol=1e-6)
    if f'{case}_ratio_std' in outs:
        np.testing.assert_allclose(std, outs[f'{case}_ratio_std'], rtol=1e-5)
    if case == 'eigen_mono':
        np.testing.assert_array_equal(results[0]['mask'],
                                      outs['eigen_mono_mask_0'])
        crop_only = evaluate_depth_sample(
            np.full((375, 1242), 10, np.float32),
            ins['pred_disps'][0], return_mask=True)['mask']
        np.testing.assert_array_equal(crop_only,
                                      outs['eigen_mono_crop_mask_0'] > 0)
    if case == 'benchmark_mono':  # every pixel with GT > 0, no upper limit
        gt = ins['gt_depth_0']
        np.testing.assert_array_equal(results[0]['mask'], gt > 0)


def test_evaluate_depth_sample_options():
    gt = np.zeros((10, 20), np.float32)
    gt[2:8, 3:17] = np.linspace(1, 90, 6 * 14).reshape(6, 14)
    disp = np.full((5, 10), 0.5, np.float32)
    res = evaluate_depth_sample(gt, disp, crop=None, gt_mask='range',
                                return_mask=True)
    np.testing.assert_array_equal(res['mask'], (gt > 1e-3) & (gt < 80))
    with pytest.raises(ValueError, match='empty evaluation mask'):
        evaluate_depth_sample(np.zeros((4, 4), np.float32), disp)
    with pytest.raises(ValueError, match='crop'):
        evaluate_depth_sample(gt, disp, crop='eigen')


def test_batch_post_process_disparity():
    for name in ('batch_post_process_disparity',
                 'batch_post_process_disparity_w640'):
        ins, outs = load_fixture('monodepth2_eval', name)
        out = batch_post_process_disparity(ins['l_disp'], ins['r_disp'])
        np.testing.assert_allclose(out, outs['pp_disp'], rtol=1e-10,
                                   atol=1e-12)
        out_t = batch_post_process_disparity(
            torch.from_numpy(ins['l_disp']), torch.from_numpy(ins['r_disp']))
        assert out_t.dtype == torch.float64
        np.testing.assert_allclose(out_t.numpy(), outs['pp_disp'],
                                   rtol=1e-10, atol=1e-12)
    # W=640, l=0, r=1: 1 on the first 32 columns, 0.5 in the middle, 0 on
    # the last 32; torch float32 keeps the dtype
    w640 = outs['pp_disp'][0, 0]
    assert (w640[:32] == 1).all() and (w640[-32:] == 0).all()
    assert w640[320] == 0.5
    l_disp = torch.zeros(2, 1, 3, 640)
    out = batch_post_process_disparity(l_disp, torch.ones_like(l_disp))
    assert out.dtype == torch.float32 and out.shape == l_disp.shape
    np.testing.assert_allclose(out[0, 0, 0].numpy(), w640, atol=1e-7)


def test_fumet_batch_post_process_disparity_tensor():
    """FUMET's NumPy and torch post-processing (identical results)."""
    ins, outs = load_fixture('fumet', 'batch_post_process_disparity_tensor')
    out = batch_post_process_disparity(ins['l_disp'], ins['r_disp'])
    np.testing.assert_allclose(out, outs['pp_numpy'], rtol=1e-10, atol=1e-12)
    out_t = batch_post_process_disparity(torch.from_numpy(ins['l_disp']),
                                         torch.from_numpy(ins['r_disp']))
    np.testing.assert_allclose(out_t.numpy(), outs['pp_tensor'], rtol=1e-10,
                               atol=1e-12)


def test_ate_5frame_closed_form():
    gt = np.array([[0., 0, 0], [1, 0, 0]])
    pred = np.array([[0., 0, 0], [0, 1, 0]])
    assert ate_5frame(gt, pred) == pytest.approx(0.5)  # scale 0
    assert ate_5frame(gt, 3 * pred.T[[1, 0, 2]].T + 7) == pytest.approx(0)


def _random_poses(rng, n):
    """n camera-to-world 3×4 poses: a random walk with small rotations."""
    poses, pose = [], np.eye(4)
    for _ in range(n):
        poses.append(pose[:3].copy())
        angle = rng.uniform(-0.1, 0.1)
        step = np.eye(4)
        step[:2, :2] = [[np.cos(angle), -np.sin(angle)],
                        [np.sin(angle), np.cos(angle)]]
        step[:3, 3] = rng.uniform(-0.2, 0.2, 3) + [0, 0, 1]
        pose = pose @ step
    return np.array(poses)


def test_snippet_ates_and_local_poses():
    rng = np.random.default_rng(0)
    global_poses = _random_poses(rng, 12)
    local = gt_local_poses(global_poses)
    assert local.shape == (11, 4, 4)
    full = np.concatenate([global_poses, np.tile([[[0, 0, 0, 1.]]],
                                                 (12, 1, 1))], 1)
    np.testing.assert_allclose(
        local[3], np.linalg.inv(np.linalg.inv(full[3]) @ full[4]))
    np.testing.assert_allclose(gt_local_poses(full), local)
    # GT as prediction -> 0; scaled translations -> 0 after the LS scale
    np.testing.assert_allclose(snippet_ates(local, local), 0, atol=1e-12)
    scaled = local.copy()
    scaled[:, :3, 3] *= 2.5
    ates = snippet_ates(local, scaled)
    assert len(ates) == 11
    np.testing.assert_allclose(ates, 0, atol=1e-12)
    # the last snippets are shorter, as in the original
    np.testing.assert_allclose(dump_xyz(local[10:14])[-1],
                               (local[10])[:3, 3])
    with pytest.raises(ValueError, match='predicted poses'):
        snippet_ates(local, local[:5])
