# BDEdepth schedule (spec §8): AdamW lr 1e-4, betas (0.9, 0.999), weight
# decay 0.01, one parameter group; MultiStepLR [15] x0.1 stepped after each
# epoch (epochs 0-14 at 1e-4, 15-19 at 1e-5); 20 epochs. The epoch loop
# resumes mid-epoch (ResumableEpochBasedTrainLoop + ResumableSampler, like
# the original's start_iter); validation after every epoch.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                   weight_decay=0.01))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[15], gamma=0.1)
]
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=20,
                 val_interval=1)
