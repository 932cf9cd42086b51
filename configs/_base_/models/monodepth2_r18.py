# Monodepth2 (Godard et al., ICCV 2019): ResNet-18 depth U-Net and a separate
# two-image ResNet-18 pose net; min-reprojection + auto-masking + smoothness.
model = dict(
    type='SelfSupDepthEstimator',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    depth_encoder=dict(type='ResnetEncoder', depth=18, pretrained='imagenet'),
    depth_decoder=dict(type='DepthDecoder', scales=(0, 1, 2, 3)),
    pose_net=dict(
        type='ResnetPoseNet',
        input_mode='pairs',
        encoder=dict(
            type='ResnetEncoder',
            depth=18,
            num_input_images=2,
            pretrained='imagenet'),
        decoder=dict(
            type='PoseDecoder',
            num_input_features=1,
            num_frames_to_predict_for=2)),
    losses=dict(
        photometric=dict(type='PhotometricLoss', automask=True,
                         use_ssim=True),
        smooth=dict(type='SmoothnessLoss', loss_weight=1e-3),
    ),
    frame_ids=[0, -1, 1],
    scales=[0, 1, 2, 3],
    min_depth=0.1,
    max_depth=100.0,
    multiscale='full',
    test_cfg=dict(depth_scale=1.0))
