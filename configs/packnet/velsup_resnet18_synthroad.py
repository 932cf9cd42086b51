# Metric scale from the vehicle's speed alone (PackNet-SfM's velocity
# supervision, VelSup) on the built-in synthetic videos, CPU-sized: the
# Monodepth2 ResNet-18 depth and pose nets from scratch (PackNet's
# DepthResNet/PoseResNet role; PackNet01 is too slow for a CPU run), trained
# monocularly (frames 0, -1, +1) at 96x320 with the photometric and
# smoothness losses plus 0.1 * mean | |t_pred| - |t_gt| | from the drives'
# oxts/ packets, the recipe of configs/fumet/fumet_r18_synthroad.py without
# FUMET's losses. Evaluation prints the unscaled (metric) and the
# median-scaled rows.
#   python tools/train.py configs/packnet/velsup_resnet18_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad.py']
height, width = 96, 320
model = dict(
    losses=dict(
        camera_height=None,
        car_height=None,
        road_override=None,
        velocity=dict(type='VelocitySupervisionLoss', loss_weight=0.1)),
    # the pose starts at slow forward driving, 0.3 m per frame, well below
    # the drives' ~0.9 m, so that the velocity loss, not the start, sets the
    # metric scale (a test of whether a wrong pose direction was what drove
    # the depth to either end of its range: it was not, the depth still ran
    # to the far end; configs/packnet/README.md)
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
