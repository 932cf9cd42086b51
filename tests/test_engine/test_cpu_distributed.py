"""CPU-only DDP: gloo process group + CPUSafeDistributedDataParallel."""
import socket

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODEL_WRAPPERS, init_default_scope

from depthseg.engine import CPUSafeDistributedDataParallel
from depthseg.utils import init_cpu_dist_if_needed

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason='tests the CPU-only code path')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def torchrun_env(monkeypatch):
    """The variables torchrun exports, for a one-process group."""
    env = dict(
        RANK='0',
        WORLD_SIZE='1',
        LOCAL_RANK='0',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


class LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        return dict(loss=F.mse_loss(self.linear(inputs), target))


def test_init_cpu_dist_if_needed(torchrun_env):
    assert not init_cpu_dist_if_needed('none')
    assert init_cpu_dist_if_needed('pytorch')
    assert dist.get_backend() == 'gloo'
    assert dist.get_world_size() == 1
    assert not init_cpu_dist_if_needed('pytorch')  # already initialised


def test_init_cpu_dist_needs_torchrun_env(torchrun_env, monkeypatch):
    monkeypatch.delenv('MASTER_PORT')
    with pytest.raises(RuntimeError, match='MASTER_PORT'):
        init_cpu_dist_if_needed('pytorch')


def test_cpu_safe_ddp_drops_device_ids(torchrun_env):
    init_cpu_dist_if_needed('pytorch')
    # what Runner.wrap_model passes; plain DDP rejects it for CPU modules
    with pytest.raises(ValueError, match='device_ids'):
        MMDistributedDataParallel(LinearModel(), device_ids=[0])

    init_default_scope('depthseg')
    # Runner.wrap_model looks the type up on mmengine's root registry
    assert MODEL_WRAPPERS.get('depthseg.CPUSafeDistributedDataParallel') is \
        CPUSafeDistributedDataParallel
    model = MODEL_WRAPPERS.build(
        dict(type='depthseg.CPUSafeDistributedDataParallel'),
        default_args=dict(module=LinearModel(), device_ids=[0]))
    assert model.device_ids is None

    before = model.module.linear.weight.clone()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
    data = dict(inputs=torch.rand(4, 2), target=torch.rand(4, 1))
    log_vars = model.train_step(data, optim_wrapper=optim_wrapper)
    assert 'loss' in log_vars
    assert not torch.equal(model.module.linear.weight, before)
