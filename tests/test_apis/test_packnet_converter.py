"""A PackNet-SfM ``.ckpt`` in the released layout (yacs config + 246
tensors under ``model.depth_net.`` / ``model.pose_net.``, built from the
packnet_net.npz fixture weights) converts through the command line with no
missing or unexpected key, and the converted model reproduces the
fixture's outputs (packnet spec §3.2, §6.3)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from depthseg.testing import load_fixture
from depthseg.testing.original_checkpoints import save_with_yacs_config
from depthseg.testing.tools import REPO_ROOT, load_tool
from depthseg.utils import register_all_modules
from depthseg.utils.checkpoint import CheckpointMismatchError

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / 'tools' / 'model_converters' / 'packnet_to_depthseg.py'
NET_RTOL = 1e-9


def converter():
    return load_tool(str(CONVERTER.relative_to(REPO_ROOT)))


def fixture_weights(name):
    ins, outs = load_fixture('packnet_net', name)
    return {k[2:]: torch.from_numpy(v) for k, v in ins.items()
            if k.startswith('w_')}, ins, outs


def save_original_ckpt(path, state_dict, config_items):
    """A packnet-style checkpoint: a yacs config and the state dict."""
    save_with_yacs_config(path, config=config_items, state_dict=state_dict)


ORIGINAL_CONFIG = dict(
    name='default_config-train_kitti-2020.01.01-00h00m00s',
    model=dict(
        name='SelfSupModel',
        checkpoint_path='',
        depth_net=dict(name='PackNet01', version='1A', dropout=0.0,
                       checkpoint_path=''),
        pose_net=dict(name='PoseNet', version='', dropout=0.0,
                      checkpoint_path=''),
        params=dict(crop='garg', min_depth=0.0, max_depth=80.0,
                    scale_output='resize'),
        loss=dict(num_scales=4, ssim_loss_weight=0.85,
                  smooth_loss_weight=0.001, photometric_reduce_op='min',
                  automask_loss=True, progressive_scaling=0.0)),
    datasets=dict(augmentation=dict(image_shape=(192, 640),
                                    jittering=(0.2, 0.2, 0.2, 0.05))),
    prepared=True)


def test_released_layout_converts_and_reproduces_fixture(tmp_path):
    depth_w, depth_ins, depth_outs = fixture_weights('PackNet01')
    pose_w, pose_ins, pose_outs = fixture_weights('PoseNet')
    state = {'model.depth_net.' + k: v for k, v in depth_w.items()}
    state.update({'model.pose_net.' + k: v for k, v in pose_w.items()})
    assert len(state) == 246
    ckpt = tmp_path / 'PackNet01_MR_selfsup_K.ckpt'
    save_original_ckpt(ckpt, state, ORIGINAL_CONFIG)
    del state, depth_w
    out = tmp_path / 'packnet01_mr_selfsup_k.pth'
    result = subprocess.run(
        [sys.executable, str(CONVERTER), str(ckpt), str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert '246 tensors' in result.stdout
    ckpt.unlink()
    # plain data only: loads weights-only
    converted = torch.load(out, map_location='cpu', weights_only=True)
    meta, weights = converted['meta'], converted['state_dict']
    assert meta['source'] == 'packnet-sfm'
    assert meta['depth_net'] == dict(name='PackNet01', version='1A',
                                     dropout=0.0)
    assert meta['pose_net']['name'] == 'PoseNet'
    assert (meta['height'], meta['width']) == (192, 640)
    assert meta['params'] == ORIGINAL_CONFIG['model']['params']
    assert meta['loss']['smooth_loss_weight'] == 0.001
    assert meta['config'] == 'configs/packnet/packnet01_kitti.py'
    assert len(weights) == 246
    del converted, weights
    # init_model: every key and shape checked, strict load, input size
    # from meta; the outputs are the original's
    from depthseg.apis import init_model
    model = init_model(str(ROOT / meta['config']), str(out))
    assert tuple(model.input_size) == (192, 640)
    model = model.double().eval()
    rgb = torch.from_numpy(depth_ins['rgb']).double()
    images = {0: torch.from_numpy(pose_ins['image']).double(),
              -1: torch.from_numpy(pose_ins['context_0']).double(),
              1: torch.from_numpy(pose_ins['context_1']).double()}
    with torch.no_grad():
        inv = model.extract_disp(rgb)
        poses = model.pose_net(images, [0, -1, 1])
    np.testing.assert_allclose(inv[0].numpy(), depth_outs['inv_depth_eval'],
                               rtol=NET_RTOL)
    for j, f in enumerate((-1, 1)):
        np.testing.assert_allclose(poses[f]['vec'].numpy(),
                                   pose_outs['pose'][:, j], rtol=NET_RTOL,
                                   atol=1e-15)


def test_mismatch_and_unsupported_networks(tmp_path):
    conv = converter()
    pose_w, _, _ = fixture_weights('PoseNet')
    # one depth tensor only: every other PackNet01 key is reported missing
    state = {'model.pose_net.' + k: v for k, v in pose_w.items()}
    state['model.depth_net.pre_calc.conv_base.weight'] = torch.zeros(
        64, 3, 5, 5)
    ckpt = tmp_path / 'partial.ckpt'
    save_original_ckpt(ckpt, state, ORIGINAL_CONFIG)
    with pytest.raises(CheckpointMismatchError, match='missing'):
        conv.convert(str(ckpt), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()
    # networks without a depthseg counterpart
    resnet = dict(model=dict(depth_net=dict(name='DepthResNet')))
    with pytest.raises(ValueError, match='DepthResNet'):
        conv.model_options(resnet, True)
    pose_resnet = dict(model=dict(depth_net=dict(name='PackNet01'),
                                  pose_net=dict(name='PoseResNet')))
    with pytest.raises(ValueError, match='PoseResNet'):
        conv.model_options(pose_resnet, True)
    # the Slim network and version B map onto the depth encoder's options
    slim = dict(model=dict(depth_net=dict(name='PackNetSlim01',
                                          version='1B')))
    assert conv.model_options(slim, False) == {
        'model.depth_encoder.type': 'PackNetSlim01',
        'model.depth_encoder.version': '1B',
        'model.depth_encoder.dropout': None}


def test_meta_export_of_an_empty_config():
    conv = converter()
    empty = dict(name=None, version=None)
    assert conv.export_meta({}) == dict(
        source='packnet-sfm', depth_net=dict(empty, dropout=None),
        pose_net=empty)
    meta = conv.export_meta(dict(datasets=dict(augmentation=dict(
        image_shape=[384, 640]))))
    assert (meta['height'], meta['width']) == (384, 640)
