# KITTI raw, Eigen test split (697 images), PackNet-SfM's evaluation
# protocol (packnet spec §4.1-4.2): LANCZOS resize of the image to the
# network size (192x640), the prediction inverted to depth at network
# resolution and the DEPTH resized to the GT size bilinearly with
# align_corners=True (quirk Q17), Garg crop, strict 0 < gt < 80 (quirk
# Q19), torch.median (lower middle value) for the median scaling, the
# prediction clamped to [0, 80].
#
# PackNet's four printed rows map onto this evaluator and the model's
# test_cfg.flip_post_process:
#   DEPTH        flip_post_process=False, the unscaled row  (abs_rel, ...)
#   DEPTH_GT     flip_post_process=False, the median row   (median_abs_rel)
#   DEPTH_PP     flip_post_process=True,  the unscaled row
#   DEPTH_PP_GT  flip_post_process=True,  the median row
# (scaling='both' gives the unscaled and the median-scaled rows of one run;
# rerun with --cfg-options model.test_cfg.flip_post_process=True for _PP).
#
# Ground truth: the velodyne maps of the Eigen test split (camera 2, LiDAR
# forward distance), exported once with
#   python tools/dataset_converters/kitti_export_gt.py \
#       --data-root data/kitti_raw --split eigen
# Improved GT (proj_depth/groundtruth, 652 images):
# kitti_packnet_benchmark_test.py.
_base_ = ['./kitti_eigen_test.py']
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='ResizePyramid', height=192, width=640, num_scales=1),
    dict(type='PackDepthInputs'),
]
# the original reads KITTI raw's PNGs (Monodepth2's evaluation reads .jpg
# copies; set img_ext='.jpg' for a converted copy)
test_dataloader = dict(dataset=dict(img_ext='.png', pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop='garg',
    gt_mask='range',
    min_depth=0.0,
    max_depth=80.0,
    scaling='both',
    resize='bilinear_depth_align_corners',
    median='torch',
    # images without a valid GT pixel are left out of the means (quirk
    # Q20 fixed; never happens on the Eigen test split)
    empty_gt='exclude',
    gt_file='data/kitti_raw/gt_depths_eigen.npz')
