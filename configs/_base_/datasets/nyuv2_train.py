# NYUv2 raw training sequences in StructDepth's layout (BDEdepth's indoor
# setting, spec §10):
#   <data_root>/nyu_depth_v2/<scene>/r-<timestamp>-<n>.ppm   640x480 frames
# Split: StructDepth's training list (not shipped: copy it to
# splits/nyuv2/train_files.txt), nine paths per line, the frames
# 0, -4, -3, -2, -1, 1, 2, 3, 4 of one sequence; frame_ids picks 0, -1, 1.
# Every frame is undistorted (fixed Kinect calibration) and 16 px are cut
# on every side (608x448); K = fx, fy, cx - 16, cy - 16 normalised by
# 608 / 448. The NYUv2 test files (nyu_test/*.h5) usually sit in the same
# root. Another root:
#   --cfg-options train_dataloader.dataset.data_root=DIR
dataset_type = 'NYUv2TrainDataset'
data_root = 'data/nyuv2'
height, width, num_scales = 288, 384, 1

train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='UndistortCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=12,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='{{ fileDirname }}/../../../splits/nyuv2/train_files.txt',
        frame_ids=[0, -1, 1],
        crop=16,
        pipeline=train_pipeline))
