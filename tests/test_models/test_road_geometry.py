"""Parity and edge-case tests for FUMET's road geometry
(``depthseg.models.utils.road_geometry``), its loss math
(``depthseg.models.losses.fumet_functional``) and schedules
(``depthseg.models.utils.schedules``) against ``fumet.npz``."""
import math

import numpy as np
import pytest
import torch

from depthseg.models.utils.geometry import pixel_grid
from depthseg.models.losses.fumet_functional import (camera_height_terms,
                                                     car_height_loss)
from depthseg.models.utils.road_geometry import (
    cam_points, cross_stencil_normals, fit_road_planes, horizon_height_ratios,
    horizon_lines, mask_pixel_heights, outlier_inliers, pixel_cam_heights,
    projected_car_heights, scaled_cam_heights, signed_dist_to_horizon,
    zero_road_borders)
from depthseg.models.utils.schedules import h_star_update, log_ramp_rates
from depthseg.testing import load_fixture

RTOL, ATOL = 1e-8, 1e-10


def t64(a):
    """numpy -> torch, floats cast to float64."""
    t = torch.from_numpy(np.asarray(a))
    return t.double() if t.is_floating_point() else t


def close(actual, expected, rtol=RTOL, atol=ATOL):
    expected = np.asarray(expected)
    actual = actual.detach().cpu().numpy() if torch.is_tensor(actual) \
        else np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def frame_index(n_inst):
    n_inst = t64(n_inst).long()
    return torch.repeat_interleave(torch.arange(len(n_inst)), n_inst)


def kitti_K(B, H=24, W=80, dtype=torch.float64):
    K = torch.tensor([[0.58 * W, 0, 0.5 * W, 0], [0, 1.92 * H, 0.5 * H, 0],
                      [0, 0, 1, 0], [0, 0, 0, 1]], dtype=dtype)
    return K.expand(B, 4, 4).clone()


def synthetic_scene(B=4, H=24, W=80, dtype=torch.float64, seed=0):
    """Flat road 1.65 below the camera, one fronto-parallel car per frame."""
    g = torch.Generator().manual_seed(seed)
    K = kitti_K(B, H, W, dtype)
    ray = torch.linalg.inv(K[0, :3, :3]) @ pixel_grid(H, W, dtype)
    ray = ray.reshape(3, H, W)
    depth = torch.full((B, H, W), 30., dtype=dtype)
    below = ray[1] > 0.05
    depth[:, below] = (1.65 / ray[1][below])
    depth = depth.clamp(max=60.)
    segms = torch.zeros(B, H, W, dtype=torch.bool)
    for b in range(B):
        # rows 10..17, standing on the road at row 17 (8 rows: 1.65·7/5 m)
        x0 = 10 + 15 * b
        segms[b, 10:18, x0:x0 + 8] = True
        depth[b, 10:18, x0:x0 + 8] = depth[b, 17, x0]
    road = below & ~segms
    depth = depth * (1 + 0.002 * torch.randn(depth.shape, generator=g,
                                             dtype=dtype))
    pts = cam_points(depth.unsqueeze(1), torch.linalg.inv(K))
    heights = torch.full((B, ), 1.65 * 7 / 5, dtype=dtype)
    return pts, road, segms, torch.arange(B), heights, K


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------
def test_fixture_names():
    z = load_fixture('fumet')
    names = {k.split('__')[0] for k in z.files}
    assert 'cam_pts2cam_height_with_cross_prod' in names
    assert 'hstar_update_init_Fnone' in names


def test_cam_points_matches_backproject():
    depth = torch.rand(2, 1, 24, 80, dtype=torch.float64) + 1
    K = kitti_K(2)
    pts = cam_points(depth, torch.linalg.inv(K))
    assert pts.shape == (2, 24, 80, 3)
    close(pts[..., 2], depth[:, 0].numpy())
    # pixel (x=5, y=7): X = D (5 - cx)/fx
    close(pts[:, 7, 5, 0], (depth[:, 0, 7, 5] * (5 - 40) / 46.4).numpy())


def test_cam_pts2cam_height_with_cross_prod():
    ins, outs = load_fixture('fumet', 'cam_pts2cam_height_with_cross_prod')
    h, n = pixel_cam_heights(t64(ins['cam_pts']))
    close(h, outs['cam_height'])
    close(n, outs['normal'])


def test_cross_helper_matches_linalg_cross():
    """The CPU component-wise cross product equals torch.linalg.cross (used
    on other devices)."""
    from depthseg.models.utils.road_geometry import _cross
    a = torch.randn(2, 5, 7, 3, dtype=torch.float64)
    b = torch.randn(2, 5, 7, 3, dtype=torch.float64)
    close(_cross(a, b), torch.linalg.cross(a, b, dim=-1).numpy(),
          rtol=1e-14, atol=1e-15)


def test_cam_pts2normal_with_cross_prod():
    # the original's cam_pts2normal_with_cross_prod returns the normal of
    # cam_pts2cam_height_with_cross_prod (fixtures README): no own fixture
    ins, outs = load_fixture('fumet', 'cam_pts2cam_height_with_cross_prod')
    close(cross_stencil_normals(t64(ins['cam_pts'])), outs['normal'])


def test_compute_cam_heights_and_road_normals():
    ins, outs = load_fixture('fumet', 'compute_cam_heights_and_road_normals')
    pts = t64(ins['cam_pts']).requires_grad_(True)
    road = t64(ins['road'])
    road_after = zero_road_borders(road)
    assert torch.equal(road, t64(ins['road']))  # input untouched
    np.testing.assert_array_equal(road_after.numpy(), outs['road_after'])
    loss, htilde, nbar = camera_height_terms(pts, road_after,
                                             t64(ins['h_star']))
    close(loss, outs['fine_metric_loss'])
    close(htilde, outs['unscaled_cam_heights'])
    close(nbar, outs['road_normal_neg'])
    assert not htilde.requires_grad and not nbar.requires_grad
    loss.backward()
    close(pts.grad, outs['grad_cam_pts'])
    # per-frame h* equal to the scalar gives the same loss
    loss_b, _, _ = camera_height_terms(pts, road_after,
                                       t64(ins['h_star']).repeat(4))
    close(loss_b, outs['fine_metric_loss'])


def test_cam_pts2normal():
    ins, outs = load_fixture('fumet', 'cam_pts2normal')
    n = fit_road_planes(t64(ins['cam_pts']), t64(ins['road']))
    close(n.unsqueeze(-1), outs['normal'])


def test_horizons_from_road_planes():
    ins, outs = load_fixture('fumet', 'horizons_from_road_planes')
    pts = t64(ins['cam_pts'])
    n = fit_road_planes(pts, t64(ins['road']))
    close(n.unsqueeze(-1), outs['road_normals'])
    K = t64(ins['K']).expand(pts.shape[0], 4, 4)
    close(horizon_lines(n, K), outs['horizons'])
    close(horizon_lines(n, K[:, :3, :3]), outs['horizons'])
    close(horizon_lines(n, t64(ins['K'])), outs['horizons'])


def test_generate_homo_pix_grid():
    ins, outs = load_fixture('fumet', 'generate_homo_pix_grid')
    h, w = int(ins['h']), int(ins['w'])
    grid = pixel_grid(h, w, torch.float64).reshape(3, h, w)
    np.testing.assert_array_equal(grid.numpy(), outs['homo_pix_grid'])


def test_signed_dist_to_horizon():
    ins, outs = load_fixture('fumet', 'signed_dist_to_horizon')
    _, H, W = ins['homo_pix_grid'].shape
    np.testing.assert_array_equal(
        pixel_grid(H, W, torch.float64).reshape(3, H, W).numpy(),
        ins['homo_pix_grid'])
    d = signed_dist_to_horizon(t64(ins['horizons']), H, W)
    close(d, outs['signed_dist'])
    # A = (0, -c/b) and B = (1, -(a+c)/b) lie on the lines
    a, b, c = t64(ins['horizons']).unbind(1)
    close(torch.stack([torch.zeros_like(a), -c / b], 1),
          outs['horizon_pt_A'])
    close(torch.stack([torch.ones_like(a), -(a + c) / b], 1),
          outs['horizon_pt_B'])


def test_calc_obj_pix_height_over_dist_to_horizon_with_flat():
    ins, outs = load_fixture(
        'fumet', 'calc_obj_pix_height_over_dist_to_horizon_with_flat')
    _, H, W = ins['homo_pix_grid'].shape
    d = signed_dist_to_horizon(t64(ins['horizons']), H, W)
    ratios = horizon_height_ratios(d, t64(ins['segms_flat']),
                                   frame_index(ins['n_inst']))
    close(ratios, outs['ratios'])


def test_outlier_filter():
    ins, outs = load_fixture('fumet', 'outlier_filter')
    pts = t64(ins['cam_pts'])
    B, H, W, _ = pts.shape
    fidx = frame_index(ins['n_inst'])
    n = fit_road_planes(pts, t64(ins['road']))
    lines = horizon_lines(n, t64(ins['K']).expand(B, 4, 4))
    ratios = horizon_height_ratios(signed_dist_to_horizon(lines, H, W),
                                   t64(ins['segms_flat']), fidx)
    approx, rel, inl = outlier_inliers(
        ratios, t64(ins['heights_flat']), t64(ins['h_star']),
        float(ins['outlier_relative_error_th']))
    close(approx, outs['approx_heights'])
    close(rel, outs['relative_err'])
    np.testing.assert_array_equal(inl.numpy(), outs['inlier_bools'])
    n_after = torch.bincount(fidx[inl], minlength=B)
    np.testing.assert_array_equal(n_after.numpy(), outs['n_inst_after'])
    assert int((n_after > 0).sum()) == int(outs['n_inst_appear_frames'])
    # per-car h* gives the same result
    approx2, _, inl2 = outlier_inliers(
        ratios, t64(ins['heights_flat']),
        t64(ins['h_star']).repeat(len(ratios)), 0.2)
    close(approx2, outs['approx_heights'])
    assert torch.equal(inl, inl2)


def test_masks_to_pix_heights():
    ins, outs = load_fixture('fumet', 'masks_to_pix_heights')
    ph = mask_pixel_heights(t64(ins['masks']))
    assert ph.dtype == torch.int16
    np.testing.assert_array_equal(ph.numpy(), outs['pix_heights'])


def test_compute_rough_metric_loss():
    ins, outs = load_fixture('fumet', 'compute_rough_metric_loss')
    depth = t64(ins['depth_repeat']).requires_grad_(True)
    N = depth.shape[0]
    loss = car_height_loss(depth, t64(ins['segms_flat']), torch.arange(N),
                           t64(ins['obj_pix_heights']),
                           t64(ins['obj_heights_flat']), float(ins['fy']),
                           int(ins['n_inst_appear_frames']))
    close(loss, outs['rough_metric_loss'])
    loss.backward()
    close(depth.grad, outs['grad_depth_repeat'])
    # B×1×H×W input and a tensor n_frames give the same value
    loss4 = car_height_loss(depth.detach().unsqueeze(1),
                            t64(ins['segms_flat']), torch.arange(N),
                            t64(ins['obj_pix_heights']),
                            t64(ins['obj_heights_flat']), float(ins['fy']),
                            t64(ins['n_inst_appear_frames']))
    close(loss4, outs['rough_metric_loss'])


def test_rough_loss_frame_gather():
    """Cars sharing a frame read the same depth map (no repeat needed)."""
    ins, _ = load_fixture('fumet', 'compute_rough_metric_loss')
    segms = t64(ins['segms_flat'])
    depth = torch.rand(3, 24, 80, dtype=torch.float64) + 5
    fidx = torch.tensor([0, 0, 1, 1, 2])
    args = (segms, t64(ins['obj_pix_heights']), t64(ins['obj_heights_flat']),
            46.08, 3)
    loss = car_height_loss(depth, segms, fidx, *args[1:])
    loss_rep = car_height_loss(depth[fidx], segms, torch.arange(5), *args[1:])
    close(loss, loss_rep.numpy(), rtol=1e-12)


def test_compute_projected_obj_heights():
    ins, outs = load_fixture('fumet', 'compute_projected_obj_heights')
    h = projected_car_heights(t64(ins['batch_cam_pts']),
                              t64(ins['batch_road_normal_neg']),
                              t64(ins['batch_unscaled_cam_height']),
                              t64(ins['segms_flat']),
                              frame_index(ins['batch_n_inst']))
    close(h, outs['projected_heights'])


def test_compute_scaled_cam_heights():
    ins, outs = load_fixture('fumet', 'compute_scaled_cam_heights')
    fidx = frame_index(ins['batch_n_inst'])
    htilde = t64(ins['batch_unscaled_cam_height'])
    est = projected_car_heights(t64(ins['batch_cam_pts']),
                                t64(ins['batch_road_normal_neg']), htilde,
                                t64(ins['segms_flat']), fidx)
    hc = scaled_cam_heights(est, t64(ins['obj_heights_flat']), fidx, htilde)
    close(hc, outs['scaled_cam_heights_with_nan'])
    close(hc[~hc.isnan()], outs['scaled_cam_heights'])
    # the cars need not be sorted by frame
    perm = torch.tensor([4, 2, 0, 3, 1])
    hc2 = scaled_cam_heights(est[perm], t64(ins['obj_heights_flat'])[perm],
                             fidx[perm], htilde)
    close(hc2, outs['scaled_cam_heights_with_nan'])


def test_set_gradual_loss_weights():
    ins, outs = load_fixture('fumet', 'set_gradual_loss_weights')
    fine = np.zeros_like(outs['fine_metric_rate'])
    rough = np.zeros_like(outs['rough_metric_rate'])
    for c, (k, L, rmin, init, fix) in enumerate(ins['configs']):
        for j, e in enumerate(ins['epochs']):
            fine[c, j], rough[c, j] = log_ramp_rates(int(e), int(k), int(L),
                                                     float(rmin))
            if not math.isnan(init) and fix:
                fine[c, j] = 1.0
    np.testing.assert_allclose(fine, outs['fine_metric_rate'], rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(rough, outs['rough_metric_rate'], rtol=1e-10,
                               atol=1e-12)
    # the spec table (L = 20)
    assert log_ramp_rates(1)[0] == pytest.approx(math.log(2) / math.log(21),
                                                 rel=1e-12)
    assert log_ramp_rates(19) == pytest.approx((.9840, .0160), abs=1e-4)
    assert log_ramp_rates(25) == (1.0, 0.005)


def _simulate_hstar(ins, update=h_star_update):
    """The original KITTI trainer's stale (never cleared) buffer, fed into
    ``update`` epoch by epoch -> h* after each epoch [E, S] (NaN: none)."""
    values, counts = ins['epoch_values'], ins['epoch_counts']
    S, L = int(ins['num_scales']), int(ins['buffer_len'])
    F = int(ins['first_update_epoch'])
    F = None if F == -1 else F
    init = float(ins['initial_cam_height'])
    has_init = not math.isnan(init)
    buffers = [torch.full((L, ), math.nan, dtype=torch.float64)
               for _ in range(S)]
    h = [init if has_init else None for _ in range(S)]
    out = np.full((len(counts), S), np.nan)
    for e, cnt in enumerate(counts):
        for s in range(S):
            buffers[s][:cnt] = torch.from_numpy(values[e, :cnt] *
                                                (1 + 0.01 * s))
            h_epoch = float(torch.nanquantile(buffers[s], 0.5))
            h[s] = update(h[s], h_epoch, e, F, has_init)
            if h[s] is not None:
                out[e, s] = h[s]
    return out


@pytest.mark.parametrize('name', [
    'hstar_update_F1', 'hstar_update_F2', 'hstar_update_F0',
    'hstar_update_init_F1', 'hstar_update_init_F3', 'hstar_update_init_Fnone'
])
def test_hstar_update(name):
    ins, outs = load_fixture('fumet', name)
    np.testing.assert_allclose(_simulate_hstar(ins),
                               outs['h_star_after_epoch'], rtol=1e-10,
                               atol=1e-12)


def test_hstar_update_rules():
    # F2 bias (Q7): first update gives (2/3)·Ĥ
    assert h_star_update(None, 1.5, 2, 2, False) == pytest.approx(1.0)
    # before F / F None: unchanged
    assert h_star_update(None, 1.5, 0, 1, False) is None
    assert h_star_update(1.7, 1.5, 0, 1, True) == 1.7
    assert h_star_update(1.7, 1.5, 5, None, True) == 1.7
    # initial height with F = 0 (Q8 fix): finite, = Ĥ_0 (weight 0 on h0)
    h = h_star_update(1.7, 1.5, 0, 0, True)
    assert math.isfinite(h) and h == pytest.approx(1.5)
    h = h_star_update(h, 1.6, 1, 0, True)
    assert h == pytest.approx((1.5 + 2 * 1.6) / 3)
    # Q6b: NaN estimate keeps the previous value / stays non-existent
    assert h_star_update(1.6, math.nan, 4, 1, False) == 1.6
    assert h_star_update(None, math.nan, 1, 1, False) is None
    # ... and creation is retried at the next epoch with an estimate
    assert h_star_update(None, 1.5, 2, 1, False) == pytest.approx(1.0)


# --------------------------------------------------------------------------
# edge cases (fixes of §9)
# --------------------------------------------------------------------------
def _outlier_chain(pts, road, K, segms, fidx, heights, h_star):
    B, H, W, _ = pts.shape
    lines = horizon_lines(fit_road_planes(pts, road), K)
    ratios = horizon_height_ratios(signed_dist_to_horizon(lines, H, W),
                                   segms, fidx)
    return lines, outlier_inliers(ratios, heights, h_star)


def test_one_road_frame_outlier_chain():
    """Q4: a single road frame keeps its batch dim and matches the result
    of the same frame inside a 2-frame batch."""
    ins, _ = load_fixture('fumet', 'outlier_filter')
    pts, road = t64(ins['cam_pts']), t64(ins['road'])
    segms, heights = t64(ins['segms_flat']), t64(ins['heights_flat'])
    K = t64(ins['K']).expand(2, 4, 4)
    # frame 0 (cars 0, 1) alone vs. frames (0, 3) (cars 0, 1, 4)
    l1, (a1, r1, i1) = _outlier_chain(pts[:1], road[:1], K[:1], segms[:2],
                                      torch.tensor([0, 0]), heights[:2],
                                      1.62)
    assert l1.shape == (1, 3)
    l2, (a2, r2, i2) = _outlier_chain(pts[[0, 3]], road[[0, 3]], K,
                                      segms[[0, 1, 4]],
                                      torch.tensor([0, 0, 1]),
                                      heights[[0, 1, 4]], 1.62)
    close(l1, l2[:1].numpy(), rtol=1e-12)
    close(a1, a2[:2].numpy(), rtol=1e-12)
    assert torch.equal(i1, i2[:2])
    assert torch.isfinite(a1).all()


def test_projected_heights_three_frames():
    """Q3 fixed: with exactly 3 frames, per-car heights equal the per-frame
    closed form nbar·P − htilde."""
    ins, outs = load_fixture('fumet', 'compute_projected_obj_heights')
    pts = t64(ins['batch_cam_pts'])[[0, 1, 3]]
    nbar = t64(ins['batch_road_normal_neg'])[[0, 1, 3]]
    htilde = t64(ins['batch_unscaled_cam_height'])[[0, 1, 3]]
    segms = t64(ins['segms_flat'])
    fidx = torch.tensor([0, 0, 1, 1, 2])
    h = projected_car_heights(pts, nbar, htilde, segms, fidx)
    ref = []
    for i in range(5):
        b = int(fidx[i])
        y = (pts[b][segms[i]] @ nbar[b]) - htilde[b]
        ref.append(-y.min() if y.max() < 0 else y.max() - y.min())
    close(h, torch.stack(ref).numpy(), rtol=1e-12)
    close(h, outs['projected_heights'])  # same cars, same frames


def test_no_cars():
    pts, road, _, _, _, K = synthetic_scene(B=2)
    B, H, W, _ = pts.shape
    segms = torch.zeros(0, H, W, dtype=torch.bool)
    fidx = torch.zeros(0, dtype=torch.long)
    empty = torch.zeros(0, dtype=torch.float64)
    lines = horizon_lines(fit_road_planes(pts, road), K)
    ratios = horizon_height_ratios(signed_dist_to_horizon(lines, H, W),
                                   segms, fidx)
    assert ratios.shape == (0, )
    approx, rel, inl = outlier_inliers(ratios, empty, 1.6)
    assert approx.shape == rel.shape == inl.shape == (0, )
    ph = mask_pixel_heights(segms)
    assert ph.shape == (0, ) and ph.dtype == torch.int16
    depth = pts[..., 2].clone().requires_grad_(True)
    loss = car_height_loss(depth, segms, fidx, ph, empty, 46.08, 0)
    assert loss.shape == () and float(loss.detach()) == 0.0
    loss.backward()
    assert torch.equal(depth.grad, torch.zeros_like(depth))
    _, htilde, nbar = camera_height_terms(pts, zero_road_borders(road), None)
    est = projected_car_heights(pts, nbar, htilde, segms, fidx)
    assert est.shape == (0, )
    hc = scaled_cam_heights(est, empty, fidx, htilde)
    assert hc.shape == (B, ) and hc.isnan().all()  # no car -> no estimate


def test_no_road_frames():
    pts = torch.zeros(0, 24, 80, 3, dtype=torch.float64, requires_grad=True)
    road = torch.zeros(0, 24, 80, dtype=torch.bool)
    for h_star in (None, torch.tensor(1.6)):
        loss, htilde, nbar = camera_height_terms(pts, road, h_star)
        assert loss.shape == () and float(loss.detach()) == 0.0
        assert htilde.shape == (0, ) and nbar.shape == (0, 3)
        loss.backward()
    assert fit_road_planes(pts.detach(), road).shape == (0, 3)


def test_fine_loss_without_h_star_is_graph_zero():
    ins, outs = load_fixture('fumet', 'compute_cam_heights_and_road_normals')
    pts = t64(ins['cam_pts']).requires_grad_(True)
    road = zero_road_borders(t64(ins['road']))
    loss, htilde, nbar = camera_height_terms(pts, road, None)
    assert float(loss.detach()) == 0.0 and loss.requires_grad
    loss.backward()
    assert torch.equal(pts.grad, torch.zeros_like(pts))
    close(htilde, outs['unscaled_cam_heights'])
    close(nbar, outs['road_normal_neg'])


def test_empty_masks_no_nan():
    pts, road, segms, fidx, heights, K = synthetic_scene(B=2)
    road[1] = False  # frame 1 without road
    segms[1] = False  # car 1 with an empty mask
    loss, htilde, nbar = camera_height_terms(pts, zero_road_borders(road),
                                             torch.tensor(1.65))
    assert torch.isfinite(loss) and torch.isfinite(nbar).all()
    n = fit_road_planes(pts, road)
    assert torch.isfinite(n).all() and torch.equal(n[1], torch.zeros(3,
                                                   dtype=n.dtype))
    ph = mask_pixel_heights(segms)
    assert ph[1] == 0
    l_rough = car_height_loss(pts[..., 2], segms, fidx, ph, heights, 46.08, 2)
    assert torch.isfinite(l_rough)


def test_synthetic_scene_metric_height():
    """Flat road 1.65 below the camera: interior heights ≈ 1.65 and the
    metric estimate recovers the camera height for any global scale."""
    pts, road, segms, fidx, heights, K = synthetic_scene(B=2)
    road_z = zero_road_borders(road)
    for k in (1.0, 0.37):
        _, htilde, nbar = camera_height_terms(pts * k, road_z, None)
        assert htilde.numpy() == pytest.approx(1.65 * k, rel=2e-2)
        assert nbar[:, 1].numpy() == pytest.approx(1., abs=1e-3)
        est = projected_car_heights(pts * k, nbar, htilde, segms, fidx)
        hc = scaled_cam_heights(est, heights, fidx, htilde)
        assert hc.numpy() == pytest.approx(1.65, rel=0.05)
    n = fit_road_planes(pts, road)
    assert n[:, 1].numpy() == pytest.approx(1., abs=1e-3)


def test_float32_runs():
    ins, outs = load_fixture('fumet', 'outlier_filter')
    pts = torch.from_numpy(ins['cam_pts']).requires_grad_(True)  # float32
    road = torch.from_numpy(ins['road'])
    B, H, W, _ = pts.shape
    segms = torch.from_numpy(ins['segms_flat'])
    heights = torch.from_numpy(ins['heights_flat'])
    fidx = frame_index(ins['n_inst'])
    K = torch.from_numpy(ins['K']).float().expand(B, 4, 4)

    h, n = pixel_cam_heights(pts)
    assert h.dtype == n.dtype == torch.float32
    loss, htilde, nbar = camera_height_terms(pts, zero_road_borders(road),
                                             torch.tensor(1.58))
    loss.backward()
    assert pts.grad.dtype == torch.float32 and torch.isfinite(pts.grad).all()
    _, ref = load_fixture('fumet', 'compute_cam_heights_and_road_normals')
    close(htilde, ref['unscaled_cam_heights'], rtol=1e-4, atol=1e-5)
    close(nbar, ref['road_normal_neg'], rtol=1e-4, atol=1e-5)

    lines, (approx, rel, inl) = _outlier_chain(pts.detach(), road, K, segms,
                                               fidx, heights, 1.62)
    assert lines.dtype == approx.dtype == torch.float32
    close(approx, outs['approx_heights'], rtol=1e-4)
    np.testing.assert_array_equal(inl.numpy(), outs['inlier_bools'])

    depth = pts.detach()[..., 2].clone().requires_grad_(True)
    ph = mask_pixel_heights(segms)
    rough = car_height_loss(depth, segms, fidx, ph, heights, 46.08, 3)
    rough.backward()
    assert rough.dtype == torch.float32 and torch.isfinite(depth.grad).all()
    est = projected_car_heights(pts.detach(), nbar, htilde, segms, fidx)
    hc = scaled_cam_heights(est, heights, fidx, htilde)
    assert hc.dtype == torch.float32
    _, ref = load_fixture('fumet', 'compute_scaled_cam_heights')
    close(hc, ref['scaled_cam_heights_with_nan'], rtol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    pts, road, segms, fidx, heights, K = synthetic_scene(B=3)
    dev = torch.device('cuda')
    out = []
    for d in (torch.device('cpu'), dev):
        p = pts.to(d).requires_grad_(True)
        loss, htilde, nbar = camera_height_terms(
            p, zero_road_borders(road.to(d)), torch.tensor(1.6, device=d))
        loss.backward()
        lines, (approx, _, inl) = _outlier_chain(
            p.detach(), road.to(d), K.to(d), segms.to(d), fidx.to(d),
            heights.to(d), 1.65)
        est = projected_car_heights(p, nbar, htilde, segms.to(d), fidx.to(d))
        rough = car_height_loss(p[..., 2], segms.to(d), fidx.to(d),
                                mask_pixel_heights(segms.to(d)),
                                heights.to(d), 46.08, 3)
        out.append([t.detach().cpu() for t in
                    (loss, htilde, nbar, p.grad, lines, approx, est, rough)])
    for a, b in zip(*out):
        close(b, a.numpy(), rtol=1e-9, atol=1e-11)
