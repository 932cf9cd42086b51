# KITTI raw, Eigen test split (697 images), Monodepth2's evaluation protocol:
# frame 0 only, .jpg images as the original's evaluation (quirk Q7), LANCZOS
# resize to the network size, Garg crop, GT in (1e-3, 80) m, predictions
# clamped to [1e-3, 80] m, per-image median scaling (mono models; stereo
# configs set test_evaluator.scaling='none' and the model's depth_scale 5.4).
#
# Ground truth: the exported velodyne maps (camera 2, LiDAR forward distance),
# exactly what evaluate_depth.py reads from gt_depths.npz. Export once with
#   python tools/dataset_converters/kitti_export_gt.py \
#       --data-root data/kitti_raw --split eigen
# (writes data/kitti_raw/gt_depths_eigen.npz). On-the-fly alternative with
# the same maps, no export, slower: insert
#   dict(type='LoadKittiDepthGT', source='velodyne', cam=2, vel_depth=True)
# after LoadFrames and set test_evaluator.gt_file=None.
# Another data root: --cfg-options test_dataloader.dataset.data_root=DIR
# test_evaluator.gt_file=DIR/gt_depths_eigen.npz
# Only variables named test_* here, so this file can sit next to a training
# dataset file in a config's _base_ list.
test_pipeline = [
    dict(type='LoadFrames'),
    # the network input size: match the training resolution
    dict(type='ResizePyramid', height=192, width=640, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KittiRawDataset',
        data_root='data/kitti_raw',
        ann_file='{{ fileDirname }}/../../../splits/kitti/eigen/'
        'test_files.txt',
        frame_ids=[0],
        img_ext='.jpg',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop='garg',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median',
    gt_file='data/kitti_raw/gt_depths_eigen.npz')
test_cfg = dict(type='TestLoop')
