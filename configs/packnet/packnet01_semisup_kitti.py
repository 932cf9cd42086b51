# PackNet-SfM semi-supervised (SemiSup, packnet spec §2.6, §2.8; the
# README's "semi-sup" row, PackNet01_MR_semisup_CStoK.ckpt): the
# self-supervised PackNet01 of packnet01_kitti.py plus a supervised loss on
# the projected LiDAR depth, weighted as the original
#   (1 - w) * selfsup + w * sup,   w = supervised_loss_weight = 0.9
# i.e. the photometric plugin's loss_weight = 1 - w = 0.1 (it multiplies
# both its photometric and its smoothness term) and the supervised
# plugin's loss_weight = w = 0.9. sparse-l1 on inverse depths over the 4
# (nearest-upsampled) scales, GT = 0 ignored.
# GT: packnet-sfm's proj_depth maps merged into the raw tree,
#   <drive>/proj_depth/velodyne/image_0X/<%010d>.npz (KITTI_raw_velodyne
#   .tar.gz, key velodyne_depth) or, for the densified GT of the README's
#   row, depth_type='groundtruth' (proj_depth/groundtruth/image_0X/*.png,
#   KITTI_raw_groundtruth.tar.gz; not every eigen_zhou frame has one),
# resized to 192x640 by scattering the valid points (quirk Q35).
# Run:
#   python tools/train.py configs/packnet/packnet01_semisup_kitti.py
_base_ = ['./packnet01_kitti.py']
height, width = 192, 640
supervised_loss_weight = 0.9
model = dict(losses=dict(
    photometric=dict(loss_weight=1 - supervised_loss_weight),
    supervised=dict(
        type='SupervisedDepthLoss',
        supervised_method='sparse-l1',
        supervised_num_scales=4,
        loss_weight=supervised_loss_weight,
        prediction='inv_depth',  # PackNet01 outputs inverse depth
        upsample_depth_maps=True)))
# packnet01_kitti.py's train pipeline + one transform (pipelines are lists:
# restated; tests/test_configs/test_packnet_supervision_configs.py checks
# that it equals the base's plus that step)
train_pipeline = [
    dict(type='LoadFrames'),
    # the drive's P_rect_02 (PackNet), not Monodepth2's average KITTI K
    dict(type='LoadKittiIntrinsics'),
    dict(type='LoadProjectedDepth', height=height, width=width,
         depth_type='velodyne', resize='preserve'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.05, prob=1.0),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
