# PackNet-SfM, PackNet01 self-supervised on DDAD (the original's
# configs/train_ddad.yaml; README: AbsRel 0.173 at 384x640,
# PackNet01_MR_selfsup_D.ckpt): camera_01, 384x640, batch 2 per GPU, Adam
# 9e-5, frames t-1, t, t+1; evaluation on the DDAD val split with the
# LiDAR depth, no crop, 0 < gt < 200 m (configs/_base_/datasets/ddad.py;
# the DGP files are read without the dgp package). Run:
#   python tools/train.py configs/packnet/packnet01_ddad.py
_base_ = [
    '../_base_/models/packnet01.py',
    '../_base_/datasets/ddad.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=9e-5, weight_decay=0.0))
# the original's scheduler defaults (StepLR 30, 0.5 per epoch, 50 epochs)
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=30, gamma=0.5)
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
randomness = dict(seed=42)
