# KITTI raw, Eigen test images that have improved ground truth (652 images,
# split eigen_benchmark): no crop, every pixel with GT > 0, predictions
# clamped to [1e-3, 80] m, median scaling (as evaluate_depth.py
# --eval_split eigen_benchmark). Ground truth: the improved GT PNGs
# (proj_depth/groundtruth/image_02, /256), exported once with
#   python tools/dataset_converters/kitti_export_gt.py \
#       --data-root data/kitti_raw --split eigen_benchmark
# (or on the fly: LoadKittiDepthGT(source='png') and gt_file=None).
test_pipeline = [
    dict(type='LoadFrames'),
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
        ann_file='{{ fileDirname }}/../../../splits/kitti/eigen_benchmark/'
        'test_files.txt',
        frame_ids=[0],
        img_ext='.jpg',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop=None,
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median',
    gt_file='data/kitti_raw/gt_depths_eigen_benchmark.npz')
test_cfg = dict(type='TestLoop')
