# FUMET schedule (KITTI): Adam 5e-5, halved every 15 epochs, 60 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=5e-5, betas=(0.9, 0.999)))
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=15, gamma=0.5)
]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=1)
