# FUMET (Kinoshita & Nishino, ECCV 2024) on Monodepth2 R50: the photometric
# loss in the original's order with the road-masking override, smoothness,
# the camera-height ("fine") and car-height ("rough") losses. The two metric
# weights are set every epoch by LossWeightScheduleHook (fumet_runtime.py).
_base_ = ['./monodepth2_r18.py']
scales = [0, 1, 2, 3]
model = dict(
    depth_encoder=dict(depth=50),
    pose_net=dict(encoder=dict(depth=50)),
    losses=[
        # reprojection before identity (Q11); no auto-masking on the road
        # of moving frames (--disable_road_masking)
        dict(type='PhotometricLoss', automask=True, use_ssim=True,
             identity_first=False, road_override=True),
        dict(type='SmoothnessLoss', loss_weight=1e-3),
        dict(type='CameraHeightLoss', loss_weight=0.01, scales=scales,
             first_update_epoch=1, remove_outliers=True,
             outlier_threshold=0.2),
        dict(type='CarHeightLoss', loss_weight=1.0),
    ],
    scales=scales,
    min_depth=0.1,
    max_depth=100.0,
    # the original README evaluates with --post_process
    test_cfg=dict(flip_post_process=True))
