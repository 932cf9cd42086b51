# BDEdepth (Liu et al., RA-L 2023): Monodepth2 + two augmented views of the
# target frame (splitting-permuting = patch reshuffle, resizing-cropping =
# local crop), each a separate DepthNet pass, with a symmetric SI-log
# depth-consistency loss (weight 0.07, lambda 0.5, no stop-gradient).
# DepthNet: HRNet18 encoder + full-resolution context branch, 6x3 grid
# decoder, one output scale. Pose: Monodepth2's separate ResNet18 pair net.
# HRNet ImageNet weights: HRNet_W18_C_cosinelr_cutmix_300epoch.pth.tar
# (HRNet-Image-Classification), a local file (quirk Q15).
hrnet_imagenet = 'checkpoints/HRNet_W18_C_cosinelr_cutmix_300epoch.pth.tar'
model = dict(
    type='SelfSupDepthEstimator',
    data_preprocessor=dict(type='DepthDataPreprocessor'),
    depth_encoder=dict(type='HRNetEncoder', pretrained=hrnet_imagenet),
    depth_decoder=dict(type='GridDecoder', num_ch_enc=[64, 18, 36, 72, 144],
                       scales=(0, )),
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
    # the two augmented views (spec §3, §4); their base losses are averaged
    # with the original's: (L_ori + L_local + L_reshuffle) / 3
    views=dict(
        reshuffle=dict(type='PatchReshuffleView'),
        local=dict(type='ResizeCropView'),
    ),
    losses=dict(
        photometric=dict(type='PhotometricLoss', automask=True,
                         use_ssim=True),
        smooth=dict(type='SmoothnessLoss', loss_weight=1e-3),
        consistency=dict(type='ViewConsistencyLoss', loss_weight=0.07,
                         lam=0.5),
    ),
    frame_ids=[0, -1, 1],
    scales=[0],
    min_depth=0.1,
    max_depth=100.0,
    multiscale='full',
    align_corners=True,
    test_cfg=dict(depth_scale=1.0))
