# Quick start of FeatDepth stage 2 (MS, like the released KITTI model) on
# the built-in synthetic driving videos, sized for a CPU: ResNet-50 depth /
# ResNet-18 pose from scratch, 96x320, batch 4, 10 epochs, then the test
# split (x36 stereo scale and median-scaled rows). Needs the autoencoder of
# featdepth_autoencoder_synthroad.py first:
#   python tools/train.py configs/featdepth/featdepth_autoencoder_synthroad.py
#   python tools/train.py configs/featdepth/featdepth_r50_synthroad.py
# Another autoencoder checkpoint:
#   --cfg-options model.losses.feature_metric.checkpoint=PATH
_base_ = [
    '../_base_/models/featdepth_r50.py',
    '../_base_/datasets/synthroad.py',
    '../_base_/default_runtime.py',
]
height, width = 96, 320
frame_ids = [0, -1, 1, 's']
autoencoder_checkpoint = \
    'work_dirs/featdepth_autoencoder_synthroad/epoch_5.pth'
model = dict(
    # no downloads: train from scratch
    depth_encoder=dict(pretrained=None),
    pose_net=dict(
        encoder=dict(pretrained=None),
        # CPU size: no up-sampling to the original's fixed 192x640
        input_size=None),
    losses=dict(
        feature_metric=dict(checkpoint=autoencoder_checkpoint)),
    frame_ids=frame_ids,
    # stereo baseline 0.015 (x36 smaller than the rendered 0.54 m): a range
    # of 0.01-10 units covers 0.36-360 m
    min_depth=0.01,
    max_depth=10.0)
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs', stereo_baseline=0.015),
]
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadKittiDepthGT', source='png'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    drop_last=True,
    dataset=dict(frame_ids=frame_ids, pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# x36 (model.test_cfg.depth_scale) row and the median-scaled row
test_evaluator = dict(scaling='both')
val_evaluator = dict(scaling='both')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, end_factor=1.0,
         by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.5),
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=10))
