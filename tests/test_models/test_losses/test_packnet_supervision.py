"""PackNet-SfM's extra supervision plugins: VelocitySupervisionLoss (VelSup)
and SupervisedDepthLoss (SemiSup), with known answers."""
import math
from types import SimpleNamespace

import pytest
import torch

from depthseg.models.losses import SupervisedDepthLoss, VelocitySupervisionLoss
from depthseg.models.losses.supervised_depth import (
    berhu,
    silog,
    supervised_loss,
)
from depthseg.models.utils.packnet_geometry import pose_vec_to_matrix
from depthseg.registry import MODELS
from depthseg.utils import register_all_modules

register_all_modules()


def translation(*t):
    T = torch.eye(4)
    T[:3, 3] = torch.tensor(t)
    return T


def velocity_ctx(pred, gt, gt_ids=(-1, 1)):
    """pred: {f: B×4×4}; gt: B×n×4×4."""
    B = gt.shape[0]
    return SimpleNamespace(
        source_ids=list(pred), pose_params={},
        poses={(f, 0): p for f, p in pred.items()}, pose_net=None,
        inputs=dict(gt_poses=gt,
                    gt_pose_ids=torch.tensor([list(gt_ids)] * B)))


def test_velocity_known_answer():
    # sample 0: pred 1.0 / 2.0 m, gt 1.5 / 1.5 m; sample 1: exact
    pred = {-1: torch.stack([translation(0, 0, 1.), translation(0, .6, .8)]),
            1: torch.stack([translation(2., 0, 0), translation(0, 0, -1.)])}
    gt = torch.stack([torch.stack([translation(0, 0, 1.5),
                                   translation(0, 1.5, 0)]),
                      torch.stack([translation(1., 0, 0),
                                   translation(0, 0, 1.)])])
    loss = VelocitySupervisionLoss()
    out = loss(velocity_ctx(pred, gt))
    # errors |1-1.5|, |2-1.5|, 0, 0 -> mean 0.25, × 0.1
    assert out['velocity_error'].item() == pytest.approx(0.25)
    assert out['loss_velocity'].item() == pytest.approx(0.025)
    assert out['gt_speed'].item() == pytest.approx(1.25)
    # rows are matched by frame id, not by position
    swapped = gt[:, [1, 0]]
    out2 = loss(velocity_ctx(pred, swapped, gt_ids=(1, -1)))
    assert out2['loss_velocity'].item() == pytest.approx(0.025)
    assert MODELS.build(dict(type='VelocitySupervisionLoss')).loss_weight \
        == 0.1


def test_velocity_packnet_pose_entries_and_grad():
    """PackNetPoseNet entries ({'vec': B×6}) are used directly; the loss
    has gradients for the pose net's output."""
    vec = torch.tensor([[0.3, 0.4, 0.0, 0.01, 0.02, 0.0]],
                       requires_grad=True)
    ctx = SimpleNamespace(source_ids=[-1, 1, 's'],
                          pose_params={-1: dict(vec=vec), 1: dict(vec=vec)},
                          poses={}, pose_net=None,
                          inputs=dict(gt_poses=translation(0, 0, 1.)
                                      .expand(1, 2, 4, 4),
                                      gt_pose_ids=torch.tensor([[-1, 1]])))
    out = VelocitySupervisionLoss(loss_weight=1.0)(ctx)
    assert out['loss_velocity'].item() == pytest.approx(0.5, abs=1e-6)
    out['loss_velocity'].backward()
    assert vec.grad is not None and vec.grad[0, :3].abs().sum() > 0
    assert pose_vec_to_matrix(vec)[0, :3, 3].norm().item() == \
        pytest.approx(0.5)


def test_velocity_errors():
    ctx = velocity_ctx({-1: torch.eye(4)[None]}, torch.eye(4)[None, None],
                       gt_ids=(2, ))
    with pytest.raises(KeyError, match='source frame -1'):
        VelocitySupervisionLoss()(ctx)
    ctx.inputs = {}
    with pytest.raises(KeyError, match='LoadOxtsPoses'):
        VelocitySupervisionLoss()(ctx)


# --- SupervisedDepthLoss ---------------------------------------------
P = torch.tensor([0.5, 0.25, 1.0, 0.2])  # predicted inverse depths
G = torch.tensor([0.25, 0.5, 0.5, 0.0])  # GT inverse depths (0 = none)


def maps():
    """A 1×1×2×2 prediction and the GT depth (1/G, 0 where none)."""
    pred = P.view(1, 1, 2, 2)
    depth = torch.where(G > 0, 1 / G.clamp(min=1e-6), torch.zeros(4))
    return pred, depth.view(1, 2, 2)


@pytest.mark.parametrize('method,expected', [
    # valid pixels 0..2: d = 0.25, 0.25, 0.5
    ('sparse-l1', (0.25 + 0.25 + 0.5) / 3),
    ('l1', (0.25 + 0.25 + 0.5) / 3),
    ('mse', (0.0625 + 0.0625 + 0.25) / 3),
    # c = 0.2·max(p − g) = 0.1: all d > c -> mean of [d, d²]
    ('berhu', (0.25 + 0.25 + 0.5 + 0.0625 + 0.0625 + 0.25) / 6),
    # ℓ = ln 2, −ln 2, ln 2
    ('silog', 10 * math.sqrt(math.log(2)**2 -
                             0.85 * (math.log(2) / 3)**2)),
    # |p − g| / p: 0.5, 1, 0.5
    ('abs_rel', (0.5 + 1.0 + 0.5) / 3),
])
def test_supervised_methods_known_answers(method, expected):
    pred, depth = maps()
    assert supervised_loss([pred], depth, method).item() == pytest.approx(
        expected, rel=1e-5)
    # the mean over scales: a second identical scale changes nothing
    assert supervised_loss([pred, pred], depth, method).item() == \
        pytest.approx(expected, rel=1e-5)


def test_original_masking_and_functions():
    pred, depth = maps()
    # mask='sparse_prefix': l1 without the prefix averages all 4 pixels
    # (invalid GT = inverse depth 0: |0.2 − 0| = 0.2)
    assert supervised_loss([pred], depth, 'l1', 'sparse_prefix').item() == \
        pytest.approx((0.25 + 0.25 + 0.5 + 0.2) / 4)
    assert supervised_loss([pred], depth, 'sparse-l1',
                           'sparse_prefix').item() == pytest.approx(1 / 3)
    # berhu threshold from the signed max: only d > c squared
    p, g = torch.tensor([1.0, 0.1]), torch.tensor([0.5, 0.5])
    # c = 0.2·0.5 = 0.1, d = [0.5, 0.4] -> cat([.5, .4, .25, .16]).mean()
    assert berhu(p, g).item() == pytest.approx((.5 + .4 + .25 + .16) / 4)
    assert silog(g, g).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match='supervised_method'):
        SupervisedDepthLoss(supervised_method='huber')


def test_supervised_plugin_scales_and_nearest_gt():
    """Scales come from ctx.disp (inverse depths), are nearest-upsampled;
    the GT is compared at full resolution; × loss_weight (0.9)."""
    gt = torch.full((1, 4, 4), 2.0)  # inverse depth 0.5 everywhere
    gt[0, 0, 0] = 0  # no GT
    disp = {0: torch.full((1, 1, 4, 4), 0.5), 1: torch.full((1, 1, 2, 2),
                                                            0.25)}
    ctx = SimpleNamespace(disp=disp, inputs=dict(sup_depth=gt))
    loss = SupervisedDepthLoss(supervised_num_scales=2)
    out = loss(ctx)
    # scale 0 exact, scale 1 off by 0.25 everywhere -> (0 + 0.25) / 2
    assert out['loss_supervised'].item() == pytest.approx(0.9 * 0.125)
    # 'disp' predictions: inverse of ctx.depth
    ctx.depth = {0: torch.full((1, 1, 4, 4), 4.0),
                 1: torch.full((1, 1, 2, 2), 2.0)}
    out = SupervisedDepthLoss(supervised_num_scales=2, prediction='disp',
                              loss_weight=1.0)(ctx)
    assert out['loss_supervised'].item() == pytest.approx(0.25 / 2)
    # without GT pixels: zero, with a graph
    ctx.inputs = dict(sup_depth=torch.zeros(1, 4, 4))
    assert loss(ctx)['loss_supervised'].item() == 0
    ctx.inputs = {}
    with pytest.raises(KeyError, match='LoadProjectedDepth'):
        loss(ctx)
