# FUMET's metric losses + FeatDepth's feature-metric loss on the built-in
# synthetic videos (monocular, ResNet-18 from scratch, 96x320). The frozen
# FeatDepth autoencoder comes from the synthetic autoencoder run:
#   python tools/train.py configs/featdepth/featdepth_autoencoder_synthroad.py
#   python tools/train.py configs/mixed/fumet_featdepth_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad_full.py']
model = dict(losses=dict(
    # FeatDepth: features of the frozen autoencoder (H/2) warped with the
    # same poses and depth, minimum over the sources
    feature_metric=dict(
        type='FeatureMetricLoss',
        autoencoder=dict(
            type='FeatureNet', depth=50, pretrained=None,
            with_decoder=False),
        checkpoint='work_dirs/featdepth_autoencoder_synthroad/epoch_5.pth',
        checkpoint_prefix='autoencoder.',
        frozen=True,
        loss_weight=1e-3)))
