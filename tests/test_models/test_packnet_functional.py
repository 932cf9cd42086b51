"""PackNet-SfM numerical pieces (packnet spec §1.4, §2, §4) against every
non-layer fixture of packnet.npz: Euler poses, camera scaling and warping,
the photometric loss pieces, the full MultiViewPhotometricLoss, and the
depth evaluation. Everything runs in float64."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from depthseg.evaluation.functional import garg_crop
from depthseg.evaluation.packnet_functional import (compute_depth_metrics,
                                                    crop_mask,
                                                    depth_metrics_per_image,
                                                    evaluate_depth,
                                                    median_scale,
                                                    post_process_inv_depth,
                                                    scale_depth)
from depthseg.models.losses.packnet_functional import (
    ProgressiveScaling, calc_photometric_loss, calc_smoothness,
    calc_smoothness_loss, match_scales, multiview_photometric_loss,
    photometric_map, reduce_photometric_loss, ssim,
    upsample_inv_depths)
from depthseg.models.losses.functional import ssim_loss
from depthseg.models.utils.packnet_geometry import (
    euler2mat, flip_intrinsics, flip_lr, flip_outputs, inv2depth,
    inv_intrinsics, invert_pose, pose_vec2mat, pose_vec_to_matrix, project,
    reconstruct, scale_intrinsics, view_synthesis)
from depthseg.testing import load_fixture

RTOL, ATOL = 1e-10, 1e-12  # layers, geometry, loss pieces
E2E_RTOL, E2E_ATOL = 1e-9, 1e-12  # end-to-end loss, evaluation metrics
AK_RTOL = 1e-6  # a1-a3: float32 means in the original
LAYER_FIXTURES = {
    'packing', 'Conv2D', 'Conv2D_k3_s2', 'ResidualConv',
    'ResidualConv_dropout', 'ResidualBlock', 'InvDepth', 'PackLayerConv3d',
    'PackLayerConv3d_k5_d4', 'UnpackLayerConv3d', 'UnpackLayerConv3d_d4'
}  # tested in test_packnet.py
FUNCTIONAL_FIXTURES = {
    'pose_vec2mat', 'scale_intrinsics', 'view_synthesis', 'flip_batch_input',
    'SSIM', 'calc_photometric_loss', 'reduce_photometric_loss',
    'upsample_output', 'calc_smoothness_loss', 'ProgressiveScaling',
    'MultiViewPhotometricLoss_e2e', 'evaluate_depth',
    'compute_depth_metrics_empty', 'garg_crop', 'scale_depth',
    'median_scaling'
}


def fixture(prefix, name='packnet'):
    """``load_fixture`` with the float inputs as float64 tensors."""
    ins, outs = load_fixture(name, prefix)
    ins = {k: torch.from_numpy(v).double() if v.dtype.kind == 'f' else v
           for k, v in ins.items()}
    return ins, outs


def check(outs, got, rtol=RTOL, atol=ATOL, loose=None):
    """Every fixture output compared with ``got`` (same key set); keys in
    ``loose`` map to their own ``(rtol, atol)``."""
    assert set(got) == set(outs), sorted(set(outs) ^ set(got))
    for key, value in got.items():
        expected = outs[key]
        if isinstance(value, torch.Tensor):
            value = value.detach().numpy()
        value = np.asarray(value)
        if expected.dtype.kind in 'iub':
            np.testing.assert_array_equal(value, expected, err_msg=key)
            continue
        assert value.shape == expected.shape, (key, value.shape)
        r, a = (loose or {}).get(key, (rtol, atol))
        np.testing.assert_allclose(value, expected, rtol=r, atol=a,
                                   err_msg=key)


def check_metrics(outs, got):
    """7 metrics: 1e-9 for the errors, 1e-6 for a1-a3 (float32 means)."""
    assert set(got) == set(outs), sorted(set(outs) ^ set(got))
    for key, value in got.items():
        value = np.asarray(value.detach().numpy() if isinstance(
            value, torch.Tensor) else value)
        if outs[key].shape == (7, ):
            np.testing.assert_allclose(value[:4], outs[key][:4],
                                       rtol=E2E_RTOL, err_msg=key)
            np.testing.assert_allclose(value[4:], outs[key][4:],
                                       rtol=AK_RTOL, err_msg=key)
        else:
            check({key: outs[key]}, {key: value}, E2E_RTOL, E2E_ATOL)


def test_every_fixture_is_covered():
    z = load_fixture('packnet')
    names = {k.split('__')[0] for k in z.files}
    assert names == LAYER_FIXTURES | FUNCTIONAL_FIXTURES


# ---------------------------------------------------------------- geometry
def test_pose_vec2mat():
    ins, outs = fixture('pose_vec2mat')
    vec = ins['vec']
    mat44 = pose_vec_to_matrix(vec)
    check(outs, dict(euler2mat=euler2mat(vec[:, 3:]),
                     mat34=pose_vec2mat(vec), mat44=mat44,
                     inverse=invert_pose(mat44)))
    eye = torch.eye(4, dtype=torch.float64).expand(len(vec), 4, 4)
    torch.testing.assert_close(invert_pose(mat44) @ mat44, eye)
    with pytest.raises(ValueError, match='rotation mode'):
        pose_vec2mat(vec, 'quat')


def test_scale_intrinsics():
    ins, outs = fixture('scale_intrinsics')
    K = ins['K']
    got = {}
    for i, (sx, sy) in enumerate(ins['scales'].tolist()):
        Ki = scale_intrinsics(K, sx, sy)
        got[f'K_{i}'], got[f'Kinv_{i}'] = Ki, inv_intrinsics(Ki)
    check(outs, got)
    assert scale_intrinsics(K, 1.0) is K  # (1, 1) returns the same camera
    assert scale_intrinsics(K, 0.5).data_ptr() != K.data_ptr()
    eye = torch.eye(3, dtype=torch.float64).expand(2, 3, 3)
    torch.testing.assert_close(inv_intrinsics(K) @ K, eye)


def test_view_synthesis():
    ins, outs = fixture('view_synthesis')
    K, ref_image = ins['K'], ins['ref_image']
    Tcw = pose_vec_to_matrix(ins['pose_vec'])
    depth = inv2depth(ins['inv_depth'])
    world = reconstruct(depth, K)
    coords = project(world, K, Tcw)
    warped = F.grid_sample(ref_image, coords, mode='bilinear',
                           padding_mode='zeros', align_corners=True)
    check(outs, dict(depth=depth, world_points=world, ref_coords=coords,
                     warped=warped, Kinv=inv_intrinsics(K)))
    warped2, coords2 = view_synthesis(ref_image, depth, K, Tcw, K,
                                      return_coords=True)
    assert torch.equal(warped2, warped) and torch.equal(coords2, coords)
    # the target camera has the identity pose: Twc = I changes nothing
    eye = torch.eye(4, dtype=torch.float64).expand(3, 4, 4)
    assert torch.equal(reconstruct(depth, K, eye), world)
    assert depth.max() == 1e6  # zero inverse depths clamp at 1e-6


def test_flip_batch_input():
    ins, outs = fixture('flip_batch_input')
    width = ins['rgb'].shape[-1]
    inv = flip_outputs([ins['inv_depths_s0'], ins['inv_depths_s1']])
    K = ins['intrinsics']
    flipped_K = flip_intrinsics(K, width)
    check(outs, dict(rgb=flip_lr(ins['rgb']),
                     rgb_context_0=flip_lr(ins['rgb_context_0']),
                     intrinsics=flipped_K, inv_depths_s0=inv[0],
                     inv_depths_s1=inv[1]), rtol=0, atol=0)
    assert flipped_K.data_ptr() != K.data_ptr()  # a copy
    K2 = K.clone()
    K2[:, 0, 2] = 1.0
    assert flip_intrinsics(K2, width)[:, 0, 2].tolist() == [5.0, 5.0]


# ------------------------------------------------------------ loss pieces
def test_ssim():
    ins, outs = fixture('SSIM')
    x, y = ins['x'], ins['y']
    check(outs, dict(ssim=ssim(x, y), ssim_loss=ssim_loss(x, y, 1e-4, 9e-4)))
    expected = torch.clamp((1 - ssim(x, y)) / 2, 0, 1)
    torch.testing.assert_close(ssim_loss(x, y, 1e-4, 9e-4), expected,
                               rtol=1e-12, atol=1e-14)


def test_calc_photometric_loss():
    ins, outs = fixture('calc_photometric_loss')
    t_est, image = ins['t_est'], ins['image']
    clipped = photometric_map(t_est, image, clip_loss=0.5)
    check(outs, dict(loss=photometric_map(t_est, image),
                     alpha0_loss=photometric_map(t_est, image,
                                                 ssim_loss_weight=0.0),
                     clip0_5_loss=clipped))
    loss = photometric_map(t_est, image)
    assert clipped.max() == float(loss.mean() + 0.5 * loss.std())
    assert calc_photometric_loss([t_est], [image])[0].equal(loss)


def test_reduce_photometric_loss():
    ins, outs = fixture('reduce_photometric_loss')
    losses = [[ins[f'{m}_c{c}_s{s}'] for c in range(2) for m in 'LI']
              for s in range(2)]
    assert losses[0][1] is ins['I_c0_s0']  # interleaved [L0, I0, L1, I1]
    min_loss = reduce_photometric_loss(losses, 'min')
    mean_loss = reduce_photometric_loss(losses, 'mean')
    check(outs, dict(min_loss=min_loss, min_metric=min_loss,
                     mean_loss=mean_loss, mean_metric=mean_loss),
          E2E_RTOL, E2E_ATOL)
    with pytest.raises(ValueError, match='reduce_op'):
        reduce_photometric_loss(losses, 'max')


def test_upsample_output():
    ins, outs = fixture('upsample_output')
    up = upsample_inv_depths([ins[f'inv_depths_s{i}'] for i in range(4)])
    check(outs, {f'up_s{i}': d for i, d in enumerate(up)}, rtol=0, atol=0)


def test_calc_smoothness_loss():
    ins, outs = fixture('calc_smoothness_loss')
    image = ins['image']
    inv = [ins[f'inv_depths_s{i}'] for i in range(4)]
    images = match_scales(image, inv, 4)
    sx, sy = calc_smoothness(inv, images, 4)
    got = dict(smoothness_loss=calc_smoothness_loss(inv, images, 4, 1e-3))
    for i in range(4):
        got.update({f'images_s{i}': images[i], f'smoothness_x_s{i}': sx[i],
                    f'smoothness_y_s{i}': sy[i]})
    up = upsample_inv_depths(inv)
    up_images = match_scales(image, up, 4)
    assert all(im is image for im in up_images)
    got['up_smoothness_loss'] = calc_smoothness_loss(up, up_images, 4)
    check(outs, got, loose={k: (E2E_RTOL, E2E_ATOL)
                            for k in ('smoothness_loss',
                                      'up_smoothness_loss')})


def test_progressive_scaling():
    ins, outs = fixture('ProgressiveScaling')
    progress, p = ins['progress'].tolist(), float(ins['p'])
    legacy0 = ProgressiveScaling(0.0, 4)
    legacy = ProgressiveScaling(p, 4)  # quirk Q2 reproduced: a no-op
    intended = ProgressiveScaling(p, 4, legacy_noop=False)
    assert legacy.thresholds.dtype == np.float32
    check(outs, dict(
        num_scales_p0=np.array([legacy0(x) for x in progress]),
        num_scales_p0_3=np.array([legacy(x) for x in progress]),
        thresholds_p0_3=legacy.thresholds,
        intended_num_scales_p0_3=np.array([intended(x) for x in progress])),
        rtol=0, atol=0)
    assert ProgressiveScaling(0.0, 4, legacy_noop=False)(0.5) == 4


# ------------------------------------------------------------- end to end
@pytest.mark.parametrize('upsample', [True, False])
def test_multiview_photometric_loss_e2e(upsample):
    ins, outs = fixture('MultiViewPhotometricLoss_e2e')
    native = {k[len('native_'):]: v for k, v in outs.items()
              if k.startswith('native_')}
    outs = native if not upsample else {
        k: v for k, v in outs.items() if not k.startswith('native_')}
    inv = [ins[f'inv_depths_s{i}'] for i in range(4)]
    if upsample:
        inv = upsample_inv_depths(inv)
    out = multiview_photometric_loss(
        ins['image'], [ins['context_0'], ins['context_1']], inv, ins['K'],
        [ins['pose_vec_0'], ins['pose_vec_1']], return_details=True)
    got = dict(loss=out['loss'], photometric_loss=out['photometric_loss'],
               metric_photometric_loss=out['loss'][0],
               metric_smoothness_loss=out['smoothness_loss'],
               num_scales=out['num_scales'],
               warped_c0_s3=out['warped'][0][3])
    for i in range(4):
        got[f'P_s{i}'] = out['P'][i]
        got[f'smooth_term_s{i}'] = out['smooth_terms'][i]
    for j in range(2):
        got[f'warped_c{j}_s0'] = out['warped'][j][0]
        got[f'photo_c{j}_s0'] = out['photo'][j][0]
        got[f'identity_c{j}_s0'] = out['identity'][j][0]
        if upsample:
            got[f'Tcw_c{j}'] = out['poses'][j]
    if upsample:
        got.update({f'inv_depths_up_s{i}': d for i, d in enumerate(inv)})
    check(outs, got, E2E_RTOL, E2E_ATOL)
    # the photometric sum equals the mean of the per-scale reductions
    torch.testing.assert_close(out['photometric_loss'],
                               sum(out['P']) / 4, rtol=1e-14, atol=0)
    # poses given as 4×4 matrices give the same loss
    again = multiview_photometric_loss(
        ins['image'], [ins['context_0'], ins['context_1']], inv, ins['K'],
        [pose_vec_to_matrix(ins['pose_vec_0']),
         pose_vec_to_matrix(ins['pose_vec_1'])])
    assert torch.equal(again['loss'], out['loss'])


def test_multiview_photometric_loss_options():
    ins, _ = fixture('MultiViewPhotometricLoss_e2e')
    inv = upsample_inv_depths([ins[f'inv_depths_s{i}'] for i in range(4)])
    args = (ins['image'], [ins['context_0'], ins['context_1']], inv,
            ins['K'], [ins['pose_vec_0'], ins['pose_vec_1']])
    with pytest.raises(ValueError, match='automask'):
        multiview_photometric_loss(*args, photometric_reduce_op='mean')
    mean = multiview_photometric_loss(*args, photometric_reduce_op='mean',
                                      automask_loss=False)
    plain = multiview_photometric_loss(*args)
    assert mean['photometric_loss'] > plain['photometric_loss']
    no_smooth = multiview_photometric_loss(*args, smooth_loss_weight=0.0)
    assert float(no_smooth['smoothness_loss']) == 0
    torch.testing.assert_close(no_smooth['loss'][0],
                               plain['photometric_loss'])
    working = multiview_photometric_loss(
        *args, progressive_scaling=0.3, progress=0.95,
        legacy_progressive_scaling_noop=False)
    assert working['num_scales'] == 1
    legacy = multiview_photometric_loss(*args, progressive_scaling=0.3,
                                        progress=0.95)
    assert legacy['num_scales'] == 4
    with pytest.raises(ValueError, match='poses'):
        multiview_photometric_loss(*args[:4], [ins['pose_vec_0']])


# -------------------------------------------------------------- evaluation
def test_evaluate_depth():
    ins, outs = fixture('evaluate_depth')
    inv, inv_flipped, gt = (ins['inv_depth'], ins['inv_depth_flipped_net'],
                            ins['gt'])
    out = evaluate_depth(inv, inv_flipped, gt, crop='garg', min_depth=0.0,
                         max_depth=80.0, scale_output='resize')
    out['pred_resized'] = scale_depth(out['depth'], gt, 'resize')
    check_metrics(outs, out)
    torch.testing.assert_close(post_process_inv_depth(inv, inv_flipped),
                               out['inv_depth_pp'], rtol=0, atol=0)


def test_compute_depth_metrics_empty():
    ins, outs = fixture('compute_depth_metrics_empty')
    pred, gt = ins['pred'], ins['gt']
    per_image = depth_metrics_per_image(gt, pred)
    assert [m is None for m in per_image] == [False, True, False]
    got = {}
    for suffix, scale in (('', False), ('_gt', True)):
        got['original' + suffix] = compute_depth_metrics(
            gt, pred, use_gt_scale=scale, empty='count')
        got['valid_only' + suffix] = compute_depth_metrics(
            gt, pred, use_gt_scale=scale)  # default: quirk Q20 fixed
    check_metrics(outs, got)
    with pytest.raises(ValueError, match='no image'):
        compute_depth_metrics(gt[1:2], pred[1:2])
    with pytest.raises(ValueError, match='empty'):
        compute_depth_metrics(gt, pred, empty='skip')


def test_garg_crop():
    ins, outs = fixture('garg_crop')
    got = {}
    for h, w in ins['sizes'].tolist():
        got[f'crop_{h}x{w}'] = garg_crop(h, w).astype(np.int64)
    got['crop_mask_60x200'] = crop_mask(60, 200, 'garg').double()
    check(outs, got, rtol=0, atol=0)
    assert bool(crop_mask(4, 5, None).all()) and bool(crop_mask(4, 5,
                                                                '').all())
    with pytest.raises(ValueError, match='crop'):
        crop_mask(4, 5, 'eigen')


def test_scale_depth():
    ins, outs = fixture('scale_depth')
    pred, gt = ins['pred'], ins['gt']
    check(outs, dict(resize=scale_depth(pred, gt, 'resize'),
                     top_center=scale_depth(pred, gt, 'top-center')))
    with pytest.raises(ValueError, match='scale_output'):
        scale_depth(pred, gt, 'nearest')
    with pytest.raises(ValueError, match='larger'):
        scale_depth(gt, pred, 'top-center')


def test_median_scaling():
    ins, outs = fixture('median_scaling')
    gt, pred = ins['gt'], ins['pred']
    valid = (gt > 0) & (gt < 80)
    gt_valid, pred_valid = gt[valid], pred[valid]
    got = dict(gt_valid=gt_valid, pred_scaled=median_scale(gt_valid,
                                                           pred_valid),
               metrics=compute_depth_metrics(gt, pred, crop=None,
                                             use_gt_scale=True))
    check_metrics(outs, got)
    assert float(median_scale(gt_valid, pred_valid).max()) == 90  # clamped
    # torch.median: the lower middle value (6 and 3, not 7 and 4)
    assert float(torch.median(gt_valid)) == 6
    assert float(torch.median(pred_valid)) == 3
