"""Fixtures shared by the tool tests."""
from pathlib import Path

import pytest
import torch

from depthseg.apis.inference import build_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random Monodepth2-R18 weights in the published format (``state_dict``
    + ``meta``), network input 64×192."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('ckpt') / 'random.pth'
    config = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
    torch.save(dict(state_dict=build_model(config).state_dict(),
                    meta=dict(height=64, width=192)), path)
    return path
