# Monodepth2 schedule: Adam 1e-4 for 20 epochs, x0.1 from epoch 15 (0-based),
# i.e. the paper's schedule (quirk Q4: the original code on modern PyTorch
# drops one epoch earlier).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[15], gamma=0.1)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
