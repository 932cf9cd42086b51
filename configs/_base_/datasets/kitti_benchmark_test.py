# KITTI depth-prediction benchmark submission (500 test images, no GT):
# each disparity is resized to 1216x352 (OpenCV), depth = 5.4 / disp clipped
# to [0, 80] m and written as uint16(depth * 256) to
# work_dirs/kitti_benchmark/{idx:010d}.png; no metrics (format_only).
#
# Images: the original's KITTI raw reader cannot read the benchmark's
# "image <idx>" split lines, so lay the 500 images of
# depth_selection/test_depth_prediction_anonymous/image/ out as
#   data/kitti_benchmark/image/image_02/data/0000000000.png ...
# and write the split with
#   for i in $(seq 0 499); do echo "image $i l"; done \
#       > data/kitti_benchmark/test_files.txt
# Or, without a model, from saved disparities (as --ext_disp_to_eval):
#   python tools/test.py CONFIG - --eval-disps disps.npy
_base_ = ['./kitti_eigen_test.py']
test_dataloader = dict(
    dataset=dict(
        data_root='data/kitti_benchmark',
        ann_file='test_files.txt',
        img_ext='.png'))
test_evaluator = dict(
    _delete_=True,
    type='DepthMetric',
    format_only=True,
    output_dir='work_dirs/kitti_benchmark')
