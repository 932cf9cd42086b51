"""Helpers for running the tools in subprocesses on the toy config."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

TOY_CONFIG = """\
_base_ = [{runtime!r}]
custom_imports = dict(imports=['toy_modules'], allow_failed_imports=False)
model = dict(type='ToyDepthNet', noise=0.1, norm_eval=False)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyDataset', size=8))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyDataset', size=4))
val_evaluator = dict(type='ToyMetric')
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
val_cfg = dict(type='ValLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[1, 3], gamma=0.5)
]
default_hooks = dict(logger=dict(interval=1))
"""


def write_toy_config(directory: Path, name='toy.py', text=None) -> Path:
    """Write the toy config (inheriting default_runtime.py) or ``text``."""
    runtime = str(ROOT / 'configs' / '_base_' / 'default_runtime.py')
    path = Path(directory) / name
    path.write_text(text or TOY_CONFIG.format(runtime=runtime))
    return path


def tool_env(**extra) -> dict:
    """Environment for tool subprocesses: one thread, repo + toy modules."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT), str(HERE)])
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(cmd, cwd, **env) -> subprocess.Popen:
    """Start ``cmd``; a ``.py`` first element runs with this interpreter."""
    cmd = [str(c) for c in cmd]
    if cmd[0].endswith('.py'):
        cmd.insert(0, sys.executable)
    elif cmd[0].endswith('.sh'):
        cmd.insert(0, 'bash')
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        env=tool_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)


def finish(process: subprocess.Popen, returncode=0, timeout=120) -> str:
    """Wait for ``process``, check its exit code and return its output."""
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == returncode, output[-5000:]
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def load(path) -> dict:
    """Load a full mmengine checkpoint written by these tests."""
    return torch.load(path, map_location='cpu', weights_only=False)
