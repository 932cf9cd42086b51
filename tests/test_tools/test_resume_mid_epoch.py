"""Mid-epoch resume with ResumableSampler + ResumableEpochBasedTrainLoop:
same sample order and weights as an uninterrupted run (BDEdepth spec §8)."""
import torch
from tool_helpers import ROOT, finish, start

from depthseg.testing.configs import write_tiny_config
from depthseg.testing.kitti_tree import make_kitti_raw_tree

TRAIN = ROOT / 'tools' / 'train.py'

RESUMABLE = """
train_cfg = dict(_delete_=True, type='ResumableEpochBasedTrainLoop',
                 max_epochs=2)
train_dataloader['sampler'] = dict(type='ResumableSampler', shuffle=True)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(
    interval=3, by_epoch=False, save_last=True, max_keep_ckpts=-1))
custom_imports = dict(imports=['toy_modules'])
"""


def _hooks(record, crash=None):
    hooks = [f"dict(type='SampleOrderRecorderHook', path={str(record)!r})"]
    if crash:
        hooks.append(f"dict(type='ToyIterCrashHook', iter={crash})")
    return f"custom_hooks = [{', '.join(hooks)}]\n"


def _lines(path):
    return path.read_text().splitlines()


def test_resume_mid_epoch_same_order_and_weights(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), size=(64, 192),
                               num_frames=10)  # 8 lines: 4 batches / epoch

    def cfg(name, record, crash=None):
        return write_tiny_config(
            tmp_path, tree['root'], tree['train'], max_epochs=2, name=name,
            extra=RESUMABLE + _hooks(record, crash))

    full_rec, res_rec = tmp_path / 'full.txt', tmp_path / 'resumed.txt'
    finish(start([TRAIN, cfg('full.py', full_rec), '--work-dir',
                  tmp_path / 'full'], ROOT), timeout=900)
    work = tmp_path / 'resumed'
    # crash after iteration 6 = batch 2 of epoch 1 (checkpoint iter_6.pth)
    finish(start([TRAIN, cfg('stop.py', res_rec, crash=6), '--work-dir',
                  work], ROOT), returncode=17, timeout=900)
    assert (work / 'iter_6.pth').is_file()
    assert not (work / 'iter_8.pth').exists()
    finish(start([TRAIN, cfg('resume.py', res_rec), '--work-dir', work,
                  '--resume'], ROOT), timeout=900)

    full = _lines(full_rec)
    assert len(full) == 8
    # the second epoch is another permutation
    assert {ln.split()[3] for ln in full[:4]} != \
        {ln.split()[3] for ln in full[4:]} or full[:4] != full[4:]
    resumed = _lines(res_rec)
    # iterations 0..5 before the crash, then 6, 7 after the resume: the
    # resumed run continues with batch 2 of epoch 1, not from batch 0
    assert resumed == full, (resumed, full)
    assert [ln.split()[:3] for ln in resumed[6:]] == [['1', '6', '2'],
                                                     ['1', '7', '3']]
    a = torch.load(tmp_path / 'full' / 'iter_8.pth', map_location='cpu',
                   weights_only=False)
    b = torch.load(work / 'iter_8.pth', map_location='cpu',
                   weights_only=False)
    assert a['meta']['iter'] == b['meta']['iter'] == 8
    assert a['meta']['epoch'] == b['meta']['epoch']
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
    for sa, sb in zip(a['optimizer']['state'].values(),
                      b['optimizer']['state'].values()):
        assert torch.equal(sa['exp_avg'], sb['exp_avg'])
    assert a['param_schedulers'] == b['param_schedulers']
