# Quick start: Monodepth2 M (ResNet-18 from scratch) on the built-in
# synthetic driving videos, sized for a CPU: 96x320, batch 8, then the
# metric table on the synthetic test split (exact depth, median scaling).
# The data (8 drives x 60 frames) is rendered into data/synthroad on first
# use. Run:  python tools/train.py configs/monodepth2/monodepth2_r18_synthroad.py
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/synthroad.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]
height, width = 96, 320
model = dict(
    # no downloads: train from scratch
    depth_encoder=dict(pretrained=None),
    pose_net=dict(encoder=dict(pretrained=None)),
    # depth range 0.01-10 instead of 0.1-100 (same 1000x ratio; units are
    # arbitrary under median scaling): the pose decoder starts with
    # translations of ~0.01 per frame, and the near road (about 3x the
    # per-frame motion away) must be representable at that scale, else it
    # saturates at min_depth and the pose net settles on sideways motion
    min_depth=0.01,
    max_depth=10.0)
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
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
train_dataloader = dict(
    batch_size=8, num_workers=2, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)
]
# evaluate on the test split after the last epoch
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=10))
