# FUMET's full recipe (Monodepth2 R18 from scratch + the car-height and
# camera-height losses, h* and the outlier test, road-masking override) on
# the built-in synthetic driving videos, sized for a CPU: 96x320, batch 8,
# 10 epochs; then the test split WITHOUT median scaling next to the
# median-scaled row. The base of the synthetic mixes (configs/mixed) and of
# the quick start fumet_r18_synthroad.py, which drops the camera-height loss:
# in 10 epochs from scratch h* is too rough and this recipe is unstable
# (ratio 1.09 or 3.3 depending on rounding; configs/fumet/README.md).
#   python tools/train.py configs/fumet/fumet_r18_synthroad_full.py
# Monocular video only (frames 0, -1, +1): the scale comes from the cars'
# heights and the camera height, not from a stereo baseline as in
# configs/monodepth2/monodepth2_r18_synthroad.py (mode S).
_base_ = [
    '../_base_/models/fumet_r50.py',
    '../_base_/datasets/synthroad_fumet.py',
    '../_base_/fumet_runtime.py',
]
height, width = 96, 320
data_size = (192, 640)  # = synth_cfg['size'] of synthroad.py
model = dict(
    # ResNet-18 from scratch (no downloads)
    depth_encoder=dict(depth=18, pretrained=None),
    pose_net=dict(
        encoder=dict(depth=18, pretrained=None),
        # metric motion (about 1 m per frame) must be reachable within the
        # few hundred steps of a CPU run: translation x1 instead of x0.01
        decoder=dict(translation_scale=1.0)),
    test_cfg=dict(flip_post_process=False))
train_pipeline = [
    dict(type='LoadFrames'),
    # the npz label maps are at the rendered size: nearest-neighbour resize
    dict(type='LoadCarRoadMasks', height=height, width=width,
         npz_size=data_size),
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
# metric evaluation: the unscaled row and the median-scaled row
test_evaluator = dict(scaling='both')
val_evaluator = dict(scaling='both')
# Adam 5e-4 (from scratch, few steps), x0.1 for the last 2 epochs
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)
]
# h* from the end of epoch 2 on (first_update_epoch=1); the original's
# fine/rough ramp (L = 20, fumet_runtime.py): the car-height loss keeps
# anchoring the scale for the whole short run (a ramp compressed to 5
# epochs let h* and the scale drift: ratio 0.79 after 12 epochs)
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)
# a checkpoint every epoch (326 MB with Adam's state, about 1 s to write),
# the newest 2 kept; the first iteration is logged too (DepthLoggerHook)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1, max_keep_ckpts=2))
