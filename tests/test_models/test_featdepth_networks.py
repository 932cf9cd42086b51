"""FeatDepth networks (featdepth spec §2.1–2.2, §3.1, §4, §14.4) and the
checkpoint converter."""
import sys
from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from depthseg.apis.inference import build_model
from depthseg.models.autoencoders import (FeatDepthAutoEncoderModel,
                                          FeatureNet, FeatureNetDecoder)
from depthseg.models.backbones import ResnetEncoder
from depthseg.models.decoders import CRPBlock, FeatDepthDecoder
from depthseg.models.pose_nets import FeatDepthPoseNet, PoseDecoder
from depthseg.registry import DATASETS, MODELS
from depthseg.testing import load_fixture
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules
from depthseg.utils.checkpoint import CheckpointMismatchError

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
CONVERTER_DIR = ROOT / 'tools' / 'model_converters'
CONFIG_DIR = ROOT / 'configs' / 'featdepth'
R50 = [64, 256, 512, 1024, 2048]
R18 = [64, 64, 128, 256, 512]


def shapes(tensors):
    return [tuple(t.shape) for t in tensors]


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- CRPBlock
def test_crp_block_fixture():
    ins, outs = load_fixture('featdepth', 'CRPBlock')
    block = CRPBlock(4, 4, 4).double()
    weights = torch.from_numpy(ins['pointwise_weights'])
    for i in range(4):
        getattr(block, f'{i + 1}_pointwise').conv.weight.data.copy_(
            weights[i])
    out = block(torch.from_numpy(ins['x']))
    np.testing.assert_allclose(out.detach().numpy(), outs['out'], rtol=1e-10,
                               atol=1e-12)


def test_crp_block_spec_values():
    """Spec fixture F9: all 1×1 weights 0.5·I on X(1,4,5,6)."""
    h, w, c = np.meshgrid(np.arange(5), np.arange(6), np.arange(4),
                          indexing='ij')
    x = 0.5 + 0.4 * np.sin(0.7 * h + 1.3 * w + 0.5 * c)
    x = torch.from_numpy(x.transpose(2, 0, 1)[None].copy())
    block = CRPBlock(4, 4, 4).double()
    for i in range(4):
        getattr(block, f'{i + 1}_pointwise').conv.weight.data.copy_(
            0.5 * torch.eye(4, dtype=torch.float64)[..., None, None])
    out = block(x)
    assert out.mean().item() == pytest.approx(1.3674537525339174, rel=1e-10)
    assert out[0, 0, 0, 0].item() == pytest.approx(1.3396963712980132,
                                                   rel=1e-10)


def test_crp_block_keys():
    keys = set(CRPBlock(8, 8, 4).state_dict())
    assert keys == {f'{i}_pointwise.conv.weight' for i in range(1, 5)}
    with pytest.raises(ValueError):
        CRPBlock(8, 4, 4)


# -------------------------------------------------- module shapes (§14.4)
def test_module_shape_fixtures():
    """Shapes at the original resolutions, on the meta device (no compute).
    """
    with torch.device('meta'):
        depth_encoder = ResnetEncoder(50, pretrained=None)
        feats = depth_encoder(torch.empty(2, 3, 320, 1024))
        assert shapes(feats) == [(2, 64, 160, 512), (2, 256, 80, 256),
                                 (2, 512, 40, 128), (2, 1024, 20, 64),
                                 (2, 2048, 10, 32)]
        disp = FeatDepthDecoder(depth_encoder.num_ch_enc)(feats)
        assert sorted(disp) == [0, 1, 2, 3]
        assert [tuple(disp[s].shape) for s in range(4)] == [
            (2, 1, 160, 512), (2, 1, 80, 256), (2, 1, 40, 128),
            (2, 1, 20, 64)]
        ae = FeatureNet(50, pretrained=None)
        _, recon = ae(torch.empty(2, 3, 320, 1024))
        assert [tuple(recon[s].shape) for s in range(4)] == [
            (2, 3, 320, 1024), (2, 3, 160, 512), (2, 3, 80, 256),
            (2, 3, 40, 128)]
        last = ae.extract(torch.empty(2, 3, 256, 800))[-1]
        assert tuple(last.shape[-2:]) == (8, 25)
        pose_encoder = ResnetEncoder(18, num_input_images=2, pretrained=None)
        pfeats = pose_encoder(torch.empty(2, 6, 192, 640))
        assert shapes(pfeats) == [(2, 64, 96, 320), (2, 64, 48, 160),
                                  (2, 128, 24, 80), (2, 256, 12, 40),
                                  (2, 512, 6, 20)]
        axisangle, translation = PoseDecoder(R18, 1, 1)([pfeats])
        assert tuple(axisangle.shape) == (2, 1, 1, 3)
        assert tuple(translation.shape) == (2, 1, 1, 3)


def test_parameter_counts():
    """Spec §2.1 (the ResNets include their unused fc)."""
    with torch.device('meta'):
        assert n_params(ResnetEncoder(50, pretrained=None)) == 25_557_032
        assert n_params(FeatDepthDecoder(R50)) == 9_651_972
        assert n_params(ResnetEncoder(18, num_input_images=2,
                                      pretrained=None)) == 11_698_920
        assert n_params(PoseDecoder(R18, 1, 1)) == 1_313_030
        ae = FeatureNet(50, pretrained=None)
        assert n_params(ae.encoder) == 25_557_032
        assert n_params(ae.decoder) == 5_903_420


def test_original_attribute_names():
    dec = set(FeatDepthDecoder(R18).state_dict())
    for k in (4, 3, 2, 1):
        assert f'reduce{k}.conv.weight' in dec
        assert f'iconv{k}.conv.weight' in dec and f'iconv{k}.conv.bias' in dec
        assert f'crp{k}.0.4_pointwise.conv.weight' in dec
        assert f'merge{k}.conv.bias' in dec
        assert f'disp{k}.0.conv.weight' in dec
    ae = set(FeatureNetDecoder(R18).state_dict())
    for k in (5, 4, 3, 2, 1):
        assert f'upconv{k}.conv.conv.weight' in ae
        assert f'iconv{k}.conv.conv.bias' in ae
    assert {f'disp{k}.conv.weight' for k in (1, 2, 3, 4)} <= ae


# ---------------------------------------------------------------- decoder
def test_decoder_output_sizes_half_resolution():
    torch.manual_seed(0)
    enc = ResnetEncoder(18, pretrained=None)
    dec = FeatDepthDecoder(enc.num_ch_enc, scales=(0, 2))
    img = torch.rand(2, 3, 64, 96)
    dec.eval()
    disp = dec(enc(img))
    assert sorted(disp) == [0, 2]
    assert tuple(disp[0].shape) == (2, 1, 32, 48)  # scale 0 = H/2
    assert tuple(disp[2].shape) == (2, 1, 8, 12)
    assert ((disp[0] > 0) & (disp[0] < 1)).all()
    # dropout only in training: eval is deterministic
    again = dec(enc(img))
    assert torch.equal(disp[0], again[0])
    with pytest.raises(ValueError):
        FeatDepthDecoder(R18, scales=(4, ))


def test_decoder_in_estimator():
    model = MODELS.build(dict(
        type='SelfSupDepthEstimator',
        depth_encoder=dict(type='ResnetEncoder', depth=18, pretrained=None),
        depth_decoder=dict(type='FeatDepthDecoder'),
        pose_net=None, frame_ids=[0, 's']))
    model.eval()
    disp = model.extract_disp(torch.rand(1, 3, 64, 64))
    assert [tuple(disp[s].shape[-2:]) for s in range(4)] == [
        (32, 32), (16, 16), (8, 8), (4, 4)]


# --------------------------------------------------------------- pose net
def pose_net(**kwargs):
    return FeatDepthPoseNet(
        encoder=dict(type='ResnetEncoder', depth=18, num_input_images=2,
                     pretrained=None),
        decoder=dict(type='PoseDecoder', num_input_features=1,
                     num_frames_to_predict_for=1), **kwargs)


def test_pose_net_resizes_and_pairs():
    torch.manual_seed(0)
    net = pose_net(input_size=(64, 96), eval_input_size=(32, 64))
    seen = []
    forward = net.encoder.forward
    net.encoder.forward = lambda x: seen.append(tuple(x.shape)) or forward(x)
    images = {f: torch.rand(2, 3, 40, 80) for f in (0, -1, 1, 's')}
    poses = net(images, [0, -1, 1, 's'])
    assert sorted(poses) == [-1, 1]
    assert seen == [(2, 6, 64, 96)] * 2
    assert poses[-1]['invert'] and not poses[1]['invert']
    assert tuple(poses[1]['axisangle'].shape) == (2, 1, 3)
    T = net.to_matrix(poses[-1])
    assert tuple(T.shape) == (2, 4, 4)
    net.eval()
    seen.clear()
    net(images, [0, 1])
    assert seen == [(2, 6, 32, 64)]
    # pair order: [I_f, I_0] for f < 0, [I_0, I_f] for f > 0
    net.train()
    captured = []
    net.encoder.forward = lambda x: captured.append(x) or forward(x)
    same = {0: images[0], -1: images[0].clone(), 1: images[1]}
    net(same, [0, -1, 1])
    resize = torch.nn.functional.interpolate
    img0 = resize(images[0], (64, 96), mode='bilinear', align_corners=False)
    img1 = resize(images[1], (64, 96), mode='bilinear', align_corners=False)
    assert torch.allclose(captured[1][:, :3], img0)
    assert torch.allclose(captured[1][:, 3:], img1)


def test_pose_net_no_resize():
    net = pose_net(input_size=None)
    seen = []
    forward = net.encoder.forward
    net.encoder.forward = lambda x: seen.append(tuple(x.shape)) or forward(x)
    net({0: torch.rand(1, 3, 32, 64), 1: torch.rand(1, 3, 32, 64)}, [0, 1])
    assert seen == [(1, 6, 32, 64)]


# ------------------------------------------------------------ autoencoder
def test_featurenet_forward_shapes_and_no_normalisation():
    torch.manual_seed(0)
    ae = FeatureNet(18, pretrained=None).eval()
    img = torch.rand(2, 3, 64, 96)
    features, recon = ae(img)
    assert shapes(features) == [(2, 64, 32, 48), (2, 64, 16, 24),
                                (2, 128, 8, 12), (2, 256, 4, 6),
                                (2, 512, 2, 3)]
    assert sorted(recon) == [0, 1, 2, 3]
    assert [tuple(recon[s].shape) for s in range(4)] == [
        (2, 3, 64, 96), (2, 3, 32, 48), (2, 3, 16, 24), (2, 3, 8, 12)]
    assert all(((r > 0) & (r < 1)).all() for r in recon.values())
    # raw RGB input: equals the normalising encoder on 0.45 + 0.225·img
    ref = ResnetEncoder(18, pretrained=None).eval()
    ref.load_state_dict(ae.encoder.state_dict())
    expected = ref(0.45 + 0.225 * img)
    for a, b in zip(ae.extract(img), expected):
        assert torch.allclose(a, b, atol=1e-5)
    # the decoder reads only the deepest feature (no skips)
    other = [torch.zeros_like(f) for f in features[:-1]] + [features[-1]]
    assert torch.allclose(ae.decode(other)[0], recon[0])


def test_featurenet_extractor_only():
    ae = FeatureNet(18, pretrained=None, with_decoder=False)
    assert all(k.startswith('encoder.encoder.') for k in ae.state_dict())
    assert len(ae.extract(torch.rand(2, 3, 64, 64))) == 5
    with pytest.raises(RuntimeError, match='with_decoder'):
        ae(torch.rand(2, 3, 64, 64))


def ae_batch(tmp_path, size=2):
    tree = make_kitti_raw_tree(str(tmp_path), size=(64, 96), num_frames=4)
    ds = DATASETS.build(dict(
        type='KittiRawDataset', data_root=tree['root'],
        ann_file=tree['train'], frame_ids=[0],
        pipeline=[
            dict(type='LoadFrames'), dict(type='RandomFlip', prob=0.5),
            dict(type='ResizePyramid', height=64, width=96, num_scales=1),
            dict(type='ColorJitter', prob=0.5), dict(type='PackDepthInputs')
        ]))
    return pseudo_collate([ds[i] for i in range(size)])


def test_autoencoder_model_train_step(tmp_path):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='FeatDepthAutoEncoderModel',
        autoencoder=dict(type='FeatureNet', depth=18, pretrained=None)))
    assert isinstance(model, FeatDepthAutoEncoderModel)
    data = ae_batch(tmp_path)
    optim = MagicMock()
    log_vars = model.train_step(data, optim)
    expected = {f'loss_smooth_{i}' for i in range(5)} | {
        f'loss_min_reconstruct_{s}' for s in range(4)} | {'loss'}
    assert set(log_vars) == expected
    assert torch.isfinite(log_vars['loss'])
    total = sum(float(torch.as_tensor(v).detach())
                for k, v in log_vars.items() if k != 'loss')
    assert float(log_vars['loss'].detach()) == pytest.approx(total, rel=1e-5)
    # the non-finite check calls backward / step itself (update_params'
    # steps, with a check between them)
    optim.backward.assert_called_once()
    optim.step.assert_called_once()
    # gradients reach encoder and decoder
    batch = model.data_preprocessor(data, True)
    sum(model(**batch, mode='loss').values()).backward()
    ae = model.autoencoder
    assert ae.encoder.encoder.conv1.weight.grad.abs().sum() > 0
    assert ae.decoder.disp1.conv.weight.grad.abs().sum() > 0
    # the target is the un-augmented frame 0 (input_key='color')
    assert model._image(batch['inputs']) is batch['inputs']['color'][0][0]
    model.eval()
    feats = model(**batch, mode='tensor')
    assert len(feats) == 5
    samples = model.val_step(data)
    assert tuple(samples[0].pred_recon.data.shape) == (3, 64, 96)
    with pytest.raises(ValueError, match='input_key'):
        FeatDepthAutoEncoderModel(
            dict(type='FeatureNet', depth=18, pretrained=None),
            input_key='img')


# --------------------------------------------------------------- converter
def _converter():
    if str(CONVERTER_DIR) not in sys.path:
        sys.path.insert(0, str(CONVERTER_DIR))
    import featdepth_to_depthseg
    return featdepth_to_depthseg


def small_depth_config(tmp_path):
    """featdepth_r50_synthroad.py with ResNet-18 depth / extractor (the key
    layout is the same; smaller state dicts)."""
    path = tmp_path / 'fd.py'
    path.write_text(
        f"_base_ = [{str(CONFIG_DIR / 'featdepth_r50_synthroad.py')!r}]\n"
        "model = dict(depth_encoder=dict(depth=18))\n")
    cfg = Config.fromfile(str(path))
    cfg.model.losses.feature_metric.autoencoder.depth = 18
    return cfg


def to_original(state, fnet_prefix, pose_names=None):
    """depthseg keys -> FeatDepth (mono_fm) keys."""
    out = {}
    for k, v in state.items():
        if k.startswith('depth_encoder.'):
            out['DepthEncoder.' + k[len('depth_encoder.'):]] = v
        elif k.startswith('depth_decoder.'):
            out['DepthDecoder.' + k[len('depth_decoder.'):]] = v
        elif k.startswith('pose_net.encoder.'):
            out['PoseEncoder.' + k[len('pose_net.encoder.'):]] = v
        elif k.startswith('pose_net.decoder.'):
            name = k[len('pose_net.decoder.'):]
            if pose_names is not None:
                i, kind = name.split('.')[1:]
                name = f'{pose_names[int(i)]}.{kind}'
            out['PoseDecoder.' + name] = v
        elif k.startswith(fnet_prefix + 'encoder.'):
            out['extractor.' + k[len(fnet_prefix + 'encoder.'):]] = v
        else:
            raise AssertionError(f'unexpected depthseg key {k}')
    return out


@pytest.mark.parametrize('pose_names', [None, ['convs.squeeze',
                                               'convs.pose_0',
                                               'convs.pose_1',
                                               'convs.pose_2']])
def test_converter_depth_model_round_trip(tmp_path, pose_names):
    conv = _converter()
    cfg = small_depth_config(tmp_path)
    conv._null_checkpoints(cfg)
    model = build_model(cfg)
    fnet = conv.featurenet_path(model)
    assert fnet == 'losses.1.autoencoder'
    state = model.state_dict()
    original = to_original(state, fnet + '.', pose_names)
    assert any(k.startswith('DepthDecoder.crp1.0.1_pointwise') for k in
               original)
    assert 'PoseEncoder.encoder.conv1.weight' in original
    assert 'extractor.encoder.layer1.0.conv1.weight' in original
    assert conv.model_kind(original) == 'mono_fm'
    converted, targets = conv.convert_state(original, model)
    assert set(converted) == set(state)
    for k, v in state.items():
        assert torch.equal(converted[k], v), k
    # without the extractor
    converted, _ = conv.convert_state(original, model, no_extractor=True)
    assert not any(k.startswith(fnet) for k in converted)


def test_converter_mismatch_lists_every_key(tmp_path):
    conv = _converter()
    cfg = small_depth_config(tmp_path)
    conv._null_checkpoints(cfg)
    model = build_model(cfg)
    original = to_original(model.state_dict(), 'losses.1.autoencoder.')
    original.pop('DepthDecoder.crp2.0.3_pointwise.conv.weight')
    original['DepthDecoder.bogus.weight'] = torch.zeros(1)
    original['DepthDecoder.iconv1.conv.bias'] = torch.zeros(7)
    converted, _ = conv.convert_state(original, model)
    from depthseg.utils.checkpoint import check_state_dict
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict(model, converted, 'x')
    msg = str(err.value)
    assert 'depth_decoder.crp2.0.3_pointwise.conv.weight' in msg
    assert 'depth_decoder.bogus.weight' in msg
    assert 'depth_decoder.iconv1.conv.bias' in msg


def test_converter_autoencoder_end_to_end(tmp_path):
    conv = _converter()
    config = tmp_path / 'ae.py'
    config.write_text(
        f"_base_ = "
        f"[{str(CONFIG_DIR / 'featdepth_autoencoder_synthroad.py')!r}]\n"
        "model = dict(autoencoder=dict(depth=18))\n")
    ref = build_model(str(config))
    state = ref.state_dict()
    original = {('Encoder.' + k[len('autoencoder.encoder.'):]
                 if k.startswith('autoencoder.encoder.') else
                 'Decoder.' + k[len('autoencoder.decoder.'):]): v
                for k, v in state.items()}
    assert 'Encoder.encoder.conv1.weight' in original
    assert 'Decoder.upconv5.conv.conv.weight' in original
    src = tmp_path / 'epoch_30.pth'
    torch.save({'meta': {'epoch': 30, 'iter': 29880,
                         'mmcv_version': '0.4.4'},
                'state_dict': original, 'optimizer': {}}, src)
    out = tmp_path / 'out.pth'
    meta = conv.convert(str(src), str(out), str(config))
    assert meta['source'] == 'featdepth/autoencoder'
    ckpt = torch.load(out, map_location='cpu', weights_only=True)
    assert ckpt['meta']['original_meta']['epoch'] == 30
    assert set(ckpt['state_dict']) == set(state)
    for k, v in state.items():
        assert torch.equal(ckpt['state_dict'][k], v), k
    # a mismatch writes nothing
    original.pop('Decoder.disp1.conv.bias')
    torch.save({'state_dict': original}, src)
    bad = tmp_path / 'bad.pth'
    with pytest.raises(CheckpointMismatchError, match='disp1.conv.bias'):
        conv.convert(str(src), str(bad), str(config))
    assert not bad.exists()


def test_converter_strips_ddp_prefix(tmp_path):
    """mmcv checkpoints of DDP-wrapped models (``module.`` keys)."""
    conv = _converter()
    src = tmp_path / 'ddp.pth'
    torch.save({'state_dict': {'module.DepthEncoder.conv1.weight':
                               torch.zeros(1),
                               'module.Encoder.conv1.weight': torch.ones(1)},
                'meta': {'epoch': 3}}, src)
    state, meta = conv.read_checkpoint(str(src))
    assert set(state) == {'DepthEncoder.conv1.weight', 'Encoder.conv1.weight'}
    assert meta == {'epoch': 3}
    assert conv.model_kind(state) == 'mono_fm_joint'
