# Quick start of FeatDepth stage 1: the FeatureNet autoencoder (ResNet-50
# from scratch) on the built-in synthetic driving videos, sized for a CPU:
# 96x320, batch 4, 5 epochs (the data are rendered into data/synthroad on
# first use). Run first:
#   python tools/train.py configs/featdepth/featdepth_autoencoder_synthroad.py
# then featdepth_r50_synthroad.py, whose frozen feature extractor is the
# last checkpoint of this run
# (work_dirs/featdepth_autoencoder_synthroad/epoch_5.pth).
_base_ = [
    '../_base_/datasets/synthroad.py',
    '../_base_/default_runtime.py',
]
height, width = 96, 320
model = dict(
    type='FeatDepthAutoEncoderModel',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    autoencoder=dict(type='FeatureNet', depth=50, pretrained=None),
    dis=1e-3,
    cvt=1e-3,
    chained_targets=True,
    input_key='color')
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    drop_last=True,
    dataset=dict(frame_ids=[0], pipeline=train_pipeline))
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    # the original's warm-up, shortened to the CPU run's length
    dict(type='LinearLR', start_factor=1.0 / 3, end_factor=1.0,
         by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, milestones=[4], gamma=0.5),
]
train_cfg = dict(by_epoch=True, max_epochs=5)
# no depth pictures: the autoencoder has no depth to show
default_hooks = dict(logger=dict(interval=10), visualization=None)
