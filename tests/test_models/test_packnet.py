"""PackNet-SfM networks (packnet spec §1): the layers of packnet.npz and the
whole PackNet01 / PoseNet of packnet_net.npz, with the original weights
loaded strictly and run in float64."""
import numpy as np
import pytest
import torch
from torch import nn

from depthseg.models.backbones import PackNet01, PackNetSlim01
from depthseg.models.backbones.packnet_layers import (Conv2D, InvDepth,
                                                      PackLayerConv3d,
                                                      ResidualBlock,
                                                      ResidualConv,
                                                      UnpackLayerConv3d,
                                                      packing)
from depthseg.models.pose_nets import PackNetPoseNet
from depthseg.models.utils.packnet_geometry import pose_vec_to_matrix
from depthseg.registry import MODELS
from depthseg.testing import load_fixture
from depthseg.utils import register_all_modules
from depthseg.testing.tools import load_tool

register_all_modules()
RTOL, ATOL = 1e-10, 1e-12  # layers (fixtures README, packnet.npz)
NET_RTOL = 1e-9  # whole networks in float64 (packnet_net.npz)


def weights(ins):
    """The ``w_<key>`` inputs as a float64 state dict, in stored order."""
    return {k[2:]: torch.from_numpy(v).double()
            for k, v in ins.items() if k.startswith('w_')}


def load_original(module, ins, outs):
    """Strictly load the fixture weights into a float64 eval-mode module
    after checking the state-dict key order against the fixture."""
    assert list(module.state_dict()) == list(outs['state_dict_keys'])
    module = module.double()
    module.load_state_dict(weights(ins), strict=True)
    return module.eval()


def check(outs, got, rtol=RTOL, atol=ATOL):
    """Compare every fixture output with ``got`` (same key set)."""
    assert set(got) == set(outs), sorted(set(outs) ^ set(got))
    for key, value in got.items():
        expected = outs[key]
        if isinstance(value, torch.Tensor):
            value = value.detach().numpy()
        if expected.dtype.kind in 'iuUb':
            np.testing.assert_array_equal(np.asarray(value), expected,
                                          err_msg=key)
        else:
            assert np.shape(value) == expected.shape, key
            np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol,
                                       err_msg=key)


def n_params(module):
    return sum(p.numel() for p in module.parameters())


# ------------------------------------------------------------------ layers
def test_packing_fixture():
    ins, outs = load_fixture('packnet', 'packing')
    x = torch.from_numpy(ins['x'])
    packed = packing(x)
    check(outs, dict(packed=packed,
                     pixel_shuffle_of_packed=nn.PixelShuffle(2)(packed)),
          rtol=0, atol=0)
    assert torch.equal(torch.nn.functional.pixel_unshuffle(x, 2), packed)
    with pytest.raises(ValueError, match='divisible'):
        packing(torch.zeros(1, 1, 3, 4))


LAYERS = {
    'Conv2D': lambda: Conv2D(3, 16, 5, 1),
    'Conv2D_k3_s2': lambda: Conv2D(16, 32, 3, 2),
    'ResidualConv': lambda: ResidualConv(16, 32, 1),
    'ResidualConv_dropout': lambda: ResidualConv(16, 32, 1, dropout=0.5),
    'ResidualBlock': lambda: ResidualBlock(16, 32, 2, 1),
    'InvDepth': lambda: InvDepth(16),
    'PackLayerConv3d': lambda: PackLayerConv3d(16, 3, d=8),
    'PackLayerConv3d_k5_d4': lambda: PackLayerConv3d(16, 5, d=4),
    'UnpackLayerConv3d': lambda: UnpackLayerConv3d(32, 32, 3, d=8),
    'UnpackLayerConv3d_d4': lambda: UnpackLayerConv3d(32, 32, 3, d=4),
}


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_layer_fixture(name):
    ins, outs = load_fixture('packnet', name)
    module = load_original(LAYERS[name](), ins, outs)
    with torch.no_grad():
        out = module(torch.from_numpy(ins['x']).double())
    check(outs, dict(out=out, state_dict_keys=list(module.state_dict())))


def test_inv_depth_range():
    layer = InvDepth(16).double()
    out = layer(100 * torch.randn(1, 16, 4, 4, dtype=torch.float64))
    assert out.min() >= 0 and out.max() <= 2


def test_unpack_rejects_bad_width():
    with pytest.raises(ValueError, match='divisible'):
        UnpackLayerConv3d(32, 6, 3, d=8)


# --------------------------------------------------------------- PackNet01
@pytest.fixture(scope='module')
def packnet01():
    """PackNet01-1A with the fixture's 216 tensors, float64 (built on the
    meta device to skip the 128 M-parameter random init)."""
    ins, outs = load_fixture('packnet_net', 'PackNet01')
    with torch.device('meta'):
        net = PackNet01()
    assert list(net.state_dict()) == list(outs['state_dict_keys'])
    net = net.to_empty(device='cpu').double()
    net.load_state_dict(weights(ins), strict=True)
    return net, ins, outs


def test_packnet01_fixture(packnet01):
    net, ins, outs = packnet01
    rgb = torch.from_numpy(ins['rgb']).double()
    with torch.no_grad():
        train = net.train()(rgb)['inv_depths']
        evaluated = net.eval()(rgb)['inv_depths']
    assert isinstance(train, list) and len(train) == 4
    # quirk Q1 fixed: a one-element list (legacy flag: test below)
    assert isinstance(evaluated, list) and len(evaluated) == 1
    got = {f'inv_depths_s{i}': d for i, d in enumerate(train)}
    got.update(inv_depth_eval=evaluated[0],
               state_dict_keys=list(net.state_dict()),
               num_params=n_params(net))
    check(outs, got, rtol=NET_RTOL, atol=0)
    assert [tuple(d.shape[-2:]) for d in train] == [(32, 96), (16, 48),
                                                   (8, 24), (4, 12)]


def tiny_packnet(**kwargs):
    """The PackNet graph with narrow widths (fast; the doubling from n2 on
    keeps version B's additive skips consistent, as in PackNet01)."""
    from depthseg.models.backbones.packnet import PackNetBase
    torch.manual_seed(0)
    return PackNetBase(widths=(16, 16, 16, 32, 64, 128), d=4,
                       **kwargs).double()


@pytest.mark.parametrize('version', ['1A', '1B'])
def test_eval_output_and_pass_through_decoder(version):
    """Eval: a one-element list, or with ``legacy_eval_output`` the
    original's bare tensor (quirk Q1); the estimator's PassThroughDecoder
    turns either into ``{scale: inverse depth}``."""
    net = tiny_packnet(version=version)
    decoder = MODELS.build(dict(type='PassThroughDecoder', num_ch_enc=None))
    assert n_params(decoder) == 0 and not decoder.state_dict()
    rgb = torch.rand(2, 3, 32, 64, dtype=torch.float64)
    with torch.no_grad():
        train = net.train()(rgb)
        evaluated = net.eval()(rgb)
        net.legacy_eval_output = True
        legacy = net(rgb)
    assert isinstance(legacy['inv_depths'], torch.Tensor)
    assert torch.equal(legacy['inv_depths'], evaluated['inv_depths'][0])
    torch.testing.assert_close(evaluated['inv_depths'][0],
                               train['inv_depths'][0], rtol=0, atol=0)
    disp = decoder(train)
    assert sorted(disp) == [0, 1, 2, 3]
    assert all(disp[s] is train['inv_depths'][s] for s in range(4))
    assert [tuple(disp[s].shape) for s in range(4)] == [
        (2, 1, 32 // 2**s, 64 // 2**s) for s in range(4)]
    for out in (evaluated, legacy):
        disp = decoder(out)
        assert sorted(disp) == [0] and disp[0].shape == (2, 1, 32, 64)
    assert 0 < float(disp[0].min()) and float(disp[0].max()) < 2
    with pytest.raises(KeyError, match='inv_depths'):
        decoder(dict(depth=disp[0]))
    with pytest.raises(TypeError):
        decoder([])


def test_packnet01_rejects_bad_input():
    with torch.device('meta'):
        with pytest.raises(ValueError, match='version'):
            PackNet01(version='1C')
        net = PackNet01()
    with pytest.raises(ValueError, match='divisible by 32'):
        net(torch.zeros(1, 3, 48, 48, device='meta'))


# --------------------------------------------------- layouts of every model
LAYOUTS = {
    'PackNet01_1A': lambda dropout: PackNet01(),
    'PackNet01_1A_dropout': lambda dropout: PackNet01(dropout=dropout),
    'PackNet01_1B': lambda dropout: PackNet01(version='1B'),
    'PackNetSlim01_1A': lambda dropout: PackNetSlim01(),
    'PoseNet': lambda dropout: PackNetPoseNet(nb_ref_imgs=2),
}


@pytest.fixture(scope='module')
def layouts():
    ins, outs = load_fixture('packnet_net', 'state_dict_layout')
    return ins, outs


@pytest.mark.parametrize('name', sorted(LAYOUTS))
def test_state_dict_layout(layouts, name):
    ins, outs = layouts
    with torch.device('meta'):
        model = LAYOUTS[name](float(ins['dropout']))
    state = model.state_dict()
    shapes = np.full((len(state), 5), -1, dtype=np.int64)
    for i, v in enumerate(state.values()):
        shapes[i, :v.dim()] = v.shape
    got = {
        f'{name}_keys': list(state),
        f'{name}_shapes': shapes,
        f'{name}_num_params': n_params(model),
        f'{name}_num_buffers': len(list(model.buffers())),
    }
    mine = {k: v for k, v in outs.items() if k.startswith(name + '_')
            and k[len(name) + 1:] in ('keys', 'shapes', 'num_params',
                                      'num_buffers')}
    check(mine, got)


def test_state_dict_layout_covers_every_output(layouts):
    _, outs = layouts
    covered = {f'{n}_{s}' for n in LAYOUTS
               for s in ('keys', 'shapes', 'num_params', 'num_buffers')}
    assert set(outs) == covered


def test_param_counts_of_the_spec():
    with torch.device('meta'):
        assert n_params(PackNet01()) == 128_294_020
        assert n_params(PackNet01(version='1B')) == 124_164_580
        assert n_params(PackNetSlim01()) == 76_997_796
        assert n_params(PackNetPoseNet()) == 1_592_684
        assert len(PackNet01().state_dict()) == 216
        assert len(PackNetPoseNet().state_dict()) == 30


def test_init_is_xavier_with_zero_bias():
    net = PackNetPoseNet()
    assert all(float(m.bias.detach().abs().max()) == 0 for m in net.modules()
               if isinstance(m, nn.Conv2d))
    assert torch.all(net.conv1[1].weight == 1)


# ----------------------------------------------------------------- PoseNet
def test_posenet_fixture():
    ins, outs = load_fixture('packnet_net', 'PoseNet')
    net = load_original(PackNetPoseNet(nb_ref_imgs=2), ins, outs)
    image = torch.from_numpy(ins['image']).double()
    contexts = [torch.from_numpy(ins[f'context_{j}']).double()
                for j in range(2)]
    with torch.no_grad():
        pose = net.predict(image, contexts)
        # the depthseg contract: frames (0, -1, 1) -> contexts [t-1, t+1]
        by_frame = net(dict([(0, image), (-1, contexts[0]),
                             (1, contexts[1])]), [0, -1, 1])
    assert torch.equal(by_frame[-1]['vec'], pose[:, 0])
    assert torch.equal(by_frame[1]['vec'], pose[:, 1])
    assert net({0: image}, [0]) == {}
    check(outs, dict(pose=pose, Tcw_c0=net.to_matrix(by_frame[-1]),
                     Tcw_c1=pose_vec_to_matrix(pose[:, 1]),
                     state_dict_keys=list(net.state_dict()),
                     num_params=n_params(net)),
          rtol=NET_RTOL, atol=1e-15)


def test_posenet_checks_context_count():
    net = PackNetPoseNet(nb_ref_imgs=2)
    x = torch.zeros(1, 3, 64, 64)
    with pytest.raises(ValueError, match='nb_ref_imgs'):
        net.predict(x, [x])
    with pytest.raises(ValueError, match='rotation_mode'):
        PackNetPoseNet(rotation_mode='quat')


# ------------------------------------------------------ checkpoint converter
def converter():
    return load_tool('tools/model_converters/packnet_to_depthseg.py')


def test_converter_on_fixture_weights(packnet01):
    """§6.3 step 4: an original-style state dict (246 tensors) converts,
    loads strictly into the depthseg estimator and reproduces the original
    outputs."""
    from depthseg.utils.checkpoint import check_state_dict
    net, ins, outs = packnet01
    pose_ins, pose_outs = load_fixture('packnet_net', 'PoseNet')
    original = {'model.depth_net.' + k: v
                for k, v in net.state_dict().items()}
    original.update({'model.pose_net.' + k: v
                     for k, v in weights(pose_ins).items()})
    converted = converter().convert_packnet_state_dict(
        original, expected_tensors=246)
    assert list(converted) == (
        ['depth_encoder.' + k for k in outs['state_dict_keys']] +
        ['pose_net.' + k for k in pose_outs['state_dict_keys']])
    with torch.device('meta'):
        model = MODELS.build(
            dict(type='SelfSupDepthEstimator',
                 depth_encoder=dict(type='PackNet01', version='1A'),
                 depth_decoder=dict(type='PassThroughDecoder'),
                 pose_net=dict(type='PackNetPoseNet', nb_ref_imgs=2),
                 frame_ids=[0, -1, 1]))
    check_state_dict(model, converted, 'the converted fixture weights')
    model.load_state_dict(converted, strict=True, assign=True)
    rgb = torch.from_numpy(ins['rgb']).double()
    with torch.no_grad():
        disp = model.eval().extract_disp(rgb)
        images = {0: torch.from_numpy(pose_ins['image']).double(),
                  -1: torch.from_numpy(pose_ins['context_0']).double(),
                  1: torch.from_numpy(pose_ins['context_1']).double()}
        poses = model.pose_net(images, [0, -1, 1])
    np.testing.assert_allclose(disp[0].numpy(), outs['inv_depth_eval'],
                               rtol=NET_RTOL)
    for j, f in enumerate((-1, 1)):
        np.testing.assert_allclose(poses[f]['vec'].numpy(),
                                   pose_outs['pose'][:, j], rtol=NET_RTOL,
                                   atol=1e-15)


def test_converter_key_rules(layouts):
    conv = converter()
    _, outs = layouts
    # a dropout checkpoint maps onto the dropout-free layout
    dropout = {'model.depth_net.' + k: 0
               for k in outs['PackNet01_1A_dropout_keys']}
    assert list(conv.convert_packnet_state_dict(dropout)) == [
        'depth_encoder.' + k for k in outs['PackNet01_1A_keys']]
    # legacy .pth.tar names (quirk Q31)
    legacy = {
        'disp_network.conv2.0.conv3.0.weight': 1,
        'disp_network.conv3.0.conv1.conv_base.weight': 2,
        'model.model.pose_network.conv1.0.weight': 3,
        'model.pose_net.pose_pred.bias': 4,
    }
    assert conv.convert_packnet_state_dict(legacy) == {
        'depth_encoder.conv2.0.conv3.weight': 1,
        'depth_encoder.conv3.0.conv1.conv_base.weight': 2,
        'pose_net.conv1.0.weight': 3,
        'pose_net.pose_pred.bias': 4,
    }
    with pytest.raises(ValueError, match='neither'):
        conv.convert_packnet_state_dict({'model.loss.x': 0})
    with pytest.raises(ValueError, match='map to'):
        conv.convert_packnet_state_dict({
            'model.depth_net.conv2.0.conv3.weight': 0,
            'model.depth_net.conv2.0.conv3.0.weight': 0})
    with pytest.raises(ValueError, match='246'):
        conv.convert_packnet_state_dict(legacy, expected_tensors=246)


def test_every_parameter_gets_a_gradient():
    """Spec §6.2: every parameter is used every step (no
    find_unused_parameters), here through the functional loss on a narrow
    PackNet graph."""
    from depthseg.models.losses.packnet_functional import (
        multiview_photometric_loss, upsample_inv_depths)
    net = tiny_packnet().float().train()
    pose_net = PackNetPoseNet().train()
    rgb = torch.rand(2, 3, 32, 64)
    contexts = [torch.rand(2, 3, 32, 64) for _ in range(2)]
    inv = upsample_inv_depths(net(rgb)['inv_depths'])
    vecs = pose_net.predict(rgb, contexts)
    K = torch.tensor([[40., 0, 32], [0, 40, 16], [0, 0, 1]]).expand(2, 3, 3)
    out = multiview_photometric_loss(rgb, contexts, inv, K,
                                     [vecs[:, 0], vecs[:, 1]])
    out['loss'].sum().backward()
    for name, p in [*net.named_parameters(), *pose_net.named_parameters()]:
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
