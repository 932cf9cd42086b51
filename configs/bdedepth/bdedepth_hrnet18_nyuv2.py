# BDEdepth HRNet18 on NYUv2 at 384x288 (run_nyu.sh, StructDepth's
# settings): resizing-cropping view only (no splitting-permuting), so the
# loss is (L_ori + L_local) / 2 + 0.07 DC_local; depth range 0.1-10 m;
# batch 16 on one GPU; AdamW 1e-4 (wd 0.01) x0.1 at epochs 26 and 36, 50
# epochs; per-image colour jitter (quirk Q1); checkpoints every 400
# iterations (mid-epoch resume: tools/train.py CONFIG --resume); NYUv2 test
# (654 h5 files) after every epoch with best-checkpoint saving.
# Data: configs/_base_/datasets/nyuv2_train.py (StructDepth's raw frames,
# undistorted, 16 px border cut; the training list is not shipped, see
# configs/bdedepth/README.md). Test: tools/test.py CONFIG CKPT.
_base_ = [
    '../_base_/models/bdedepth_hrnet18.py',
    '../_base_/datasets/nyuv2_train.py',
    '../_base_/schedules/schedule_adamw_20e.py',
    '../_base_/default_runtime.py',
]
height, width = 288, 384
train_pipeline = [
    dict(type='LoadFrames'),
    # undistort (fixed Kinect calibration), cut 16 px per side: 608x448
    dict(type='UndistortCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    # resizing-cropping of every frame, zoom U(1.2, 2.0)
    dict(type='ResizeCrop', resize_ratio=(1.2, 2.0), name='local'),
    # torchvision ColorJitter (0.8-1.2, hue 0.1), p 0.5, new draw per image
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=12,
    sampler=dict(_delete_=True, type='ResumableSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
model = dict(
    views=dict(reshuffle=None),  # --use_local_crop only
    max_depth=10.0)
# SyncBN under DDP (quirk Q11); the original NYU run uses one GPU
sync_bn = 'torch'
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[26, 36], gamma=0.1)
]
train_cfg = dict(max_epochs=50)

# ---- evaluation: NYUv2 test, evaluate_depth.py / test_nyuv2 protocol ----
# crop [44:471, 40:601], LANCZOS resize to 384x288, prediction resized
# nearest to the GT, GT in (0, 10) m, torch median scaling, clip at 10 m
# (the same as the nyuv2 entry of bdedepth_hrnet18_kitti.py's test_sets)
nyuv2_loader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='NYUv2TestDataset',
        data_root='data/nyuv2',
        ann_file='{{ fileDirname }}/../../splits/nyuv2/test_files.txt',
        test_mode=True,
        pipeline=[
            dict(type='LoadNYUv2H5'),
            dict(type='ResizePyramid', height=height, width=width,
                 num_scales=1),
            dict(type='PackDepthInputs'),
        ]))
nyuv2_evaluator = dict(
    type='DepthMetric',
    crop=None,
    gt_mask='range',
    min_depth=0.0,
    max_depth=10.0,
    scaling='median',
    resize='nearest',
    median='torch')
test_dataloader = nyuv2_loader
test_evaluator = nyuv2_evaluator
test_cfg = dict(type='TestLoop')
val_dataloader = nyuv2_loader
val_evaluator = nyuv2_evaluator
val_cfg = dict(type='ValLoop')
default_hooks = dict(
    logger=dict(interval=400),
    checkpoint=dict(interval=400, by_epoch=False, save_last=True,
                    max_keep_ckpts=2, save_best='depth/abs_rel',
                    rule='less'))
test_sets = [
    dict(name='nyuv2', dataloader=nyuv2_loader, evaluator=nyuv2_evaluator),
]
