# Monodepth2 M: monocular (frames 0, -1, +1), ResNet-18, 640x192, batch 12,
# Adam 1e-4, 20 epochs, KITTI eigen_zhou.
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/kitti_eigen_zhou.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]
