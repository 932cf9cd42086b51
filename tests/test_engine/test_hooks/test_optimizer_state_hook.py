"""LoadOptimizerStateHook: Adam's moments from a checkpoint, new lr."""
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from depthseg.engine.hooks import LoadOptimizerStateHook


def _wrapper(lr):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    return model, OptimWrapper(torch.optim.Adam(model.parameters(), lr=lr))


def test_moments_loaded_schedule_kept(tmp_path):
    model, old = _wrapper(1e-4)
    for _ in range(3):
        old.update_params(model(torch.randn(4, 3)).pow(2).sum())
    path = tmp_path / 'epoch_40.pth'
    torch.save({'optimizer': old.state_dict()}, path)

    _, new = _wrapper(5e-5)
    new.optimizer.param_groups[0]['initial_lr'] = 5e-5
    runner = SimpleNamespace(optim_wrapper=new, logger=MagicMock())
    LoadOptimizerStateHook(str(path)).before_train(runner)
    group = new.optimizer.param_groups[0]
    assert group['lr'] == 5e-5 and group['initial_lr'] == 5e-5
    for p_old, p_new in zip(old.optimizer.state.values(),
                            new.optimizer.state.values()):
        assert torch.equal(p_old['exp_avg'], p_new['exp_avg'])
        assert int(p_new['step']) == 3


def test_checkpoint_without_optimizer(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {}}, path)
    runner = SimpleNamespace(optim_wrapper=_wrapper(1e-4)[1],
                             logger=MagicMock())
    with pytest.raises(KeyError, match='no optimizer state'):
        LoadOptimizerStateHook(str(path)).before_train(runner)
