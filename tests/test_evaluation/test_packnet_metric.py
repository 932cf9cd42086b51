"""PackNet-SfM's evaluation (packnet spec §4.1-4.2) expressed with
DepthMetric options: the four modes '', _pp, _gt, _pp_gt of the
packnet.npz ``evaluate_depth`` fixture, the estimator's flip
post-processing as PackNet's, and the evaluation configs."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from depthseg.evaluation.functional import (
    evaluate_depth_sample,
    resize_prediction,
)
from depthseg.evaluation.packnet_functional import post_process_inv_depth
from depthseg.registry import METRICS, MODELS
from depthseg.testing import load_fixture
from depthseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
NAMES = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'a1', 'a2', 'a3')
PACKNET_OPTIONS = dict(crop='garg', gt_mask='range', min_depth=0.0,
                       max_depth=80.0, resize='bilinear_depth_align_corners',
                       median='torch', empty_gt='exclude')


def run_metric(disp, gt, **options):
    metric = METRICS.build(dict(type='DepthMetric', scaling='both',
                                **dict(PACKNET_OPTIONS, **options)))
    metric.dataset_meta = {}
    samples = [dict(sample_idx=i, pred_disp_map=disp[i].numpy(),
                    gt_depth_map=gt[i]) for i in range(len(disp))]
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def check_row(metrics, prefix, expected):
    got = np.array([metrics[prefix + n] for n in NAMES])
    np.testing.assert_allclose(got[:4], expected[:4], rtol=1e-9)
    np.testing.assert_allclose(got[4:], expected[4:], rtol=1e-6)


def test_four_modes_of_the_fixture():
    ins, outs = load_fixture('packnet', 'evaluate_depth')
    inv = torch.from_numpy(ins['inv_depth'])
    inv_flipped = torch.from_numpy(ins['inv_depth_flipped_net'])
    gt = ins['gt'].astype(np.float64)  # as the fixture's float64 run
    plain = run_metric(inv, gt)  # DEPTH (unscaled) and DEPTH_GT (median)
    check_row(plain, '', outs['metrics_depth'])
    check_row(plain, 'median_', outs['metrics_depth_gt'])
    # flip_post_process=True feeds the fused inverse depth: _PP, _PP_GT
    pp = run_metric(post_process_inv_depth(inv, inv_flipped), gt)
    check_row(pp, '', outs['metrics_depth_pp'])
    check_row(pp, 'median_', outs['metrics_depth_pp_gt'])


def test_depth_resize_option():
    """'bilinear_depth_align_corners' resizes the depth, not the
    disparity; the other options are unchanged."""
    rng = np.random.default_rng(0)
    disp = rng.uniform(0.05, 1.0, (8, 24)).astype(np.float32)
    gt = rng.uniform(1, 70, (30, 100)).astype(np.float32)
    depth = resize_prediction(1 / disp, 30, 100, 'bilinear_align_corners')
    out = evaluate_depth_sample(gt, disp, crop=None, gt_mask='range',
                                min_depth=0.0, median_scaling=False,
                                resize='bilinear_depth_align_corners',
                                return_mask=True)
    expected = np.mean(np.abs(gt - np.clip(depth, 0, 80)) / gt)
    assert out['abs_rel'] == pytest.approx(expected, rel=1e-6)
    disp_first = evaluate_depth_sample(gt, disp, crop=None, gt_mask='range',
                                       min_depth=0.0, median_scaling=False,
                                       resize='bilinear_align_corners')
    assert disp_first['abs_rel'] != pytest.approx(out['abs_rel'], rel=1e-9)
    with pytest.raises(ValueError, match='resize'):
        METRICS.build(dict(type='DepthMetric', resize='depth'))


def test_estimator_flip_post_process_is_packnets():
    """The estimator's test_cfg.flip_post_process on PackNet inverse depths
    (min_depth 1, max_depth 1e30: disp_to_depth is the identity) equals
    PackNet's post_process_inv_depth of the two passes."""
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/models/packnet01.py'))
    cfg.model.depth_encoder = dict(type='PackNetBase',
                                   widths=(16, 16, 16, 32, 64, 128), d=4)
    cfg.model.test_cfg = dict(flip_post_process=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    img = torch.rand(2, 3, 32, 96)
    with torch.no_grad():
        fused = model.predict_scaled_disp(img)
        inv = model.extract_disp(img)[0]
        inv_flipped = model.extract_disp(img.flip(-1))[0]
    torch.testing.assert_close(fused,
                               post_process_inv_depth(inv, inv_flipped),
                               rtol=1e-6, atol=0)


@pytest.mark.parametrize('name', ['kitti_packnet_test.py',
                                  'kitti_packnet_benchmark_test.py'])
def test_evaluation_configs(name):
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets' / name))
    ev = cfg.test_evaluator
    assert {k: ev[k] for k in PACKNET_OPTIONS} == PACKNET_OPTIONS
    assert ev.scaling == 'both'
    assert cfg.test_dataloader.dataset.img_ext == '.png'
    split = Path(cfg.test_dataloader.dataset.ann_file)
    lines = [x for x in split.read_text().splitlines() if x.strip()]
    benchmark = 'benchmark' in name
    assert len(lines) == (652 if benchmark else 697)
    assert ev.gt_file.endswith('gt_depths_eigen_benchmark.npz' if benchmark
                               else 'gt_depths_eigen.npz')
    resize = cfg.test_dataloader.dataset.pipeline[1]
    assert (resize.height, resize.width) == (192, 640)


def test_images_without_valid_gt_are_excluded():
    """Quirk Q20 fixed: an image without a valid GT pixel is left out of
    the means (the fixture's 'valid_only' rows); the default raises."""
    ins, outs = load_fixture('packnet', 'compute_depth_metrics_empty')
    disp = 1 / torch.from_numpy(ins['pred'])
    gt = ins['gt'].astype(np.float64)
    metrics = run_metric(disp, gt)
    check_row(metrics, '', outs['valid_only'])
    check_row(metrics, 'median_', outs['valid_only_gt'])
    with pytest.raises(ValueError, match='sample_idx 1'):
        run_metric(disp, gt, empty_gt='raise')
    with pytest.raises(ValueError, match='no evaluated image'):
        run_metric(disp[1:2], gt[1:2])
    with pytest.raises(ValueError, match='empty_gt'):
        METRICS.build(dict(type='DepthMetric', empty_gt='skip'))
