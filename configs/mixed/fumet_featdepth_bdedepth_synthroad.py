# FUMET's metric losses + FeatDepth's feature-metric loss + BDEdepth's two
# augmented views on the built-in synthetic videos (monocular, ResNet-18
# from scratch, 96x320). Which loss runs on which view:
#   photometric (with FUMET's road override: the crop view carries its
#     cropped road mask), smoothness, feature-metric: every view, averaged
#     over the 3 views (the reshuffled view reads the original frames and
#     masks, its prediction being restored first);
#   camera height, car height: the original view only (their
#     default_views): one h* estimate per frame, the car masks are not
#     cropped, and the crop view's pose-conjugated geometry back-projects
#     to a sheared scene;
#   view consistency (SI-log, 0.07): each augmented view vs the original.
#   python tools/train.py configs/featdepth/featdepth_autoencoder_synthroad.py
#   python tools/train.py configs/mixed/fumet_featdepth_bdedepth_synthroad.py
_base_ = ['./fumet_featdepth_synthroad.py']
height, width = 96, 320
data_size = (192, 640)
model = dict(
    views=dict(
        local=dict(type='ResizeCropView'),
        reshuffle=dict(type='PatchReshuffleView'),
    ),
    losses=dict(
        # BDEdepth's consistency of the views with the original
        consistency=dict(type='ViewConsistencyLoss', loss_weight=0.07)))
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         npz_size=data_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ResizeCrop', name='local'),
    dict(type='PatchReshuffle', name='reshuffle'),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
