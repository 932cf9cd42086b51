"""tools/dist_train.sh (CPU DDP with gloo) and tools/slurm_train.sh."""
import os
import re
import stat

import pytest
import torch
from tool_helpers import ROOT, finish, free_port, load, start, write_toy_config

TRAIN = ROOT / 'tools' / 'train.py'
DIST_TRAIN = ROOT / 'tools' / 'dist_train.sh'
SLURM_TRAIN = ROOT / 'tools' / 'slurm_train.sh'


def fake_command(directory, name):
    """An executable ``name`` that records its arguments, one per line."""
    path = directory / name
    path.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n'
                    'echo "PYTHONPATH=$PYTHONPATH" >> "$0.args"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def recorded_args(fake):
    return (fake.parent / (fake.name + '.args')).read_text().splitlines()


def test_scripts_are_executable():
    for script in (DIST_TRAIN, SLURM_TRAIN):
        assert os.access(script, os.X_OK), script


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU DDP test')
def test_dist_train_cpu_matches_single_process(tmp_path):
    """2 gloo processes with batch 2 each == 1 process with batch 4."""
    config = write_toy_config(tmp_path)
    # deterministic model without batch statistics, same sampler seed
    options = [
        '--no-validate', '--cfg-options', 'model.noise=0',
        'model.norm_eval=True', 'train_cfg.max_epochs=2'
    ]
    ddp = start([DIST_TRAIN, config, 2, '--work-dir', tmp_path / 'ddp'] +
                options,
                cwd=tmp_path,
                PORT=free_port())
    # no --work-dir: defaults to ./work_dirs/<config stem> in the cwd
    single = start([TRAIN, config] + options +
                   ['train_dataloader.batch_size=4'],
                   cwd=tmp_path)
    ddp_log, _ = finish(ddp), finish(single)
    assert 'Distributed training: True' in ddp_log
    # the logged config (plain, not yapf-formatted: DepthRunner's fast start)
    assert re.search(r"dist_cfg=dict\(\s*backend='gloo'\)", ddp_log)
    assert 'CPUSafeDistributedDataParallel' in ddp_log

    a = load(tmp_path / 'ddp' / 'epoch_2.pth')
    b = load(tmp_path / 'work_dirs' / 'toy' / 'epoch_2.pth')
    assert a['meta']['iter'] == b['meta']['iter'] == 4
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(
            value, b['state_dict'][key], atol=1e-5, rtol=0, msg=key)


def test_dist_train_passes_launcher_settings(tmp_path):
    python = fake_command(tmp_path, 'python')
    finish(
        start([DIST_TRAIN, 'cfg.py', 8, '--resume', '--cfg-options', 'a=1'],
              cwd=tmp_path,
              PYTHON=python,
              NNODES=2,
              NODE_RANK=1,
              PORT=1234,
              MASTER_ADDR='10.0.0.1'))
    args = recorded_args(python)
    assert args[:-1] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
        '--master_addr=10.0.0.1', '--nproc_per_node=8', '--master_port=1234',
        str(TRAIN), 'cfg.py', '--launcher', 'pytorch', '--resume',
        '--cfg-options', 'a=1'
    ]
    # the repo root is prepended to PYTHONPATH
    assert args[-1].startswith(f'PYTHONPATH={TRAIN.parent}/..:')


@pytest.mark.parametrize('work_dir', [['/work/dir'], []])
def test_slurm_train_command(tmp_path, work_dir):
    srun = fake_command(tmp_path, 'srun')
    finish(
        start([SLURM_TRAIN, 'part', 'job', 'cfg.py'] + work_dir +
              ['--no-validate'],
              cwd=tmp_path,
              PATH=f'{tmp_path}{os.pathsep}{os.environ["PATH"]}',
              PYTHON='python3',
              GPUS=8,
              SRUN_ARGS='--quotatype=auto'))
    args = recorded_args(srun)
    assert args[:10] == [
        '-p', 'part', '--job-name=job', '--gres=gpu:4', '--ntasks=8',
        '--ntasks-per-node=4', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--quotatype=auto', 'python3'
    ]
    assert args[10:-1] == ['-u', str(TRAIN), 'cfg.py'] + [
        f'--work-dir={d}' for d in work_dir
    ] + ['--launcher=slurm', '--no-validate']
