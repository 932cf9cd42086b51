# The built-in synthetic drives (synthroad.py) with FUMET's car/road npz
# (written by the generator at the rendered size, heights_segms_with_road_
# <W>x<H>_0{2,3}, KITTI layout) loaded at the synthetic data's size,
# 192x640. Training at another size (e.g. the 96x320 CPU quick start) keeps
# npz_size at the stored size and resizes the label maps to the training
# size by nearest neighbour:
#   dict(type='LoadCarRoadMasks', height=96, width=320, npz_size=(192, 640))
# (redefine the whole train pipeline in that config: base variables are
# resolved in this file).
_base_ = ['./synthroad.py']
height, width, num_scales = 192, 640, 4  # = synth_cfg['size']
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         npz_size=(height, width)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=8, drop_last=True, dataset=dict(pipeline=train_pipeline))
