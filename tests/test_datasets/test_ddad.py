"""DDAD in the DGP layout: the reader, the LiDAR projection and the
0-200 m evaluation, on a tiny tree the test builds."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData

from depthseg.datasets.ddad import (
    DDADDataset,
    LoadDDADDepth,
    pose_matrix,
    quat_to_matrix,
)
from depthseg.registry import DATASETS, METRICS
from depthseg.testing.ddad_tree import _CAM_ROT, _quat, make_ddad_tree
from depthseg.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
H, W = 32, 48


@pytest.fixture
def tree(tmp_path):
    return make_ddad_tree(str(tmp_path / 'ddad'), scenes=2, frames=4,
                          size=(H, W))


def test_quaternion():
    np.testing.assert_allclose(quat_to_matrix(_quat(_CAM_ROT)), _CAM_ROT,
                               atol=1e-12)
    T = pose_matrix(dict(translation=dict(x=1, y=2, z=3),
                         rotation=dict(qx=0, qy=0, qz=0, qw=1)))
    np.testing.assert_allclose(T[:3, 3], [1, 2, 3])


def test_reader_and_context_filtering(tree):
    root = osp.dirname(tree['json'])
    ds = DDADDataset(data_root=root, split='train', cameras=['camera_01'],
                     frame_ids=[0, -1, 1], lazy_init=False)
    # 4 samples per scene, the first and last lack a neighbour
    assert len(ds) == 2 * 2
    info = ds.get_data_info(0)
    assert info['sample_index'] == 1 and info['camera'] == 'CAMERA_01'
    assert sorted(info['img_paths']) == [-1, 0, 1]
    assert all(osp.isfile(p) for p in info['img_paths'].values())
    np.testing.assert_allclose(info['K_pixels'], tree['K'])
    np.testing.assert_allclose(info['K'][0, 0], 1.0)  # fx / W
    np.testing.assert_allclose(info['K'][:2, 2], [0.5, 0.5])
    assert info['depth_cache_path'].endswith(
        osp.join('depth', 'lidar', 'CAMERA_01',
                 osp.basename(info['img_path'])[:-4] + '.npz'))
    assert len(DDADDataset(data_root=root, split='val',
                           lazy_init=False)) == 8
    with pytest.raises(ValueError, match='split'):
        DDADDataset(data_root=root, split='test', lazy_init=False)


def test_lidar_projection_and_cache(tree):
    root = osp.dirname(tree['json'])
    ds = DDADDataset(data_root=root, split='val', lazy_init=False)
    out = LoadDDADDepth()(ds.get_data_info(0))
    np.testing.assert_allclose(out['gt_depth'], tree['depth'], rtol=1e-5)
    assert (out['gt_depth'] > 0).sum() == 3
    # the cache (packnet-sfm's) wins when it exists
    info = ds.get_data_info(1)
    os.makedirs(osp.dirname(info['depth_cache_path']))
    np.savez(info['depth_cache_path'], depth=np.full((H, W), 7.0))
    assert LoadDDADDepth()(info)['gt_depth'].min() == 7.0
    # errors name the file
    os.remove(info['depth_cache_path'])
    os.remove(info['lidar_path'])
    with pytest.raises(FileNotFoundError, match=osp.basename(
            info['lidar_path'])):
        LoadDDADDepth()(info)
    os.remove(tree['json'])
    with pytest.raises(FileNotFoundError, match='ddad.json'):
        DDADDataset(data_root=root, lazy_init=False)


def test_malformed_json(tmp_path):
    path = tmp_path / 'ddad.json'
    path.write_text('{"scene_splits": ')
    with pytest.raises(ValueError, match='ddad.json'):
        DDADDataset(data_root=str(tmp_path), lazy_init=False)
    path.write_text(json.dumps(dict(scene_splits={'0': dict(filenames=[])})))
    with pytest.raises(ValueError, match="split 'val'"):
        DDADDataset(data_root=str(tmp_path), lazy_init=False)


def test_base_config_evaluates_0_to_200m(tree):
    """The base config's test pipeline on the tiny tree, and its metric:
    no crop, GT in (0, 200): the 210 m point is ignored, 150 m counts."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/ddad.py'))
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.update(data_root=osp.dirname(tree['json']))
    for step in ds_cfg.pipeline:
        if step['type'] == 'ResizePyramid':
            step.update(height=H, width=W)
    with DefaultScope.overwrite_default_scope('depthseg'):
        ds = DATASETS.build(ds_cfg)
        metric = METRICS.build(cfg.test_evaluator)
    item = ds[0]
    sample = item['data_samples']
    gt = sample.gt_depth_map.data
    assert gt.shape[-2:] == (H, W)
    # a prediction 10% too far everywhere: abs_rel 0.1 on the 2 valid
    # pixels (5 m, 150 m), the 210 m one is out of range
    pred = torch.full((1, H, W), 1.0)
    pred[0, 10, 20], pred[0, 20, 30], pred[0, 25, 5] = 5.5, 165., 1.0
    sample.pred_disp_map = PixelData(data=1 / pred)
    sample.set_metainfo(dict(depth_scale=1.0))
    metric.process({}, [sample.to_dict()])
    res = metric.compute_metrics(metric.results)
    assert res['abs_rel'] == pytest.approx(0.1, abs=1e-4)
