"""Fused optimizers by default (DepthOptimWrapperConstructor)."""
import pytest
import torch
from mmengine.registry import init_default_scope
from torch import nn

from depthseg.engine import DepthOptimWrapperConstructor, DepthRunner


def _optimizer(cfg):
    init_default_scope('depthseg')
    return DepthOptimWrapperConstructor(cfg)(nn.Linear(3, 2)).optimizer


@pytest.mark.parametrize('name', ['Adam', 'AdamW', 'SGD', torch.optim.Adam])
def test_fused_by_default(name):
    optimizer = _optimizer(dict(optimizer=dict(type=name, lr=1e-3)))
    assert optimizer.defaults['fused'] is True


@pytest.mark.parametrize('extra', [dict(fused=False), dict(foreach=True)])
def test_config_choice_kept(extra):
    optimizer = _optimizer(dict(optimizer=dict(type='Adam', lr=1e-3,
                                               **extra)))
    assert not optimizer.defaults['fused']
    assert optimizer.defaults['foreach'] == extra.get('foreach')


def test_other_optimizers_untouched():
    optimizer = _optimizer(dict(optimizer=dict(type='RMSprop', lr=1e-3)))
    assert 'fused' not in optimizer.defaults or \
        not optimizer.defaults['fused']


def test_fused_step_equals_per_tensor_step():
    """Same update as torch's default Adam within float32 rounding."""
    torch.manual_seed(0)
    nets = [nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.Adam(nets[0].parameters(), lr=1e-2, fused=True),
            torch.optim.Adam(nets[1].parameters(), lr=1e-2)]
    x = torch.rand(2, 3, 8, 8)
    for _ in range(5):
        for net, opt in zip(nets, opts):
            opt.zero_grad()
            net(x).square().mean().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_runner_uses_the_constructor():
    runner = object.__new__(DepthRunner)
    runner.model = nn.Linear(3, 2)
    init_default_scope('depthseg')
    wrapper = runner.build_optim_wrapper(
        dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
    assert wrapper.optimizer.defaults['fused'] is True
    own = runner.build_optim_wrapper(dict(
        type='OptimWrapper', constructor='DefaultOptimWrapperConstructor',
        optimizer=dict(type='Adam', lr=1e-3)))
    assert not own.optimizer.defaults['fused']
