# FeatDepth online refinement (cfg_kitti_fm_refine.py, spec section 10): the
# 40-epoch model of featdepth_r50_kitti.py trained 20 more epochs on the
# 697 Eigen test frames (with neighbours and stereo partners; training
# augmentation and every loss on), LR 1e-4 for 10 epochs then 5e-5, no
# warm-up, evaluated on the same frames after every epoch (the MS* row).
# One model refined on the whole test set, not per image.
#   tools/dist_train.sh configs/featdepth/featdepth_r50_refine_kitti.py 8
# M*: frame_ids [0, -1, 1] with the M settings (README).
_base_ = ['./featdepth_r50_kitti.py']
frame_ids = [0, -1, 1, 's']
# Starts from the trained weights (load_from). The original resumes
# (epoch 40, iteration count, Adam moments) and then applies its step
# [50] schedule from the saved initial LR: epochs 41-50 at 1e-4, 51-60 at
# 5e-5. An mmengine resume would also restore the 40-epoch schedulers
# (their milestones replace these, LR stuck at 2.5e-5), so this config
# loads the weights (load_from) and Adam's moments and step counts
# (LoadOptimizerStateHook) and runs its own schedule: epochs 1-10 at 1e-4,
# 11-20 at 5e-5 (the original's 41-60).
trained = 'work_dirs/featdepth_r50_kitti/epoch_40.pth'
load_from = trained
resume = False
custom_hooks = [dict(type='LoadOptimizerStateHook', checkpoint=trained)]
train_dataloader = dict(
    dataset=dict(
        ann_file='{{ fileDirname }}/../../splits/kitti/eigen/'
        'test_files.txt',
        frame_ids=frame_ids))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10], gamma=0.5),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
default_hooks = dict(logger=dict(interval=5))
