# FUMET (Kinoshita & Nishino, ECCV 2024): metric depth from dashcam video.
# Monodepth2 R50 (frames 0, -1, +1) plus the car-height ("rough") and
# camera-height ("fine") losses, the per-epoch camera-height pseudo-label h*
# (EpochEstimatesHook), the logarithmic fine/rough ramp
# (LossWeightScheduleHook), horizon outlier removal and the road-masking
# override; KITTI eigen_zhou 640x192, batch 8, Adam 5e-5 halved every 15
# epochs, 60 epochs, as the original README runs it:
#   tools/dist_train.sh configs/fumet/fumet_r50_kitti.py 2
# The car/road npz files (heights_segms_with_road_640x192_0{2,3}/) must sit
# beside the images; see configs/fumet/README.md.
_base_ = [
    '../_base_/models/fumet_r50.py',
    '../_base_/datasets/kitti_eigen_zhou_fumet.py',
    '../_base_/datasets/kitti_eigen_test.py',
    '../_base_/schedules/schedule_fumet_60e.py',
    '../_base_/fumet_runtime.py',
]
# no validation during training (no GT for eigen_zhou val); tools/test.py
# evaluates the Eigen split metrically (no median scaling) and prints the
# median-scaled row beside it
val_cfg = None
val_dataloader = None
val_evaluator = None
test_evaluator = dict(scaling='both')
