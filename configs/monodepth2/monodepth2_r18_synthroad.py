# Quick start: Monodepth2 in its stereo mode S (ResNet-18 from scratch) on
# the built-in synthetic driving videos, sized for a CPU: 96x320, batch 8,
# 12 epochs, then the metric table on the synthetic test split (exact depth,
# per-image median scaling). The data (8 drives x 60 frames, stereo pairs
# with a 0.54 m baseline) is rendered into data/synthroad on first use.
# Run:  python tools/train.py configs/monodepth2/monodepth2_r18_synthroad.py
#
# Mode S (Godard et al.: frames 0 and 's', no pose net) instead of M: the
# known stereo baseline is a pose-free training signal that a from-scratch
# network learns within the few hundred steps of a CPU run; M (0, -1, +1)
# does not converge in that budget (median-scaled abs_rel ~0.65, worse than
# a constant depth, 0.59), and MS (0, -1, +1, 's') is 2.4x slower per step
# and worse at equal steps. Depth is in units of the 0.1 training baseline
# (Monodepth2's convention); x5.4 gives metres (test_cfg.depth_scale), so the
# printed ratio_median is close to 1.
# Monocular configs inheriting this file set frame_ids=[0, -1, 1] in model
# and train_dataloader.dataset (the pose net below is then built) and their
# own depth range and schedule.
_base_ = [
    '../_base_/models/monodepth2_r18.py',
    '../_base_/datasets/synthroad.py',
    '../_base_/schedules/schedule_adam_20e.py',
    '../_base_/default_runtime.py',
]
height, width = 96, 320
frame_ids = [0, 's']
model = dict(
    # no downloads: train from scratch
    depth_encoder=dict(pretrained=None),
    # built only for temporal frame ids (not for mode S)
    pose_net=dict(encoder=dict(pretrained=None)),
    frame_ids=frame_ids,
    min_depth=0.1,
    max_depth=100.0,
    test_cfg=dict(depth_scale=5.4))
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
    batch_size=8,
    num_workers=2,
    dataset=dict(frame_ids=frame_ids, pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# Adam 5e-4 (from scratch, few steps), x0.1 for the last 3 epochs
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[9], gamma=0.1)
]
# evaluate on the test split after the last epoch
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=12)
default_hooks = dict(logger=dict(interval=10))
