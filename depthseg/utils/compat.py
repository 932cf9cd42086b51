"""Compatibility patches for mmengine 0.10.7 on current PyTorch.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``; mmengine
0.10.7's local checkpoint loader passes nothing, so resuming a full mmengine
checkpoint (message hub, numpy arrays) fails with an ``UnpicklingError``.
depthseg re-registers the local loader once, at import time, instead of
setting a global environment switch.
"""
import os.path as osp

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

_warned = False


def load_local_checkpoint(filename, map_location=None):
    """Load a local mmengine checkpoint with ``weights_only=False``.

    Full mmengine checkpoints pickle the message hub and numpy state, so they
    cannot be read in weights-only mode. Only load files you trust.
    """
    global _warned
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'checkpoint file {filename} does not exist. Fix: pass the path '
            'of a .pth file written by depthseg or by a depthseg converter.')
    if not _warned:
        print_log('depthseg: loading full mmengine checkpoints with '
                  'weights_only=False; load only files you trust',
                  logger='current')
        _warned = True
    return torch.load(filename, map_location=map_location, weights_only=False)


CheckpointLoader.register_scheme(prefixes='', force=True)(
    load_local_checkpoint)
