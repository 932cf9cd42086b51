# KITTI depth-prediction benchmark submission (500 test images, no GT):
# each disparity is resized to 1216x352 (OpenCV), depth = 5.4 / disp clipped
# to [0, 80] m and written as uint16(depth * 256) to
# work_dirs/kitti_benchmark/{idx:010d}.png; no metrics (format_only).
#
# Images: the original's KITTI raw reader cannot read the benchmark's
# "image <idx>" split lines, so lay the 500 images of
# depth_selection/test_depth_prediction_anonymous/image/ out as
#   data/kitti_benchmark/image/image_02/data/0000000000.png ...
# and write the split with
#   for i in $(seq 0 499); do echo "image $i l"; done \
#       > data/kitti_benchmark/test_files.txt
# Or, without a model, from saved disparities (as --ext_disp_to_eval):
#   python tools/test.py CONFIG - --eval-disps disps.npy
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
        data_root='data/kitti_benchmark',
        ann_file='test_files.txt',
        frame_ids=[0],
        img_ext='.png',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    format_only=True,
    output_dir='work_dirs/kitti_benchmark')
test_cfg = dict(type='TestLoop')
