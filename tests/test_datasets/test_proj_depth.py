"""LoadProjectedDepth: packnet-sfm's proj_depth/{velodyne,groundtruth}
maps as a training field."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from depthseg.datasets.transforms.proj_depth import (
    LoadProjectedDepth,
    proj_depth_path,
    resize_depth_nearest,
    resize_depth_preserve,
)

FOLDER = '2011_09_26/2011_09_26_drive_0001_sync'


def info(root, cam=2, index=3):
    return dict(data_root=root, folder=FOLDER, cam=cam, frame_index=index)


@pytest.fixture
def maps(tmp_path):
    root = str(tmp_path)
    depth = np.zeros((8, 12), np.float32)
    depth[1, 2], depth[6, 10], depth[7, 11] = 5.0, 20.0, 30.0
    path = proj_depth_path(root, FOLDER, 2, 3, 'velodyne')
    os.makedirs(osp.dirname(path))
    np.savez_compressed(path, velodyne_depth=depth)
    png = proj_depth_path(root, FOLDER, 3, 3, 'groundtruth')
    os.makedirs(osp.dirname(png))
    Image.fromarray(np.round(depth * 256).astype(np.uint16)).save(png)
    return root, depth


def test_paths():
    assert proj_depth_path('r', FOLDER, 2, 69, 'velodyne') == osp.join(
        'r', FOLDER, 'proj_depth/velodyne/image_02/0000000069.npz')
    assert proj_depth_path('r', FOLDER, 3, 69, 'groundtruth').endswith(
        'proj_depth/groundtruth/image_03/0000000069.png')


def test_read_both_types_native(maps):
    root, depth = maps
    out = LoadProjectedDepth(8, 12)(info(root))
    np.testing.assert_array_equal(out['sup_depth'], depth)
    assert out['field_kinds']['sup_depth'].kind == 'pixel'
    out = LoadProjectedDepth(8, 12, depth_type='groundtruth')(info(root, 3))
    np.testing.assert_array_equal(out['sup_depth'], depth)
    flipped = LoadProjectedDepth(8, 12)(dict(info(root), flip=True))
    np.testing.assert_array_equal(flipped['sup_depth'], depth[:, ::-1])


def test_preserve_resize_known_answer(maps):
    root, depth = maps
    out = LoadProjectedDepth(4, 6)(info(root))['sup_depth']
    expected = np.zeros((4, 6), np.float32)
    # (1, 2) -> (0, 1); (6, 10) -> (3, 5); (7, 11) -> (3, 5): last wins
    expected[0, 1], expected[3, 5] = 5.0, 30.0
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(resize_depth_preserve(depth, (4, 6)),
                                  expected)
    # nearest: centre-aligned sampling, points can vanish
    near = resize_depth_nearest(depth, (4, 6))
    assert near.shape == (4, 6) and near[3, 5] == 30.0 and near[0, 1] == 0


def test_errors_name_the_file(maps, tmp_path):
    root, _ = maps
    with pytest.raises(FileNotFoundError, match='0000000004.npz'):
        LoadProjectedDepth(8, 12)(info(root, index=4))
    path = proj_depth_path(root, FOLDER, 2, 3, 'velodyne')
    np.savez(path, other=np.zeros(3))
    with pytest.raises(ValueError, match='0000000003.npz'):
        LoadProjectedDepth(8, 12)(info(root))
    with pytest.raises(ValueError, match='resize'):
        LoadProjectedDepth(8, 12, resize='bilinear')
