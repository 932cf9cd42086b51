"""init_model and inference_depth."""
from pathlib import Path

import numpy as np
import pytest
import torch

from depthseg.apis import inference_depth, init_model
from depthseg.apis.inference import build_model
from depthseg.utils.checkpoint import CheckpointMismatchError

ROOT = Path(__file__).resolve().parents[2]
R18 = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_stereo_kitti.py'
R50 = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r50_kitti.py'


def test_inference_depth_on_an_array(tmp_path):
    ckpt = tmp_path / 'r18.pth'
    torch.save(dict(state_dict=build_model(R18).state_dict(),
                    meta=dict(height=64, width=192)), ckpt)
    model = init_model(R18, str(ckpt))
    image = np.random.default_rng(0).integers(0, 255, (50, 120, 3), np.uint8)
    out = inference_depth(model, image)
    assert out['disp'].shape == out['depth'].shape == (50, 120)
    assert out['disp_net'].shape == (64, 192)
    # stereo config: metres = 5.4 / scaled disparity
    np.testing.assert_allclose(out['depth'], 5.4 / out['disp'], rtol=1e-6)
    batch = inference_depth(model, [image, image])
    np.testing.assert_allclose(batch[1]['disp'], out['disp'], atol=1e-6)


def test_checkpoint_of_another_architecture(tmp_path):
    ckpt = tmp_path / 'r18.pth'
    torch.save(dict(state_dict=build_model(R18).state_dict()), ckpt)
    with pytest.raises(CheckpointMismatchError, match='shape mismatches'):
        init_model(R50, str(ckpt))
