"""Monodepth2 losses against monodepth2_losses.npz (values of the original)."""
import numpy as np
import torch

from depthseg.models.estimators.context import DepthContext
from depthseg.models.losses import (PhotometricLoss, SmoothnessLoss,
                                    automask_min, edge_aware_smoothness,
                                    mean_normalise, reprojection_error,
                                    ssim_loss)
from depthseg.models.utils.geometry import transformation_from_parameters
from depthseg.testing.fixtures import load_fixture

T = torch.from_numpy
TOL = dict(rtol=1e-10, atol=1e-12)


def test_ssim():
    for name in ('SSIM', 'SSIM_constant'):
        i, o = load_fixture('monodepth2_losses', name)
        out = ssim_loss(T(i['x']), T(i['y']))
        np.testing.assert_allclose(out.numpy(), o['ssim_loss'], **TOL)
    # constant 0 vs 1: SSIM = C1/(1 + C1), loss (1 − SSIM)/2 = 1/(2(1 + C1))
    zeros, ones = torch.zeros(1, 3, 6, 7), torch.ones(1, 3, 6, 7)
    assert torch.allclose(ssim_loss(zeros, ones),
                          torch.tensor(1 / (2 * (1 + 0.01**2))))
    assert ssim_loss(ones, ones).abs().max() == 0


def test_reprojection_error():
    i, o = load_fixture('monodepth2_losses', 'compute_reprojection_loss')
    out = reprojection_error(T(i['pred']), T(i['target']))
    np.testing.assert_allclose(out.numpy(), o['reprojection_loss'], **TOL)
    i, o = load_fixture('monodepth2_losses',
                        'compute_reprojection_loss_no_ssim')
    out = reprojection_error(T(i['pred']), T(i['target']), use_ssim=False)
    np.testing.assert_allclose(out.numpy(), o['reprojection_loss'], **TOL)


def test_automask_min():
    i, o = load_fixture('monodepth2_losses', 'automask_min')
    to_opt, idxs, sel = automask_min(T(i['identity_reprojection_loss']),
                                     T(i['reprojection_loss']), T(i['noise']))
    np.testing.assert_allclose(to_opt.numpy(), o['to_optimise'], **TOL)
    np.testing.assert_array_equal(idxs.numpy(), o['idxs'])
    np.testing.assert_array_equal(sel.numpy(), o['identity_selection'])
    # combined = [identity + 1e-5·noise, reprojection] (identity first);
    # depthseg's argmin indexes it, picking depthseg's minimum
    identity = T(i['identity_reprojection_loss']) + 1e-5 * T(i['noise'])
    np.testing.assert_allclose(
        o['combined'],
        torch.cat([identity, T(i['reprojection_loss'])], 1).numpy(), **TOL)
    np.testing.assert_allclose(
        np.take_along_axis(o['combined'], idxs.numpy()[:, None], 1)[:, 0],
        to_opt.numpy(), **TOL)


def test_smoothness():
    i, o = load_fixture('monodepth2_losses', 'get_smooth_loss')
    out = edge_aware_smoothness(T(i['disp']), T(i['img']))
    np.testing.assert_allclose(out.item(), o['smooth_loss'], **TOL)
    i, o = load_fixture('monodepth2_losses', 'get_smooth_loss_mean_normalised')
    norm = mean_normalise(T(i['disp']))
    np.testing.assert_allclose(norm.numpy(), o['norm_disp'], **TOL)
    # mean_disp (+1e-7) is the divisor mean_normalise applies
    np.testing.assert_allclose((T(i['disp']) / norm - 1e-7).numpy(),
                               np.broadcast_to(o['mean_disp'], norm.shape),
                               **TOL)
    out = edge_aware_smoothness(norm, T(i['color']))
    np.testing.assert_allclose(out.item(), o['smooth_loss'], **TOL)
    # closed form: disp = column index, constant image -> 1.0
    disp = torch.arange(8.).expand(1, 1, 5, 8)
    assert edge_aware_smoothness(disp, torch.ones(1, 3, 5, 8)) == 1.0


def e2e_context():
    i, o = load_fixture('monodepth2_losses', 'compute_losses_e2e')
    names = {-1: 'm1', 1: 'p1'}
    color = {0: [T(i[f'color_0_s{s}']) for s in range(4)]}
    poses = {}
    for f, n in names.items():
        color[f] = [T(i[f'color_{n}_s0'])]
        poses[f] = transformation_from_parameters(
            T(i[f'axisangle_{n}']), T(i[f'translation_{n}']), invert=f < 0)
    inputs = dict(color=color, K=[T(i['K'])], inv_K=[T(i['inv_K'])],
                  automask_noise={s: T(i[f'noise_s{s}']) for s in range(4)})
    disp = {s: T(i[f'disp_s{s}']) for s in range(4)}
    ctx = DepthContext(inputs, disp, [0, -1, 1], range(4), pose_params=poses)
    return ctx, o, names


def test_compute_losses_e2e():
    ctx, o, names = e2e_context()
    tol = dict(rtol=1e-9, atol=1e-12)
    photo = PhotometricLoss()(ctx)['loss_photometric']
    smooth = SmoothnessLoss()(ctx)['loss_smooth']
    np.testing.assert_allclose((photo + smooth).item(), o['loss'], **tol)
    for f, n in names.items():
        np.testing.assert_allclose(ctx.poses[f, 0].numpy(),
                                   o[f'cam_T_cam_{n}'], **tol)
        np.testing.assert_allclose(ctx.grids[f, 0].numpy(),
                                   o[f'sample_{n}_s0'], **tol)
        np.testing.assert_allclose(ctx.warped[f, 0].numpy(),
                                   o[f'color_{n}_s0'], **tol)
    for s in range(4):
        np.testing.assert_allclose(ctx.depth[s].numpy(), o[f'depth_s{s}'],
                                   **tol)
        np.testing.assert_allclose(ctx.state['min_reproj'][s].numpy(),
                                   o[f'to_optimise_s{s}'], **tol)
        np.testing.assert_array_equal(ctx.state['automask'][s].numpy(),
                                      o[f'identity_selection_s{s}'])
    # the original's per-scale total = photometric_s + smoothness_s
    loss_s = [
        ctx.state['min_reproj'][s].mean().item() +
        SmoothnessLoss(scales=[s])(ctx)['loss_smooth'].item()
        for s in range(4)
    ]
    np.testing.assert_allclose(loss_s, [o[f'loss_s{s}'] for s in range(4)],
                               **tol)


def test_fused_ssim_equals_exact_form():
    """One depthwise convolution for the five local means = the original's
    five avg_pool2d calls (values and gradients)."""
    from depthseg.models.losses.functional import ssim_loss
    torch.manual_seed(0)
    # float32: x² - mu² cancels, so single pixels differ by ~1e-5
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 5e-5)):
        x = torch.rand(2, 3, 12, 20, dtype=dtype, requires_grad=True)
        y = torch.rand(2, 3, 12, 20, dtype=dtype)
        fused, exact = ssim_loss(x, y), ssim_loss(x, y, fused=False)
        torch.testing.assert_close(fused, exact, rtol=tol, atol=tol)
        g_fused, = torch.autograd.grad(fused.sum(), x)
        g_exact, = torch.autograd.grad(exact.sum(), x)
        torch.testing.assert_close(g_fused, g_exact, rtol=tol, atol=tol)


def test_identity_errors_computed_once_per_pair():
    """With multiscale='full' every scale compares the same full-resolution
    images: one identity error per (source, resolution)."""
    from unittest.mock import patch

    from depthseg.models.estimators.context import DepthContext
    torch.manual_seed(0)
    color = {f: [torch.rand(1, 3, 16 // 2**s, 32 // 2**s) for s in range(4)]
             for f in (0, -1, 1)}
    K = torch.eye(4)[None]
    inputs = dict(color=color, K=[K] * 4, inv_K=[K] * 4)
    disp = {s: torch.rand(1, 1, 16 // 2**s, 32 // 2**s) for s in range(4)}
    poses = {f: torch.eye(4)[None] for f in (-1, 1)}
    loss = PhotometricLoss(noise_scale=0)
    ctx = DepthContext(inputs, disp, [0, -1, 1], range(4), pose_params=poses)
    with patch.object(loss, 'error', wraps=loss.error) as error:
        value = loss(ctx)['loss_photometric']
    # 4 scales × 2 warped sources + 2 identities (not 4 × 2)
    assert error.call_count == 4 * 2 + 2
    ctx = DepthContext(inputs, disp, [0, -1, 1], range(4), pose_params=poses)
    uncached = lambda ctx, f, s: loss.error(  # noqa: E731
        ctx.source(f, s), ctx.target(s))
    with patch.object(loss, 'identity_error', side_effect=uncached):
        torch.testing.assert_close(loss(ctx)['loss_photometric'], value,
                                   rtol=0, atol=0)
