# Quick start of metric depth: FUMET (Monodepth2 R18 from scratch + the
# car-height and camera-height losses) on the built-in synthetic driving
# videos, sized for a CPU: 96x320, batch 8, 10 epochs; then the test split
# WITHOUT median scaling next to the median-scaled row. The data are
# rendered into data/synthroad on first use. Run:
#   python tools/train.py configs/fumet/fumet_r18_synthroad.py
# Same data and network as configs/monodepth2/monodepth2_r18_synthroad.py,
# whose depth is correct only up to scale.
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
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[8], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=10)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(max_keep_ckpts=3))
# h* from the end of epoch 1; the fine/rough ramp compressed from 20 to 5
# epochs for the 10-epoch run
loss_ramp = dict(keep_epochs=1, limit_epoch=5)
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='CheckpointCheckHook'),
    dict(type='DepthVisualizationHook', interval=250),
    dict(type='CameraHeightHook'),
    dict(type='LossWeightScheduleHook',
         schedules=[
             dict(loss='CameraHeightLoss', base=0.01, ramp='log_up',
                  **loss_ramp),
             dict(loss='CarHeightLoss', base=1.0, ramp='log_down',
                  min_rate=0.005, **loss_ramp),
         ]),
]
