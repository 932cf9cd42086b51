# Monodepth2 M: monocular (frames 0, -1, +1), ResNet-18, 640x192, batch 12,
# Adam 1e-4, 20 epochs, KITTI eigen_zhou.
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/kitti_eigen_zhou.py',
    '../_base_/datasets/kitti_eigen_test.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]

# tools/test.py evaluates the Eigen test split (kitti_eigen_test.py: Garg
# crop, 80 m cap, per-image median scaling; export the GT first).
# No validation during training: the original only logged batch-level
# monitor metrics on eigen_zhou val, which has no exported GT, and
# validating on the Eigen test split would select checkpoints on the test
# set. To validate anyway (needs the exported GT):
#   val_dataloader = test_dataloader; val_evaluator = test_evaluator
#   val_cfg = dict(type='ValLoop')
#   default_hooks = dict(checkpoint=dict(save_best='depth/abs_rel',
#                                        rule='less'))
