"""The evaluation dataset configs build and feed their metrics."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

from depthseg.evaluation.functional import gt_local_poses
from depthseg.evaluation.metrics.pose_metric import load_kitti_poses
from depthseg.registry import DATASETS, METRICS
from depthseg.testing.kitti_tree import make_kitti_odom_tree
from depthseg.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
DATASET_CFGS = ROOT / 'configs' / '_base_' / 'datasets'
METHOD_CFGS = ROOT / 'configs' / 'monodepth2'

register_all_modules()


@pytest.mark.parametrize('name,crop,lines,split', [
    ('kitti_eigen_test', 'garg', 697, 'eigen'),
    ('kitti_eigen_benchmark_test', None, 652, 'eigen_benchmark'),
])
def test_depth_test_configs(name, crop, lines, split):
    cfg = Config.fromfile(DATASET_CFGS / f'{name}.py')
    ann_file = Path(cfg.test_dataloader.dataset.ann_file)
    assert len(ann_file.read_text().split('\n')) - 1 == lines
    assert cfg.test_dataloader.dataset.frame_ids == [0]
    assert cfg.test_cfg.type == 'TestLoop'
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.eval_cfg['crop'] == crop and metric.scaling == 'median'
    assert metric.gt_file == f'data/kitti_raw/gt_depths_{split}.npz'
    assert ann_file.parent.name == split


def test_benchmark_config():
    cfg = Config.fromfile(DATASET_CFGS / 'kitti_benchmark_test.py')
    metric = METRICS.build(cfg.test_evaluator)
    assert metric.format_only and metric.output_dir


@pytest.mark.parametrize('name,scaling,depth_scale', [
    ('monodepth2_r18_kitti', 'median', 1.0),
    ('monodepth2_r50_kitti', 'median', 1.0),
    ('monodepth2_r18_stereo_kitti', 'none', 5.4),
    ('monodepth2_r18_monostereo_kitti', 'none', 5.4),
])
def test_method_configs_evaluate_eigen(name, scaling, depth_scale):
    cfg = Config.fromfile(METHOD_CFGS / f'{name}.py')
    assert cfg.test_evaluator.type == 'DepthMetric'
    assert cfg.test_evaluator.crop == 'garg'
    assert cfg.test_evaluator.scaling == scaling
    assert cfg.model.test_cfg.depth_scale == depth_scale
    assert cfg.test_dataloader.dataset.ann_file.endswith(
        'eigen/test_files.txt')
    assert cfg.get('val_cfg') is None  # see the comment in the config


def test_odom_pose_config_feeds_pose_metric(tmp_path):
    """Dataset of kitti_odom_pose_test.py on a tiny tree + GT poses as
    predictions -> ATE 0."""
    tree = make_kitti_odom_tree(str(tmp_path), sequences=(9, 10),
                                num_frames=5)
    cfg = Config.fromfile(DATASET_CFGS / 'kitti_odom_pose_test.py')
    datasets = cfg.test_dataloader.dataset.datasets
    assert [Path(d.ann_file).name for d in datasets] == [
        'test_files_09.txt', 'test_files_10.txt']
    for seq, dataset in zip((9, 10), datasets):
        seq_split = tmp_path / f'pairs_{seq}.txt'
        seq_split.write_text(''.join(f'{seq} {i} l\n' for i in range(4)))
        dataset.data_root = tree['root']
        dataset.ann_file = str(seq_split)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(dataset) == 8
    metric = METRICS.build(cfg.test_evaluator)
    for i in range(len(dataset)):
        item = dataset[i]
        assert set(item['inputs']['color']) == {0, 1}
        sample = item['data_samples'].to_dict()
        local = gt_local_poses(load_kitti_poses(sample['pose_path']))
        sample['pred_pose'] = local[sample['frame_index']]
        metric.process(None, [sample])
    res = metric.evaluate(len(dataset))
    assert set(res) == {'pose/ate', 'pose/ate_std', 'pose/ate_09',
                        'pose/ate_std_09', 'pose/ate_10', 'pose/ate_std_10'}
    np.testing.assert_allclose(list(res.values()), 0, atol=1e-9)
