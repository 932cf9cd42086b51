"""Metrics (registered in ``depthseg.registry.METRICS``)."""
from .depth_metric import (DepthMetric, load_gt_depths, load_pred_disps,
                           save_gt_depths, write_benchmark_png)
from .pose_metric import PoseMetric, load_kitti_poses

__all__ = [
    'DepthMetric', 'PoseMetric', 'save_gt_depths', 'load_gt_depths',
    'load_pred_disps', 'write_benchmark_png', 'load_kitti_poses'
]
