# DDAD (Dense Depth for Automated Driving, TRI) in its DGP layout, read by
# depthseg.datasets.DDADDataset without the dgp package:
#   data/ddad/ddad.json, data/ddad/<scene>/{scene_*.json, calibration/,
#   rgb/CAMERA_XX/, point_cloud/LIDAR/}
# (DDAD.tar from https://tri-ml-public.s3.amazonaws.com/github/DDAD/
# datasets/DDAD.tar). PackNet-SfM's train_ddad.yaml: camera_01, 384x640,
# back = forward context 1, batch 2; evaluation on the val split with the
# LiDAR projected into the camera (or packnet-sfm's depth cache), no crop,
# 0 < gt < 200 m, batch 1 (native 1216x1936 GT).
dataset_type = 'DDADDataset'
data_root = 'data/ddad'
height, width = 384, 640
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.05, prob=1.0),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ddad.json',
        split='train',
        cameras=['CAMERA_01'],
        frame_ids=[0, -1, 1],
        pipeline=train_pipeline))
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadDDADDepth'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ddad.json',
        split='val',
        cameras=['CAMERA_01'],
        frame_ids=[0],
        test_mode=True,
        pipeline=test_pipeline))
# PackNet's metric on DDAD: no crop, 0 < gt < 200, prediction clamped to
# [0, 200], depth resized bilinearly (align_corners=True), torch median
test_evaluator = dict(
    type='DepthMetric',
    crop=None,
    gt_mask='range',
    min_depth=0.0,
    max_depth=200.0,
    scaling='both',
    resize='bilinear_depth_align_corners',
    median='torch')
test_cfg = dict(type='TestLoop')
# the original validates on the val split (= the evaluation split)
val_dataloader = test_dataloader
val_evaluator = test_evaluator
val_cfg = dict(type='ValLoop')
