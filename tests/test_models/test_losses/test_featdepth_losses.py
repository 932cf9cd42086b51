"""FeatDepth's losses, geometry, evaluation and LR schedule against
featdepth.npz (values of the original implementation)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from depthseg.evaluation.functional import (DEPTH_ERROR_NAMES,
                                            compute_depth_errors,
                                            evaluate_depth_sample, garg_crop,
                                            ratio_stats)
from depthseg.models.estimators.context import DepthContext
from depthseg.models.losses import (FeatureMetricLoss, PhotometricLoss,
                                    SmoothnessLoss, autoencoder_loss_terms,
                                    charbonnier, edge_aware_terms,
                                    feature_metric_min,
                                    feature_regularization, mean_normalise,
                                    reconstruction_targets,
                                    reprojection_error, ssim_loss)
from depthseg.models.utils.geometry import (backproject, disp_to_depth,
                                            project,
                                            transformation_from_parameters)
from depthseg.registry import MODELS
from depthseg.testing import load_fixture

UNIT = dict(rtol=1e-10, atol=1e-12)
E2E = dict(rtol=1e-9, atol=1e-12)


def T(a):
    """Fixture array -> tensor (float32 inputs cast to float64)."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        a = a.astype(np.float64)
    return torch.from_numpy(a)


@MODELS.register_module(name='_FeatDepthTestAE', force=True)
class _StubAutoEncoder(nn.Module):
    """features = 2×2 average pooling of a 1×1 conv (identity at init, so
    exactly the fixture's stub extractor); decode = upsampled features."""

    def __init__(self, norm: bool = False):
        super().__init__()
        self.proj = nn.Conv2d(3, 3, 1).double()
        with torch.no_grad():
            self.proj.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.proj.bias.zero_()
        self.norm = nn.BatchNorm2d(3).double() if norm else nn.Identity()

    def extract(self, img):
        return [self.norm(F.avg_pool2d(self.proj(img), 2))]

    def decode(self, features):
        f = features[0]
        return {s: torch.sigmoid(F.interpolate(f, scale_factor=2 / 2**s))
                for s in range(2)}


# --- unit fixtures -----------------------------------------------------------


def test_ssim_robust_l1_reprojection():
    i, o = load_fixture('featdepth', 'SSIM')
    np.testing.assert_allclose(ssim_loss(T(i['x']), T(i['y'])).numpy(),
                               o['ssim_loss'], **UNIT)
    i, o = load_fixture('featdepth', 'robust_l1')
    out = charbonnier(T(i['pred']), T(i['target']))
    np.testing.assert_allclose(out.numpy(), o['robust_l1'], **UNIT)
    x = T(i['pred'])
    assert torch.equal(charbonnier(x, x), torch.full_like(x, 1e-3))  # Q30
    i, o = load_fixture('featdepth', 'compute_reprojection_loss')
    out = reprojection_error(T(i['pred']), T(i['target']), l1='charbonnier')
    np.testing.assert_allclose(out.numpy(), o['reprojection_loss'], **UNIT)
    with pytest.raises(ValueError, match='l1 must be one of'):
        reprojection_error(x, x, l1='l2')
    with pytest.raises(ValueError, match='l1 must be one of'):
        PhotometricLoss(l1='huber')


def test_feature_regularization():
    i, o = load_fixture('featdepth', 'feature_regularization')
    value, s1, s2 = feature_regularization(T(i['feature']), T(i['img']),
                                           float(i['dis']), float(i['cvt']))
    np.testing.assert_allclose(s1.item(), o['S1'], **UNIT)
    np.testing.assert_allclose(s2.item(), o['S2'], **UNIT)
    np.testing.assert_allclose(value.item(), o['value'], **UNIT)
    np.testing.assert_allclose(value.item(), o['joint_value'], **UNIT)


def test_edge_aware_terms_smoothness():
    i, o = load_fixture('featdepth', 'get_smooth_loss')
    disp, img = T(i['disp']), T(i['img'])
    np.testing.assert_allclose(sum(edge_aware_terms(disp, img, 0.5)).item(),
                               o['smooth_loss'], **UNIT)
    norm = mean_normalise(disp)
    np.testing.assert_allclose(norm.numpy(), o['norm_disp'], **UNIT)
    np.testing.assert_allclose(sum(edge_aware_terms(norm, img, 0.5)).item(),
                               o['smooth_loss_mean_normalised'], **UNIT)
    # the area resize of the image is the 2×2 box mean
    s_box = edge_aware_terms(disp, F.avg_pool2d(img, 2), 0.5)
    np.testing.assert_allclose(sum(s_box).item(), o['smooth_loss'], **UNIT)
    # closed forms: a linear ramp has no curvature; Q28 mixed term twice
    ramp = torch.arange(6.).expand(1, 1, 4, 6)
    flat = torch.ones(1, 3, 4, 6)
    s1, s2 = edge_aware_terms(ramp, flat)
    assert s1.item() == 1.0 and s2.item() == 0.0
    quad = (torch.arange(6.)[None] * torch.arange(4.)[:, None]).expand(
        1, 1, 4, 6)  # d = x·y: ∂xy = ∂yx = 1, ∂xx = ∂yy = 0
    assert edge_aware_terms(quad, flat)[1].item() == 2.0
    # Q29 fixed: maps under 3 pixels give finite values (empty terms = 0)
    s1, s2 = edge_aware_terms(torch.rand(1, 2, 2, 4), torch.rand(1, 3, 4, 8))
    assert torch.isfinite(s1) and torch.isfinite(s2)
    with pytest.raises(ValueError, match='same batch'):
        edge_aware_terms(torch.rand(2, 1, 4, 4), torch.rand(1, 3, 8, 8))


def test_disp_to_depth_and_pose():
    i, o = load_fixture('featdepth', 'disp_to_depth')
    scaled, depth = disp_to_depth(T(i['disp']), float(i['min_depth']),
                                  float(i['max_depth']))
    np.testing.assert_allclose(scaled.numpy(), o['scaled_disp'], **UNIT)
    np.testing.assert_allclose(depth.numpy(), o['depth'], **UNIT)
    i, o = load_fixture('featdepth', 'transformation_from_parameters')
    for invert, key in ((False, 'M'), (True, 'M_invert')):
        M = transformation_from_parameters(T(i['axisangle']),
                                           T(i['translation']), invert)
        np.testing.assert_allclose(M.numpy(), o[key], **UNIT)


def test_warp_geometry_and_context():
    i, o = load_fixture('featdepth', 'warp')
    depth, K, inv_K, pose, src = (T(i[k]) for k in ('depth', 'K', 'inv_K',
                                                     'T', 'src'))
    H, W = depth.shape[-2:]
    points = backproject(depth, inv_K)
    np.testing.assert_allclose(points.numpy(), o['cam_points'], **UNIT)
    grid = project(points, K, pose, H, W)
    np.testing.assert_allclose(grid.numpy(), o['pix_coords'], **UNIT)
    # the same through the context: disparity that maps back to this depth
    disp = (1 / depth - 1 / 100) / (1 / 0.1 - 1 / 100)
    ctx = DepthContext(dict(color={0: [src], 1: [src]}, K=[K],
                            inv_K=[inv_K]), {0: disp}, [0, 1], [0],
                       pose_params={1: pose})
    np.testing.assert_allclose(ctx.grids[1, 0].numpy(), o['pix_coords'],
                               **E2E)
    np.testing.assert_allclose(ctx.grid_at(1, 0, (H, W)).numpy(),
                               o['pix_coords'], **E2E)
    np.testing.assert_allclose(ctx.warped[1, 0].numpy(), o['warped'], **E2E)
    warped = ctx.resample(src, grid)
    np.testing.assert_allclose(warped.numpy(), o['warped'], **UNIT)


def test_feature_metric_min():
    i, o = load_fixture('featdepth', 'feature_metric_min')
    srcs = [T(i[f'src_feature_{n}']) for n in ('m1', 'p1', 's')]
    errors, minimum, index = feature_metric_min(T(i['tgt_feature']), srcs)
    np.testing.assert_allclose(errors.numpy(), o['perceptional_loss'], **UNIT)
    np.testing.assert_allclose(minimum.numpy(), o['min_perceptional_loss'],
                               **UNIT)
    np.testing.assert_array_equal(index.numpy(), o['min_index'])
    loss = float(i['perception_weight']) * minimum.mean() / int(
        i['num_scales'])
    np.testing.assert_allclose(loss.item(), o['loss'], **UNIT)
    with pytest.raises(ValueError, match='at least one source'):
        feature_metric_min(srcs[0], [])


# --- evaluation --------------------------------------------------------------


def test_compute_errors():
    i, o = load_fixture('featdepth', 'compute_errors')
    errors = [compute_depth_errors(g, p) for g, p in zip(i['gt'], i['pred'])]
    np.testing.assert_allclose(np.array(errors), o['errors'], **UNIT)


@pytest.mark.parametrize('case', ['median', 'stereo36'])
def test_eval_depth(case):
    """FeatDepth's eval loop = evaluate_depth_sample with the Garg crop and
    either median scaling or ``depth_scale=36`` without it."""
    i, o = load_fixture('featdepth', 'eval_depth')
    opts = dict(crop='garg') if case == 'median' else dict(
        crop='garg', depth_scale=36., median_scaling=False)
    gts = [i['gt_depth_0'], i['gt_depth_1']]
    res = [evaluate_depth_sample(g, d, **opts)
           for g, d in zip(gts, i['pred_disps'])]
    errors = np.array([[r[k] for k in DEPTH_ERROR_NAMES] for r in res])
    np.testing.assert_allclose(errors, o[f'{case}_errors'], rtol=1e-5)
    np.testing.assert_allclose(errors.mean(0), o[f'{case}_mean_errors'],
                               rtol=1e-5)
    # FeatDepth's crop at 370×1226 is the existing Garg crop
    crops = np.stack([garg_crop(*g.shape) for g in gts])
    np.testing.assert_array_equal(crops, o[f'{case}_crops'])
    # Quirk: FeatDepth records median(gt)/median(pred) BEFORE the ×36;
    # evaluate_depth_sample's ratio is taken after depth_scale, i.e. /36
    ratios = np.array([r['ratio'] for r in res]) * opts.get('depth_scale', 1)
    np.testing.assert_allclose(ratios, o[f'{case}_ratios'], rtol=1e-6)
    np.testing.assert_allclose(ratio_stats(ratios)[0], o[f'{case}_ratio_med'],
                               rtol=1e-6)


# --- LR schedule -------------------------------------------------------------


def mmengine_lrs(base_lr, warmup_iters, warmup_ratio, steps, gamma,
                 iters_per_epoch, total_epochs, record):
    """Learning rates of mmengine schedulers emulating mmcv 0.4.4's step
    policy with linear warm-up, stepped as ParamSchedulerHook does
    (iteration-based after every iteration, epoch-based after every epoch);
    ``{global_iter: lr}`` for the iterations in ``record``.

    mmengine's LinearLR reaches ``end_factor`` at ``end − 1``, so mmcv's
    ``warmup_iters`` = N is ``end=N + 1`` (with ``end=N`` iteration N−1
    would already be at the full LR)."""
    from mmengine.optim.scheduler import LinearLR, MultiStepLR
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=base_lr)
    warm = LinearLR(opt, start_factor=warmup_ratio, end_factor=1.0,
                    by_epoch=False, begin=0, end=warmup_iters + 1)
    step = MultiStepLR(opt, milestones=list(steps), gamma=gamma,
                       by_epoch=True, begin=0, end=total_epochs)
    opt.step()  # no gradient: a no-op; the step order of training
    record, lrs, it = set(int(r) for r in record), {}, 0
    last = max(record)
    for _ in range(total_epochs):
        for _ in range(iters_per_epoch):
            if it in record:
                lrs[it] = opt.param_groups[0]['lr']
            if it >= last:
                return lrs
            if it <= warmup_iters:  # later steps are no-ops
                warm.step()
            it += 1
        step.step()
    return lrs


def test_lr_schedule():
    i, o = load_fixture('featdepth', 'lr_schedule')
    lrs = mmengine_lrs(float(i['base_lr']), int(i['warmup_iters']),
                       float(i['warmup_ratio']), i['step'].tolist(),
                       float(i['gamma']), int(i['iters_per_epoch']),
                       int(i['total_epochs']), o['global_iter'])
    got = np.array([lrs[int(g)] for g in o['global_iter']])
    np.testing.assert_allclose(got, o['lr'], rtol=1e-12, atol=0)
    per_epoch = int(i['iters_per_epoch'])
    np.testing.assert_array_equal(o['global_iter'] // per_epoch, o['epoch'])


# --- end-to-end (mono_fm.compute_losses) -------------------------------------


def e2e_context(prefix):
    i, _ = load_fixture('featdepth', 'compute_losses_e2e')
    stereo = prefix != 'M_'
    names = {-1: 'm1', 1: 'p1'}
    color = {0: [T(i['color_0'])]}
    poses = {}
    for f, n in names.items():
        color[f] = [T(i[f'color_{n}'])]
        poses[f] = transformation_from_parameters(
            T(i[f'axisangle_{n}']), T(i[f'translation_{n}']), invert=f < 0)
    frame_ids = [0, -1, 1]
    K = T(i['K'])
    K_half = K.clone()
    K_half[:, :2] /= 2
    inputs = dict(color=color, K=[K, K_half],
                  inv_K=[T(i['inv_K']), torch.linalg.pinv(K_half)])
    if stereo:
        frame_ids.append('s')
        color['s'] = [T(i['color_s'])]
        inputs['stereo_T'] = T(i['stereo_T'])
    else:
        noise = torch.cat([T(i['noise_m1']), T(i['noise_p1'])], 1)
        inputs['automask_noise'] = {s: noise for s in range(4)}
    disp = {s: T(i[f'disp_s{s}']).requires_grad_() for s in range(4)}
    ctx = DepthContext(inputs, disp, frame_ids, range(4), pose_params=poses)
    plugins = [
        PhotometricLoss(l1='charbonnier', automask=not stereo),
        SmoothnessLoss(loss_weight=1e-3, normalise=not stereo,
                       second_order=True, edge_alpha=0.5,
                       image_resize='area'),
        FeatureMetricLoss(dict(type='_FeatDepthTestAE'), loss_weight=1e-3,
                          intrinsics='full' if 'paper' in prefix else
                          'matched'),
    ]
    return ctx, plugins


@pytest.mark.parametrize('prefix', ['MS_', 'M_', 'MS_paper_K_'])
def test_compute_losses_e2e(prefix):
    _, o = load_fixture('featdepth', 'compute_losses_e2e')
    o = {k[len(prefix):]: v for k, v in o.items() if k.startswith(prefix)}
    if prefix == 'MS_':  # the MS_paper_K_ keys also start with MS_
        o = {k: v for k, v in o.items() if not k.startswith('paper_K_')}
    ctx, (photo, smooth, fm) = e2e_context(prefix)
    terms = {}
    for p in (photo, smooth, fm):
        terms.update(p(ctx))
    total = sum(terms.values())
    np.testing.assert_allclose(total.item(), o['total'], **E2E)
    per_scale = terms['loss_feature_metric'].item() / 4  # quirk Q4
    for s in range(4):
        if f'min_reconstruct_loss_s{s}' in o:
            np.testing.assert_allclose(
                ctx.state['min_reproj'][s].mean().item() / 4,
                o[f'min_reconstruct_loss_s{s}'], **E2E)
            np.testing.assert_allclose(
                1e-3 * smooth.scale_value(ctx, s).item() / 2**s / 4,
                o[f'smooth_loss_s{s}'], **E2E)
        np.testing.assert_allclose(per_scale,
                                   o[f'min_perceptional_loss_s{s}'], **E2E)
    state = ctx.state['feature_metric']
    if 'min_index_s0' in o:
        np.testing.assert_array_equal(state['index'].numpy(),
                                      o['min_index_s0'])
    if 'feature_m1' in o:
        np.testing.assert_allclose(state['warped'][-1].numpy(),
                                   o['feature_m1'], **E2E)
    if 'warped_m1_s0' in o:
        np.testing.assert_allclose(ctx.warped[-1, 0].detach().numpy(),
                                   o['warped_m1_s0'], **E2E)
    # gradients reach every disparity; the feature loss only the scale 0 one
    total.backward()
    assert all(torch.isfinite(d.grad).all() and d.grad.abs().sum() > 0
               for d in ctx.disp.values())


def test_feature_warp_uses_matched_intrinsics():
    """Without a K level of the feature size, grid_at scales level 0."""
    ctx, _ = e2e_context('MS_')
    ctx2, _ = e2e_context('MS_')
    ctx2.inputs['K'] = ctx2.inputs['K'][:1]
    ctx2.inputs['inv_K'] = ctx2.inputs['inv_K'][:1]
    for f in (-1, 1, 's'):
        np.testing.assert_allclose(ctx2.grid_at(f, 0, (24, 80)).detach(),
                                   ctx.grid_at(f, 0, (24, 80)).detach(),
                                   **E2E)
    assert ctx.grid_at(1, 0, (24, 80)) is ctx.grid_at(1, 0, [24, 80])
    assert ctx.grids[1, 0].shape == (2, 48, 160, 2)  # unchanged
    with pytest.raises(ValueError, match='not in the K pyramid'):
        ctx.grid_at(1, 0, (24, 80), k_level=5)
    with pytest.raises(ValueError, match='sizes differ'):
        ctx.resample(torch.rand(2, 3, 48, 160), ctx.grid_at(1, 0, (24, 80)))


def test_smoothness_image_resize_errors():
    ctx, _ = e2e_context('MS_')
    with pytest.raises(ValueError, match="image_resize='area'"):
        SmoothnessLoss()(ctx)  # disp scale 0 is H/2: no pyramid level fits
    with pytest.raises(ValueError, match='image_resize must be one of'):
        SmoothnessLoss(image_resize='bicubic')


# --- autoencoder -------------------------------------------------------------


def test_autoencoder_compute_losses():
    i, o = load_fixture('featdepth', 'autoencoder_compute_losses')
    img = T(i['color_0'])
    features = [T(i[f'feature_{k}']) for k in range(5)]
    recons = {s: T(i[f'recon_s{s}']) for s in range(4)}
    dis, cvt = float(i['dis']), float(i['cvt'])
    terms = autoencoder_loss_terms(features, recons, img, dis=dis, cvt=cvt)
    assert sorted(terms) == sorted(
        [f'smooth_loss_{k}' for k in range(5)] +
        [f'min_reconstruct_loss_{s}' for s in range(4)])
    for k, v in terms.items():
        np.testing.assert_allclose(v.item(), o[k], **E2E)
    np.testing.assert_allclose(sum(terms.values()).item(), o['total'], **E2E)
    joint = autoencoder_loss_terms(features, recons, img, False, dis, cvt)
    assert sorted(joint) == sorted(
        [f'feature_regularization_loss_{k}' for k in range(5)] +
        [f'img_reconstruct_loss_{s}' for s in range(4)])
    for k, v in joint.items():
        np.testing.assert_allclose(v.item(), o[f'joint_{k}'], **E2E)
    sizes = [recons[s].shape[-2:] for s in range(4)]
    for chained, key in ((True, 'target_s'), (False, 'joint_target_s')):
        targets = reconstruction_targets(img, sizes, chained)
        assert targets[0] is img
        for s in range(1, 4):
            np.testing.assert_allclose(targets[s].numpy(), o[f'{key}{s}'],
                                       **UNIT)
    with pytest.raises(ValueError, match='does not match the image'):
        autoencoder_loss_terms(features, {0: recons[0][:, :2]}, img)
    with pytest.raises(ValueError, match='at least one'):
        autoencoder_loss_terms([], recons, img)


# --- frozen / joint autoencoder, checkpoints ---------------------------------


def _tiny_context(seed=0, size=(8, 12)):
    g = torch.Generator().manual_seed(seed)
    h, w = size
    K = torch.tensor([[0.58 * w, 0, 0.5 * w, 0], [0, 1.92 * h, 0.5 * h, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float64)
    K = K.expand(2, 4, 4).clone()
    img = {f: [torch.rand(2, 3, h, w, generator=g, dtype=torch.float64)]
           for f in (0, -1, 1)}
    disp = {0: torch.rand(2, 1, h // 2, w // 2, generator=g,
                          dtype=torch.float64).mul(0.1).add(0.05)
            .requires_grad_()}
    pose = torch.eye(4, dtype=torch.float64).expand(2, 4, 4).clone()
    pose[:, 0, 3] = 0.1
    pose.requires_grad_()
    ctx = DepthContext(dict(color=img, K=[K], inv_K=[torch.linalg.pinv(K)]),
                       disp, [0, -1, 1], [0],
                       pose_params={-1: pose, 1: pose})
    return ctx


def _step(plugin, ctx):
    params = [p for p in plugin.parameters() if p.requires_grad]
    params += [ctx.disp[0], ctx.pose_params[1]]
    opt = torch.optim.SGD(params, lr=1.0)
    terms = plugin(ctx)
    sum(v for k, v in terms.items() if k.startswith('loss')).backward()
    opt.step()
    return terms


def test_frozen_autoencoder_gets_no_gradient():
    plugin = FeatureMetricLoss(dict(type='_FeatDepthTestAE', norm=True))
    plugin.train()
    ae = plugin.autoencoder
    assert not ae.training and not ae.norm.training  # eval-mode BN
    before = {k: v.clone() for k, v in ae.state_dict().items()}
    ctx = _tiny_context()
    feats = plugin.extract(ctx.color(0, 0))
    assert feats[0].grad_fn is None and not feats[0].requires_grad
    terms = _step(plugin, ctx)
    assert set(terms) == {'loss_feature_metric'}
    assert all(p.grad is None and not p.requires_grad
               for p in ae.parameters())
    for k, v in ae.state_dict().items():
        assert torch.equal(v, before[k]), k
    # depth and pose still get gradients (through the sampling grid)
    assert ctx.disp[0].grad.abs().sum() > 0
    assert ctx.pose_params[1].grad.abs().sum() > 0
    # frozen_bn='train' reproduces quirk Q2: batch statistics, frozen weights
    plugin = FeatureMetricLoss(dict(type='_FeatDepthTestAE', norm=True),
                               frozen_bn='train')
    plugin.train()
    assert plugin.autoencoder.norm.training
    plugin.eval()
    assert not plugin.autoencoder.norm.training


def test_joint_autoencoder_trains():
    plugin = FeatureMetricLoss(dict(type='_FeatDepthTestAE'), frozen=False)
    plugin.train()
    ae = plugin.autoencoder
    assert ae.training and all(p.requires_grad for p in ae.parameters())
    before = {k: v.clone() for k, v in ae.state_dict().items()}
    ctx = _tiny_context()
    assert plugin.extract(ctx.color(0, 0))[0].grad_fn is not None
    terms = _step(plugin, ctx)
    assert set(terms) == {'loss_feature_metric'} | {
        'loss_ae_feature_regularization_0', 'loss_ae_img_reconstruct_0',
        'loss_ae_img_reconstruct_1'}
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in ae.parameters())
    assert not all(torch.equal(v, before[k])
                   for k, v in ae.state_dict().items())
    # the feature-metric loss alone also reaches the autoencoder
    plugin = FeatureMetricLoss(dict(type='_FeatDepthTestAE'), frozen=False,
                               autoencoder_losses=False)
    ctx = _tiny_context(1)
    plugin(ctx)['loss_feature_metric'].backward()
    assert plugin.autoencoder.proj.weight.grad.abs().sum() > 0


def test_checkpoint_loading(tmp_path):
    trained = _StubAutoEncoder(norm=True)
    with torch.no_grad():
        trained.proj.weight.mul_(0.5)
        trained.norm.running_mean.fill_(0.25)
    state = {f'ae.{k}': v for k, v in trained.state_dict().items()}
    state['data_preprocessor.dummy'] = torch.zeros(1)
    path = tmp_path / 'ae.pth'
    torch.save(dict(meta=dict(epoch=30), state_dict=state), path)
    cfg = dict(type='_FeatDepthTestAE', norm=True)
    plugin = FeatureMetricLoss(cfg, checkpoint=str(path),
                               checkpoint_prefix='ae.')
    # nothing is read at construction, init_weights loads
    assert not torch.equal(plugin.autoencoder.proj.weight,
                           trained.proj.weight)
    plugin.init_weights()
    for k, v in trained.state_dict().items():
        assert torch.equal(plugin.autoencoder.state_dict()[k], v), k
    with torch.no_grad():  # init_weights re-applies the checkpoint
        plugin.autoencoder.proj.weight.zero_()
    plugin.init_weights()
    assert torch.equal(plugin.autoencoder.proj.weight, trained.proj.weight)
    torch.save(dict(state_dict={
        k: v for k, v in state.items() if 'running_mean' not in k}), path)
    with pytest.raises(KeyError, match=r"ae\.pth.*norm\.running_mean"):
        FeatureMetricLoss(cfg, checkpoint=str(path),
                          checkpoint_prefix='ae.').init_weights()
    with pytest.raises(KeyError, match="lacks 7 of the 7 entries"):
        FeatureMetricLoss(cfg, checkpoint=str(path),
                          checkpoint_prefix='x.').init_weights()


def test_missing_checkpoint_fails_in_init_weights(tmp_path):
    """A missing autoencoder file does not stop building the loss (configs
    build without weight files) but is a clear error in init_weights, which
    Runner.train calls, also through the estimator's plugin list."""
    missing = tmp_path / 'work_dirs' / 'missing.pth'
    plugin = FeatureMetricLoss(dict(type='_FeatDepthTestAE'),
                               checkpoint=str(missing))
    with pytest.raises(FileNotFoundError) as err:
        plugin.init_weights()
    assert str(missing) in str(err.value)
    assert 'does not exist' in str(err.value)
    # the estimator's init_weights reaches the plugin
    model = MODELS.build(dict(
        type='SelfSupDepthEstimator',
        depth_encoder=dict(type='ResnetEncoder', depth=18, pretrained=None),
        depth_decoder=dict(type='DepthDecoder'), frame_ids=[0, 's'],
        losses=dict(feature_metric=dict(
            type='FeatureMetricLoss',
            autoencoder=dict(type='_FeatDepthTestAE'),
            checkpoint=str(missing)))))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        model.init_weights()


def test_feature_metric_bad_config():
    with pytest.raises(ValueError, match='intrinsics must be one of'):
        FeatureMetricLoss(dict(type='_FeatDepthTestAE'), intrinsics='half')
    with pytest.raises(ValueError, match='frozen_bn must be one of'):
        FeatureMetricLoss(dict(type='_FeatDepthTestAE'), frozen_bn='off')
    with pytest.raises(ValueError, match='source frames'):
        FeatureMetricLoss(dict(type='_FeatDepthTestAE'), frame_ids=[0, 1])
    with pytest.raises(IndexError, match='feature_level 3'):
        FeatureMetricLoss(dict(type='_FeatDepthTestAE'),
                          feature_level=3)(_tiny_context())
