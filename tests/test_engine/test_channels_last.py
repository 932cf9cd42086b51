"""channels_last: NHWC weights (DepthRunner, init_model), same values."""
import copy
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from depthseg.apis import init_model
from depthseg.engine import DepthRunner
from depthseg.models.utils.layers import to_channels_last
from depthseg.registry import MODELS
from depthseg.utils import disable_pretrained

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs/monodepth2/monodepth2_r18_kitti.py'
CL = torch.channels_last


def _model():
    cfg = Config.fromfile(str(CONFIG))
    disable_pretrained(cfg.model)
    init_default_scope('depthseg')
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _batch(height=64, width=96):
    g = torch.Generator().manual_seed(1)
    K = torch.tensor([[0.58 * width, 0, 0.5 * width, 0],
                      [0, 1.92 * height, 0.5 * height, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]])
    Ks, inv_Ks = [], []
    for s in range(4):
        k = K.clone()
        k[:2] /= 2**s
        Ks.append(k.expand(2, 4, 4))
        inv_Ks.append(torch.linalg.inv(k).expand(2, 4, 4))
    color = {f: [torch.rand(2, 3, height >> s, width >> s, generator=g)
                 for s in range(4)] for f in (0, -1, 1)}
    return dict(color=color, color_aug={f: c[0] for f, c in color.items()},
                K=Ks, inv_K=inv_Ks)


def test_only_4d_tensors_change():
    """Conv2d weights become NHWC; PackNet's 5-D Conv3d weights and the
    other ranks stay as they are (``Module.to(memory_format=...)`` would
    raise on them)."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4),
                          nn.Conv3d(1, 2, 3), nn.Linear(4, 2))
    params = list(model.parameters())
    assert to_channels_last(model) is model
    assert list(model.parameters()) == params  # same Parameter objects
    assert model[0].weight.is_contiguous(memory_format=CL)
    assert not model[0].weight.is_contiguous()
    assert model[2].weight.is_contiguous()
    assert model[1].weight.is_contiguous() and model[3].weight.is_contiguous()


def test_same_losses_and_gradients():
    """A Monodepth2 training forward and backward in NHWC gives the NCHW
    loss (1e-5) and gradients (float32 rounding: both differ from a float64
    run by ~0.15 % at 128×384; at 64×96 the batch norms of the 2×3
    ResNet stage cancel so much that NCHW is 0.4 % and NHWC 2.7 % off)."""
    plain, nhwc = _model(), to_channels_last(_model())
    batch = _batch(128, 384)
    losses, grads = [], []
    for model in (plain, nhwc):
        terms = model(copy.deepcopy(batch), None, mode='loss')
        loss = sum(v for k, v in terms.items() if k.startswith('loss'))
        loss.backward()
        losses.append(loss.detach())
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()
                                if p.grad is not None]))
    torch.testing.assert_close(losses[1], losses[0], rtol=1e-5, atol=0)
    assert grads[0].shape == grads[1].shape
    error = float((grads[1] - grads[0]).norm() / grads[0].norm())
    assert error < 5e-3, error


def test_runner_follows_the_config():
    init_default_scope('depthseg')
    for flag in (True, False):
        runner = object.__new__(DepthRunner)
        runner.cfg = Config(dict(channels_last=flag))
        model = runner.build_model(_model())
        weight = model.depth_encoder.encoder.conv1.weight
        assert weight.is_contiguous(memory_format=CL) is flag
    assert Config.fromfile(str(CONFIG)).channels_last is True


def test_checkpoints_move_between_formats(tmp_path):
    """A state dict saved from an NHWC model loads into an NCHW one and
    back; init_model gives NHWC weights where the config says so."""
    nhwc = to_channels_last(_model())
    path = tmp_path / 'nhwc.pth'
    torch.save(dict(state_dict=nhwc.state_dict()), path)
    model = init_model(str(CONFIG), str(path))
    plain = init_model(str(CONFIG), str(path),
                       cfg_options=dict(channels_last=False))
    weight = model.depth_encoder.encoder.conv1.weight
    assert weight.is_contiguous(memory_format=CL)
    assert plain.depth_encoder.encoder.conv1.weight.is_contiguous()
    img = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(model.extract_disp(img)[0],
                                   plain.extract_disp(img)[0],
                                   rtol=1e-5, atol=1e-6)
