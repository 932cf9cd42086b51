# FeatDepth (Shu et al., ECCV 2020), model `mono_fm`: ResNet-50 depth
# encoder + RefineNet-style CRP decoder (scale 0 at H/2), ResNet-18 pose net
# on inputs resized to 192x640, photometric (Charbonnier) + feature-metric
# (frozen FeatureNet encoder, f0 at H/2) + first/second-order smoothness.
# Mono+stereo (MS) as the released KITTI model; M: see
# configs/featdepth/README.md.
model = dict(
    type='SelfSupDepthEstimator',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    # input normalised (x - 0.45) / 0.225; features l0..l4 (l0 unused)
    depth_encoder=dict(type='ResnetEncoder', depth=50, pretrained='imagenet'),
    # Dropout(0.5) on l3/l4 in training, leaky ReLU 0.01; disp s at H/2^(s+1)
    depth_decoder=dict(type='FeatDepthDecoder', scales=(0, 1, 2, 3)),
    pose_net=dict(
        type='FeatDepthPoseNet',
        input_mode='pairs',
        input_size=(192, 640),  # hard-coded in the original (quirk Q6)
        encoder=dict(
            type='ResnetEncoder',
            depth=18,
            num_input_images=2,
            pretrained='imagenet'),
        decoder=dict(
            type='PoseDecoder',
            num_input_features=1,
            num_frames_to_predict_for=1)),
    losses=dict(
        # mean_s mean(min_f (0.85 DSSIM + 0.15 Charbonnier)); MS: no automask
        photometric=dict(type='PhotometricLoss', automask=False,
                         l1='charbonnier'),
        # 1e-3 * mean(min_f mean_c Charbonnier(F_0, warp(F_f))) on f0 (H/2)
        # of the frozen autoencoder encoder (train-mode BN as the original,
        # quirk Q2; frozen_bn='eval' uses the checkpoint's statistics);
        # checkpoint: the FeatDepthAutoEncoderModel run (keys autoencoder.*)
        feature_metric=dict(
            type='FeatureMetricLoss',
            autoencoder=dict(
                type='FeatureNet',
                depth=50,
                pretrained=None,
                with_decoder=False),
            checkpoint=None,
            checkpoint_prefix='autoencoder.',
            frozen=True,
            frozen_bn='train',
            intrinsics='matched',  # HEAD K/2 ('full' = paper era, Q3)
            loss_weight=1e-3),
        # 1e-3 * mean_s (S1 + S2)(disp_s, area-resized I; a=0.5) / 2^s
        smooth=dict(
            type='SmoothnessLoss',
            loss_weight=1e-3,
            normalise=False,  # disp_norm: off for MS, on for M
            second_order=True,
            edge_alpha=0.5,
            image_resize='area'),
    ),
    frame_ids=[0, -1, 1, 's'],
    scales=[0, 1, 2, 3],
    min_depth=0.1,
    max_depth=100.0,
    multiscale='full',  # every scale upsampled to H x W for the warp
    align_corners=True,  # PyTorch <= 1.2 grid_sample semantics (quirk Q1)
    padding_mode='border',
    # stereo baseline 0.015 in training (= 0.54 / 36): metric depth x36
    test_cfg=dict(depth_scale=36.0))
