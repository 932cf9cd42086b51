"""Point clouds: back-projection of the synthetic renderer's exact depth
(the road is the plane at the camera height) and the binary PLY format."""
import numpy as np
import pytest

from depthseg.datasets.kitti import KITTI_K
from depthseg.datasets.synthetic import ROAD_LABEL, SynthRoadScene
from depthseg.utils.pointcloud import (
    depth_to_points,
    pixel_intrinsics,
    point_cloud,
    read_ply,
    write_ply,
)


@pytest.fixture(scope='module')
def scene():
    return SynthRoadScene(seed=0, drive=1, num_frames=20, size=(96, 320))


def fit_plane(points):
    """(unit normal, distance of the plane from the origin) by SVD."""
    centre = points.mean(0)
    normal = np.linalg.svd(points - centre)[2][-1]
    return normal, abs(float(normal @ centre))


@pytest.mark.parametrize('frame', [0, 11])
def test_road_is_the_plane_at_the_camera_height(scene, frame, tmp_path):
    out = scene.render(frame)
    road = out['labels'] == ROAD_LABEL
    assert road.sum() > 2000
    h, w = out['depth'].shape
    # the dataset's normalised K at the image size is the renderer's camera
    K = pixel_intrinsics(KITTI_K, h, w)
    np.testing.assert_allclose(K, scene.K)
    points = depth_to_points(out['depth'], K)
    write_ply(tmp_path / 'road.ply', points[road], out['image'][road])
    read_points, colors = read_ply(tmp_path / 'road.ply')
    np.testing.assert_array_equal(read_points, points[road])
    np.testing.assert_array_equal(colors, out['image'][road])
    normal, distance = fit_plane(read_points.astype(np.float64))
    assert abs(normal[1]) > 1 - 1e-6  # y (down) is the plane's normal
    assert distance == pytest.approx(scene.cam_height, abs=1e-4)
    np.testing.assert_allclose(read_points[:, 1], scene.cam_height,
                               atol=1e-4)


def test_point_cloud_drops_sky_and_far_points(scene):
    out = scene.render(0)
    depth, rgb = out['depth'], out['image']
    K = scene.K
    points, colors = point_cloud(depth, rgb, K)
    assert len(points) == (depth > 0).sum()  # sky has depth 0
    near, _ = point_cloud(depth, rgb, K, max_depth=20.0)
    assert len(near) == ((depth > 0) & (depth <= 20)).sum()
    assert near[:, 2].max() <= 20
    # the principal point's ray is the optical axis
    v, u = 60, 160
    assert depth_to_points(depth, K)[v, u, 0] == pytest.approx(0, abs=1e-6)


def test_ply_header_and_layout(tmp_path):
    points = np.array([[1, 2, 3], [-1.5, 0, 7]], np.float32)
    colors = np.array([[255, 0, 10], [1, 2, 3]], np.uint8)
    write_ply(tmp_path / 'p.ply', points, colors)
    data = (tmp_path / 'p.ply').read_bytes()
    header = (b'ply\nformat binary_little_endian 1.0\n'
              b'comment written by depthseg\nelement vertex 2\n'
              b'property float x\nproperty float y\nproperty float z\n'
              b'property uchar red\nproperty uchar green\n'
              b'property uchar blue\nend_header\n')
    assert data.startswith(header)
    body = data[len(header):]
    assert len(body) == 2 * 15
    assert np.frombuffer(body[:12], '<f4').tolist() == [1, 2, 3]
    assert list(body[12:15]) == [255, 0, 10]
    write_ply(tmp_path / 'grey.ply', points)
    assert (read_ply(tmp_path / 'grey.ply')[1] == 128).all()


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match='points must be N×3'):
        write_ply(tmp_path / 'p.ply', np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r'rgb must be H×W×3'):
        point_cloud(np.ones((4, 5)), np.zeros((5, 4, 3), np.uint8),
                    np.eye(3))
    (tmp_path / 'ascii.ply').write_text(
        'ply\nformat ascii 1.0\nelement vertex 0\nend_header\n')
    with pytest.raises(ValueError, match='ascii.ply: unsupported PLY'):
        read_ply(tmp_path / 'ascii.ply')
    write_ply(tmp_path / 'cut.ply', np.zeros((3, 3)))
    (tmp_path / 'cut.ply').write_bytes(
        (tmp_path / 'cut.ply').read_bytes()[:-1])
    with pytest.raises(ValueError, match='truncated'):
        read_ply(tmp_path / 'cut.ply')
