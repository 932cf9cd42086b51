# FeatDepth stage 1 (cfg_kitti_autoencoder.py): the FeatureNet autoencoder
# (ResNet-50 encoder on raw RGB, skip-less decoder) trained alone on single
# frames with reconstruction + 1e-3 * (-discriminative + convergent)
# feature regularisers; 800x256, 5 images per GPU x 8 GPUs, Adam 1e-4
# (grad clip 35), 500-iteration warm-up from 1/3, x0.5 at epochs 10 and 20,
# 30 epochs, no validation:
#   tools/dist_train.sh configs/featdepth/featdepth_autoencoder_kitti.py 8
# Its checkpoint (keys autoencoder.*) is the extractor of
# featdepth_r50_kitti.py.
_base_ = [
    '../_base_/datasets/kitti_eigen_zhou.py',
    '../_base_/default_runtime.py',
]
height, width = 256, 800
model = dict(
    type='FeatDepthAutoEncoderModel',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    autoencoder=dict(type='FeatureNet', depth=50, pretrained='imagenet'),
    dis=1e-3,  # 0 before Feb 2021 (quirk Q34)
    cvt=1e-3,
    chained_targets=True,  # chained bilinear targets (quirk Q11)
    input_key='color')  # the un-augmented frame, as the original
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=5,
    num_workers=4,
    drop_last=True,
    dataset=dict(frame_ids=[0], pipeline=train_pipeline))
# no validation (validate=False in the original)
val_cfg = None
val_dataloader = None
val_evaluator = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, end_factor=1.0,
         by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.5),
]
train_cfg = dict(by_epoch=True, max_epochs=30)
auto_scale_lr = dict(enable=False, base_batch_size=40)
# no depth pictures: the autoencoder has no depth to show
default_hooks = dict(visualization=None)
