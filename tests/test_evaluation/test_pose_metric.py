"""PoseMetric on synthetic predictions against KITTI-style pose files."""
import numpy as np
import pytest
import torch

from depthseg.evaluation import PoseMetric
from depthseg.structures import DepthDataSample


def _random_poses(rng, n):
    """n camera-to-world 3×4 poses: forward driving with small turns."""
    poses, pose = [], np.eye(4)
    for _ in range(n):
        poses.append(pose[:3].copy())
        angle = rng.uniform(-0.1, 0.1)
        step = np.eye(4)
        step[[0, 0, 2, 2], [0, 2, 0, 2]] = [np.cos(angle), np.sin(angle),
                                            -np.sin(angle), np.cos(angle)]
        step[:3, 3] = rng.uniform(-0.2, 0.2, 3) + [0, 0, 1]
        pose = pose @ step
    return np.array(poses)


def _write_poses(tmp_path, seq, poses):
    path = tmp_path / 'poses' / f'{seq:02d}.txt'
    path.parent.mkdir(exist_ok=True)
    np.savetxt(path, poses.reshape(len(poses), 12))
    return str(path)


def _local(poses):
    full = np.concatenate([poses, np.tile([[[0, 0, 0, 1.]]],
                                          (len(poses), 1, 1))], 1)
    return [np.linalg.inv(np.linalg.inv(full[i]) @ full[i + 1])
            for i in range(len(poses) - 1)]


def _samples(path, preds, frames=None):
    samples = []
    for f, pred in zip(frames or range(len(preds)), preds):
        sample = DepthDataSample(
            metainfo=dict(pose_path=path, frame_index=f, folder='9'))
        sample.pred_pose = torch.from_numpy(pred).float()
        samples.append(sample.to_dict())
    return samples


def _reference_ates(gt_local, preds):
    """evaluate_pose.py's loop, written out independently."""
    ates = []
    for i in range(len(gt_local)):
        xyz = []
        for poses in (gt_local[i:i + 4], preds[i:i + 4]):
            m, pts = np.eye(4), [np.zeros(3)]
            for p in poses:
                m = m @ p
                pts.append(m[:3, 3])
            xyz.append(np.array(pts))
        gt, pred = xyz
        pred = pred + (gt[0] - pred[0])
        s = np.sum(gt * pred) / np.sum(pred**2)
        ates.append(np.sqrt(np.sum((pred * s - gt)**2)) / gt.shape[0])
    return ates


def test_gt_and_scaled_gt_give_zero(tmp_path):
    rng = np.random.default_rng(0)
    poses = _random_poses(rng, 10)
    path = _write_poses(tmp_path, 9, poses)
    local = _local(poses)
    scaled = [p.copy() for p in local]
    for p in scaled:
        p[:3, 3] *= 0.3
    for preds in (local, scaled):
        metric = PoseMetric()
        metric.process(None, _samples(path, preds))
        res = metric.evaluate(len(preds))
        assert res['pose/ate'] == pytest.approx(0, abs=1e-6)
        assert res['pose/ate_09'] == pytest.approx(0, abs=1e-6)


def test_noisy_predictions_two_sequences(tmp_path):
    rng = np.random.default_rng(1)
    expected = {}
    samples = []
    for seq, n in ((9, 12), (10, 8)):
        poses = _random_poses(rng, n)
        path = _write_poses(tmp_path, seq, poses)
        local = _local(poses)
        preds = []
        for p in local:
            q = p.copy()
            q[:3, 3] *= 0.5 + rng.uniform(-0.05, 0.05, 3)
            preds.append(q.astype(np.float32).astype(np.float64))
        expected[f'{seq:02d}'] = _reference_ates(local, preds)
        samples += _samples(path, preds)
    rng.shuffle(samples)  # order does not matter
    metric = PoseMetric()
    metric.process(None, samples)
    res = metric.evaluate(len(samples))
    for seq, ates in expected.items():
        assert res[f'pose/ate_{seq}'] == pytest.approx(np.mean(ates),
                                                        rel=1e-6)
        assert res[f'pose/ate_std_{seq}'] == pytest.approx(np.std(ates),
                                                            rel=1e-6)
    everything = expected['09'] + expected['10']
    assert res['pose/ate'] == pytest.approx(np.mean(everything), rel=1e-6)
    assert res['pose/ate_std'] == pytest.approx(np.std(everything), rel=1e-6)
    assert res['pose/ate'] > 0


def test_errors(tmp_path):
    poses = _random_poses(np.random.default_rng(2), 6)
    path = _write_poses(tmp_path, 9, poses)
    local = _local(poses)
    with pytest.raises(KeyError, match='predict_pose'):
        PoseMetric().process(None, [dict(frame_index=0, pose_path=path)])
    metric = PoseMetric()
    metric.process(None, _samples(path, local[:2] + local[3:],
                                  frames=[0, 1, 3, 4]))
    with pytest.raises(ValueError, match='non-consecutive'):
        metric.evaluate(4)
    metric = PoseMetric()
    metric.process(None, _samples(path, local + local[:1]))
    with pytest.raises(ValueError, match='no successor'):
        metric.evaluate(6)
    metric = PoseMetric()
    metric.process(None, _samples(str(tmp_path / 'poses' / '11.txt'), local))
    with pytest.raises(FileNotFoundError, match='data_odometry_poses'):
        metric.evaluate(5)
