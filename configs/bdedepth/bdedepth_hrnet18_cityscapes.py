# BDEdepth HRNet18 on Cityscapes at 512x192 (run_cityscapes.sh: batch 12 on
# one GPU, checkpoints every 600 iterations), both augmentations.
# Deviation: the original trains on ManyDepth-style 3-tile images with
# per-frame intrinsics (prepare_cityscapes.py); this config uses depthseg's
# SfMLearner-preprocessed strips aligned to FUMET's canonical intrinsics
# (configs/_base_/datasets/cityscapes_preprocessed.py).
# Test: raw test frames, bottom 25 % cut, GT top 75 % then [256:, 192:1856],
# align_corners=True resize, median scaling (BDEdepth/ManyDepth protocol).
_base_ = ['./bdedepth_hrnet18_kitti.py']
height, width = 192, 512
train_pipeline = [
    dict(type='LoadCityscapesStrip'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='CanonicalAlign', height=height, width=width, fx=587.5,
         fy=587.5, cx=267.5, cy=130.0),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PatchReshuffle', split_ratio=(0.1, 0.9), name='reshuffle'),
    dict(type='ResizeCrop', resize_ratio=(1.2, 2.0), name='local'),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=12,
    num_workers=12,
    dataset=dict(
        _delete_=True,
        type='CityscapesPreprocessedDataset',
        data_root='data/cityscapes_preprocessed',
        ann_file='{{ fileDirname }}/../../splits/cityscapes_preprocessed/'
        'train_files.txt',
        frame_ids=[0, -1, 1],
        img_ext='.jpg',
        pipeline=train_pipeline))
cityscapes_test_pipeline = [
    dict(type='LoadCityscapesRaw'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='LoadCityscapesDepthGT', align=False),
    dict(type='PackDepthInputs'),
]
cityscapes_loader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesTestDataset',
        data_root='data/cityscapes',
        ann_file='{{ fileDirname }}/../../splits/cityscapes/test_files.txt',
        gt_dir='gt_depths',
        test_mode=True,
        pipeline=cityscapes_test_pipeline))
cityscapes_evaluator = dict(
    type='DepthMetric',
    crop='cityscapes',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median',
    resize='bilinear_align_corners',
    median='torch')
test_dataloader = dict(_delete_=True, **cityscapes_loader)
test_evaluator = dict(_delete_=True, **cityscapes_evaluator)
val_dataloader = dict(_delete_=True, **cityscapes_loader)
val_evaluator = dict(
    _delete_=True,
    type='DepthMetric',
    crop='cityscapes',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median',
    median='torch')
default_hooks = dict(logger=dict(interval=600),
                     checkpoint=dict(interval=600))
test_sets = [
    dict(name='cityscapes', dataloader=cityscapes_loader,
         evaluator=cityscapes_evaluator),
]
