# default_runtime plus FUMET's hooks: h* updated at every epoch end from the
# estimates of all ranks (CameraHeightHook) and the logarithmic fine/rough
# loss-weight ramp (k = 1, L = 20, rough floor 0.005); every epoch's
# checkpoint is kept (the original saves weights_0 .. weights_N, Q10).
_base_ = ['./default_runtime.py']
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='CheckpointCheckHook'),
    dict(type='DepthVisualizationHook', interval=250),
    dict(type='CameraHeightHook'),
    dict(type='LossWeightScheduleHook',
         schedules=[
             dict(loss='CameraHeightLoss', base=0.01, ramp='log_up',
                  keep_epochs=1, limit_epoch=20),
             dict(loss='CarHeightLoss', base=1.0, ramp='log_down',
                  keep_epochs=1, limit_epoch=20, min_rate=0.005),
         ]),
]
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))
