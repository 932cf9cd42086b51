"""EpochEstimatesHook (FUMET's h*) and LossWeightScheduleHook on a fake
runner."""
import math
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from depthseg.engine.hooks import EpochEstimatesHook, LossWeightScheduleHook
from depthseg.models.losses import CameraHeightLoss, CarHeightLoss
from depthseg.models.losses.metric_scale import epoch_medians


FINE = dict(ramp='log_up', limit_epoch=20)
ROUGH = dict(ramp='log_down', limit_epoch=20, min_rate=0.005)


class Holder(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.losses = nn.ModuleList(
            [CameraHeightLoss(scales=(0, 1), weight_schedule=FINE, **kwargs),
             CarHeightLoss(weight_schedule=ROUGH)])


def runner_at(model, epoch):
    return SimpleNamespace(model=model, epoch=epoch, logger=MagicMock(),
                           message_hub=MessageHub.get_instance('fumet_test'))


def feed(loss, values, groups=None):
    """Pretend one training step recorded these per-frame estimates."""
    values = torch.tensor(values, dtype=torch.float64)
    groups = torch.zeros(len(values), dtype=torch.long) if groups is None \
        else torch.tensor(groups)
    for i in range(len(loss.scales)):
        loss.estimates[i].append(values * (1 + 0.01 * i))
        loss.estimate_groups[i].append(groups)


def test_h_star_timeline_first_update_epoch_1():
    model = Holder()
    loss, hook = model.losses[0], EpochEstimatesHook()
    expected = {}
    estimates = {0: [1.5, 1.7], 1: [1.6, 1.8, 1.7], 2: [1.62],
                 3: [float('nan')]}
    for epoch, values in estimates.items():
        runner = runner_at(model, epoch)
        hook.before_train_epoch(runner)
        if not math.isnan(values[0]):
            feed(loss, values)
        hook.after_train_epoch(runner)
        expected[epoch] = loss.h_star[0, 0].item() if loss.h_star_valid[0] \
            else None
    # epoch 0: not yet; epoch 1: h* = H_1; epoch 2: (1·H_1 + 2·H_2)/3;
    # epoch 3 gives no estimate: h* is kept (Q6b fix)
    assert expected[0] is None
    assert expected[1] == pytest.approx(1.7)
    assert expected[2] == pytest.approx((1.7 + 2 * 1.62) / 3)
    assert expected[3] == pytest.approx(expected[2])
    # the other scale is tracked too (logged only)
    assert loss.h_star[0, 1].item() == pytest.approx(
        (1.7 * 1.01 + 2 * 1.62 * 1.01) / 3)


def test_epoch_start_clears_estimates():
    model = Holder()
    loss, hook = model.losses[0], EpochEstimatesHook()
    feed(loss, [9.0])  # stale values of an interrupted epoch
    hook.before_train_epoch(runner_at(model, 1))
    feed(loss, [1.6])
    hook.after_train_epoch(runner_at(model, 1))
    assert loss.h_star[0, 0].item() == pytest.approx(1.6)


def test_h_star_is_checkpointed():
    model = Holder(initial_cam_height=1.7)
    assert model.losses[0].h_star_valid.all()
    state = model.state_dict()
    assert 'losses.0.h_star' in state and 'losses.0.h_star_valid' in state
    other = Holder()
    other.load_state_dict(state)
    assert other.losses[0].h_star[0, 0].item() == pytest.approx(1.7)


def test_cam_setting_groups():
    model = Holder(cam_settings=(1.18, 1.22))
    loss, hook = model.losses[0], EpochEstimatesHook()
    feed(loss, [1.1, 1.2, 1.3], groups=[0, 0, 0])
    hook.after_train_epoch(runner_at(model, 1))
    assert loss.h_star_valid.tolist() == [True, False]
    assert loss.h_star[0, 0].item() == pytest.approx(1.2)


def test_epoch_medians_interpolate_over_ranks():
    rank = lambda v: [(torch.zeros(len(v), dtype=torch.long),  # noqa: E731
                       torch.tensor(v, dtype=torch.float64))]
    med = epoch_medians([rank([1.0, 4.0]), rank([2.0, 3.0])], 1)
    assert med[0, 0].item() == pytest.approx(2.5)


def test_loss_weight_schedule():
    model = Holder()
    hook = LossWeightScheduleHook()
    table = {0: (0, 1), 5: (.5885, .4115), 19: (.9840, .0160),
             20: (1, .005)}
    for epoch, (fine, rough) in table.items():
        hook.before_train_epoch(runner_at(model, epoch))
        assert model.losses[0].loss_weight == pytest.approx(0.01 * fine,
                                                            abs=1e-6)
        assert model.losses[1].loss_weight == pytest.approx(rough, abs=1e-4)


def test_loss_weight_schedule_errors():
    with pytest.raises(ValueError, match='weight_schedule needs ramp'):
        CarHeightLoss(weight_schedule=dict(limit_epoch=3))
    with pytest.raises(ValueError, match='takes only'):
        CarHeightLoss(weight_schedule=dict(ramp='log_up', epochs=3))
    model = Holder()
    model.losses[1].weight_schedule = dict(ramp='cosine')
    with pytest.raises(ValueError, match="ramp 'cosine'"):
        LossWeightScheduleHook().before_train_epoch(runner_at(model, 0))


def test_plugins_declare_their_hooks():
    """FUMET's plugins bring the h* and weight-schedule hooks."""
    fine, rough = Holder().losses
    assert fine.plugin_hooks() == [dict(type='EpochEstimatesHook'),
                                   dict(type='LossWeightScheduleHook')]
    assert rough.plugin_hooks() == [dict(type='LossWeightScheduleHook')]
    assert CarHeightLoss().plugin_hooks() == []
