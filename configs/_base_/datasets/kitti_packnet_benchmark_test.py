# PackNet-SfM's evaluation protocol (kitti_packnet_test.py) on the Eigen
# test images that have the improved KITTI depth-benchmark ground truth
# (proj_depth/groundtruth/image_02, uint16 / 256; 652 of the 697 images, the
# original's depth_type='groundtruth', which drops samples without a depth
# file). Garg crop and 0 < gt < 80 as for the velodyne GT (the original's
# model.params do not change with the depth type). Export once with
#   python tools/dataset_converters/kitti_export_gt.py \
#       --data-root data/kitti_raw --split eigen_benchmark
# (or on the fly: LoadKittiDepthGT(source='png') in the pipeline and
# test_evaluator.gt_file=None).
_base_ = ['./kitti_packnet_test.py']
test_dataloader = dict(
    dataset=dict(
        ann_file='{{ fileDirname }}/../../../splits/kitti/eigen_benchmark/'
        'test_files.txt'))
test_evaluator = dict(
    gt_file='data/kitti_raw/gt_depths_eigen_benchmark.npz')
