"""Monodepth2 networks: state-dict layout, shapes, pretrained loading."""
import urllib.error

import pytest
import torch
import torchvision

from depthseg.models.backbones import ResnetEncoder
from depthseg.models.decoders import DepthDecoder
from depthseg.models.pose_nets import (PoseCNN, PoseCNNNet, PoseDecoder,
                                       ResnetPoseNet)
from depthseg.models.utils.geometry import transformation_from_parameters
from depthseg.models.utils.layers import Conv3x3, ConvBlock, upsample
from depthseg.registry import MODELS

R18_CH = [64, 64, 128, 256, 512]
R18_URL = 'https://download.pytorch.org/models/resnet18-f37072fd.pth'
H, W = 64, 96

# spec §7.2: depth.pth of the ResNet18 model
DEPTH_TABLE = {
    'decoder.0.conv.conv': (256, 512, 3, 3),
    'decoder.1.conv.conv': (256, 512, 3, 3),
    'decoder.2.conv.conv': (128, 256, 3, 3),
    'decoder.3.conv.conv': (128, 256, 3, 3),
    'decoder.4.conv.conv': (64, 128, 3, 3),
    'decoder.5.conv.conv': (64, 128, 3, 3),
    'decoder.6.conv.conv': (32, 64, 3, 3),
    'decoder.7.conv.conv': (32, 96, 3, 3),
    'decoder.8.conv.conv': (16, 32, 3, 3),
    'decoder.9.conv.conv': (16, 16, 3, 3),
    'decoder.10.conv': (1, 16, 3, 3),
    'decoder.11.conv': (1, 32, 3, 3),
    'decoder.12.conv': (1, 64, 3, 3),
    'decoder.13.conv': (1, 128, 3, 3),
}


def _images(frame_ids, batch=2):
    torch.manual_seed(0)
    return {f: torch.rand(batch, 3, H, W) for f in frame_ids}


def _set_constant_head(conv):
    """Zero weights and bias 0..C-1, so the spatial mean is the bias."""
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.copy_(torch.arange(conv.bias.numel(), dtype=torch.float))


def test_layers():
    block = ConvBlock(4, 8)
    assert set(block.state_dict()) == {'conv.conv.weight', 'conv.conv.bias'}
    assert isinstance(block.conv, Conv3x3)
    assert isinstance(block.nonlin, torch.nn.ELU)
    x = torch.rand(1, 4, 5, 6)
    assert block(x).shape == (1, 8, 5, 6)
    assert isinstance(Conv3x3(4, 8).pad, torch.nn.ReflectionPad2d)
    assert isinstance(Conv3x3(4, 8, use_refl=False).pad, torch.nn.ZeroPad2d)
    up = upsample(x)
    assert up.shape == (1, 4, 10, 12)
    assert torch.equal(up[..., ::2, ::2], x)
    assert torch.equal(up[..., 1::2, 1::2], x)


def test_depth_decoder_r18_keys_and_params():
    decoder = DepthDecoder(num_ch_enc=R18_CH)
    state = decoder.state_dict()
    expected = {}
    for prefix, shape in DEPTH_TABLE.items():
        expected[prefix + '.weight'] = shape
        expected[prefix + '.bias'] = shape[:1]
    assert {k: tuple(v.shape) for k, v in state.items()} == expected
    assert sum(p.numel() for p in decoder.parameters()) == 3152724
    built = MODELS.build(dict(type='DepthDecoder', encoder_depth=18))
    assert built.num_ch_enc == R18_CH
    assert {k: v.shape
            for k, v in built.state_dict().items()} == {
                k: v.shape
                for k, v in state.items()
            }
    with pytest.raises(ValueError, match='exactly one'):
        DepthDecoder()
    with pytest.raises(ValueError, match='exactly one'):
        DepthDecoder(num_ch_enc=R18_CH, encoder_depth=18)


def test_depth_decoder_forward_shapes():
    encoder = ResnetEncoder(18, pretrained=None)
    decoder = DepthDecoder(encoder_depth=18)
    feats = encoder(torch.rand(2, 3, H, W))
    outputs = decoder(feats)
    assert sorted(outputs) == [0, 1, 2, 3]
    for s, disp in outputs.items():
        assert disp.shape == (2, 1, H // 2**s, W // 2**s)
        assert disp.min() > 0 and disp.max() < 1
    two = DepthDecoder(encoder_depth=18, scales=(0, ), num_output_channels=2)
    assert sorted(two(feats)) == [0]
    assert two(feats)[0].shape == (2, 2, H, W)
    no_skip = DepthDecoder(encoder_depth=18, use_skips=False)
    assert no_skip.decoder[1].conv.conv.weight.shape == (256, 256, 3, 3)
    assert no_skip(feats)[0].shape == (2, 1, H, W)


def test_depth_decoder_init_disp():
    feats = ResnetEncoder(18, pretrained=None)(torch.rand(2, 3, H, W))
    decoder = DepthDecoder(encoder_depth=18, init_disp=0.09)
    for head in decoder.decoder[10:]:  # the biases: logit(0.09)
        assert head.conv.bias.item() == pytest.approx(-2.3136, abs=1e-4)
        torch.nn.init.zeros_(head.conv.weight)
    for s, disp in decoder(feats).items():  # bias alone: exactly 0.09
        assert torch.allclose(disp, torch.full_like(disp, 0.09)), s
    with pytest.raises(ValueError, match='init_disp must be in'):
        DepthDecoder(encoder_depth=18, init_disp=1.0)


def test_pose_decoder_init_translation():
    """init_translation sets the translation biases (in units of the
    output, whatever translation_scale): with zero weights every pose is
    exactly that translation and no rotation."""
    feats = [torch.rand(2, c, 3, 10) for c in R18_CH]
    pose = PoseDecoder(R18_CH, num_input_features=1,
                       num_frames_to_predict_for=2, translation_scale=1.0,
                       init_translation=(0.0, 0.1, -0.3))
    torch.nn.init.zeros_(pose.net[3].weight)
    axisangle, translation = pose([feats])
    assert translation.shape == (2, 2, 1, 3)
    assert torch.allclose(translation,
                          torch.tensor([0.0, 0.1, -0.3]).expand(2, 2, 1, 3))
    assert torch.all(axisangle.abs() < 0.01 * 0.1)  # PyTorch's bias init
    scaled = PoseDecoder(R18_CH, num_input_features=1,
                         num_frames_to_predict_for=2,
                         init_translation=(0.0, 0.1, -0.3))  # scale 0.01
    assert scaled.net[3].bias.view(2, 6)[0, 3:].tolist() == pytest.approx(
        [0.0, 10.0, -30.0])
    with pytest.raises(ValueError, match='3 numbers'):
        PoseDecoder(R18_CH, num_input_features=1,
                    num_frames_to_predict_for=2, init_translation=(1, 2))


def test_heads_float32_under_autocast():
    """in_float32: disparities and pose vectors leave bf16 autocast as
    float32 (8 significant bits would shift the reprojection)."""
    encoder = ResnetEncoder(18, pretrained=None)
    decoder = DepthDecoder(encoder_depth=18)
    pose = PoseDecoder(R18_CH, num_input_features=1,
                       num_frames_to_predict_for=2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = encoder(torch.rand(1, 3, H, W))
        assert feats[-1].dtype == torch.bfloat16
        assert all(d.dtype == torch.float32 for d in decoder(feats).values())
        assert all(t.dtype == torch.float32 for t in pose([feats]))


@pytest.mark.parametrize('depth, tv_model, channels', [
    (18, torchvision.models.resnet18, R18_CH),
    (50, torchvision.models.resnet50, [64, 256, 512, 1024, 2048]),
])
def test_encoder_matches_torchvision(depth, tv_model, channels):
    """Our ResNet is torchvision's without importing it: same keys, the
    same seeded random init (same draws, so the RNG ends in the same
    state) and the same stage outputs."""
    torch.manual_seed(7)
    encoder = ResnetEncoder(depth, pretrained=None).eval()
    after_ours = torch.rand(3)
    torch.manual_seed(7)
    ref = tv_model().eval()
    assert torch.equal(torch.rand(3), after_ours)
    assert encoder.num_ch_enc == channels
    ours = encoder.state_dict()
    theirs = {'encoder.' + k: v for k, v in ref.state_dict().items()}
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert 'encoder.fc.weight' in ours
    img = torch.rand(1, 3, H, W)
    feats = encoder(img)
    x = ref.relu(ref.bn1(ref.conv1((img - 0.45) / 0.225)))
    expected = [x]
    x = ref.maxpool(x)
    for layer in (ref.layer1, ref.layer2, ref.layer3, ref.layer4):
        x = layer(x)
        expected.append(x)
    assert all(torch.equal(a, b) for a, b in zip(feats, expected))
    assert [f.shape[1] for f in feats] == channels
    assert [f.shape[2:] for f in feats] == [(H // 2**i, W // 2**i)
                                          for i in range(1, 6)]


def test_encoder_imagenet_urls_match_torchvision():
    from depthseg.models.backbones.resnet_encoder import RESNET_ARCHS
    for depth, (_, _, url) in RESNET_ARCHS.items():
        weights = getattr(torchvision.models, f'ResNet{depth}_Weights')
        assert url == weights.IMAGENET1K_V1.url


def test_encoder_normalises_input():
    encoder = ResnetEncoder(18, pretrained=None).eval()
    img = torch.rand(1, 3, H, W)
    enc = encoder.encoder
    expected = enc.relu(enc.bn1(enc.conv1((img - 0.45) / 0.225)))
    assert torch.allclose(encoder(img)[0], expected)


def test_multi_image_encoder():
    encoder = ResnetEncoder(18, num_input_images=2, pretrained=None)
    assert encoder.encoder.conv1.weight.shape == (64, 6, 7, 7)
    assert encoder(torch.rand(1, 6, H, W))[4].shape == (1, 512, 2, 3)
    with pytest.raises(ValueError, match='num_input_images'):
        ResnetEncoder(34, num_input_images=2, pretrained=None)
    with pytest.raises(ValueError, match='depth'):
        ResnetEncoder(20, pretrained=None)


def test_encoder_offline_error(monkeypatch, tmp_path):
    calls = []

    def offline(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError('Temporary failure in name resolution')

    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    encoder = ResnetEncoder(18)
    with pytest.raises(RuntimeError) as info:
        encoder.init_weights()
    msg = str(info.value)
    assert calls == [R18_URL]
    for part in ('ResNet18', R18_URL, 'resnet18-f37072fd.pth',
                 'checkpoints', 'pretrained=None',
                 "pretrained='/path/to/resnet18-f37072fd.pth'",
                 'model.depth_encoder.pretrained=None'):
        assert part in msg


def test_encoder_imagenet_from_hub(monkeypatch, tmp_path):
    """'imagenet' reads the torch hub cache (through the restricted
    loader) and downloads into it only when the file is missing."""
    state = torchvision.models.resnet18().state_dict()
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    downloads = []

    def download(url, dst, *args, **kwargs):
        downloads.append(url)
        torch.save(state, dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', download)
    encoder = ResnetEncoder(18)
    encoder.init_weights()
    assert downloads == [R18_URL]
    assert (tmp_path / 'checkpoints' / 'resnet18-f37072fd.pth').is_file()
    assert torch.equal(encoder.encoder.conv1.weight, state['conv1.weight'])
    encoder = ResnetEncoder(18)  # from the cache now
    encoder.init_weights()
    assert downloads == [R18_URL]
    assert torch.equal(encoder.encoder.conv1.weight, state['conv1.weight'])
    assert torch.equal(encoder.encoder.fc.bias, state['fc.bias'])


def test_encoder_from_file_and_tiling(tmp_path):
    state = torchvision.models.resnet18().state_dict()
    path = tmp_path / 'r18.pth'
    torch.save(state, path)
    single = ResnetEncoder(18, pretrained=str(path))
    single.init_weights()
    assert torch.equal(single.encoder.layer3[1].conv2.weight,
                       state['layer3.1.conv2.weight'])
    assert torch.equal(single.encoder.conv1.weight, state['conv1.weight'])

    pair = ResnetEncoder(18, num_input_images=2, pretrained=str(path))
    pair.init_weights()
    w = state['conv1.weight']
    assert torch.allclose(pair.encoder.conv1.weight,
                          torch.cat([w, w], 1) / 2)
    assert torch.equal(pair.encoder.layer4[0].bn1.running_var,
                       state['layer4.0.bn1.running_var'])

    # a second init_weights does not reload
    with torch.no_grad():
        single.encoder.conv1.weight.zero_()
    single.init_weights()
    assert single.encoder.conv1.weight.abs().sum() == 0


def test_encoder_file_without_num_batches_tracked(tmp_path):
    state = torchvision.models.resnet18().state_dict()
    state = {k: v for k, v in state.items()
             if not k.endswith('num_batches_tracked')}
    path = tmp_path / 'old.pth'
    torch.save(state, path)
    encoder = ResnetEncoder(18, pretrained=str(path))
    encoder.init_weights()
    assert torch.equal(encoder.encoder.bn1.weight, state['bn1.weight'])


def test_encoder_wrong_architecture(tmp_path):
    path = tmp_path / 'r34.pth'
    torch.save(torchvision.models.resnet34().state_dict(), path)
    with pytest.raises(RuntimeError) as info:
        ResnetEncoder(18, pretrained=str(path)).init_weights()
    msg = str(info.value)
    assert 'unexpected keys' in msg and 'layer1.2.conv1.weight' in msg

    state = torchvision.models.resnet18().state_dict()
    state['fc.weight'] = torch.zeros(10, 512)
    state['fc.bias'] = torch.zeros(10)
    del state['layer4.1.bn2.weight']
    torch.save(state, path)
    encoder = ResnetEncoder(18, pretrained=str(path))
    before = encoder.encoder.layer1[0].conv1.weight.clone()
    with pytest.raises(RuntimeError) as info:
        encoder.init_weights()
    msg = str(info.value)
    assert 'missing keys (1): layer4.1.bn2.weight' in msg
    assert 'fc.weight: file (10, 512) != model (1000, 512)' in msg
    assert torch.equal(encoder.encoder.layer1[0].conv1.weight, before)

    with pytest.raises(FileNotFoundError, match='does not exist'):
        ResnetEncoder(18, pretrained=str(tmp_path / 'nope.pth')).init_weights()


def test_encoder_init_options():
    encoder = ResnetEncoder(18, pretrained=None)
    before = encoder.encoder.conv1.weight.clone()
    encoder.init_weights()
    assert torch.equal(encoder.encoder.conv1.weight, before)
    with pytest.raises(ValueError, match='not both'):
        ResnetEncoder(18, init_cfg=dict(type='Pretrained', checkpoint='x'))


def test_encoder_norm_eval():
    encoder = ResnetEncoder(18, pretrained=None, norm_eval=True).train()
    bns = [m for m in encoder.modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert encoder.training and encoder.encoder.conv1.training
    mean = encoder.encoder.bn1.running_mean.clone()
    encoder(torch.rand(2, 3, H, W))
    assert torch.equal(encoder.encoder.bn1.running_mean, mean)
    plain = ResnetEncoder(18, pretrained=None).train()
    assert plain.encoder.bn1.training


def test_pose_decoder():
    decoder = PoseDecoder(R18_CH, num_input_features=1,
                          num_frames_to_predict_for=2)
    shapes = {k: tuple(v.shape) for k, v in decoder.state_dict().items()}
    assert shapes == {
        'net.0.weight': (256, 512, 1, 1), 'net.0.bias': (256, ),
        'net.1.weight': (256, 256, 3, 3), 'net.1.bias': (256, ),
        'net.2.weight': (256, 256, 3, 3), 'net.2.bias': (256, ),
        'net.3.weight': (12, 256, 1, 1), 'net.3.bias': (12, ),
    }
    feats = [torch.rand(3, c, 4, 6) for c in R18_CH]
    axisangle, translation = decoder([feats])
    assert axisangle.shape == translation.shape == (3, 2, 1, 3)
    _set_constant_head(decoder.net[3])
    axisangle, translation = decoder([feats])
    values = 0.01 * torch.arange(12.).view(2, 1, 6)
    assert torch.allclose(axisangle, values[..., :3].expand(3, 2, 1, 3))
    assert torch.allclose(translation, values[..., 3:].expand(3, 2, 1, 3))

    shared = PoseDecoder(R18_CH, num_input_features=3)
    assert shared.net[1].weight.shape == (256, 768, 3, 3)
    assert shared([feats] * 3)[0].shape == (3, 2, 1, 3)


def test_pose_cnn():
    net = PoseCNN(3)
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    expected = {'pose_conv.weight': (12, 256, 1, 1), 'pose_conv.bias': (12, )}
    chans = [9, 16, 32, 64, 128, 256, 256, 256]
    for i, k in enumerate([7, 5, 3, 3, 3, 3, 3]):
        expected[f'net.{i}.weight'] = (chans[i + 1], chans[i], k, k)
        expected[f'net.{i}.bias'] = (chans[i + 1], )
    assert shapes == expected
    _set_constant_head(net.pose_conv)
    axisangle, translation = net(torch.rand(2, 9, H, W))
    assert axisangle.shape == translation.shape == (2, 2, 1, 3)
    assert torch.allclose(translation[1, 1, 0], 0.01 * torch.tensor(
        [9., 10., 11.]))


def _resnet_pose_net(input_mode, num_images):
    net = MODELS.build(dict(
        type='ResnetPoseNet', input_mode=input_mode,
        encoder=dict(type='ResnetEncoder', depth=18,
                     num_input_images=num_images, pretrained=None),
        decoder=dict(type='PoseDecoder', num_input_features=1,
                     num_frames_to_predict_for=2))).eval()
    assert isinstance(net, ResnetPoseNet)
    return net


def test_resnet_pose_net_pairs():
    net = _resnet_pose_net('pairs', 2)
    assert net.decoder.num_ch_enc == R18_CH
    assert net.encoder.encoder.conv1.weight.shape == (64, 6, 7, 7)
    images = _images([0, -1, 1, 's'])
    with torch.no_grad():
        poses = net(images, [0, -1, 1, 's'])
        assert sorted(poses) == [-1, 1]
        assert poses[-1]['invert'] is True and poses[1]['invert'] is False
        for f, first in ((-1, [images[-1], images[0]]),
                         (1, [images[0], images[1]])):
            axisangle, translation = net.decoder(
                [net.encoder(torch.cat(first, 1))])
            assert poses[f]['axisangle'].shape == (2, 1, 3)
            assert torch.equal(poses[f]['axisangle'], axisangle[:, 0])
            assert torch.equal(poses[f]['translation'], translation[:, 0])
            T = net.to_matrix(poses[f])
            assert T.shape == (2, 4, 4)
            assert torch.equal(T, transformation_from_parameters(
                axisangle[:, 0], translation[:, 0], invert=f < 0))
        assert net(images, [0, 's']) == {}


def test_resnet_pose_net_all():
    net = _resnet_pose_net('all', 3)
    images = _images([0, -1, 1])
    with torch.no_grad():
        poses = net(images, [0, -1, 1, 's'])
        axisangle, translation = net.decoder([net.encoder(
            torch.cat([images[0], images[-1], images[1]], 1))])
    assert sorted(poses) == [-1, 1]
    for i, f in enumerate([-1, 1]):
        assert poses[f]['invert'] is False
        assert torch.equal(poses[f]['axisangle'], axisangle[:, i])
        assert torch.equal(poses[f]['translation'], translation[:, i])
    with pytest.raises(ValueError, match='input_mode'):
        _resnet_pose_net('triplets', 3)


def test_pose_cnn_net():
    net = PoseCNNNet()
    images = _images([0, -1, 1])
    with torch.no_grad():
        poses = net(images, [0, -1, 1])
        ref = net.pose_cnn(torch.cat([images[-1], images[0]], 1))
    assert poses[-1]['invert'] is True and poses[1]['invert'] is False
    assert torch.equal(poses[-1]['translation'], ref[1][:, 0])
    depth = torch.ones(2, 1, 8, 12)
    depth[1] = 4.
    depth[0, 0, 0, :6] = 0.5  # mean of 1/depth: (6 * 2 + 90) / 96
    pose = poses[-1]
    scale = torch.tensor([102 / 96, 0.25]).view(2, 1, 1)
    expected = transformation_from_parameters(
        pose['axisangle'], pose['translation'] * scale, invert=True)
    assert torch.allclose(net.to_matrix(pose, depth), expected)
    with pytest.raises(ValueError, match='depth'):
        net.to_matrix(pose)

    net_all = MODELS.build(dict(type='PoseCNNNet', num_input_frames=3,
                                input_mode='all'))
    with torch.no_grad():
        poses = net_all(images, [0, -1, 1])
        ref = net_all.pose_cnn(
            torch.cat([images[0], images[-1], images[1]], 1))
    assert torch.equal(poses[1]['axisangle'], ref[0][:, 1])
    assert poses[-1]['invert'] is True and poses[1]['invert'] is False
    with pytest.raises(ValueError, match='num_input_frames=2'):
        PoseCNNNet(num_input_frames=3)
