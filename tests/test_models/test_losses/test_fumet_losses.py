"""FUMET's loss plugins against the original's ``compute_losses``."""
import numpy as np
import pytest
import torch

from depthseg.models.estimators.context import DepthContext
from depthseg.models.losses import (CameraHeightLoss, CarHeightLoss,
                                    PhotometricLoss, RoadMaskingOverride,
                                    SmoothnessLoss, reprojection_error,
                                    road_cars, road_override_min)
from depthseg.models.losses.photometric import automask_min
from depthseg.models.utils.geometry import transformation_from_parameters
from depthseg.testing import load_fixture

TOL = dict(rtol=1e-8, atol=1e-10)


def T(a):
    a = np.asarray(a)
    if a.dtype == np.float32:
        a = a.astype(np.float64)
    return torch.from_numpy(a)


def fumet_inputs(i):
    names = {-1: 'm1', 1: 'p1'}
    color = {0: [T(i[f'color_0_s{s}']) for s in range(4)]}
    poses = {}
    for f, n in names.items():
        color[f] = [T(i[f'color_{n}_s0'])]
        poses[f] = transformation_from_parameters(
            T(i[f'axisangle_{n}']), T(i[f'translation_{n}']), invert=f < 0)
    n_inst = T(i['n_inst']).long()
    inputs = dict(
        color=color, K=[T(i['K'])], inv_K=[T(i['inv_K'])],
        automask_noise={s: T(i[f'noise_s{s}']) for s in range(4)},
        road=T(i['road']), segms_flat=T(i['segms_flat']),
        heights_flat=T(i['heights_flat']), n_inst=n_inst,
        car_frame_idx=torch.repeat_interleave(torch.arange(len(n_inst)),
                                              n_inst))
    disp = {s: T(i[f'disp_s{s}']).requires_grad_() for s in range(4)}
    return inputs, disp, poses


def fumet_plugins(epoch, h_star):
    """The FUMET loss plugins with the schedule of ``epoch`` applied."""
    from depthseg.engine.hooks.loss_weight_schedule_hook import schedule_rate
    fine = CameraHeightLoss(
        loss_weight=0.01 * schedule_rate(epoch, 'log_up', 1, 20, 0.005),
        remove_outliers=True, outlier_threshold=0.2)
    if h_star is not None:
        fine.h_star.fill_(h_star)
        fine.h_star_valid.fill_(True)
    rough = CarHeightLoss(
        loss_weight=1.0 * schedule_rate(epoch, 'log_down', 1, 20, 0.005))
    photo = PhotometricLoss(identity_first=False)
    return [photo, SmoothnessLoss(), fine, rough, RoadMaskingOverride()]


def run_e2e(prefix):
    i, o = load_fixture('fumet', 'compute_losses_e2e')
    inputs, disp, poses = fumet_inputs(i)
    ctx = DepthContext(inputs, disp, [0, -1, 1], range(4), pose_params=poses)
    epoch = int(i['epoch_no_h_star'] if prefix else i['epoch'])
    plugins = fumet_plugins(epoch, None if prefix else float(i['h_star']))
    for p in plugins:
        if hasattr(p, 'prepare'):
            p.prepare(ctx)
    terms = {}
    for p in plugins:
        terms.update(p(ctx))
    o = {k[len(prefix):]: v for k, v in o.items() if k.startswith(prefix)}
    return ctx, plugins, terms, o


@pytest.mark.parametrize('prefix', ['', 'noh_'])
def test_compute_losses_e2e(prefix):
    ctx, (photo, smooth, fine, rough, _), terms, o = run_e2e(prefix)
    total = sum(v for k, v in terms.items() if k.startswith('loss'))
    np.testing.assert_allclose(total.item(), o['loss'], **TOL)
    np.testing.assert_allclose(fine.loss_weight, 0.01 * o['fine_metric_rate'],
                               rtol=1e-12)
    np.testing.assert_allclose(rough.loss_weight, o['rough_metric_rate'],
                               rtol=1e-12)
    if not prefix:
        np.testing.assert_array_equal(road_cars(ctx)['inlier'].numpy(),
                                      o['inlier_bools'])
    sel = road_cars(ctx)
    np.testing.assert_array_equal(sel['has_road'].numpy(),
                                  o['batch_road_appear_bools'])
    np.testing.assert_array_equal(sel['pix_heights'].numpy(),
                                  o['obj_pix_heights'])
    np.testing.assert_allclose(sel['heights'].numpy(), o['heights_flat'])
    n_road = int(sel['has_road'].sum())
    np.testing.assert_array_equal(
        torch.bincount(sel['frame_idx'], minlength=n_road).numpy(),
        o['batch_n_inst'])
    assert sel['n_frames_with_cars'] == int(o['n_inst_appear_frames'])
    for idx, s in enumerate(range(4)):
        np.testing.assert_allclose(ctx.state['min_reproj'][s].numpy(),
                                   o[f'to_optimize_s{s}'], **TOL)
        loss_s, htilde, nbar, _ = fine.scale_terms(ctx, s)
        expected_fine = o[f'fine_metric_loss_s{s}']
        np.testing.assert_allclose(loss_s.item(), expected_fine, **TOL)
        np.testing.assert_allclose(htilde.numpy(),
                                   o[f'unscaled_cam_heights_s{s}'], **TOL)
        np.testing.assert_allclose(nbar.numpy(),
                                   o[f'road_normal_neg_wo_no_road_s{s}'],
                                   **TOL)
        np.testing.assert_allclose(rough.scale_loss(ctx, s).item(),
                                   o[f'rough_metric_loss_s{s}'], **TOL)
        np.testing.assert_allclose(fine.estimates[idx][0].numpy(),
                                   o[f'scaled_cam_heights_s{s}'], **TOL)
        # the logged per-scale terms of the original and their total
        reproj_s = ctx.state['min_reproj'][s].mean()
        np.testing.assert_allclose(reproj_s.item(),
                                   o[f'loss_reprojection_{s}'], **TOL)
        smooth_s = smooth.scale_value(ctx, s)
        np.testing.assert_allclose(smooth_s.item(),
                                   o[f'loss_smoothness_{s}'], **TOL)
        if f'loss_fine_metric_{s}' in o:  # not logged before h* exists
            np.testing.assert_allclose(loss_s.item(),
                                       o[f'loss_fine_metric_{s}'], **TOL)
        rough_s = rough.scale_loss(ctx, s)
        np.testing.assert_allclose(rough_s.item(),
                                   o[f'loss_rough_metric_{s}'], **TOL)
        total_s = (reproj_s + smooth.loss_weight * smooth_s / 2**s +
                   fine.loss_weight * loss_s + rough.loss_weight * rough_s)
        np.testing.assert_allclose(total_s.item(), o[f'loss_{s}'], **TOL)
        if f'depth_s{s}' in o:
            np.testing.assert_allclose(ctx.depth[s].detach().numpy(),
                                       o[f'depth_s{s}'], **TOL)
        # the camera-height buffer: this step's estimates from position 0
        est = torch.cat(fine.estimates[idx]).numpy()
        assert len(est) == int(o['cam_height_idx_last'])
        whole = o[f'whole_cam_heights_s{s}']
        np.testing.assert_allclose(est, whole[:len(est)], **TOL)
        assert np.isnan(whole[len(est):]).all()
    assert terms['n_car_frames'].item() == int(o['n_inst_frames'])
    if 'cam_pts_s0' in o:
        has_road = sel['has_road']
        points = fine.scale_terms(ctx, 0)[3]
        np.testing.assert_allclose(points.detach().numpy(),
                                   o['cam_pts_s0'][has_road.numpy()], **TOL)
        np.testing.assert_allclose(ctx.warped[-1, 0].detach().numpy(),
                                   o['color_m1_s0'], **TOL)
    # the gradient flows into every scale's disparity
    total.backward()
    assert all(d.grad is not None and torch.isfinite(d.grad).all()
               for d in ctx.disp.values())


def test_compute_losses_e2e_outlier_removal(monkeypatch):
    """The horizon test CameraHeightLoss.prepare runs on the e2e batch (h*
    = 1.62): road planes, horizons, approximate heights, relative errors."""
    from depthseg.models.losses import metric_scale
    calls = {}

    def spy(fn):
        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            calls.setdefault(fn.__name__, []).append(out)
            return out
        return wrapped

    for name in ('fit_road_planes', 'horizon_lines', 'outlier_inliers'):
        monkeypatch.setattr(metric_scale, name,
                            spy(getattr(metric_scale, name)))
    _, _, _, o = run_e2e('')
    assert {k: len(v) for k, v in calls.items()} == dict.fromkeys(calls, 1)
    (normals, ), (lines, ) = calls['fit_road_planes'], calls['horizon_lines']
    np.testing.assert_allclose(normals.unsqueeze(-1).numpy(),
                               o['batch_road_normals'], **TOL)
    np.testing.assert_allclose(lines.numpy(), o['horizons'], **TOL)
    (approx, rel, inlier), = calls['outlier_inliers']
    np.testing.assert_allclose(approx.numpy(), o['approx_heights'], **TOL)
    np.testing.assert_allclose(rel.numpy(), o['relative_err'], **TOL)
    np.testing.assert_array_equal(inlier.numpy(), o['inlier_bools'])


def test_reprojection_loss_fixture():
    """FUMET's reprojection loss is Monodepth2's (0.85 SSIM + 0.15 L1)."""
    i, o = load_fixture('fumet', 'compute_reprojection_loss')
    out = reprojection_error(T(i['pred']), T(i['target']))
    np.testing.assert_allclose(out.numpy(), o['reprojection_loss'],
                               rtol=1e-10, atol=1e-12)


def test_photometric_road_override_fixture():
    i, o = load_fixture('fumet', 'photometric_road_override')
    reproj, identity = T(i['reprojection_loss']), T(
        i['identity_reprojection_loss'])
    road = T(i['road'])
    to_opt, idxs, won = automask_min(identity, reproj, T(i['noise']),
                                     identity_first=False)
    np.testing.assert_array_equal(idxs.numpy(), o['no_override_idxs'])
    # the override changes the minimum, not the argmin
    np.testing.assert_array_equal(idxs.numpy(), o['idxs'])
    np.testing.assert_allclose(to_opt.numpy(), o['no_override_to_optimize'],
                               **TOL)
    np.testing.assert_allclose(to_opt.mean().item(),
                               o['no_override_final_reprojection_loss'],
                               **TOL)
    moving = (1 - won.flatten(1).mean(1)) < 0.75
    np.testing.assert_array_equal(moving.numpy(), o['batch_moving_bools'])
    out = road_override_min(to_opt, reproj, won, road)
    np.testing.assert_allclose(out.numpy(), o['to_optimize'], **TOL)
    # the overridden pixels (road of moving frames): where the override
    # replaces +inf minima with the 0 reprojection minima
    overridden = road_override_min(torch.full_like(to_opt, np.inf),
                                   torch.zeros_like(reproj), won, road) == 0
    np.testing.assert_array_equal(overridden.numpy(),
                                  o['batch_road_moving_scene'])
    np.testing.assert_allclose(out.mean().item(),
                               o['final_reprojection_loss'], **TOL)


def _batch(road_frames, cars_per_frame, size=(24, 80), seed=0):
    """A plausible FUMET batch: flat road 1.65 m below, one car per mask."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    b = len(road_frames)
    K = torch.tensor([[0.58 * w, 0, 0.5 * w, 0], [0, 1.92 * h, 0.5 * h, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float64)
    K = K.expand(b, 4, 4).clone()
    road = torch.zeros(b, h, w, dtype=torch.bool)
    for k, has in enumerate(road_frames):
        if has:
            road[k, h // 2 + 2:] = True
    segms, n_inst = [], []
    for n in cars_per_frame:
        for c in range(n):
            m = torch.zeros(h, w, dtype=torch.bool)
            m[h // 2 - 2:h // 2 + 3, 10 + 15 * c:18 + 15 * c] = True
            segms.append(m)
        n_inst.append(n)
    n_inst = torch.tensor(n_inst)
    segms = torch.stack(segms) if segms else torch.zeros(0, h, w,
                                                         dtype=torch.bool)
    inputs = dict(
        color={0: [torch.rand(b, 3, h >> s, w >> s, generator=g,
                              dtype=torch.float64) for s in range(4)],
               -1: [torch.rand(b, 3, h, w, generator=g,
                               dtype=torch.float64)],
               1: [torch.rand(b, 3, h, w, generator=g, dtype=torch.float64)]},
        K=[K], inv_K=[torch.linalg.pinv(K)], road=road, segms_flat=segms,
        heights_flat=torch.full((len(segms), ), 1.5), n_inst=n_inst,
        car_frame_idx=torch.repeat_interleave(torch.arange(b), n_inst))
    disp = {s: torch.rand(b, 1, h >> s, w >> s, generator=g,
                          dtype=torch.float64).mul(0.1).add(0.01)
            .requires_grad_() for s in range(4)}
    poses = {f: torch.eye(4, dtype=torch.float64).expand(b, 4, 4).clone()
             for f in (-1, 1)}
    for f in (-1, 1):
        poses[f][:, 2, 3] = 0.3 * f
    return DepthContext(inputs, disp, [0, -1, 1], range(4), pose_params=poses)


@pytest.mark.parametrize('road_frames,cars', [
    ([True, False, False, False], [1, 2, 0, 1]),     # one road frame (Q4)
    ([True, True, True, False], [1, 1, 2, 0]),       # three road frames (Q3)
    ([False, False, False, False], [1, 1, 0, 2]),    # no road (Q28)
    ([True, True, False, False], [0, 0, 2, 1]),      # cars only off-road (Q6)
    ([True, True, True, True], [0, 0, 0, 0]),        # no cars at all
])
@pytest.mark.parametrize('h_star', [None, 1.6])
def test_fixed_quirks_no_crash_no_nan(road_frames, cars, h_star):
    ctx = _batch(road_frames, cars)
    plugins = fumet_plugins(5, h_star)
    for p in plugins:
        p.train()
        if hasattr(p, 'prepare'):
            p.prepare(ctx)
    terms = {}
    for p in plugins:
        terms.update(p(ctx))
    total = sum(v for k, v in terms.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()
    for d in ctx.disp.values():
        assert torch.isfinite(d.grad).all()
    fine = plugins[2]
    for values in fine.estimates:
        for v in values:
            assert torch.isfinite(v).all()


def test_missing_masks_message():
    ctx = _batch([True], [1])
    del ctx.inputs['road']
    with pytest.raises(KeyError, match='LoadCarRoadMasks'):
        CarHeightLoss()(ctx)
