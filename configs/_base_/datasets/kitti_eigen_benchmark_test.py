# KITTI raw, Eigen test images that have improved ground truth (652 images,
# split eigen_benchmark): no crop, every pixel with GT > 0, predictions
# clamped to [1e-3, 80] m, median scaling (as evaluate_depth.py
# --eval_split eigen_benchmark). Ground truth: the improved GT PNGs
# (proj_depth/groundtruth/image_02, /256), exported once with
#   python tools/dataset_converters/kitti_export_gt.py \
#       --data-root data/kitti_raw --split eigen_benchmark
# (or on the fly: LoadKittiDepthGT(source='png') and gt_file=None).
_base_ = ['./kitti_eigen_test.py']
test_dataloader = dict(
    dataset=dict(
        ann_file='{{ fileDirname }}/../../../splits/kitti/eigen_benchmark/'
        'test_files.txt'))
test_evaluator = dict(
    crop=None, gt_file='data/kitti_raw/gt_depths_eigen_benchmark.npz')
