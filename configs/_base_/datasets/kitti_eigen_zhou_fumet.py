# KITTI eigen_zhou for FUMET: the Monodepth2 training data plus FUMET's
# car/road npz of each target frame, read by LoadCarRoadMasks from
#   <data_root>/<date>/<drive>/heights_segms_with_road_640x192_0{2,3}/
#   <%010d>.npz
# (the heights_segms archive moved into the KITTI tree as FUMET's
# preprocess/kitti_move_heights_segms.py does). No area filter on KITTI.
# Batch 8 (FUMET default); drop_last for the fixed-batch geometry (Q29).
_base_ = ['./kitti_eigen_zhou.py']
height, width, num_scales = 192, 640, 4
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         segm_dirname='heights_segms_with_road'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=8, drop_last=True, dataset=dict(pipeline=train_pipeline))
