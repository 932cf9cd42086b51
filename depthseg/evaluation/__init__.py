"""Evaluation: pure functions and mmengine metrics."""
from .functional import (CITYSCAPES_CROP, DEPTH_ERROR_NAMES,
                         DEPTH_METRIC_NAMES, EVAL_CROPS, ate_5frame,
                         batch_post_process_disparity, compute_depth_errors,
                         crop_box, dump_xyz, evaluate_depth_sample, garg_crop,
                         gt_local_poses, mean_abs_error, ratio_stats,
                         snippet_ates)
from .metrics import *  # noqa: F401,F403

__all__ = [
    'DEPTH_ERROR_NAMES', 'DEPTH_METRIC_NAMES', 'compute_depth_errors',
    'mean_abs_error', 'garg_crop', 'crop_box', 'CITYSCAPES_CROP',
    'EVAL_CROPS', 'batch_post_process_disparity',
    'evaluate_depth_sample', 'ratio_stats', 'gt_local_poses', 'dump_xyz',
    'ate_5frame', 'snippet_ates', 'DepthMetric', 'PoseMetric',
    'save_gt_depths', 'load_gt_depths', 'load_pred_disps',
    'write_benchmark_png', 'load_kitti_poses'
]
