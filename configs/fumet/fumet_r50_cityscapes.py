# FUMET R50 on Cityscapes (SfMLearner-preprocessed strips, canonical
# intrinsics fx = fy = 587.5, cx = 267.5, cy = 130 at 512x192), as the
# original README runs it: 35 epochs, lr x0.5 every 8 epochs, fine/rough
# ramp over 12 epochs (20 and 15 scaled by the training-set size ratio), one
# camera-height pseudo-label per camera setting (cities with nominal camera
# height 1.18 m or 1.22 m; the key only groups frames). Evaluation: raw test
# images + ManyDepth GT, the original's crop (Q17), metric and median-scaled.
_base_ = [
    '../_base_/models/fumet_r50.py',
    '../_base_/datasets/cityscapes_preprocessed.py',
    '../_base_/datasets/cityscapes_test.py',
    '../_base_/schedules/schedule_fumet_60e.py',
    '../_base_/fumet_runtime.py',
]
scales = [0, 1, 2, 3]
model = dict(losses=[
    dict(type='PhotometricLoss', automask=True, use_ssim=True,
         identity_first=False, road_override=True),
    dict(type='SmoothnessLoss', loss_weight=1e-3),
    dict(type='CameraHeightLoss', loss_weight=0.01, scales=scales,
         first_update_epoch=1, remove_outliers=True, outlier_threshold=0.2,
         cam_settings=(1.18, 1.22)),
    dict(type='CarHeightLoss', loss_weight=1.0),
])
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=8, gamma=0.5)
]
train_cfg = dict(max_epochs=35)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_evaluator = dict(scaling='both')
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='CheckpointCheckHook'),
    dict(type='DepthVisualizationHook', interval=250),
    dict(type='CameraHeightHook'),
    dict(type='LossWeightScheduleHook',
         schedules=[
             dict(loss='CameraHeightLoss', base=0.01, ramp='log_up',
                  keep_epochs=1, limit_epoch=12),
             dict(loss='CarHeightLoss', base=1.0, ramp='log_down',
                  keep_epochs=1, limit_epoch=12, min_rate=0.005),
         ]),
]
