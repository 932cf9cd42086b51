"""BDEdepth depth networks: HRNet18 / ResNet18 context encoders and the grid
decoder (spec §6, key tables §11)."""
import pytest
import torch

from depthseg.models.backbones import ContextResnetEncoder, HRNetEncoder
from depthseg.models.decoders import GridDecoder
from depthseg.models.decoders.grid_decoder import grid_channels

HRNET_CH = [64, 18, 36, 72, 144]
RESNET_CH = [64, 64, 128, 256, 512]


def _lateral_shapes(cin, cout):
    return {'0.weight': (1, ), '1.weight': (cout, cin, 3, 3),
            '1.bias': (cout, ), '2.weight': (1, ),
            '3.weight': (cout, cout, 3, 3), '3.bias': (cout, )}


def _upconv_shapes(cin, cout):
    return {'1.weight': (1, ), '2.weight': (cout, cin, 3, 3),
            '2.bias': (cout, )}


def _expected_decoder_keys(num_ch_enc):
    """§11.1 index table, num_scales = 1."""
    enc, g = grid_channels(num_ch_enc)
    keys, idx = {}, 0
    for i in range(6):
        for j in range(3):
            cin = enc[i] if j == 0 else g[i]
            for k, s in _lateral_shapes(cin, g[i]).items():
                keys[f'decoder.{idx}.{k}'] = s
            idx += 1
            if i < 5:
                for k, s in _upconv_shapes(g[i + 1], g[i]).items():
                    keys[f'decoder.{idx}.{k}'] = s
                idx += 1
        if i == 0:
            keys[f'decoder.{idx}.conv.weight'] = (1, 16, 3, 3)
            keys[f'decoder.{idx}.conv.bias'] = (1, )
            idx += 1
    assert idx == 34
    return keys


@pytest.mark.parametrize('num_ch_enc,grid,params', [
    (RESNET_CH, [16, 32, 32, 64, 128, 256], 6.776e6),
    (HRNET_CH, [16, 32, 9, 18, 36, 72], 0.634e6),
])
def test_grid_decoder_key_table(num_ch_enc, grid, params):
    dec = GridDecoder(num_ch_enc)
    assert dec.grid_ch == grid
    state = {k: tuple(v.shape) for k, v in dec.state_dict().items()}
    assert state == _expected_decoder_keys(num_ch_enc)
    # index table spot checks (§11.1)
    assert dec.index['dispconv', 0] == 6
    assert dec.index['lateral', 1, 0] == 7 and dec.index['upconv', 1, 0] == 8
    assert [dec.index['lateral', 5, j] for j in range(3)] == [31, 32, 33]
    n = sum(p.numel() for p in dec.parameters())
    assert abs(n - params) < 1e3, n


def test_grid_decoder_init_and_more_scales():
    torch.manual_seed(0)
    dec = GridDecoder(HRNET_CH)
    prelus = [m for m in dec.modules() if isinstance(m, torch.nn.PReLU)]
    assert all(float(p.weight.detach()) == 0.25 for p in prelus)
    convs = [m for m in dec.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all((c.bias == 0).all() for c in convs)
    weights = torch.cat([c.weight.detach().flatten() for c in convs])
    assert abs(weights.std().item() - 0.02) < 1e-3  # trunc_normal std 0.02
    # num_scales = 2: dispconv(1) is inserted after level 1 (index 13)
    dec2 = GridDecoder(HRNET_CH, scales=(0, 1))
    assert dec2.index['dispconv', 1] == 13 and len(dec2.decoder) == 35
    feats = [torch.rand(1, c, 32 // 2**i, 64 // 2**i)
             for i, c in enumerate([64] + HRNET_CH)]
    out = dec2(feats)
    assert out[0].shape == (1, 1, 32, 64) and out[1].shape == (1, 1, 16, 32)
    assert ((out[0] > 0) & (out[0] < 1)).all()
    with pytest.raises(ValueError, match='6 features'):
        dec2(feats[1:])
    with pytest.raises(ValueError, match='5 encoder entries'):
        GridDecoder([64] + HRNET_CH)


def test_hrnet_encoder_shapes_and_keys():
    enc = HRNetEncoder()
    assert enc.num_ch_enc == HRNET_CH
    feats = enc(torch.rand(2, 3, 64, 128))
    assert [tuple(f.shape[1:]) for f in feats] == [
        (64, 64, 128), (64, 32, 64), (18, 16, 32), (36, 8, 16),
        (72, 4, 8), (144, 2, 4)]
    out = GridDecoder(enc.num_ch_enc)(feats)
    assert out[0].shape == (2, 1, 64, 128)
    keys = set(enc.state_dict())
    # §11.2: HRNet keys under `encoder.` plus the context branch
    assert enc.state_dict()['context_conv.weight'].shape == (64, 3, 3, 3)
    for key in ('encoder.conv1.weight', 'encoder.bn2.running_var',
                'encoder.layer1.0.downsample.0.weight',
                'encoder.layer1.3.bn3.weight',
                'encoder.transition1.0.0.weight',
                'encoder.transition1.1.0.1.weight',
                'encoder.transition2.2.0.0.weight',
                'encoder.transition3.3.0.1.running_mean',
                'encoder.stage2.0.branches.1.3.conv2.weight',
                'encoder.stage3.3.fuse_layers.0.2.1.weight',
                'encoder.stage4.2.fuse_layers.3.0.2.0.weight',
                'encoder.stage4.2.fuse_layers.3.2.0.1.bias',
                'context_bn.num_batches_tracked'):
        assert key in keys, key
    assert not any(k.startswith(('encoder.incre', 'encoder.downsamp',
                                 'encoder.final', 'encoder.classifier'))
                   for k in keys)
    assert not any('transition2.0' in k or 'transition2.1' in k
                   for k in keys)
    # fuse j < i: intermediate convs keep C_j (stride 2, BN + ReLU)
    sd = enc.state_dict()
    assert sd['encoder.stage4.0.fuse_layers.3.0.0.0.weight'].shape == \
        (18, 18, 3, 3)
    assert sd['encoder.stage4.0.fuse_layers.3.0.2.0.weight'].shape == \
        (144, 18, 3, 3)
    assert sd['encoder.stage4.0.fuse_layers.0.3.0.weight'].shape == \
        (18, 144, 1, 1)
    assert torch.equal(sd['context_conv.weight'], sd['encoder.conv1.weight'])


def _fake_imagenet(enc, path, extra=True, wrap=False):
    torch.manual_seed(1)
    state = {k[len('encoder.'):]: torch.randn_like(v.float()).to(v.dtype)
             for k, v in enc.state_dict().items() if k.startswith('encoder.')}
    if extra:  # classification head: ignored explicitly
        state['classifier.weight'] = torch.zeros(1000, 2048)
        state['final_layer.0.weight'] = torch.zeros(2048, 1024, 1, 1)
        state['incre_modules.0.0.conv1.weight'] = torch.zeros(32, 18, 1, 1)
    torch.save({'state_dict': state} if wrap else state, path)
    return state


def test_hrnet_pretrained_loading(tmp_path):
    enc = HRNetEncoder(pretrained=str(tmp_path / 'hrnet.pth'))
    state = _fake_imagenet(enc, tmp_path / 'hrnet.pth', wrap=True)
    enc.init_weights()
    sd = enc.state_dict()
    assert torch.equal(sd['encoder.stage3.1.branches.2.0.conv1.weight'],
                       state['stage3.1.branches.2.0.conv1.weight'])
    # Q14: context weights cloned, running stats fresh
    assert torch.equal(sd['context_conv.weight'], state['conv1.weight'])
    assert torch.equal(sd['context_bn.weight'], state['bn1.weight'])
    assert torch.equal(sd['context_bn.running_mean'], torch.zeros(64))
    assert not torch.equal(sd['encoder.bn1.running_mean'], torch.zeros(64))


def test_hrnet_pretrained_errors(tmp_path):
    missing = tmp_path / 'nope.pth.tar'
    with pytest.raises(FileNotFoundError, match='nope.pth.tar') as err:
        HRNetEncoder(pretrained=str(missing)).init_weights()
    assert 'HRNet_W18_C_cosinelr_cutmix_300epoch' in str(err.value)
    enc = HRNetEncoder(pretrained=str(tmp_path / 'bad.pth'))
    state = _fake_imagenet(enc, tmp_path / 'bad.pth')
    del state['layer1.0.conv1.weight']
    state['foo.weight'] = torch.zeros(1)
    torch.save(state, tmp_path / 'bad.pth')
    with pytest.raises(RuntimeError, match='bad.pth') as err:
        enc.init_weights()
    assert 'layer1.0.conv1.weight' in str(err.value)
    assert 'foo.weight' in str(err.value)
    with pytest.raises(ValueError, match='local path'):
        HRNetEncoder(pretrained='imagenet')


def test_context_resnet_encoder(tmp_path):
    enc = ContextResnetEncoder(pretrained=None)
    assert enc.num_ch_enc == RESNET_CH
    feats = enc(torch.rand(1, 3, 64, 128))
    assert [tuple(f.shape[1:]) for f in feats] == [
        (64, 64, 128), (64, 32, 64), (64, 16, 32), (128, 8, 16),
        (256, 4, 8), (512, 2, 4)]
    sd = enc.state_dict()
    assert sd['conv1.weight'].shape == (64, 3, 7, 7)
    assert {'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var',
            'bn1.num_batches_tracked', 'encoder.fc.weight'} <= set(sd)
    # ImageNet-style file: the context branch is cloned from it
    torch.manual_seed(2)
    state = {k[len('encoder.'):]: torch.randn_like(v.float()).to(v.dtype)
             for k, v in sd.items() if k.startswith('encoder.')}
    torch.save(state, tmp_path / 'r18.pth')
    enc = ContextResnetEncoder(pretrained=str(tmp_path / 'r18.pth'))
    enc.init_weights()
    sd = enc.state_dict()
    assert torch.equal(sd['conv1.weight'], state['conv1.weight'])
    assert torch.equal(sd['bn1.bias'], state['bn1.bias'])
    assert torch.equal(sd['bn1.running_var'], torch.ones(64))
