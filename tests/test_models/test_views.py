"""BDEdepth views (splitting-permuting, resizing-cropping), the consistency
loss and the estimator with views, against the original's values."""
from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

from depthseg.datasets.transforms import (ColorJitter, PackDepthInputs,
                                          PatchReshuffle, ResizeCrop)
from depthseg.datasets.transforms.views import _uniform
from depthseg.models.estimators import DepthContext, SelfSupDepthEstimator
from depthseg.models.losses import (PhotometricLoss, SmoothnessLoss,
                                    ViewConsistencyLoss, si_log_loss)
from depthseg.models.utils.geometry import (disp_to_depth,
                                            transformation_from_parameters)
from depthseg.models.views import (PatchReshuffleView, ResizeCropView,
                                   conjugate_pose, crop_rectification,
                                   crop_window, reshuffle, restore_reshuffled)
from depthseg.registry import DATASETS, MODELS
from depthseg.testing import load_fixture
from depthseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
EXACT = dict(rtol=0, atol=0)
TOL = dict(rtol=1e-9, atol=1e-12)


def T(a):
    a = np.asarray(a)
    if a.dtype == np.float32 and a.ndim > 1:
        a = a.astype(np.float64)
    return torch.from_numpy(a)


def chw(img):
    """uint8 H×W×3 -> float32 3×H×W in [0, 1] (the dataset's tensors)."""
    return img.transpose(2, 0, 1).astype(np.float32) / 255


# --- dataset side -----------------------------------------------------------

def test_patch_reshuffle_dataset():
    i, o = load_fixture('bdedepth', 'patch_reshuffle')
    transform = PatchReshuffle()
    height, width = i['image'].shape[1:3]
    for b, draws in enumerate(i['draws']):
        res = transform.transform({'color': {0: [i['image'][b]]}},
                                  draws=draws)
        view = res['views']['reshuffle']
        # the un-augmented target as the dataset packs it
        np.testing.assert_array_equal(chw(res['color'][0][0]), o['color'][b])
        np.testing.assert_array_equal(chw(view['color'][0][0]),
                                      o['color_reshuffle'][b])
        np.testing.assert_array_equal(view['split_xy'], o['split_xy'][b])
        assert view['split_xy'].dtype == np.int64
        # the split fractions (0.1 + 0.8·draw) and strip sizes behind it
        ratio = [_uniform(d, transform.split_ratio) for d in draws]
        np.testing.assert_allclose(ratio, [o['ratio_x'][b], o['ratio_y'][b]],
                                   rtol=1e-10, atol=1e-12)
        split_x, split_y = view['split_xy']
        assert (width - split_x, height - split_y) == (o['w_i'][b],
                                                      o['h_i'][b])
        # the closed form: roll(−h_i, −w_i)
        np.testing.assert_array_equal(
            view['color'][0][0],
            np.roll(i['image'][b], (-o['h_i'][b], -o['w_i'][b]), (0, 1)))


def local_crop_results(img, size=(24, 80)):
    h, w = size
    color0 = np.array(img.resize((w, h), Image.Resampling.LANCZOS))
    return {'color': {0: [color0]}, 'imgs': {0: img}}


def test_resize_crop_dataset():
    i, o = load_fixture('bdedepth', 'local_crop')
    for b, draws in enumerate(i['draws']):
        res = local_crop_results(Image.fromarray(i['image'][b]))
        np.testing.assert_array_equal(chw(res['color'][0][0]), o['color'][b])
        res = ResizeCrop().transform(res, draws=draws)
        view, p = res['views']['local'], res['view_params']['local']
        np.testing.assert_array_equal(chw(view['color'][0][0]),
                                      o['color_local'][b])
        np.testing.assert_array_equal(view['grid_local'], o['grid_local'][b])
        assert view['grid_local'].dtype == np.float64
        np.testing.assert_array_equal(view['ratio_local'],
                                      o['ratio_local'][b])
        assert view['ratio_local'].dtype == np.float32
        assert p['ratio'] == o['resize_ratio'][b]
        assert (p['w0'], p['h0'], p['height_re'], p['width_re']) == (
            o['w0'][b], o['h0'][b], o['height_re'][b], o['width_re'][b])


def test_resize_crop_masks_and_pyramid():
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 255, (30, 100, 3), np.uint8))
    res = local_crop_results(img, (16, 48))
    res['color'][0] += [np.zeros((8, 24, 3), np.uint8)]
    road = np.zeros((16, 48), bool)
    road[8:] = True
    res['road'] = road  # a declared pixel map follows the crop
    res['field_kinds'] = dict(road=('pixel', 'nearest'))
    res = ResizeCrop().transform(res, draws=(0.5, 0.0, 1.0))
    view = res['views']['local']
    assert [lvl.shape for lvl in view['color'][0]] == [(16, 48, 3),
                                                       (8, 24, 3)]
    # zoom 1.6, bottom-left crop: the road covers the lower 3/4 of it
    assert view['road'].shape == (16, 48)
    assert view['road'][:4].sum() == 0 and view['road'][5:].all()


def test_color_jitter_views_and_pack():
    rng = np.random.default_rng(1)
    imgs = {f: Image.fromarray(rng.integers(0, 255, (30, 100, 3), np.uint8))
            for f in (0, -1, 1)}
    res = {'imgs': imgs, 'color': {
        f: [np.array(im.resize((80, 24), Image.Resampling.LANCZOS))]
        for f, im in imgs.items()}}
    res = ResizeCrop().transform(res)
    res = PatchReshuffle().transform(res)
    res = ColorJitter(prob=1.0, per_image=True).transform(res)
    assert res['color_jitter'] == 'per_image'
    local, resh = res['views']['local'], res['views']['reshuffle']
    assert sorted(local['color_aug']) == [-1, 0, 1]
    assert sorted(resh['color_aug']) == [0]
    # independent draws per image (Q1): the reshuffled view's jitter is
    # not the (reshuffled) jitter of the target
    w_i, h_i = 80 - resh['split_xy'][0], 24 - resh['split_xy'][1]
    assert not np.array_equal(
        resh['color_aug'][0],
        np.roll(res['color_aug'][0], (-h_i, -w_i), (0, 1)))
    packed = PackDepthInputs().transform(res)['inputs']['views']
    assert packed['local']['color'][0][0].shape == (3, 24, 80)
    assert packed['local']['grid_local'].dtype == torch.float64
    assert packed['reshuffle']['split_xy'].dtype == torch.int64


# --- model side -------------------------------------------------------------

def test_restore_reshuffled_disp():
    i, o = load_fixture('bdedepth', 'restore_reshuffled_disp')
    for s in (0, 1):  # scale 1 pins down the half-to-even rounding (Q5)
        got = restore_reshuffled(T(i[f'disp_reshuffle_s{s}']),
                                 T(i['split_xy']), s)
        np.testing.assert_array_equal(got.numpy(), o[f'disp_restored_s{s}'])


def test_reshuffle_inverse_is_identity():
    x = torch.rand(3, 2, 24, 80, dtype=torch.float64)
    split = torch.tensor([[53, 11], [72, 3], [8, 20]])
    np.testing.assert_array_equal(
        restore_reshuffled(reshuffle(x, split), split).numpy(), x.numpy())
    np.testing.assert_array_equal(
        reshuffle(restore_reshuffled(x, split), split).numpy(), x.numpy())
    # the torch reshuffle is the dataset's
    i, o = load_fixture('bdedepth', 'patch_reshuffle')
    got = reshuffle(T(o['color']).float(), T(o['split_xy']))
    np.testing.assert_array_equal(got.numpy(), o['color_reshuffle'])


def test_si_log_loss():
    i, o = load_fixture('bdedepth', 'compute_SI_log_depth_loss')
    pred, target = T(i['pred']), T(i['target'])
    np.testing.assert_allclose(si_log_loss(pred, target).item(), o['loss'],
                               **TOL)
    np.testing.assert_allclose(
        si_log_loss(pred, target, mask=T(i['mask'])).item(),
        o['masked_loss'], **TOL)
    np.testing.assert_allclose(
        si_log_loss(T(i['pred_scaled']), target).item(), o['scaled_loss'],
        **TOL)
    # closed form 0.5·ln(1.7)² up to the 1e-8 epsilons
    np.testing.assert_allclose(o['scaled_loss'], 0.5 * np.log(1.7)**2,
                               rtol=1e-7)


def test_crop_pose_correction_closed_form():
    """Spec §14 #20: r = 1.6, w0 = 100, h0 = 50 at 640×192."""
    from depthseg.datasets.transforms import crop_grid
    H, W = 192, 640
    grid = torch.from_numpy(crop_grid(H, W, int(H * 1.6), int(W * 1.6), 50,
                                      100))[None]
    K = torch.tensor([[0.58 * W, 0, 0.5 * W, 0], [0, 1.92 * H, 0.5 * H, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float64)[None]
    Rc, _ = crop_rectification(grid, K, H, W)
    np.testing.assert_allclose(
        Rc[0].numpy(), [[1, 0, 0.155054], [0, 1, 0.012766],
                        [0, 0, 0.624633]], atol=1e-6)
    # f = (W − 1)/(W_r − 1)
    np.testing.assert_allclose(Rc[0, 2, 2].item(), (W - 1) / (1024 - 1),
                               rtol=1e-12)


def e2e_inputs(i):
    names = {0: '0', -1: 'm1', 1: 'p1'}
    color = {f: [T(i[f'color_{n}'])] for f, n in names.items()}
    local = {f: [T(i[f'color_local_{n}'])] for f, n in names.items()}
    views = dict(
        local=dict(color=local, color_aug={f: c[0] for f, c in local.items()},
                   grid_local=T(i['grid_local']),
                   ratio_local=torch.from_numpy(i['ratio_local'])),
        reshuffle=dict(color_aug={0: T(i['color_reshuffle_0'])},
                       split_xy=T(i['split_xy'])))
    inputs = dict(color=color, color_aug={0: color[0][0]}, K=[T(i['K'])],
                  inv_K=[T(i['inv_K'])], views=views,
                  automask_noise={0: T(i['noise_ori'])})
    poses = {
        f: transformation_from_parameters(T(i[f'axisangle_{n}']),
                                          T(i[f'translation_{n}']),
                                          invert=f < 0)
        for f, n in ((-1, 'm1'), (1, 'p1'))
    }
    return inputs, poses


def e2e_contexts():
    """The original's ``process_batch`` through depthseg's views/contexts."""
    from depthseg.models.estimators import ViewContext
    i, o = load_fixture('bdedepth', 'process_batch_e2e')
    inputs, poses = e2e_inputs(i)
    disp = {0: T(i['disp']).requires_grad_()}
    ctx = DepthContext(inputs, disp, [0, -1, 1], [0], pose_params=poses)
    raw = dict(local=T(i['disp_local']).requires_grad_(),
               reshuffle=T(i['disp_reshuffle']).requires_grad_())
    for view in (ResizeCropView(), PatchReshuffleView()):
        out = view(inputs)
        vctx = ViewContext(ctx, out, {0: raw[view.name]})
        vctx.inputs['automask_noise'] = {0: T(i[f'noise_{view.name}'])}
        ctx.views[view.name] = vctx
    return i, o, ctx, disp, raw


def test_process_batch_e2e_geometry():
    i, o, ctx, _, _ = e2e_contexts()
    local, resh = ctx.views['local'], ctx.views['reshuffle']
    # the views' depth-net inputs
    np.testing.assert_array_equal(local.view.image.numpy(),
                                  i['color_local_0'])
    np.testing.assert_array_equal(resh.view.image.numpy(),
                                  i['color_reshuffle_0'])
    # crop pose correction
    Rc, extra = crop_rectification(T(i['grid_local']), T(i['K']), 24, 80)
    np.testing.assert_allclose(Rc.numpy(), o['Rc_m1'], **TOL)
    np.testing.assert_allclose(Rc.numpy(), o['Rc_p1'], **TOL)
    for key, name in (('gx0', 'gx0'), ('gy0', 'gy0'), ('f', 'f_crop')):
        np.testing.assert_allclose(extra[key].numpy(), o[name], **TOL)
    for f, n in ((-1, 'm1'), (1, 'p1')):
        np.testing.assert_allclose(ctx.poses[f, 0].detach().numpy(),
                                   o[f'cam_T_cam_{n}'], **TOL)
        np.testing.assert_allclose(local.poses[f, 0].detach().numpy(),
                                   o[f'T_local_{n}'], **TOL)
        np.testing.assert_allclose(
            conjugate_pose(ctx.poses[f, 0], Rc).detach().numpy(),
            o[f'T_local_{n}'], **TOL)
        # the reshuffled view keeps the original geometry
        assert resh.poses[f, 0] is ctx.poses[f, 0]
        np.testing.assert_allclose(local.warped[f, 0].detach().numpy(),
                                   o[f'color_local_warped_{n}'], **TOL)
    np.testing.assert_allclose(ctx.warped[-1, 0].detach().numpy(),
                               o['color_warped_m1'], **TOL)
    np.testing.assert_allclose(resh.warped[-1, 0].detach().numpy(),
                               o['color_reshuffle_warped_m1'], **TOL)
    np.testing.assert_array_equal(resh.disp[0].detach().numpy(),
                                  o['disp_reshuffle_restored'])
    # the crop's window in the original frame and the mapped-back depths
    window = crop_window(T(i['grid_local']),
                         torch.from_numpy(i['ratio_local']), 24, 80)
    np.testing.assert_array_equal(window.numpy(), o['dc_crop_x0_y0_w_h'])
    pairs = local.view.map_back(local.disp[0], ctx.disp[0], 0)
    for b, (pred, target, factor) in enumerate(pairs):
        pred = disp_to_depth(pred, 0.1, 100)[1] * factor
        target = disp_to_depth(target, 0.1, 100)[1]
        np.testing.assert_allclose(pred.detach().numpy(),
                                   o[f'dc_depth_local_b{b}'], **TOL)
        np.testing.assert_allclose(target.detach().numpy(),
                                   o[f'dc_depth_from_ori_b{b}'], **TOL)


def test_process_batch_e2e_losses():
    i, o, ctx, disp, raw = e2e_contexts()
    model = SelfSupDepthEstimator.__new__(SelfSupDepthEstimator)
    torch.nn.Module.__init__(model)
    model.losses = torch.nn.ModuleList(
        [PhotometricLoss(), SmoothnessLoss(), ViewConsistencyLoss()])
    names = ['ori', 'local', 'reshuffle']
    model.loss_views = [
        SelfSupDepthEstimator._resolve_views(loss, None, names)
        for loss in model.losses
    ]
    terms = model.loss_terms(ctx)
    assert set(terms) == {
        'loss_photometric', 'loss_smooth', 'loss_photometric_local',
        'loss_smooth_local', 'loss_photometric_reshuffle',
        'loss_smooth_reshuffle', 'loss_view_consistency_local',
        'loss_view_consistency_reshuffle'
    }
    for view, suffix in (('ori', ''), ('local', '_local'),
                         ('reshuffle', '_reshuffle')):
        base = terms['loss_photometric' + suffix] + terms['loss_smooth' +
                                                          suffix]
        np.testing.assert_allclose(3 * base.item(), o[f'loss_base_{view}'],
                                   **TOL)
    np.testing.assert_array_equal(ctx.state['automask'][0].numpy(),
                                  o['identity_selection_ori'])
    for view in ('local', 'reshuffle'):
        np.testing.assert_allclose(
            terms[f'loss_view_consistency_{view}'].item(),
            0.07 * o[f'loss_dc_{view}'], **TOL)
    # loss_base: the mean of the three views' base losses (each view's
    # terms carry 1/3 of it); loss_dc: the sum of the two consistencies
    base = sum(v for k, v in terms.items()
               if k.startswith(('loss_photometric', 'loss_smooth')))
    np.testing.assert_allclose(base.item(), o['loss_base'], **TOL)
    dc = sum(terms[f'loss_view_consistency_{v}']
             for v in ('local', 'reshuffle'))
    np.testing.assert_allclose(dc.item(), 0.07 * o['loss_dc'], **TOL)
    total = sum(v for k, v in terms.items() if k.startswith('loss'))
    np.testing.assert_allclose(total.item(), o['loss'], **TOL)
    # nothing is detached (Q2): the consistency reaches both predictions
    grads = torch.autograd.grad(
        terms['loss_view_consistency_local'] +
        terms['loss_view_consistency_reshuffle'],
        [disp[0], raw['local'], raw['reshuffle']])
    assert all(g.abs().sum() > 0 for g in grads)


# --- the estimator ----------------------------------------------------------

H, W = 64, 128
VIEWS = [dict(type='ResizeCropView'), dict(type='PatchReshuffleView')]
VIEW_PIPELINE = [dict(type='ResizeCrop'), dict(type='PatchReshuffle')]


def tiny_model(losses=None, **overrides):
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/models/monodepth2_r18.py')).model
    cfg.depth_encoder.pretrained = None
    cfg.pose_net.encoder.pretrained = None
    cfg.update(dict(dict(views=VIEWS), **overrides))
    if losses is not None:
        cfg.losses = losses
    return MODELS.build(cfg)


def kitti_batch(tmp_path, views=True):
    from depthseg.testing.kitti_tree import make_kitti_raw_tree
    tree = make_kitti_raw_tree(str(tmp_path), size=(H, W))
    pipeline = [
        dict(type='LoadFrames'), dict(type='RandomFlip', prob=0.5),
        dict(type='ResizePyramid', height=H, width=W, num_scales=4)
    ] + (VIEW_PIPELINE if views else []) + [
        dict(type='ColorJitter', prob=0.5, per_image=True),
        dict(type='PackDepthInputs')
    ]
    ds = DATASETS.build(dict(type='KittiRawDataset', data_root=tree['root'],
                             ann_file=tree['train'], frame_ids=[0, -1, 1],
                             pipeline=pipeline))
    return pseudo_collate([ds[i] for i in range(2)])


def test_estimator_train_step_with_views(tmp_path):
    model = tiny_model(losses=[
        dict(type='PhotometricLoss'),
        dict(type='SmoothnessLoss', loss_weight=1e-3),
        dict(type='ViewConsistencyLoss', loss_weight=0.07),
    ])
    data = kitti_batch(tmp_path)
    batch = model.data_preprocessor(data, True)
    local = batch['inputs']['views']['local']
    assert local['color'][-1][3].shape == (2, 3, H // 8, W // 8)
    assert local['grid_local'].shape == (2, 2, H, W)
    calls = []
    extract = model.extract_disp
    model.extract_disp = lambda img: calls.append(img) or extract(img)
    terms = model(**batch, mode='loss')
    assert len(calls) == 3  # one depth-net pass per view (Q3)
    expected = {'loss_photometric', 'loss_smooth'}
    expected |= {f'{t}_{v}' for t in expected for v in ('local', 'reshuffle')}
    expected |= {'loss_view_consistency_local',
                 'loss_view_consistency_reshuffle'}
    assert set(terms) == expected
    assert all(torch.isfinite(v) for v in terms.values())
    del model.extract_disp
    optim = MagicMock()
    log_vars = model.train_step(data, optim)
    assert set(log_vars) == expected | {'loss'}
    # the views' losses train the depth net and, through the shared poses
    # of the original frames, the pose net
    model.zero_grad()
    terms = model(**batch, mode='loss')
    terms['loss_photometric_local'].backward()
    assert model.depth_encoder.encoder.conv1.weight.grad.abs().sum() > 0
    assert model.pose_net.decoder.net[-1].weight.grad.abs().sum() > 0


def test_estimator_without_views_unchanged(tmp_path):
    """No views: the same terms as before, and view data in the batch is
    ignored."""
    model = tiny_model(views=[])
    terms = model(**model.data_preprocessor(kitti_batch(tmp_path), True),
                  mode='loss')
    assert set(terms) == {'loss_photometric', 'loss_smooth'}


def test_view_config_errors(tmp_path):
    with pytest.raises(ValueError, match='unique'):
        tiny_model(views=[dict(type='PatchReshuffleView'),
                          dict(type='PatchReshuffleView')])
    with pytest.raises(ValueError, match='not among the model views'):
        tiny_model(losses=[dict(type='PhotometricLoss', views=['crop'])])
    with pytest.raises(ValueError, match='must be one of'):
        tiny_model(losses=[dict(type='PhotometricLoss', views='every')])
    model = tiny_model(losses=[dict(type='PhotometricLoss')])
    data = model.data_preprocessor(kitti_batch(tmp_path, views=False), True)
    with pytest.raises(KeyError, match="type='ResizeCrop'"):
        model(**data, mode='loss')


def test_loss_views_selection():
    model = tiny_model(losses=[
        dict(type='PhotometricLoss'),
        dict(type='SmoothnessLoss', views='original'),
        dict(type='SmoothnessLoss', views=['reshuffle']),
        dict(type='CarHeightLoss'),
        dict(type='ViewConsistencyLoss'),
    ])
    assert model.loss_views == [('ori', 'local', 'reshuffle'), ('ori', ),
                                ('reshuffle', ), ('ori', ),
                                ('local', 'reshuffle')]


# --- views + FUMET's metric losses ------------------------------------------

def test_views_with_fumet_losses(tmp_path):
    """FUMET's photometric (road override) and smoothness run on every view
    (the crop view with its cropped road mask); the car/camera-height losses
    on the original view only (default_views)."""
    from depthseg.datasets.synthetic import write_synthroad
    root = str(tmp_path / 'synthroad')
    synth = dict(sequences=2, frames=4, size=(H, W), seed=0, ext='.jpg')
    write_synthroad(root, **synth)
    ds = DATASETS.build(dict(
        type='SynthRoadDataset', data_root=root, synth_cfg=synth,
        ann_file='splits/train_files.txt', frame_ids=[0, -1, 1],
        pipeline=[
            dict(type='LoadFrames'),
            dict(type='LoadCarRoadMasks', height=H, width=W,
                 npz_size=(H, W)),
            dict(type='RandomFlip', prob=0.5),
            dict(type='ResizePyramid', height=H, width=W, num_scales=4),
            *VIEW_PIPELINE,
            dict(type='ColorJitter', prob=0.5, per_image=True),
            dict(type='PackDepthInputs'),
        ]))
    data = pseudo_collate([ds[i] for i in range(2)])
    fumet = Config.fromfile(str(ROOT / 'configs/_base_/models/fumet_r50.py'))
    model = tiny_model(losses=dict(
        fumet.model.losses, consistency=dict(type='ViewConsistencyLoss')))
    batch = model.data_preprocessor(data, True)
    assert batch['inputs']['views']['local']['road'].shape == (2, H, W)
    ctx = model.build_context(batch['inputs'])
    local = ctx.views['local']
    assert local.inputs['road'] is batch['inputs']['views']['local']['road']
    assert 'segms_flat' not in local.inputs
    assert ctx.views['reshuffle'].inputs['road'] is batch['inputs']['road']
    terms = model.loss_terms(ctx)
    for name in ('loss_photometric', 'loss_smooth'):
        for suffix in ('', '_local', '_reshuffle'):
            assert name + suffix in terms
    assert 'loss_camera_height' in terms and 'loss_car_height' in terms
    assert not any(k.startswith(('loss_camera_height_', 'loss_car_height_'))
                   for k in terms)
    total = sum(v for k, v in terms.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()


def test_bdedepth_synthroad_config_trains(tmp_path):
    """configs/bdedepth/bdedepth_r18_synthroad.py: one tiny epoch."""
    from depthseg.engine import DepthRunner

    from depthseg.datasets.synthetic import write_synthroad
    synth = dict(sequences=1, frames=5, size=(H, W), seed=0, ext='.jpg')
    root = str(tmp_path / 'synthroad')
    write_synthroad(root, **synth)
    cfg = Config.fromfile(
        str(ROOT / 'configs/bdedepth/bdedepth_r18_synthroad.py'))
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == 'ResizePyramid':
            step.update(height=H, width=W)
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=root, synth_cfg=synth)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=100)
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg',
                'test_dataloader', 'test_evaluator'):
        cfg[key] = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = DepthRunner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    for view in ('', '_local', '_reshuffle'):
        assert f'train/loss_photometric{view}' in scalars
        assert f'train/loss_smooth{view}' in scalars
    for view in ('local', 'reshuffle'):
        assert f'train/loss_view_consistency_{view}' in scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
