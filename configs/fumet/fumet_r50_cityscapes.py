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
model = dict(losses=dict(
    camera_height=dict(
        cam_settings=(1.18, 1.22),
        weight_schedule=dict(limit_epoch=12)),
    car_height=dict(weight_schedule=dict(limit_epoch=12))))
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=8, gamma=0.5)
]
train_cfg = dict(max_epochs=35)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_evaluator = dict(scaling='both')
