"""PackNetPhotometricLoss (packnet spec §2) as a loss plugin of the one
estimator: the packnet.npz ``MultiViewPhotometricLoss_e2e`` fixture through
a DepthContext, the options, progressive scaling from the MessageHub, and a
train step of the estimator with a narrow PackNet + PackNetPoseNet."""
from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub

from depthseg.models.estimators.context import DepthContext
from depthseg.models.losses.packnet_loss import (
    PackNetPhotometricLoss,
    training_progress,
)
from depthseg.models.utils.packnet_geometry import pose_vec_to_matrix
from depthseg.registry import DATASETS, MODELS
from depthseg.testing import load_fixture
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
E2E_RTOL = 1e-9
H, W = 64, 192


def e2e_context(pose_as_matrix=False):
    """A DepthContext holding the fixture inputs (float64): target and
    contexts [t−1, t+1] at level 0, K (4×4), the 4 inverse depths as
    ``disp`` and the pose vectors as PackNetPoseNet entries."""
    ins, outs = load_fixture('packnet', 'MultiViewPhotometricLoss_e2e')
    t = {k: torch.from_numpy(v).double() for k, v in ins.items()}
    K = torch.eye(4, dtype=torch.float64).repeat(len(t['K']), 1, 1)
    K[:, :3, :3] = t['K']
    inputs = dict(color={0: {0: t['image']}, -1: {0: t['context_0']},
                         1: {0: t['context_1']}},
                  K=[K], inv_K=[torch.linalg.inv(K)])
    poses = {-1: t['pose_vec_0'], 1: t['pose_vec_1']}
    poses = {f: pose_vec_to_matrix(v) if pose_as_matrix else dict(vec=v)
             for f, v in poses.items()}
    disp = {s: t[f'inv_depths_s{s}'] for s in range(4)}
    ctx = DepthContext(inputs, disp, [0, -1, 1], [0, 1, 2, 3],
                       pose_params=poses, min_depth=1.0,
                       max_depth=float('inf'), padding_mode='zeros')
    return ctx, outs


@pytest.mark.parametrize('upsample', [True, False])
def test_plugin_matches_fixture(upsample):
    ctx, outs = e2e_context()
    prefix = '' if upsample else 'native_'
    loss = MODELS.build(dict(type='PackNetPhotometricLoss',
                             upsample_depth_maps=upsample))
    terms = loss(ctx)
    assert set(terms) == {'loss_photometric', 'loss_smoothness'}
    np.testing.assert_allclose(terms['loss_photometric'].item(),
                               outs[prefix + 'photometric_loss'],
                               rtol=E2E_RTOL)
    np.testing.assert_allclose(terms['loss_smoothness'].item(),
                               outs[prefix + 'metric_smoothness_loss'],
                               rtol=E2E_RTOL)
    # mmengine sums the loss* terms: the original's total loss
    np.testing.assert_allclose(sum(terms.values()).item(),
                               outs[prefix + 'loss'][0], rtol=E2E_RTOL)
    # the per-scale pieces of the plugin's computation
    details = loss.compute(ctx, return_details=True)
    for i in range(4):
        np.testing.assert_allclose(details['P'][i].item(),
                                   outs[f'{prefix}P_s{i}'], rtol=E2E_RTOL)
    np.testing.assert_allclose(details['warped'][0][0].numpy(),
                               outs[prefix + 'warped_c0_s0'],
                               rtol=E2E_RTOL, atol=1e-12)
    if upsample:
        for j in range(2):
            np.testing.assert_allclose(details['poses'][j].numpy(),
                                       outs[f'Tcw_c{j}'], rtol=1e-12)
    # the context's own geometry was not touched (PackNet warps itself)
    assert not ctx.depth and not ctx.grids and not ctx.warped


def test_plugin_pose_matrices_and_weight():
    """Poses given as matrices (any pose net, through ``ctx.poses``) give
    the same loss; ``loss_weight`` scales both terms."""
    ctx, outs = e2e_context(pose_as_matrix=True)
    terms = PackNetPhotometricLoss(loss_weight=2.0)(ctx)
    np.testing.assert_allclose(terms['loss_photometric'].item(),
                               2 * outs['photometric_loss'], rtol=E2E_RTOL)
    np.testing.assert_allclose(terms['loss_smoothness'].item(),
                               2 * outs['metric_smoothness_loss'],
                               rtol=E2E_RTOL)


def test_plugin_options():
    ctx, outs = e2e_context()
    with pytest.raises(ValueError, match='automask'):
        PackNetPhotometricLoss(photometric_reduce_op='mean')
    with pytest.raises(ValueError, match='reduce_op'):
        PackNetPhotometricLoss(photometric_reduce_op='max')
    mean = PackNetPhotometricLoss(photometric_reduce_op='mean',
                                  automask_loss=False)(ctx)
    assert mean['loss_photometric'].item() > float(outs['photometric_loss'])
    no_smooth = PackNetPhotometricLoss(smooth_loss_weight=0.0)(ctx)
    assert float(no_smooth['loss_smoothness']) == 0
    with pytest.raises(KeyError, match='num_scales=5'):
        PackNetPhotometricLoss(num_scales=5)(ctx)
    # fewer scales: the mean over the first n
    two = PackNetPhotometricLoss(num_scales=2).compute(
        ctx, return_details=True)
    assert two['num_scales'] == 2
    torch.testing.assert_close(two['photometric_loss'],
                               (two['P'][0] + two['P'][1]) / 2)


def test_progressive_scaling_from_message_hub():
    """The legacy no-op (quirk Q2) keeps 4 scales whatever the progress;
    the opt-in schedule reads epoch / max_epochs from the MessageHub."""
    ctx, _ = e2e_context()
    hub = MessageHub.get_instance('packnet_loss_test')
    hub.update_info('epoch', 19)
    hub.update_info('max_epochs', 20)  # progress 0.95
    assert training_progress() == pytest.approx(0.95)
    legacy = PackNetPhotometricLoss(progressive_scaling=0.3)
    assert legacy(ctx)['packnet_num_scales'].item() == 4
    working = PackNetPhotometricLoss(
        progressive_scaling=0.3, legacy_progressive_scaling_noop=False)
    assert working(ctx)['packnet_num_scales'].item() == 1
    hub.update_info('epoch', 7)  # progress 0.35: 3 scales
    assert working(ctx)['packnet_num_scales'].item() == 3
    working.progress = 0.0  # explicit override
    assert working(ctx)['packnet_num_scales'].item() == 4
    # no schedule configured: no extra term
    assert 'packnet_num_scales' not in PackNetPhotometricLoss()(ctx)


def narrow_packnet_model():
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/models/packnet01.py'))
    cfg.model.depth_encoder = dict(type='PackNetBase',
                                   widths=(16, 16, 16, 32, 64, 128), d=4)
    return MODELS.build(cfg.model)


def test_estimator_train_step(tmp_path):
    """One train step of the estimator with a narrow PackNet graph and
    PackNetPoseNet at 64×192 on a real packed batch: finite losses, and
    every parameter of both networks gets a finite gradient."""
    torch.manual_seed(0)
    model = narrow_packnet_model()
    tree = make_kitti_raw_tree(str(tmp_path), size=(H, W))
    ds = DATASETS.build(dict(
        type='KittiRawDataset', data_root=tree['root'],
        ann_file=tree['train'], frame_ids=[0, -1, 1],
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='ResizePyramid', height=H, width=W, num_scales=4),
            dict(type='ColorJitter', prob=1.0), dict(type='PackDepthInputs')
        ]))
    data = pseudo_collate([ds[i] for i in range(2)])
    log_vars = model.train_step(data, MagicMock())
    assert {'loss', 'loss_photometric', 'loss_smoothness'} <= set(log_vars)
    assert all(torch.isfinite(v) for v in log_vars.values())
    loss = model(**model.data_preprocessor(data, True), mode='loss')
    sum(v for k, v in loss.items() if k.startswith('loss')).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    # predict: depth = 1 / inverse depth (min_depth 1, max_depth inf)
    model.eval()
    with torch.no_grad():
        inputs = model.data_preprocessor(data, False)['inputs']
        inv = model.extract_disp(inputs['color_aug'][0])[0]
        samples = model.predict(inputs, [MagicMock(), MagicMock()])
    torch.testing.assert_close(samples[0].pred_depth_map.data, 1 / inv[0])


def test_depth_flip_prob():
    """depth_flip_prob=1: the depth net sees the flipped target and every
    scale is flipped back (quirk Q37); the pose net and eval are
    unaffected; 0 (default) changes nothing."""
    torch.manual_seed(0)
    model = narrow_packnet_model()
    model.depth_flip_prob = 1.0
    img = torch.rand(2, 3, 32, 96)
    inputs = dict(color_aug={0: img, -1: torch.rand(2, 3, 32, 96),
                             1: torch.rand(2, 3, 32, 96)})
    model.train()
    with torch.no_grad():
        ctx = model.build_context(inputs)
        flipped = model.extract_disp(img.flip(-1))
    assert len(ctx.disp) == 4
    for s, d in ctx.disp.items():
        assert torch.equal(d, flipped[s].flip(-1))
    model.depth_flip_prob = 0.0
    with torch.no_grad():
        plain = model.build_context(inputs).disp
        direct = model.extract_disp(img)
    assert all(torch.equal(plain[s], direct[s]) for s in plain)
    with pytest.raises(ValueError, match='depth_flip_prob'):
        cfg = Config.fromfile(str(ROOT / 'configs/_base_/models/'
                                  'packnet01.py')).model
        cfg.depth_flip_prob = 1.5
        MODELS.build(cfg)
