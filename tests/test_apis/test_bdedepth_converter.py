"""tools/model_converters/bdedepth_to_depthseg.py on synthetic checkpoints
in the original layout (spec §11)."""
from pathlib import Path

import pytest
import torch

from depthseg.apis.inference import build_model
from depthseg.testing.tools import load_tool

ROOT = Path(__file__).resolve().parents[2]
conv = load_tool('tools/model_converters/bdedepth_to_depthseg.py')


def _original(config, with_pose=True):
    """An original-layout checkpoint made from a depthseg model."""
    torch.manual_seed(0)
    state = build_model(str(ROOT / config)).state_dict()
    ckpt = dict(height=192, width=640, use_stereo=False, epoch=3,
                optimizer={'state': {}}, lr_scheduler={})
    for name, prefix in conv.PARTS:
        if name.startswith('pose') and not with_pose:
            continue
        ckpt[name] = {k[len(prefix):]: v.clone() for k, v in state.items()
                      if k.startswith(prefix)}
    return state, ckpt


@pytest.mark.parametrize('config,backbone', [
    ('configs/bdedepth/bdedepth_hrnet18_kitti.py', 'hrnet'),
    ('configs/bdedepth/bdedepth_r18_kitti.py', 'resnet'),
])
def test_convert_roundtrip(tmp_path, config, backbone):
    state, ckpt = _original(config)
    # §11 layout spot checks
    assert 'decoder.6.conv.weight' in ckpt['depth']
    assert ('context_conv.weight' if backbone == 'hrnet' else
            'conv1.weight') in ckpt['encoder']
    torch.save(ckpt, tmp_path / 'orig.pth')
    meta = conv.convert(str(tmp_path / 'orig.pth'), str(tmp_path / 'o.pth'))
    assert meta['backbone'] == backbone and meta['height'] == 192
    out = torch.load(tmp_path / 'o.pth', weights_only=True)
    assert set(out['state_dict']) == set(state)
    for k, v in state.items():
        assert torch.equal(out['state_dict'][k], v), k


def test_depth_only_and_errors(tmp_path):
    _, ckpt = _original('configs/bdedepth/bdedepth_r18_kitti.py',
                        with_pose=False)
    torch.save(ckpt, tmp_path / 'depth_only.pth')
    conv.convert(str(tmp_path / 'depth_only.pth'), str(tmp_path / 'o.pth'))
    ckpt['depth']['decoder.99.weight'] = torch.zeros(1)
    del ckpt['depth']['decoder.0.1.weight']
    torch.save(ckpt, tmp_path / 'bad.pth')
    with pytest.raises(Exception, match='bad.pth') as err:
        conv.convert(str(tmp_path / 'bad.pth'), str(tmp_path / 'o.pth'))
    assert 'decoder.99.weight' in str(err.value)
    torch.save({'foo': 1}, tmp_path / 'x.pth')
    with pytest.raises(ValueError, match='"encoder" and "depth"'):
        conv.convert(str(tmp_path / 'x.pth'), str(tmp_path / 'o.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        conv.convert(str(tmp_path / 'nope.pth'), str(tmp_path / 'o.pth'))


def test_ddp_prefixed_hrnet18(tmp_path):
    """A file saved from DDP-wrapped networks (``module.`` keys)."""
    state, ckpt = _original('configs/bdedepth/bdedepth_hrnet18_kitti.py')
    for name, _ in conv.PARTS:
        ckpt[name] = {'module.' + k: v for k, v in ckpt[name].items()}
    torch.save(ckpt, tmp_path / 'ddp.pth')
    meta = conv.convert(str(tmp_path / 'ddp.pth'), str(tmp_path / 'o.pth'))
    assert meta['backbone'] == 'hrnet'
    out = torch.load(tmp_path / 'o.pth', weights_only=True)['state_dict']
    assert set(out) == set(state)
    for k, v in state.items():
        assert torch.equal(out[k], v), k
