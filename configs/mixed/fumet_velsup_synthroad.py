# FUMET's synthetic recipe (configs/fumet/fumet_r18_synthroad_full.py: R18
# from scratch + the car-height and camera-height losses, 96x320 on the
# built-in synthetic videos) + PackNet-SfM's velocity supervision (VelSup,
# configs/packnet/README.md): 0.1 * mean_j | ||t_pred_j|| - ||t_gt_j|| |
# with the ground-truth translations of the OXTS packets the synthetic
# videos carry (oxts/data/<%010d>.txt, the exact poses; KITTI raw has the
# same files). Run:
#   python tools/train.py configs/mixed/fumet_velsup_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad_full.py']
height, width = 96, 320
data_size = (192, 640)  # = synth_cfg['size'] of synthroad.py
model = dict(losses=dict(
    # add: the velocity loss (any pose net: here Monodepth2's)
    velocity=dict(type='VelocitySupervisionLoss', loss_weight=0.1)))
# the base pipeline + LoadOxtsPoses (gt_poses / gt_pose_ids of frames -1,
# +1); after RandomFlip, so flipped samples get mirrored poses (the
# translation norms are the same either way)
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         npz_size=data_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='LoadOxtsPoses'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
