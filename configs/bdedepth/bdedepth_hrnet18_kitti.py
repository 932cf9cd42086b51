# BDEdepth HRNet18, KITTI eigen_zhou at 640x192 (run_kitti.sh): both
# augmentations, num_scales 1, AdamW 1e-4 (wd 0.01) x0.1 at epoch 15, 20
# epochs, 2 GPUs x 10 with SyncBN (tools/dist_train.sh CONFIG 2), PNG
# images, per-image colour jitter (quirk Q1). Checkpoints every 400
# iterations (mid-epoch resume: tools/train.py CONFIG --resume), Eigen
# evaluation after every epoch with best-checkpoint saving.
# Cross-dataset test (evaluate_depth.py): tools/test.py CONFIG CKPT
#   --test-sets all   (kitti_eigen, kitti_eigen_benchmark, make3d, nyuv2,
#   cityscapes; data roots below or --cfg-options).
_base_ = [
    '../_base_/models/bdedepth_hrnet18.py',
    '../_base_/datasets/kitti_eigen_zhou.py',
    '../_base_/datasets/kitti_eigen_test.py',
    '../_base_/schedules/schedule_adamw_20e.py',
    '../_base_/default_runtime.py',
]
height, width = 192, 640
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    # splitting-permuting of the target frame, split ratio U(0.1, 0.9)
    dict(type='PatchReshuffle', split_ratio=(0.1, 0.9), name='reshuffle'),
    # resizing-cropping of every frame, zoom U(1.2, 2.0)
    dict(type='ResizeCrop', resize_ratio=(1.2, 2.0), name='local'),
    # torchvision ColorJitter (0.8-1.2, hue 0.1), p 0.5, new draw per image
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=10,  # per GPU; the original runs 2 GPUs
    num_workers=12,
    sampler=dict(_delete_=True, type='ResumableSampler', shuffle=True),
    dataset=dict(img_ext='.png', pipeline=train_pipeline))
model = dict(
    pose_net=dict(encoder=dict(pretrained='imagenet')),
    # SyncBN under DDP (quirk Q11); no effect in one process
)
sync_bn = 'torch'

# ---- evaluation ----
# standalone protocol (tools/test.py): bilinear resize with
# align_corners=True and torch.median (quirk Q6), PNG inputs
kitti_test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
kitti_eigen_loader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KittiRawDataset',
        data_root='data/kitti_raw',
        ann_file='{{ fileDirname }}/../../splits/kitti/eigen/test_files.txt',
        frame_ids=[0],
        img_ext='.png',
        test_mode=True,
        pipeline=kitti_test_pipeline))
test_dataloader = dict(_delete_=True, **kitti_eigen_loader)
test_evaluator = dict(resize='bilinear_align_corners', median='torch')
# per-epoch monitor (training-time test_kitti): align_corners=False
val_dataloader = kitti_eigen_loader
val_evaluator = dict(
    type='DepthMetric',
    crop='garg',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median',
    median='torch',
    gt_file='data/kitti_raw/gt_depths_eigen.npz')
val_cfg = dict(type='ValLoop')
default_hooks = dict(
    logger=dict(interval=400),
    checkpoint=dict(interval=400, by_epoch=False, save_last=True,
                    max_keep_ckpts=2, save_best='depth/abs_rel',
                    rule='less'))

# ---- cross-dataset test sets (tools/test.py --test-sets) ----
_resize = dict(type='ResizePyramid', height=height, width=width,
               num_scales=1)
_standalone = dict(resize='bilinear_align_corners', median='torch')
test_sets = [
    dict(name='kitti_eigen', dataloader=kitti_eigen_loader,
         evaluator=dict(type='DepthMetric', crop='garg', min_depth=1e-3,
                        max_depth=80.0, scaling='median',
                        gt_file='data/kitti_raw/gt_depths_eigen.npz',
                        **_standalone)),
    dict(name='kitti_eigen_benchmark',
         dataloader=dict(
             batch_size=4, num_workers=4, persistent_workers=False,
             drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(
                 type='KittiRawDataset', data_root='data/kitti_raw',
                 ann_file='{{ fileDirname }}/../../splits/kitti/'
                 'eigen_benchmark/test_files.txt',
                 frame_ids=[0], img_ext='.png', test_mode=True,
                 pipeline=kitti_test_pipeline)),
         evaluator=dict(type='DepthMetric', crop=None, min_depth=1e-3,
                        max_depth=80.0, scaling='median',
                        gt_file='data/kitti_raw/'
                        'gt_depths_eigen_benchmark.npz', **_standalone)),
    dict(name='make3d',
         dataloader=dict(
             batch_size=4, num_workers=4, persistent_workers=False,
             drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(
                 type='Make3DTestDataset', data_root='data/make3d',
                 ann_file='{{ fileDirname }}/../../splits/make3d/'
                 'test_files.txt', test_mode=True,
                 pipeline=[dict(type='LoadMake3D'), _resize,
                           dict(type='PackDepthInputs')])),
         evaluator=dict(type='DepthMetric', crop=None, gt_mask='range',
                        min_depth=0.0, max_depth=70.0, scaling='median',
                        resize='nearest', median='torch', log_base='10')),
    dict(name='nyuv2',
         dataloader=dict(
             batch_size=4, num_workers=4, persistent_workers=False,
             drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(
                 type='NYUv2TestDataset', data_root='data/nyuv2',
                 ann_file='{{ fileDirname }}/../../splits/nyuv2/'
                 'test_files.txt', test_mode=True,
                 pipeline=[dict(type='LoadNYUv2H5'), _resize,
                           dict(type='PackDepthInputs')])),
         evaluator=dict(type='DepthMetric', crop=None, gt_mask='range',
                        min_depth=0.0, max_depth=10.0, scaling='median',
                        resize='nearest', median='torch')),
    dict(name='cityscapes',
         dataloader=dict(
             batch_size=4, num_workers=4, persistent_workers=False,
             drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(
                 type='CityscapesTestDataset', data_root='data/cityscapes',
                 ann_file='{{ fileDirname }}/../../splits/cityscapes/'
                 'test_files.txt', gt_dir='gt_depths', test_mode=True,
                 pipeline=[dict(type='LoadCityscapesRaw'), _resize,
                           dict(type='LoadCityscapesDepthGT', align=False),
                           dict(type='PackDepthInputs')])),
         evaluator=dict(type='DepthMetric', crop='cityscapes',
                        min_depth=1e-3, max_depth=80.0, scaling='median',
                        **_standalone)),
]
