# PackNet-SfM, PackNet01 self-supervised on KITTI (the original's
# configs/train_kitti.yaml; released as PackNet01_MR_selfsup_K.ckpt):
# 192x640, batch 4 per GPU, Adam 2e-4 for the depth and the pose net,
# StepLR(30, 0.5) per epoch, 50 epochs, eigen_zhou repeated x2, colour
# jitter (0.2, 0.2, 0.2, 0.05) with probability 1 shared by all frames
# (quirk Q36), flip augmentation inside the model on the depth net only
# (depth_flip_prob 0.5 in the model base, quirk Q37). Run:
#   python tools/train.py configs/packnet/packnet01_kitti.py
# (the original trained on 8 GPUs with Horovod: batch 4 per GPU; with
# tools/dist_train.sh the per-GPU batch stays 4.)
_base_ = [
    '../_base_/models/packnet01.py',
    '../_base_/datasets/kitti_eigen_zhou.py',
    '../_base_/datasets/kitti_packnet_test.py',
    '../_base_/default_runtime.py',
]
height, width = 192, 640
train_pipeline = [
    dict(type='LoadFrames'),
    # the drive's P_rect_02 (PackNet), not Monodepth2's average KITTI K
    dict(type='LoadKittiIntrinsics'),
    # PIL LANCZOS resize, intrinsics scaled with the image
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    # probability 1, one draw in random order for target and contexts
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.05, prob=1.0),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=8,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',  # the original's datasets.train.repeat [2]
        times=2,
        dataset=dict(
            type='KittiRawDataset',
            data_root='data/kitti_raw',
            ann_file='{{ fileDirname }}/../../splits/kitti/eigen_zhou/'
            'train_files.txt',
            frame_ids=[0, -1, 1],
            # the original reads KITTI raw's PNGs (Monodepth2-style
            # converted copies: img_ext='.jpg')
            img_ext='.png',
            pipeline=train_pipeline)))
# Adam 2e-4, weight decay 0, torch-default betas, for both parameter
# groups (the original's Depth and Pose groups have equal settings: one
# group here; paramwise_cfg.custom_keys {'depth_encoder': ..., 'pose_net':
# ...} if they should differ)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=2e-4, weight_decay=0.0))
# StepLR(step_size=30, gamma=0.5), stepped once per epoch (quirk Q30)
param_scheduler = [
    dict(type='StepLR', by_epoch=True, step_size=30, gamma=0.5)
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
randomness = dict(seed=42)
# tools/test.py: PackNet's protocol on the Eigen test split
# (kitti_packnet_test.py; DEPTH and DEPTH_GT rows; add
#   --cfg-options model.test_cfg.flip_post_process=True
# for DEPTH_PP and DEPTH_PP_GT). No validation during training, as the
# other KITTI configs (validating on the Eigen test split selects
# checkpoints on the test set). The original validated on eigen_val and
# eigen_test and ranked checkpoints by a metric; to do the same (the
# default monitor 'loss' of the original crashes, quirk Q6 fixed: rank by
# the median-scaled, post-processed abs_rel):
#   val_dataloader = test_dataloader; val_evaluator = test_evaluator
#   val_cfg = dict(type='ValLoop')
#   model = dict(test_cfg=dict(flip_post_process=True))
#   default_hooks = dict(checkpoint=dict(save_best='depth/median_abs_rel',
#                                        rule='less', max_keep_ckpts=5))
