"""Non-finite losses / gradients: guarded train_step + NonFiniteCheckHook."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch import nn

from depthseg.engine.hooks import NonFiniteCheckHook
from depthseg.models.utils.nonfinite import (NONFINITE_INFO,
                                             NonFiniteGuardMixin,
                                             NonFiniteStepError)
from depthseg.models.utils.sampling import safe_grid_sample

FINE, NAN_LOSS, NAN_GRAD = 0, 1, 2


class GuardedToy(NonFiniteGuardMixin, BaseModel):
    """Linear + BatchNorm; ``bad`` makes a term NaN (1) or, with finite
    loss terms, the gradients (2: d sqrt(|0·x|) = inf · 0)."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(2)
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, bad, mode='loss'):
        out = self.linear(self.bn(inputs * (float('nan') if bad == NAN_LOSS
                                            else 1.0)))
        terms = dict(loss_fit=(out**2).mean())
        if bad == NAN_GRAD:
            terms['loss_fit'] = terms['loss_fit'] + (
                out * 0).abs().sum().sqrt()
        return terms


def state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class Recorder(Hook):
    """Model state before/after every iteration and the step's info."""
    priority = 'HIGH'  # before NonFiniteCheckHook pops the info

    def __init__(self):
        self.rows = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.before = state(runner.model)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.rows.append(
            dict(before=self.before, after=state(runner.model),
                 outputs=dict(outputs),
                 info=runner.message_hub.get_info(NONFINITE_INFO)))


def run(tmp_path, codes, **hook):
    torch.manual_seed(0)
    batches = [dict(inputs=torch.rand(4, 2), bad=code) for code in codes]
    recorder = Recorder()
    runner = Runner(
        model=GuardedToy(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=batches, sampler=dict(type='DefaultSampler',
                                          shuffle=False),
            batch_size=None, collate_fn=lambda x: x, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=None,
            nonfinite=dict(type='NonFiniteCheckHook', **hook)),
        custom_hooks=[recorder],
        default_scope='depthseg',
        experiment_name=f'nonfinite_{tmp_path.name}')
    return runner, recorder


def unchanged(row):
    return all(torch.equal(row['before'][k], row['after'][k])
               for k in row['before'])


def test_skip_mode_counts_keeps_weights_and_stops_after_n(tmp_path):
    codes = [FINE, NAN_LOSS, FINE, NAN_GRAD, NAN_LOSS, FINE, NAN_LOSS,
             NAN_GRAD, NAN_LOSS, FINE]
    runner, recorder = run(tmp_path, codes, mode='skip',
                           max_consecutive_skips=3)
    with pytest.raises(NonFiniteStepError) as err:
        runner.train()
    msg = str(err.value)
    # the 3rd skip in a row (iterations 7, 8, 9) stops the run
    assert len(recorder.rows) == 9
    assert 'iteration 9 (epoch 1, batch 9/10)' in msg
    assert '3 non-finite steps in a row' in msg
    assert 'loss_fit = nan' in msg and 'none saved yet' in msg
    for code, row in zip(codes, recorder.rows):
        # a skipped step changes nothing: weights, BatchNorm statistics
        assert unchanged(row) == (code != FINE), (code, row['info'])
        if code == FINE:
            assert row['info'] is None
            assert torch.isfinite(row['outputs']['loss'])
        elif code == NAN_LOSS:
            assert row['info'] == dict(terms={'loss_fit': 'nan'},
                                       grad_norm=None)
            assert 'loss' not in row['outputs']  # NaN kept out of the log
        else:
            assert row['info'] == dict(terms={}, grad_norm='nan')
            assert torch.isfinite(row['outputs']['loss'])
    hub = runner.message_hub
    assert hub.get_scalar('train/nonfinite_skips').current() == 6
    assert hub.get_info('nonfinite_skips') == 6  # saved in checkpoints
    assert all(torch.isfinite(v).all() for v in state(runner.model).values()
               if v.is_floating_point())


def test_stop_mode_names_iteration_terms_and_checkpoint(tmp_path):
    runner, recorder = run(tmp_path, [FINE, FINE, NAN_GRAD, FINE])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_7.pth'))
    (tmp_path / 'epoch_7.pth').write_bytes(b'')
    with pytest.raises(NonFiniteStepError) as err:
        runner.train()
    msg = str(err.value)
    assert msg.startswith('Non-finite training step at iteration 3 '
                          '(epoch 1, batch 3/4): non-finite gradient norm '
                          '(nan). The optimizer step was not applied')
    assert f"Last good checkpoint: {tmp_path / 'epoch_7.pth'}." in msg
    assert 'default_hooks.nonfinite.mode=skip' in msg
    assert len(recorder.rows) == 3 and unchanged(recorder.rows[-1])


def test_without_hook_train_step_raises(tmp_path):
    MessageHub.get_instance('nonfinite_no_hook')  # a hub no hook marked
    model = GuardedToy()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = state(model)
    with pytest.raises(NonFiniteStepError, match='loss_fit = nan'):
        model.train_step(dict(inputs=torch.rand(4, 2), bad=NAN_LOSS), optim)
    assert all(torch.equal(before[k], v) for k, v in state(model).items())
    log_vars = model.train_step(dict(inputs=torch.rand(4, 2), bad=FINE),
                                optim)
    assert set(log_vars) == {'loss', 'loss_fit'}
    assert not torch.equal(model.linear.weight, before['linear.weight'])


def test_gradient_accumulation_drops_the_window(tmp_path):
    MessageHub.get_instance('nonfinite_accumulation')
    model = GuardedToy()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1),
                         accumulative_counts=2)
    optim.initialize_count_status(model, 0, 100)
    before = state(model)
    with pytest.raises(NonFiniteStepError, match='gradient norm'):
        model.train_step(dict(inputs=torch.rand(4, 2), bad=FINE), optim)
        model.train_step(dict(inputs=torch.rand(4, 2), bad=NAN_GRAD), optim)
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model.linear.weight, before['linear.weight'])


def test_hook_arguments():
    with pytest.raises(ValueError, match='mode'):
        NonFiniteCheckHook(mode='ignore')
    with pytest.raises(ValueError, match='max_consecutive_skips'):
        NonFiniteCheckHook(mode='skip', max_consecutive_skips=0)


@pytest.mark.parametrize('padding_mode', ['zeros', 'border', 'reflection'])
def test_safe_grid_sample(padding_mode):
    torch.manual_seed(0)
    image = torch.rand(2, 3, 8, 12, requires_grad=True)
    grid = (torch.rand(2, 8, 12, 2) * 3 - 1.5).requires_grad_()
    kwargs = dict(padding_mode=padding_mode, align_corners=True)
    expected = F.grid_sample(image, grid, **kwargs)
    got = safe_grid_sample(image, grid, **kwargs)
    assert torch.equal(got, expected)  # exact for finite grids
    g1 = torch.autograd.grad(expected.square().sum(), (image, grid))
    g2 = torch.autograd.grad(got.square().sum(), (image, grid))
    assert all(torch.equal(a, b) for a, b in zip(g1, g2))

    bad = grid.detach().clone()
    bad[0] = float('nan')  # what made F.grid_sample segfault on CPU
    bad[1, 2, 3, 0] = float('inf')
    out = safe_grid_sample(image, bad, **kwargs)
    assert torch.isnan(out[0]).all()  # NaN samples stay NaN: the loss
    assert torch.isnan(out[1, :, 2, 3]).all()  # check reports them
    finite = torch.ones(8, 12, dtype=torch.bool)
    finite[2, 3] = False
    assert torch.equal(out[1][:, finite], expected[1][:, finite].detach())
