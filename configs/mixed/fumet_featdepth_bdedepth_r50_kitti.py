# FUMET (metric losses, h* hook, weight ramp, road override) + FeatDepth's
# feature-metric loss (frozen ResNet-50 FeatureNet encoder) + BDEdepth's
# resizing-cropping and splitting-permuting views, on Monodepth2 R50 (KITTI
# eigen_zhou 640x192, batch 8, FUMET's schedule). Which loss runs on which
# view: see configs/mixed/fumet_featdepth_bdedepth_synthroad.py.
#   tools/dist_train.sh configs/mixed/fumet_featdepth_bdedepth_r50_kitti.py 2
# Needs FUMET's car/road npz beside the images (configs/fumet/README.md)
# and a trained FeatDepth autoencoder (configs/featdepth/README.md).
_base_ = ['../fumet/fumet_r50_kitti.py']
height, width, num_scales = 192, 640, 4
model = dict(
    # BDEdepth's two views of the target
    views=dict(
        local=dict(type='ResizeCropView'),
        reshuffle=dict(type='PatchReshuffleView')),
    losses=dict(
        # FeatDepth's entry (configs/_base_/models/featdepth_r50.py), with
        # the autoencoder of stage 1 (featdepth_autoencoder_kitti.py)
        feature_metric=dict(
            type='FeatureMetricLoss',
            autoencoder=dict(
                type='FeatureNet',
                depth=50,
                pretrained=None,
                with_decoder=False),
            checkpoint='work_dirs/featdepth_autoencoder_kitti/epoch_30.pth',
            checkpoint_prefix='autoencoder.',
            frozen=True,
            frozen_bn='train',
            intrinsics='matched',
            loss_weight=1e-3),
        # BDEdepth's consistency of the views with the original
        consistency=dict(type='ViewConsistencyLoss', loss_weight=0.07)))
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         segm_dirname='heights_segms_with_road'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ResizeCrop', name='local'),
    dict(type='PatchReshuffle', name='reshuffle'),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
