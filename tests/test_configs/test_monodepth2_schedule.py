"""The Monodepth2 schedule is the paper's (quirk Q4)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope

ROOT = Path(__file__).resolve().parents[2]


def test_lr_drops_after_epoch_15():
    cfg = Config.fromfile(ROOT / 'configs/monodepth2/monodepth2_r18_kitti.py')
    init_default_scope('depthseg')
    assert cfg.train_cfg.max_epochs == 20
    assert cfg.train_dataloader.batch_size == 12
    assert cfg.train_dataloader.drop_last
    model = torch.nn.Linear(1, 1)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(optim.optimizer).__name__ == 'Adam'
    sched = PARAM_SCHEDULERS.build(
        dict(cfg.param_scheduler[0], optimizer=optim.optimizer))
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append(optim.optimizer.param_groups[0]['lr'])
        sched.step()  # ParamSchedulerHook steps after each epoch
    assert lrs == pytest.approx([1e-4] * 15 + [1e-5] * 5, rel=1e-9)
