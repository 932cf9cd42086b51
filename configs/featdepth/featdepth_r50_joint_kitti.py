# FeatDepth one-stage variant (cfg_kitti_fm_joint.py, model mono_fm_joint):
# the autoencoder (ImageNet ResNet-50 encoder + decoder) is trained jointly
# with depth and pose; its features carry gradients into the feature-metric
# loss, and the plugin adds its regularisation and (direct-resize)
# reconstruction terms. 640x192 "to fit 12 GB" (the README: slightly worse
# than the two-stage model); everything else as featdepth_r50_kitti.py.
_base_ = ['./featdepth_r50_kitti.py']
height, width = 192, 640
model = dict(losses=dict(
    feature_metric=dict(
        _delete_=True,
        type='FeatureMetricLoss',
        autoencoder=dict(
            type='FeatureNet', depth=50, pretrained='imagenet',
            with_decoder=True),
        checkpoint=None,
        frozen=False,
        intrinsics='matched',
        loss_weight=1e-3,
        # ('feature_regularization_loss', i) and ('img_reconstruct_loss', s)
        autoencoder_losses=True,
        dis=1e-3,
        cvt=1e-3)))
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs', stereo_baseline=0.015),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader
