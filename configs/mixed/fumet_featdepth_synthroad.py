# FUMET's metric losses + FeatDepth's feature-metric loss on the built-in
# synthetic videos (monocular, ResNet-18 from scratch, 96x320). The frozen
# FeatDepth autoencoder comes from the synthetic autoencoder run:
#   python tools/train.py configs/featdepth/featdepth_autoencoder_synthroad.py
#   python tools/train.py configs/mixed/fumet_featdepth_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad.py']
scales = [0, 1, 2, 3]
model = dict(losses=[
    dict(type='PhotometricLoss', automask=True, use_ssim=True,
         identity_first=False, road_override=True),
    dict(type='SmoothnessLoss', loss_weight=1e-3),
    dict(type='CameraHeightLoss', loss_weight=0.01, scales=scales,
         first_update_epoch=1, remove_outliers=True, outlier_threshold=0.2),
    dict(type='CarHeightLoss', loss_weight=1.0),
    # FeatDepth: features of the frozen autoencoder (H/2) warped with the
    # same poses and depth, minimum over the sources
    dict(
        type='FeatureMetricLoss',
        autoencoder=dict(
            type='FeatureNet', depth=50, pretrained=None,
            with_decoder=False),
        checkpoint='work_dirs/featdepth_autoencoder_synthroad/epoch_5.pth',
        checkpoint_prefix='autoencoder.',
        frozen=True,
        loss_weight=1e-3),
])
