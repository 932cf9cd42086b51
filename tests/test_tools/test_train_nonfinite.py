"""A diverging run (lr 1e3) stops with a clear message, not a segfault."""
import re

import torch
from tool_helpers import ROOT, finish, load, start

from depthseg.testing.configs import write_tiny_config
from depthseg.testing.kitti_tree import make_kitti_raw_tree

TRAIN = ROOT / 'tools' / 'train.py'


def test_lr_1e3_stops_with_message_and_a_good_checkpoint(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), size=(64, 192),
                               num_frames=6)
    # a checkpoint after every iteration, so one exists before divergence
    extra = ('default_hooks = dict(logger=dict(interval=1), '
             'checkpoint=dict(by_epoch=False, interval=1))\n')
    config = write_tiny_config(tmp_path, tree['root'], tree['train'],
                               max_epochs=2, extra=extra)
    work = tmp_path / 'work'
    # before the check: "Segmentation fault" (exit -11) in F.grid_sample at
    # the second iteration
    out = finish(start([TRAIN, config, '--work-dir', work, '--cfg-options',
                        'optim_wrapper.optimizer.lr=1000'], ROOT),
                 returncode=1, timeout=600)
    match = re.search(
        r'tools/train\.py: Non-finite training step at iteration (\d+) '
        r'\(epoch \d+, batch \d+/\d+\): non-finite loss terms: (.*?)\. '
        r'The optimizer step was not applied and no checkpoint was written '
        r'from this state\. Last good checkpoint: (\S+)\. ', out)
    assert match, out[-3000:]
    assert 'Traceback' not in out
    iteration, terms, checkpoint = match.groups()
    assert 'loss_photometric = nan' in terms
    iteration = int(iteration)
    assert iteration >= 2
    assert checkpoint == str(work / f'iter_{iteration - 1}.pth')
    assert (work / 'last_checkpoint').read_text().strip() == checkpoint
    assert not (work / f'iter_{iteration}.pth').exists()
    state = load(checkpoint)
    assert state['meta']['iter'] == iteration - 1
    for key, value in state['state_dict'].items():
        if value.is_floating_point():
            assert torch.isfinite(value).all(), key
