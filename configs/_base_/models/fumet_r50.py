# FUMET (Kinoshita & Nishino, ECCV 2024) on Monodepth2 R50: Monodepth2's
# losses (photometric in the original's order, smoothness) plus FUMET's
# plugins: the camera-height ("fine") and car-height ("rough") losses, whose
# weights their LossWeightScheduleHook ramps every epoch and whose h* the
# EpochEstimatesHook updates (both hooks come with the plugins), and the
# road-masking override of the photometric auto-mask.
_base_ = ['./monodepth2_r18.py']
scales = [0, 1, 2, 3]
model = dict(
    depth_encoder=dict(depth=50),
    pose_net=dict(encoder=dict(depth=50)),
    losses=dict(
        # reprojection before identity (Q11)
        photometric=dict(identity_first=False),
        # the fine loss, its weight ramped up over 20 epochs (k = 1, L = 20)
        camera_height=dict(
            type='CameraHeightLoss',
            loss_weight=0.01,
            weight_schedule=dict(ramp='log_up', keep_epochs=1,
                                 limit_epoch=20),
            scales=scales,
            first_update_epoch=1,
            remove_outliers=True,
            outlier_threshold=0.2),
        # the rough loss, ramped down to 0.5 % over the same epochs
        car_height=dict(
            type='CarHeightLoss',
            loss_weight=1.0,
            weight_schedule=dict(ramp='log_down', keep_epochs=1,
                                 limit_epoch=20, min_rate=0.005)),
        # no auto-masking on the road of moving frames
        # (--disable_road_masking)
        road_override=dict(type='RoadMaskingOverride'),
    ),
    scales=scales,
    min_depth=0.1,
    max_depth=100.0,
    # the original README evaluates with --post_process
    test_cfg=dict(flip_post_process=True))
