# Monodepth2 M trained on the KITTI odometry split; tools/test.py evaluates
# the pose net on sequences 09 and 10 (ATE over 5-frame snippets).
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/kitti_odom.py',
    '../_base_/datasets/kitti_odom_pose_test.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]
model = dict(test_cfg=dict(predict_depth=False, predict_pose=True))
