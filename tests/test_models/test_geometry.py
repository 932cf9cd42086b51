"""Geometry against monodepth2_geometry.npz (values of the original)."""
import numpy as np
import torch

from depthseg.models.utils.geometry import (backproject, disp_to_depth,
                                            get_translation_matrix,
                                            pixel_grid, project,
                                            rot_from_axisangle,
                                            scale_intrinsics,
                                            transformation_from_parameters)
from depthseg.testing.fixtures import load_fixture

T = torch.from_numpy
TOL = dict(rtol=1e-10, atol=1e-12)


def test_disp_to_depth():
    for name in ('disp_to_depth', 'disp_to_depth_nyu'):
        i, o = load_fixture('monodepth2_geometry', name)
        scaled, depth = disp_to_depth(T(i['disp']), float(i['min_depth']),
                                      float(i['max_depth']))
        np.testing.assert_allclose(scaled.numpy(), o['scaled_disp'], **TOL)
        np.testing.assert_allclose(depth.numpy(), o['depth'], **TOL)


def test_closed_form_depth():
    scaled, depth = disp_to_depth(torch.tensor([0., 0.5, 1.],
                                               dtype=torch.float64))
    # depth = 1/(1/100 + (1/0.1 − 1/100)·disp)
    np.testing.assert_allclose(depth.numpy(),
                               [100, 1 / (0.01 + (10 - 0.01) * 0.5), 0.1],
                               rtol=1e-12)


def test_rotations_and_poses():
    i, o = load_fixture('monodepth2_geometry', 'rot_from_axisangle')
    np.testing.assert_allclose(rot_from_axisangle(T(i['vec'])).numpy(),
                               o['rot'], **TOL)
    i, o = load_fixture('monodepth2_geometry', 'get_translation_matrix')
    np.testing.assert_allclose(
        get_translation_matrix(T(i['translation_vector'])).numpy(), o['T'],
        **TOL)
    i, o = load_fixture('monodepth2_geometry',
                        'transformation_from_parameters')
    aa, t = T(i['axisangle']), T(i['translation'])
    M = transformation_from_parameters(aa, t)
    Mi = transformation_from_parameters(aa, t, invert=True)
    np.testing.assert_allclose(M.numpy(), o['M'], **TOL)
    np.testing.assert_allclose(Mi.numpy(), o['M_invert'], **TOL)
    eye = torch.eye(4, dtype=torch.float64).expand_as(M)
    assert torch.allclose(Mi @ M, eye, atol=1e-6)


def test_backproject_project():
    i, o = load_fixture('monodepth2_geometry', 'BackprojectDepth')
    cam = backproject(T(i['depth']), T(i['inv_K']))
    np.testing.assert_allclose(cam.numpy(), o['cam_points'], **TOL)
    # the homogeneous pixel grid backproject multiplies by inv_K
    B, _, H, W = i['depth'].shape
    pix = pixel_grid(H, W, torch.float64)
    np.testing.assert_array_equal(pix.expand(B, 3, H * W).numpy(),
                                  o['pix_coords'])
    i, o = load_fixture('monodepth2_geometry', 'Project3D')
    H, W = o['pix_coords'].shape[1:3]
    pix = project(T(i['points']), T(i['K']), T(i['T']), H, W)
    np.testing.assert_allclose(pix.numpy(), o['pix_coords'], **TOL)


def test_identity_pose_gives_identity_grid():
    depth = torch.rand(1, 1, 6, 8, dtype=torch.float64) + 1
    K = torch.from_numpy(scale_intrinsics(np.eye(4) * 0 + np.array(
        [[0.58, 0, 0.5, 0], [0, 1.92, 0.5, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
        6, 8, 1)[0]).double()
    grid = project(backproject(depth, torch.linalg.pinv(K)), K,
                   torch.eye(4, dtype=torch.float64)[None], 6, 8)
    ys, xs = torch.meshgrid(torch.arange(6.), torch.arange(8.),
                            indexing='ij')
    ref = torch.stack([2 * xs / 7 - 1, 2 * ys / 5 - 1], -1).double()
    assert torch.allclose(grid[0], ref, atol=1e-6)


def test_k_pyramid():
    for name in ('K_pyramid', 'K_pyramid_24x80'):
        i, o = load_fixture('monodepth2_geometry', name)
        K, inv_K = scale_intrinsics(o['K_norm'], int(i['height']),
                                    int(i['width']), int(i['num_scales']))
        np.testing.assert_allclose(K, o['K'], rtol=1e-6)
        np.testing.assert_allclose(inv_K, o['inv_K'], rtol=1e-6, atol=1e-7)
