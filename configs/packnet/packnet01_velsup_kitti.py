# PackNet-SfM with velocity supervision (VelSup, packnet spec §2.8; the
# "scale-aware" rows of the packnet-sfm README, released as
# PackNet01_MR_velsup_CStoK.ckpt after Cityscapes pre-training): the
# self-supervised PackNet01 of packnet01_kitti.py plus
#   0.1 * mean_j | ||t_pred_j|| - ||t_gt_j|| |
# over the contexts t-1, t+1, with the ground-truth translations from the
# KITTI raw OXTS packets (<drive>/oxts/data/<%010d>.txt and
# <date>/calib_{cam_to_cam,velo_to_cam,imu_to_velo}.txt, LoadOxtsPoses).
# The original VelSupModel raises a TypeError at construction (quirk Q4);
# here the velocity loss is a working loss plugin (documented difference).
# Run:
#   python tools/train.py configs/packnet/packnet01_velsup_kitti.py
_base_ = ['./packnet01_kitti.py']
height, width = 192, 640
model = dict(losses=dict(
    velocity=dict(type='VelocitySupervisionLoss', loss_weight=0.1)))
# packnet01_kitti.py's train pipeline + one transform (pipelines are lists:
# restated; tests/test_configs/test_packnet_supervision_configs.py checks
# that it equals the base's plus that step)
train_pipeline = [
    dict(type='LoadFrames'),
    # the drive's P_rect_02 (PackNet), not Monodepth2's average KITTI K
    dict(type='LoadKittiIntrinsics'),
    # target -> source poses of frames -1 / +1 (gt_poses, gt_pose_ids)
    dict(type='LoadOxtsPoses'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.05, prob=1.0),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
