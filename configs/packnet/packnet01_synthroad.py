# Quick start of PackNet-SfM on the built-in synthetic driving videos, sized
# for a CPU: a NARROW PackNet graph (PackNetBase, widths 16..128, d = 4:
# same layers, packing / unpacking and outputs as PackNet01, 4.9 M of its
# 128 M parameters) with the original PackNetPoseNet and loss, 64x192,
# batch 4, monocular (frames 0, -1, +1), then PackNet's evaluation rows
# (unscaled and median-scaled) on the synthetic test split. The data are
# rendered into data/synthroad on first use. Run:
#   python tools/train.py configs/packnet/packnet01_synthroad.py
# The full PackNet01 (128 M parameters, GPU): packnet01_kitti.py's model.
_base_ = [
    '../_base_/models/packnet01.py',
    '../_base_/datasets/synthroad.py',
    '../_base_/default_runtime.py',
]
height, width = 64, 192  # divisible by 32 (PackNet)
model = dict(
    depth_encoder=dict(
        _delete_=True,
        type='PackNetBase',
        version='1A',
        widths=(16, 16, 16, 32, 64, 128),
        d=4))
train_pipeline = [
    dict(type='LoadFrames'),
    # the drive's P_rect_02 (PackNet), not Monodepth2's average KITTI K
    dict(type='LoadKittiIntrinsics'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.05, prob=1.0),
    dict(type='PackDepthInputs'),
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
    dataset=dict(frame_ids=[0, -1, 1], pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# PackNet's metric options on the synthetic GT (no crop: synthetic frames)
test_evaluator = dict(
    gt_mask='range',
    min_depth=0.0,
    max_depth=80.0,
    scaling='both',
    resize='bilinear_depth_align_corners',
    median='torch',
    empty_gt='exclude')
val_evaluator = test_evaluator
# the original's optimiser and scheduler shape, compressed: Adam 2e-4,
# StepLR halving every 3 of 5 epochs
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, weight_decay=0.0))
param_scheduler = [dict(type='StepLR', by_epoch=True, step_size=3, gamma=0.5)]
train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=5)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=42)
