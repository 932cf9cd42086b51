"""FUMET's extra depth networks: HR-Depth, Lite-Mono, VADepth (spec §5)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from depthseg.registry import DATASETS, MODELS
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()
MODELS_DIR = Path(__file__).resolve().parents[2] / 'configs/_base_/models'
R18_CH = [64, 64, 128, 256, 512]
R50_CH = [64, 256, 512, 1024, 2048]
H, W = 64, 192  # HR-Depth / VADepth
LM_H, LM_W = 192, 640  # the smallest size Lite-Mono supports


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def check_disps(out, scales, h, w, batch=1):
    assert sorted(out) == sorted(scales)
    for s, disp in out.items():
        assert disp.shape == (batch, 1, h // 2**s, w // 2**s)
        assert disp.min() > 0 and disp.max() < 1


def roundtrip(cfg, img):
    """Weights of one random instance loaded into another (strictly) give
    the same outputs."""
    torch.manual_seed(1)
    src = MODELS.build(cfg).eval()
    torch.manual_seed(2)
    dst = MODELS.build(cfg).eval()
    dst.load_state_dict(src.state_dict())
    with torch.no_grad():
        a, b = src(img), dst(img)
    if isinstance(a, dict):
        a, b = list(a.values()), list(b.values())
    for x, y in zip(a, b):
        assert torch.equal(x, y)


# ---------------------------------------------------------------- HR-Depth
def test_hr_depth_decoder():
    torch.manual_seed(0)
    enc = MODELS.build(dict(type='ResnetEncoder', depth=18, pretrained=None))
    dec = MODELS.build(dict(type='HRDepthDecoder', num_ch_enc=R18_CH))
    with torch.no_grad():
        check_disps(dec(enc(torch.rand(1, 3, H, W))), [0, 1, 2, 3], H, W)
    # original key layout: convs ModuleDict + the same modules in `decoder`
    sd = dec.state_dict()
    assert sd['convs.X_04_attention.conv_se.weight'].shape == (32, 192, 1, 1)
    assert sd['convs.X_31_attention.fc.0.weight'].shape == (32, 512)
    assert sd['convs.X_02_downsample.conv.weight'].shape == (64, 128, 1, 1)
    assert sd['convs.X_04_Conv_1.conv.conv.weight'].shape == (16, 16, 3, 3)
    assert sd['convs.dispConvScale3.conv.weight'].shape == (1, 128, 3, 3)
    assert len(dec.decoder) == len(dec.convs) == 33
    # `decoder` lists the modules of `convs` in order (the original's
    # ModuleList(list(convs.values()))): the same weights under two keys
    assert all(m is c for m, c in zip(dec.decoder, dec.convs.values()))
    assert torch.equal(sd['decoder.0.conv.conv.weight'],
                       sd['convs.X_00_Conv_0.conv.conv.weight'])
    assert len(sd) == 2 * len([k for k in sd if k.startswith('convs.')])
    # the original's unused X_0j_Conv_0 blocks are frozen
    assert not dec.convs['X_00_Conv_0'].conv.conv.weight.requires_grad
    assert dec.convs['X_10_Conv_0'].conv.conv.weight.requires_grad
    # subset of scales; ResNet50 channels work too
    dec50 = MODELS.build(dict(type='HRDepthDecoder', num_ch_enc=R50_CH,
                              scales=(0, 2)))
    feats = [torch.rand(1, c, H // 2**(i + 1), W // 2**(i + 1))
             for i, c in enumerate(R50_CH)]
    with torch.no_grad():
        check_disps(dec50(feats), [0, 2], H, W)
    with pytest.raises(ValueError, match='scales must be in 0..3'):
        MODELS.build(dict(type='HRDepthDecoder', num_ch_enc=R18_CH,
                          scales=(0, 4)))
    roundtrip(dict(type='HRDepthDecoder', num_ch_enc=R18_CH),
              enc(torch.rand(1, 3, H, W)))
    print(f'\nHRDepthDecoder(R18) params: {n_params(dec):,}; '
          f'(R50): {n_params(dec50):,}')
    assert 2.8e6 < n_params(dec) < 3.1e6


# ---------------------------------------------------------------- Lite-Mono
def test_lite_mono():
    torch.manual_seed(0)
    enc = MODELS.build(dict(type='LiteMono'))
    dec = MODELS.build(dict(type='LiteMonoDecoder',
                            num_ch_enc=enc.num_ch_enc))
    assert enc.num_ch_enc == [48, 80, 128]
    enc.eval()
    with torch.no_grad():
        feats = enc(torch.rand(1, 3, LM_H, LM_W))
        assert [f.shape[1:] for f in feats] == [(48, 48, 160), (80, 24, 80),
                                               (128, 12, 40)]
        check_disps(dec(feats), [0, 1, 2], LM_H, LM_W)
    sd = enc.state_dict()
    for key, shape in {
            'downsample_layers.0.0.conv.weight': (48, 3, 3, 3),
            'downsample_layers.0.2.bn_gelu.bn.weight': (48, ),
            'stem2.0.conv.weight': (48, 51, 3, 3),
            'downsample_layers.2.0.conv.weight': (128, 163, 3, 3),
            'stages.0.0.ddwconv.conv.weight': (48, 1, 3, 3),
            'stages.0.3.pos_embd.token_projection.weight': (48, 64, 1, 1),
            'stages.2.9.xca.temperature': (8, 1, 1),
            'stages.2.9.xca.qkv.bias': (384, ),
            'stages.2.8.gamma': (128, ),
    }.items():
        assert sd[key].shape == shape, key
    assert 'stages.1.3.pos_embd.token_projection.weight' not in sd
    assert enc.stages[2][8].ddwconv.conv.dilation == (6, 6)
    assert len(enc.stages[2]) == 10
    assert list(dec.state_dict())[-2:] == ['decoder.8.conv.weight',
                                           'decoder.8.conv.bias']
    n_enc, n_dec = n_params(enc), n_params(dec)
    print(f'\nLiteMono params: encoder {n_enc:,} + decoder {n_dec:,} = '
          f'{n_enc + n_dec:,}')
    assert 3.0e6 < n_enc + n_dec < 3.2e6
    roundtrip(dict(type='LiteMonoDecoder', num_ch_enc=[48, 80, 128]), feats)


def test_lite_mono_sizes_and_pretrained(tmp_path):
    with pytest.raises(ValueError) as err:
        MODELS.build(dict(type='LiteMono', height=96, width=320))
    msg = str(err.value)
    for part in ('96x320', '192x640', '320x1024',
                 'model.depth_encoder.height', 'model.depth_encoder.width'):
        assert part in msg
    enc = MODELS.build(dict(type='LiteMono', height=320, width=1024))
    assert enc.dilation[2] == [1, 2, 5, 1, 2, 5, 2, 4, 10]
    with pytest.raises(ValueError, match='scales must be in 0..2'):
        MODELS.build(dict(type='LiteMonoDecoder', num_ch_enc=[48, 80, 128],
                          scales=(0, 1, 2, 3)))
    # pretrained: missing file, then FUMET's rule ('model' key, no 'norm*')
    missing = tmp_path / 'none.pth'
    enc = MODELS.build(dict(type='LiteMono', pretrained=str(missing)))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        enc.init_weights()
    torch.manual_seed(3)
    src = MODELS.build(dict(type='LiteMono', drop_path_rate=0.))
    state = dict(src.state_dict(), **{'norm.weight': torch.ones(3),
                                      'head.weight': torch.ones(2)})
    torch.save({'model': state}, tmp_path / 'lm.pth')
    enc = MODELS.build(dict(type='LiteMono',
                            pretrained=str(tmp_path / 'lm.pth')))
    enc.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(enc.state_dict()[k], v), k


# ---------------------------------------------------------------- VADepth
def test_vadepth():
    torch.manual_seed(0)
    enc = MODELS.build(dict(type='VANEncoder', size='small'))
    dec = MODELS.build(dict(type='VADepthDecoder',
                            num_ch_enc=enc.num_ch_enc))
    assert enc.num_ch_enc == [64, 128, 320, 512]
    with torch.no_grad():
        feats = enc(torch.rand(1, 3, H, W))
        assert [f.shape[1:] for f in feats] == [(64, 16, 48), (128, 8, 24),
                                               (320, 4, 12), (512, 2, 6)]
        check_disps(dec(feats), [0, 1, 2, 3], H, W)
    sd = enc.state_dict()
    for key, shape in {
            'encoder.patch_embed1.proj.weight': (64, 3, 7, 7),
            'encoder.patch_embed4.proj.weight': (512, 320, 3, 3),
            'encoder.block1.0.attn.spatial_gating_unit.conv_spatial.weight':
            (64, 1, 7, 7),
            'encoder.block3.3.mlp.dwconv.dwconv.weight': (1280, 1, 3, 3),
            'encoder.block4.1.layer_scale_2': (512, ),
            'encoder.norm4.weight': (512, ),
    }.items():
        assert sd[key].shape == shape, key
    assert 'encoder.block3.4.norm1.weight' not in sd  # depths 2, 2, 4, 2
    dsd = dec.state_dict()
    for key, shape in {
            'decoder.0.conv5a.0.weight': (128, 512, 3, 3),
            'decoder.0.sa.query_conv.weight': (16, 128, 1, 1),
            'decoder.0.sc.gamma': (1, ),
            'decoder.0.conv8.1.weight': (320, 128, 1, 1),
            'decoder.1.conv1.weight': (1, 2, 7, 7),  # sa(4)
            'decoder.3.conv3.weight': (320, 640, 3, 3),  # upconv(4, 1)
            'decoder.6.conv3.weight': (128, 256, 3, 3),  # upconv(3, 1)
            'decoder.13.fc.0.weight': (4, 16),  # upconv(0, 1)
            'decoder.14.conv.weight': (1, 128, 3, 3),  # dispconv(3)
            'decoder.17.conv.weight': (1, 16, 3, 3),  # dispconv(0)
    }.items():
        assert dsd[key].shape == shape, key
    assert len(dec.decoder) == 18
    assert not dec.decoder[0].conv6[1].weight.requires_grad
    n_enc, n_dec = n_params(enc), n_params(dec)
    print(f'\nVANEncoder(small) params: {n_enc:,}; VADepthDecoder: '
          f'{n_dec:,}')
    assert 13.2e6 < n_enc < 13.5e6  # VAN-small is 13.9M with its head
    roundtrip(dict(type='VADepthDecoder', num_ch_enc=enc.num_ch_enc), feats)


def test_van_pretrained(tmp_path):
    missing = tmp_path / 'van_small_811.pth.tar'
    enc = MODELS.build(dict(type='VANEncoder', pretrained=str(missing)))
    with pytest.raises(FileNotFoundError) as err:
        enc.init_weights()
    msg = str(err.value)
    assert str(missing) in msg and 'pretrained=None' in msg
    assert 'huggingface.co' in msg
    # a VAN-authors-style file: 'state_dict' with the classifier head
    torch.manual_seed(4)
    src = MODELS.build(dict(type='VANEncoder', size='tiny'))
    state = dict(src.encoder.state_dict(), **{
        'head.weight': torch.zeros(1000, 256),
        'head.bias': torch.zeros(1000)
    })
    torch.save({'state_dict': state}, tmp_path / 'van.pth.tar')
    enc = MODELS.build(dict(type='VANEncoder', size='tiny',
                            pretrained=str(tmp_path / 'van.pth.tar')))
    enc.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(enc.state_dict()[k], v), k
    # a file of another architecture is refused with the key listing
    torch.save({'state_dict': state}, tmp_path / 'wrong.pth.tar')
    enc = MODELS.build(dict(type='VANEncoder', size='small',
                            pretrained=str(tmp_path / 'wrong.pth.tar')))
    with pytest.raises(RuntimeError, match='do not match'):
        enc.init_weights()


def test_lite_mono_pose_decoder():
    torch.manual_seed(0)
    cfg = dict(type='ResnetPoseNet',
               encoder=dict(type='ResnetEncoder', depth=18,
                             num_input_images=2, pretrained=None),
               decoder=dict(type='LiteMonoPoseDecoder', num_input_features=1,
                            num_frames_to_predict_for=2))
    net = MODELS.build(cfg)
    ref = MODELS.build(dict(cfg, decoder=dict(cfg['decoder'],
                                              type='PoseDecoder')))
    assert {k: v.shape for k, v in net.state_dict().items()} == {
        k: v.shape for k, v in ref.state_dict().items()}
    for conv in net.decoder.net:
        assert conv.bias.abs().max() == 0
        # timm's/torch's trunc_normal_(std=.02) cuts at ±2 (absolute)
        assert abs(conv.weight.std().item() - 0.02) < 0.002
    images = {f: torch.rand(1, 3, H, W) for f in (0, -1, 1)}
    poses = net(images, [0, -1, 1])
    assert poses[-1]['axisangle'].shape == (1, 1, 3)
    assert poses[1]['translation'].shape == (1, 1, 3)
    assert net.to_matrix(poses[1]).shape == (1, 4, 4)


# ------------------------------------------- plugged into the estimator
def batch(tmp_path, h, w, size=1):
    tree = make_kitti_raw_tree(str(tmp_path), size=(h, w))
    ds = DATASETS.build(dict(
        type='KittiRawDataset', data_root=tree['root'],
        ann_file=tree['train'], frame_ids=[0, -1, 1],
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='ResizePyramid', height=h, width=w, num_scales=4),
            dict(type='PackDepthInputs')
        ]))
    return pseudo_collate([ds[i] for i in range(size)])


@pytest.mark.parametrize('cfg_name,h,w', [('hrdepth_r18.py', H, W),
                                          ('vadepth.py', H, W),
                                          ('litemono.py', LM_H, LM_W)])
def test_estimator_loss(tmp_path, cfg_name, h, w):
    cfg = Config.fromfile(str(MODELS_DIR / cfg_name)).model
    cfg.depth_encoder.pretrained = None
    cfg.pose_net.encoder.pretrained = None
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    data = model.data_preprocessor(batch(tmp_path, h, w), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_photometric', 'loss_smooth'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in model.depth_encoder.parameters()
             if p.requires_grad]
    assert all(g is not None for g in grads)
    assert model.pose_net.decoder.net[-1].weight.grad.abs().sum() > 0
    # frozen legacy modules get no gradient, trainable ones all do
    for name, p in model.depth_decoder.named_parameters():
        assert (p.grad is not None) == p.requires_grad, name
    model.eval()
    with torch.no_grad():
        disp = model(**data, mode='tensor')
    check_disps(disp, cfg.scales, h, w)
