"""Crash-safe checkpoints: the 'atomic_local' backend and AtomicCheckpointHook.

A crash is simulated by replacing ``open`` in ``depthseg.utils.fileio`` with
a file whose ``write`` stores half of the bytes and then fails, either with
an exception or by killing the process.
"""
import io
import multiprocessing
import os
import uuid

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.fileio import get_file_backend
from mmengine.model import BaseModel
from mmengine.runner import Runner

from depthseg.utils import fileio
from depthseg.utils.fileio import AtomicLocalBackend


def half_writing_open(fail, only='', skip=0):
    """An ``open`` whose files write half of the data, then call ``fail``.

    Files whose name does not contain ``only``, and the first ``skip`` that
    do, are written normally.
    """
    matches = []

    class HalfWriter(io.FileIO):

        def write(self, data):
            super().write(bytes(data[:len(data) // 2]))
            self.flush()
            fail()

    def fake_open(path, mode='r', *args, **kwargs):
        if only in os.path.basename(path):
            matches.append(path)
            if len(matches) > skip:
                return HalfWriter(path, mode.replace('b', ''))
        return open(path, mode, *args, **kwargs)

    return fake_open


def raise_disk_full():
    raise OSError(28, 'No space left on device (simulated)')


def test_backend_is_registered_and_writes(tmp_path):
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'weights', tmp_path / 'sub' / 'epoch_1.pth')
    backend.put_text('epoch_1.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'sub' / 'epoch_1.pth').read_bytes() == b'weights'
    assert backend.get_text(tmp_path / 'last_checkpoint') == 'epoch_1.pth'
    assert sorted(os.listdir(tmp_path)) == ['last_checkpoint', 'sub']
    # permissions follow the umask like a plain open(), not mkstemp's 0600
    with open(tmp_path / 'plain', 'wb'):
        pass
    assert (os.stat(tmp_path / 'last_checkpoint').st_mode ==
            os.stat(tmp_path / 'plain').st_mode)


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / 'epoch_1.pth'
    backend = AtomicLocalBackend()
    backend.put(b'old checkpoint', target)
    monkeypatch.setattr(
        fileio, 'open', half_writing_open(raise_disk_full), raising=False)

    with pytest.raises(OSError, match='simulated'):
        backend.put(b'new checkpoint, much longer' * 100, target)
    with pytest.raises(OSError, match='simulated'):
        backend.put_text('never written', tmp_path / 'last_checkpoint')

    assert target.read_bytes() == b'old checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no partial file


def test_killed_process_keeps_previous_file(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    AtomicLocalBackend().put(b'old checkpoint', target)

    def child():
        fileio.open = half_writing_open(lambda: os._exit(3))
        AtomicLocalBackend().put(b'new checkpoint' * 1000, target)

    process = multiprocessing.get_context('fork').Process(target=child)
    process.start()
    process.join(timeout=60)
    assert process.exitcode == 3
    assert target.read_bytes() == b'old checkpoint'
    # only a hidden temporary file is left, which mmengine never reads
    leftovers = [p for p in os.listdir(tmp_path) if p != 'epoch_1.pth']
    assert len(leftovers) == 1
    assert leftovers[0].startswith('.epoch_1.pth.')
    assert leftovers[0].endswith('.tmp')


class LinearModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        pred = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=F.mse_loss(pred, target))
        return pred


def make_runner(work_dir, hook_type='AtomicCheckpointHook'):
    name = f'atomic_{uuid.uuid4().hex[:8]}'
    dataset = [
        dict(inputs=torch.rand(2), target=torch.rand(1)) for _ in range(4)
    ]
    return Runner(
        model=LinearModel(),
        work_dir=str(work_dir),
        experiment_name=name,
        default_scope='depthseg',
        train_dataloader=dict(
            dataset=dataset,
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            logger=None,
            checkpoint=dict(
                type=hook_type,
                interval=1,
                backend_args=dict(backend='atomic_local'))),
        visualizer=dict(type='Visualizer', name=name),
        log_level='WARNING')


@pytest.mark.parametrize('crash_in, skip', [('epoch_2.pth', 0),
                                            ('last_checkpoint', 1)])
def test_runner_crash_while_saving_epoch2(tmp_path, monkeypatch, crash_in,
                                          skip):
    """Both the .pth file and the last_checkpoint pointer are written
    atomically through CheckpointHook/Runner.save_checkpoint."""
    runner = make_runner(tmp_path)
    writes = []
    crashing_open = half_writing_open(raise_disk_full, crash_in, skip)

    def recording_open(path, *args, **kwargs):
        writes.append(os.path.basename(path))
        return crashing_open(path, *args, **kwargs)

    monkeypatch.setattr(fileio, 'open', recording_open, raising=False)
    with pytest.raises(OSError, match='simulated'):
        runner.train()

    assert any(w.startswith('.epoch_1.pth.') for w in writes)
    assert any(w.startswith('.last_checkpoint.') for w in writes)
    # epoch 2 never became visible: --resume continues from intact epoch 1
    assert (tmp_path / 'last_checkpoint').read_text() == str(
        tmp_path / 'epoch_1.pth')
    checkpoint = torch.load(tmp_path / 'epoch_1.pth', weights_only=False)
    assert checkpoint['meta']['epoch'] == 1
    if crash_in == 'epoch_2.pth':
        assert not (tmp_path / 'epoch_2.pth').exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


def test_stale_temp_files_removed_at_start(tmp_path, monkeypatch):
    """Temporary files of a run killed mid-write are deleted (and logged)
    when training starts again in that work dir; other files are kept."""
    stale = ['.epoch_2.pth.0123456789ab.tmp',
             '.last_checkpoint.abcdef012345.tmp']
    kept = ['.notes.tmp', 'results.tmp', '.epoch_2.pth.xyz.tmp']
    for name in stale + kept:
        (tmp_path / name).write_bytes(b'partial')
    runner = make_runner(tmp_path)
    logged = []
    monkeypatch.setattr(runner.logger, 'info', logged.append)
    runner.train()
    names = set(os.listdir(tmp_path))
    assert not names & set(stale) and set(kept) <= names
    assert ('Removed the temporary files of checkpoint writes killed before '
            'completion: ' + ', '.join(str(tmp_path / n) for n in stale)
            ) in logged
