"""KITTI odometry pose evaluation (Monodepth2 ``evaluate_pose.py``, §8.4)."""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from depthseg.evaluation.functional import gt_local_poses, snippet_ates
from depthseg.registry import METRICS


def load_kitti_poses(path: str) -> np.ndarray:
    """``poses/XX.txt`` (one row-major 3×4 camera-to-world pose per line)
    -> N×3×4 float64."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Pose file {path} does not exist. Fix: extract '
            'data_odometry_poses.zip into the odometry root (layout '
            '<data_root>/poses/09.txt).')
    return np.loadtxt(path).reshape(-1, 3, 4)


@METRICS.register_module()
class PoseMetric(BaseMetric):
    """Absolute trajectory error over 5-frame snippets (Monodepth2).

    Each sample needs ``pred_pose`` (4×4, the not inverted transform
    ``transformation_from_parameters(axisangle[:, 0], translation[:, 0])``
    of the pose net on frames [0, 1]) and the metainfo ``pose_path``
    (``poses/XX.txt``; add it to ``PackDepthInputs.meta_keys``) and
    ``frame_index``. Per sequence the predictions, sorted by frame index,
    must cover consecutive frames; the GT local pose of frame ``f`` is
    ``inv(inv(P_f)·P_{f+1})``.

    Metrics (prefix ``pose/``): ``ate`` / ``ate_std`` (mean / population std
    over all snippets) and ``ate_<seq>`` / ``ate_std_<seq>`` per sequence
    (``<seq>`` = pose file stem, e.g. ``09``).

    Args:
        track_length: frames per snippet (5).
    """

    default_prefix = 'pose'

    def __init__(self, track_length: int = 5, collect_device: str = 'cpu',
                 prefix=None, collect_dir=None):
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        self.track_length = track_length

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            missing = [k for k in ('pred_pose', 'pose_path', 'frame_index')
                       if k not in sample]
            if missing:
                raise KeyError(
                    f'PoseMetric: sample without {missing}. Fix: set '
                    'model.test_cfg.predict_pose=True and add pose_path to '
                    "PackDepthInputs' meta_keys (see configs/_base_/datasets/"
                    'kitti_odom_pose_test.py).')
            pose = sample['pred_pose']
            if isinstance(pose, torch.Tensor):
                pose = pose.detach().cpu().numpy()
            self.results.append(
                dict(pose_path=sample['pose_path'],
                     frame_index=int(sample['frame_index']),
                     pred_pose=np.asarray(pose, np.float64).reshape(4, 4)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        by_seq = defaultdict(dict)
        for r in results:
            by_seq[r['pose_path']][r['frame_index']] = r['pred_pose']
        metrics, all_ates, lines = {}, [], []
        for path in sorted(by_seq):
            seq = osp.splitext(osp.basename(path))[0]
            frames = sorted(by_seq[path])
            if frames != list(range(frames[0], frames[-1] + 1)):
                raise ValueError(
                    f'PoseMetric: sequence {seq} has non-consecutive frames '
                    f'({len(frames)} predictions from {frames[0]} to '
                    f'{frames[-1]}); snippets need consecutive frames.')
            local = gt_local_poses(load_kitti_poses(path))
            if frames[-1] >= len(local):
                raise ValueError(
                    f'PoseMetric: frame {frames[-1]} of sequence {seq} has '
                    f'no successor in {path} ({len(local) + 1} poses).')
            ates = snippet_ates(local[frames[0]:frames[-1] + 1],
                                [by_seq[path][f] for f in frames],
                                self.track_length)
            metrics[f'ate_{seq}'] = float(np.mean(ates))
            metrics[f'ate_std_{seq}'] = float(np.std(ates))
            lines.append(f'   Sequence {seq}: trajectory error: '
                         f"{metrics[f'ate_{seq}']:0.3f}, std: "
                         f"{metrics[f'ate_std_{seq}']:0.3f} "
                         f'({len(ates)} snippets)')
            all_ates += ates
        metrics['ate'] = float(np.mean(all_ates))
        metrics['ate_std'] = float(np.std(all_ates))
        lines.append(f"   Trajectory error: {metrics['ate']:0.3f}, std: "
                     f"{metrics['ate_std']:0.3f}")
        print_log('\n'.join(lines), logger='current')
        return metrics
