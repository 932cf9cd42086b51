"""tools/train.py: argument merging, resume, and error messages."""
import re
import shutil
import sys

import pytest
import torch
from mmengine.config import Config
from tool_helpers import ROOT, finish, load, start, write_toy_config

import depthseg.utils.dist as dist_utils
from depthseg.testing.tools import load_tool
from depthseg.utils import setup_cpu_distributed

TRAIN = ROOT / 'tools' / 'train.py'

train_tool = load_tool('tools/train.py', 'depthseg_train_tool')


def parse(monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv',
                        ['train.py', 'configs/x/toy_r18.py', *argv])
    return train_tool.parse_args()


def base_cfg(**kwargs):
    return Config(
        dict(
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
            val_cfg=dict(type='ValLoop'),
            val_dataloader=dict(batch_size=1),
            val_evaluator=dict(type='ToyMetric'),
            load_from='pretrained.pth',
            **kwargs))


@pytest.mark.parametrize('flag', ['--local-rank', '--local_rank'])
def test_local_rank_spellings(monkeypatch, flag):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    assert parse(monkeypatch, flag, '3').local_rank == 3
    assert train_tool.os.environ['LOCAL_RANK'] == '3'


def test_work_dir_priority(monkeypatch):
    args = parse(monkeypatch)
    assert train_tool.merge_args(base_cfg(), args).work_dir == \
        './work_dirs/toy_r18'
    cfg = train_tool.merge_args(base_cfg(work_dir='from_cfg'), args)
    assert cfg.work_dir == 'from_cfg'
    args = parse(monkeypatch, '--work-dir', 'from_cli')
    cfg = train_tool.merge_args(base_cfg(work_dir='from_cfg'), args)
    assert cfg.work_dir == 'from_cli'


def test_resume_and_options(monkeypatch):
    cfg = train_tool.merge_args(base_cfg(), parse(monkeypatch))
    assert not cfg.get('resume', False)
    assert cfg.load_from == 'pretrained.pth'

    cfg = train_tool.merge_args(base_cfg(), parse(monkeypatch, '--resume'))
    assert cfg.resume is True and cfg.load_from is None  # work_dir's last

    args = parse(monkeypatch, '--resume', 'epoch_3.pth', '--no-validate',
                 '--cfg-options', 'optim_wrapper.optimizer.lr=0.5',
                 'find_unused_parameters=True')
    cfg = train_tool.merge_args(base_cfg(), args)
    assert cfg.resume is True and cfg.load_from == 'epoch_3.pth'
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.val_evaluator is None
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.launcher == 'none'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_on_cpu_is_bf16_autocast(monkeypatch):
    cfg = train_tool.merge_args(base_cfg(), parse(monkeypatch, '--amp'))
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    with pytest.raises(SystemExit, match='float16 needs a GPU'):
        train_tool.merge_args(base_cfg(), parse(
            monkeypatch, '--amp', '--amp-dtype', 'float16'))


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_from_the_config(monkeypatch):
    cfg = train_tool.merge_args(base_cfg(amp=True), parse(monkeypatch))
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    cfg = base_cfg(amp=True)
    cfg.optim_wrapper.type = 'ApexOptimWrapper'
    with pytest.raises(SystemExit, match='needs optim_wrapper.type='):
        train_tool.merge_args(cfg, parse(monkeypatch))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_amp_on_gpu(monkeypatch):
    cfg = train_tool.merge_args(base_cfg(), parse(monkeypatch, '--amp'))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    cfg = train_tool.merge_args(base_cfg(), parse(
        monkeypatch, '--amp', '--amp-dtype', 'float16'))
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_setup_cpu_distributed(monkeypatch):
    calls = []
    monkeypatch.setattr(dist_utils, 'init_cpu_dist_if_needed',
                        lambda launcher, backend: calls.append(backend) or 1)
    args = parse(monkeypatch, '--launcher', 'pytorch', '--cfg-options',
                 'find_unused_parameters=True')
    cfg = train_tool.merge_args(base_cfg(), args)
    assert setup_cpu_distributed(cfg, 'tools/dist_train.sh')
    assert calls == ['gloo']
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='depthseg.CPUSafeDistributedDataParallel',
        find_unused_parameters=True,
        broadcast_buffers=False)

    cfg = train_tool.merge_args(base_cfg(), parse(monkeypatch))
    # launcher none
    assert not setup_cpu_distributed(cfg, 'tools/dist_train.sh')
    assert 'model_wrapper_cfg' not in cfg
    cfg = train_tool.merge_args(
        base_cfg(), parse(monkeypatch, '--launcher', 'slurm'))
    with pytest.raises(SystemExit, match='needs CUDA'):
        setup_cpu_distributed(cfg, 'tools/dist_train.sh')


def test_unknown_type_messages():
    cfg = base_cfg(model=dict(type='ToyDepthNet'))
    cfg.optim_wrapper.optimizer.type = 'SGDD'
    # mmengine's OptimWrapper constructor fails with an unrelated TypeError
    msg = train_tool.explain_build_error(
        TypeError('None is not a callable object'), cfg, 'configs/x.py')
    assert msg.startswith("configs/x.py: 'SGDD' is not registered in "
                          'depthseg or mmengine. Did you mean')
    assert "'SGD'" in msg
    known = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    assert train_tool.explain_build_error(KeyError('lr'), known,
                                          'configs/x.py') is None


def test_unknown_type_cli(tmp_path):
    config = write_toy_config(tmp_path)
    output = finish(
        start([TRAIN, config, '--cfg-options', 'model.type=ToyDepthNett'],
              cwd=tmp_path),
        returncode=1)
    assert (f"UnknownTypeError: {config}: 'ToyDepthNett' is not registered "
            "in depthseg (registry 'model'). Did you mean 'ToyDepthNet'? "
            'Check the spelling or register the module') in output


def test_resume_matches_uninterrupted_run(tmp_path):
    """2 epochs + crash, then --resume to 4 == 4 epochs in one go.

    The toy loss adds torch.randn noise and validation runs after every
    epoch, so equality needs the RNG states restored (RNGStateHook) as well
    as weights, optimizer, scheduler and iteration count. Loading the
    checkpoints at all needs depthseg's restricted loader on torch >= 2.6
    (mmengine's own passes nothing and fails).
    """
    config = write_toy_config(tmp_path)
    crash = write_toy_config(
        tmp_path, 'crash.py', "_base_ = ['./toy.py']\n"
        "custom_hooks = [dict(type='ToyCrashHook', epoch=2)]\n")
    no_rng = write_toy_config(
        tmp_path, 'no_rng.py',
        "_base_ = ['./toy.py']\ndefault_hooks = dict(rng_state=None)\n")
    full, part, control = (tmp_path / name
                           for name in ('full', 'part', 'control'))

    runs = [
        start([TRAIN, config, '--work-dir', full], cwd=tmp_path),
        start([TRAIN, crash, '--work-dir', part], cwd=tmp_path)
    ]
    finish(runs[0])
    finish(runs[1], returncode=17)  # killed right after saving epoch 2
    assert (part / 'last_checkpoint').read_text() == str(part / 'epoch_2.pth')
    assert not (part / 'epoch_3.pth').exists()
    control.mkdir()
    shutil.copy(part / 'epoch_2.pth', control / 'epoch_2.pth')

    runs = [
        start([TRAIN, config, '--work-dir', part, '--resume'], cwd=tmp_path),
        # without RNGStateHook the resumed run diverges
        start([
            TRAIN, no_rng, '--work-dir', control, '--resume',
            control / 'epoch_2.pth'
        ],
              cwd=tmp_path)
    ]
    resumed_log = finish(runs[0])
    finish(runs[1])
    assert f'Auto resumed from the latest checkpoint {part}' in resumed_log
    assert 'RNGStateHook: restored the RNG states of iteration 8' in \
        resumed_log

    a, b = load(full / 'epoch_4.pth'), load(part / 'epoch_4.pth')
    assert a['meta']['epoch'] == b['meta']['epoch'] == 4
    assert a['meta']['iter'] == b['meta']['iter'] == 16
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    assert a['optimizer']['param_groups'] == b['optimizer']['param_groups']
    assert a['optimizer']['param_groups'][0]['lr'] == pytest.approx(0.025)
    for index, state in a['optimizer']['state'].items():
        assert torch.equal(state['momentum_buffer'],
                           b['optimizer']['state'][index]['momentum_buffer'])
    assert a['param_schedulers'] == b['param_schedulers']
    assert a['rng_state'] == b['rng_state']

    c = load(control / 'epoch_4.pth')
    assert 'rng_state' not in c
    assert not torch.equal(c['state_dict']['conv.weight'],
                           a['state_dict']['conv.weight'])


def test_logs_the_first_iteration(tmp_path):
    """DepthLoggerHook: a line after iteration 1 even with interval 50,
    then only the epoch ends (4 iterations per epoch)."""
    config = write_toy_config(tmp_path)
    output = finish(
        start([TRAIN, config, '--work-dir', tmp_path / 'work',
               '--cfg-options', 'default_hooks.logger.interval=50',
               'train_cfg.max_epochs=2'], cwd=tmp_path))
    logged = re.findall(r'Epoch\(train\) +\[(\d+)\]\[(\d+)/4\]', output)
    assert logged == [('1', '1'), ('1', '4'), ('2', '4')], output[-2000:]
