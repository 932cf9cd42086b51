# Metric scale from the vehicle's speed alone (PackNet-SfM's velocity
# supervision, VelSup) on the built-in synthetic videos, CPU-sized: the
# Monodepth2 ResNet-18 depth and pose nets from scratch (PackNet's
# DepthResNet/PoseResNet role; PackNet01 is too slow for a CPU run), trained
# monocularly (frames 0, -1, +1) at 64x192 for 24 epochs with the
# photometric and smoothness losses plus 0.1 * mean | |t_pred| - |t_gt| |
# from the drives' oxts/ packets: the recipe of
# configs/fumet/fumet_r18_synthroad.py (bf16, NHWC) without FUMET's losses.
# About 19 minutes on 2 CPU cores; evaluation prints the unscaled (metric)
# and the median-scaled rows. At 96x320 for 10 epochs (the FUMET quick
# start's size) the depth never left a constant map (configs/packnet/
# README.md, attempts 1-3).
#   python tools/train.py configs/packnet/velsup_resnet18_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad.py']
height, width = 64, 192
model = dict(
    losses=dict(
        camera_height=None,
        car_height=None,
        road_override=None,
        velocity=dict(type='VelocitySupervisionLoss', loss_weight=0.1)),
    # the pose starts at slow forward driving, 0.3 m per frame, well below
    # the drives' ~0.9 m, so that the velocity loss, not the start, sets the
    # metric scale
    pose_net=dict(decoder=dict(init_translation=(0.0, 0.0, -0.3))),
    # depth range 1-100 m: a fresh head (sigmoid 0.5) starts at ~2 m
    min_depth=1.0)
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    # relative target->source poses of the GPS/IMU packets, camera frame
    dict(type='LoadOxtsPoses'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadKittiDepthGT', source='png'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# 24 epochs of 43 steps, x0.1 for the last 4; evaluated every 6 epochs
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[20], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=24, val_interval=6)
