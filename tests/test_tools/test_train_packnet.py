"""PackNet-SfM end to end through the real tools on a tiny synthetic tree:
configs/packnet/packnet01_synthroad.py trains 2 iterations, validates with
PackNet's metric options, resumes with --resume, and tools/test.py
evaluates the checkpoint with flip post-processing (the _PP rows)."""
import re

import torch
from tool_helpers import ROOT, finish, start

TRAIN = ROOT / 'tools' / 'train.py'
TEST = ROOT / 'tools' / 'test.py'
SYNTH = dict(sequences=2, frames=10, size=(64, 192), seed=0, ext='.jpg')

CONFIG = """\
_base_ = [{base!r}]
synth_cfg = {synth!r}
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(data_root={root!r}, synth_cfg=synth_cfg, indices=4,
                 generate=True))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    dataset=dict(data_root={root!r}, synth_cfg=synth_cfg, indices=4))
val_dataloader = test_dataloader
train_cfg = dict(max_epochs={epochs}, val_interval=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=3),
                     visualization=dict(interval=1000))
"""


def _config(tmp_path, root, epochs, name):
    path = tmp_path / name
    path.write_text(CONFIG.format(
        base=str(ROOT / 'configs/packnet/packnet01_synthroad.py'),
        synth=SYNTH, root=root, epochs=epochs))
    return path


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def test_packnet_synthroad_train_eval_resume(tmp_path):
    # rendered by the first run (the tree's writer version is the tools')
    root = str(tmp_path / 'synthroad')
    work = tmp_path / 'work'
    out = finish(start([TRAIN, _config(tmp_path, root, 1, 'one.py'),
                        '--work-dir', work], ROOT), timeout=600)
    first = _state(work / 'epoch_1.pth')
    assert first['meta']['iter'] == 2  # 4 samples, batch 2
    # finite PackNet loss terms in the log, PackNet's rows in the metrics
    losses = [float(v) for v in re.findall(r'loss_photometric: ([-\d.e]+)',
                                           out)]
    assert len(losses) == 2 and all(0 < v < 10 for v in losses), out[-3000:]
    assert re.search(r'depth/abs_rel: [\d.]+', out)
    assert re.search(r'depth/median_abs_rel: [\d.]+', out)
    keys = first['state_dict'].keys()
    assert any(k.startswith('depth_encoder.pack5.') for k in keys)
    assert any(k.startswith('pose_net.pose_pred.') for k in keys)
    # --resume: a second epoch continues from iteration 2
    out = finish(start([TRAIN, _config(tmp_path, root, 2, 'two.py'),
                        '--work-dir', work, '--resume'], ROOT), timeout=600)
    assert 'resumed' in out.lower()
    second = _state(work / 'epoch_2.pth')
    assert second['meta']['iter'] == 4 and second['meta']['epoch'] == 2
    changed = [k for k, v in first['state_dict'].items()
               if not torch.equal(v, second['state_dict'][k])]
    assert changed
    # tools/test.py with flip post-processing: the DEPTH_PP / _PP_GT rows
    out = finish(start([TEST, _config(tmp_path, root, 2, 'two.py'),
                        work / 'epoch_2.pth', '--work-dir', tmp_path / 'test',
                        '--cfg-options',
                        'model.test_cfg.flip_post_process=True'], ROOT),
                 timeout=600)
    assert re.search(r'depth/median_abs_rel: [\d.]+', out)
