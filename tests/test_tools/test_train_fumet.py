"""FUMET end to end on a tiny synthetic tree: one process vs dist_train.sh."""
import re

import torch
from tool_helpers import ROOT, finish, free_port, start

from depthseg.datasets.synthetic import write_synthroad

TRAIN = ROOT / 'tools' / 'train.py'
DIST = ROOT / 'tools' / 'dist_train.sh'
SIZE = (64, 192)
SYNTH = dict(sequences=2, frames=10, size=SIZE, seed=0, ext='.jpg')

CONFIG = """\
_base_ = [{base!r}]
height, width = {h}, {w}
synth_cfg = {synth!r}
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(data_root={root!r}, synth_cfg=synth_cfg,
                 pipeline=train_pipeline))
model = dict(
    depth_encoder=dict(norm_eval=True),
    pose_net=dict(encoder=dict(norm_eval=True)),
    losses=dict(
        photometric=dict(noise_scale=0.0),
        camera_height=dict(weight_schedule=None),
        car_height=dict(weight_schedule=None)))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=1e-3))
param_scheduler = []
train_cfg = dict(max_epochs=2, val_interval=100)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
randomness = dict(seed=0, deterministic=True)
"""


def _config(tmp_path, root, batch_size, name):
    path = tmp_path / name
    path.write_text(CONFIG.format(
        base=str(ROOT / 'configs/fumet/fumet_r18_synthroad_full.py'),
        h=SIZE[0], w=SIZE[1], synth=SYNTH, batch_size=batch_size, root=root))
    return path


def _h_star(path):
    state = torch.load(path, map_location='cpu',
                       weights_only=False)['state_dict']
    key = [k for k in state if k.endswith('.h_star')][0]
    return state[key], state[key + '_valid']


def test_dist_train_h_star_equals_one_process(tmp_path):
    root = str(tmp_path / 'synthroad')
    write_synthroad(root, **SYNTH)
    one = _config(tmp_path, root, 4, 'one.py')
    two = _config(tmp_path, root, 2, 'two.py')
    out_one = finish(start([TRAIN, one, '--work-dir', tmp_path / 'one'],
                           ROOT), timeout=900)
    out_two = finish(start([DIST, two, 2, '--work-dir', tmp_path / 'two'],
                           ROOT, PORT=free_port()), timeout=900)
    assert 'gloo' in out_two
    h1, v1 = _h_star(tmp_path / 'one' / 'epoch_2.pth')
    h2, v2 = _h_star(tmp_path / 'two' / 'epoch_2.pth')
    # h* is created from the estimates of epoch 2 (first_update_epoch=1)
    assert v1.all() and v2.all()
    assert torch.isfinite(h1).all()
    # scale 0 is the h* the losses use; the coarse scales (only logged)
    # amplify the float-level weight differences of the two runs
    torch.testing.assert_close(h1[:, 0], h2[:, 0], rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(h1, h2, rtol=5e-3, atol=1e-6)
    # every rank's frames entered h*, not only rank 0's
    counts = [re.findall(r'from (\d+) frame estimates', out)
              for out in (out_one, out_two)]
    assert counts[0] and counts[0] == counts[1][:len(counts[0])]
    h1_epoch1, _ = _h_star(tmp_path / 'one' / 'epoch_1.pth')
    assert torch.isnan(h1_epoch1).all()  # no h* before the end of epoch 2
