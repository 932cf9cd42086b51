"""LoadKittiIntrinsics: the drive's P_rect_0{cam}, normalised by the
loaded frame's size (PackNet-SfM's per-drive intrinsics)."""
import numpy as np
import pytest

from depthseg.datasets.kitti_utils import read_calib_file
from depthseg.registry import DATASETS, TRANSFORMS
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()


def test_per_drive_intrinsics(tmp_path):
    tree = make_kitti_raw_tree(str(tmp_path), size=(64, 192))
    ds = DATASETS.build(dict(
        type='KittiRawDataset', data_root=tree['root'],
        ann_file=tree['train'], frame_ids=[0, -1, 1],
        pipeline=[dict(type='LoadFrames'), dict(type='LoadKittiIntrinsics')]))
    results = ds[0]
    info = ds.get_data_info(0)
    P = read_calib_file(f"{info['calib_dir']}/calib_cam_to_cam.txt")[
        f"P_rect_0{info['cam']}"].reshape(3, 4)
    h, w = results['ori_shape']
    K = results['K']
    assert K.dtype == np.float32 and K.shape == (4, 4)
    np.testing.assert_allclose(K[0, :3] * w, P[0, :3], rtol=1e-6)
    np.testing.assert_allclose(K[1, :3] * h, P[1, :3], rtol=1e-6)
    np.testing.assert_array_equal(K[2:], np.eye(4, dtype=np.float32)[2:])
    with pytest.raises(KeyError, match='after LoadFrames'):
        TRANSFORMS.build(dict(type='LoadKittiIntrinsics')).transform(
            dict(calib_dir=info['calib_dir'], cam=2))
