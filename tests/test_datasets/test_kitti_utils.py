"""Parity of the velodyne GT helpers with ``kitti_velodyne.npz``."""
import numpy as np
import pytest

from depthseg.datasets.kitti_utils import (generate_depth_map,
                                           load_velodyne_points,
                                           read_calib_file, sub2ind)
from depthseg.testing import load_fixture


def _fixture():
    return load_fixture('kitti_velodyne')


def _write_case(z, name, tmp_path):
    """Write the calibration texts and the scan of one fixture case."""
    calib_dir = tmp_path / name
    calib_dir.mkdir()
    for key in ('calib_cam_to_cam', 'calib_velo_to_cam'):
        (calib_dir / f'{key}.txt').write_text(str(z[f'{name}__in__{key}_txt']))
    velo = calib_dir / 'velo.bin'
    z[f'{name}__in__velo_points'].astype(np.float32).tofile(velo)
    return calib_dir, velo


def test_read_calib_file(tmp_path):
    z = _fixture()
    path = tmp_path / 'calib_cam_to_cam.txt'
    path.write_text(str(z['read_calib_file__in__calib_txt']))
    calib = read_calib_file(str(path))
    prefix = 'read_calib_file__out__'
    expected = {k[len(prefix):]: z[k] for k in z.files
                if k.startswith(prefix) and k != prefix + 'string_keys'}
    strings = set(z[prefix + 'string_keys'].tolist())
    assert set(calib) == set(expected) | strings
    for key in strings:
        assert isinstance(calib[key], str)
    for key, value in expected.items():
        assert calib[key].dtype == np.float64
        np.testing.assert_array_equal(calib[key], value)


def test_sub2ind():
    z = _fixture()
    ind = sub2ind(z['sub2ind__in__matrix_size'], z['sub2ind__in__row'],
                  z['sub2ind__in__col'])
    np.testing.assert_array_equal(ind, z['sub2ind__out__ind'])
    # the quirk: (20, 159) and (21, 0) collide
    assert ind[1] == ind[2]


@pytest.mark.parametrize('name', [
    'generate_depth_map_cam2', 'generate_depth_map_cam2_vel_depth',
    'generate_depth_map_cam3'
])
def test_generate_depth_map(name, tmp_path):
    z = _fixture()
    calib_dir, velo = _write_case(z, name, tmp_path)
    depth = generate_depth_map(str(calib_dir), str(velo),
                               cam=int(z[f'{name}__in__cam']),
                               vel_depth=bool(z[f'{name}__in__vel_depth']))
    expected = z[f'{name}__out__depth']
    assert depth.dtype == np.float64 and depth.shape == expected.shape
    np.testing.assert_array_equal(depth > 0, expected > 0)
    np.testing.assert_allclose(depth, expected, rtol=1e-9, atol=0)


def _write_simple_calib(calib_dir):
    """Calibration with u = −y/x, v = −z/x (velodyne axes), W×H = 160×48;
    S_rect_03 differs on purpose (the shape always comes from S_rect_02)."""
    p = '1 0 0 0 0 1 0 0 0 0 1 0'
    (calib_dir / 'calib_cam_to_cam.txt').write_text(
        'calib_time: 09-Jan-2012 13:57:47\n'
        'S_rect_02: 160 48\nS_rect_03: 200 60\n'
        'R_rect_00: 1 0 0 0 1 0 0 0 1\n'
        f'P_rect_02: {p}\nP_rect_03: {p}\n')
    (calib_dir / 'calib_velo_to_cam.txt').write_text(
        'R: 0 -1 0 0 0 -1 1 0 0\nT: 0 0 0\n')


def _point(row, col, d):
    """Velodyne point landing on pixel (row, col) after round(·) − 1."""
    return [d, -(col + 1) * d, -(row + 1) * d, 0.3]


def test_duplicate_and_rounding_quirks(tmp_path):
    _write_simple_calib(tmp_path)
    pts = [
        _point(30, 10, 9.0), _point(30, 10, 7.5), _point(30, 10, 8.0),
        # sub2ind collision: (20, 159) and (21, 0) share index 3338
        _point(20, 159, 8.0), _point(21, 0, 6.0), _point(21, 0, 9.0),
        [4.0, -2.5 * 4.0, -6 * 4.0, 0],  # u = 2.5 rounds to 2 -> col 1
        _point(3, 3, -5.0),  # behind the sensor: dropped
        _point(-1, 3, 5.0),  # above the image: dropped
    ]
    velo = tmp_path / 'scan.bin'
    np.array(pts, np.float32).tofile(velo)
    for cam in (2, 3):
        depth = generate_depth_map(str(tmp_path), str(velo), cam=cam)
        assert depth.shape == (48, 160) and depth.dtype == np.float64
        assert depth[30, 10] == 7.5  # minimum over the pixel's points
        assert depth[20, 159] == 6.0  # group minimum at the first point
        assert depth[21, 0] == 9.0  # last write kept
        assert depth[5, 1] == 4.0 and depth[5, 2] == 0  # half to even
        assert np.count_nonzero(depth) == 4


def test_load_velodyne_points(tmp_path):
    pts = np.arange(8, dtype=np.float32).reshape(2, 4)
    path = tmp_path / 'scan.bin'
    pts.tofile(path)
    out = load_velodyne_points(str(path))
    assert out.dtype == np.float32 and out.shape == (2, 4)
    np.testing.assert_array_equal(out[:, :3], pts[:, :3])
    np.testing.assert_array_equal(out[:, 3], 1)


def test_missing_calibration(tmp_path):
    velo = tmp_path / 'scan.bin'
    np.zeros((1, 4), np.float32).tofile(velo)
    with pytest.raises(FileNotFoundError,
                       match='calib_cam_to_cam.txt.*<date>/calib_velo_to_cam'):
        generate_depth_map(str(tmp_path), str(velo))
