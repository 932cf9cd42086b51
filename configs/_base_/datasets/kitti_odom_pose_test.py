# KITTI odometry pose evaluation (evaluate_pose.py): sequences 09 (1590
# pairs) and 10 (1200 pairs), frames [0, 1], .jpg, ATE over 5-frame snippets
# against poses/{09,10}.txt (mean and std per sequence and overall).
# The model must predict the pose of frames [0, 1]: set
#   model = dict(test_cfg=dict(predict_pose=True))
# in the method config that uses this file instead of kitti_eigen_test.py,
# e.g. _base_ = ['../_base_/models/monodepth2_r18.py',
#                '../_base_/datasets/kitti_odom_pose_test.py',
#                '../_base_/default_runtime.py'].
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='ResizePyramid', height=192, width=640, num_scales=1),
    # PoseMetric reads the GT poses from pose_path
    dict(
        type='PackDepthInputs',
        meta_keys=('K', 'img_path', 'ori_shape', 'img_shape', 'frame_ids',
                   'sample_idx', 'ann_file', 'line_no', 'folder',
                   'frame_index', 'side', 'pose_path')),
]
test_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='KittiOdomDataset',
                data_root='data/kitti_odom',
                ann_file='{{ fileDirname }}/../../../splits/kitti/odom/'
                'test_files_09.txt',
                frame_ids=[0, 1],
                img_ext='.jpg',
                test_mode=True,
                pipeline=test_pipeline),
            dict(
                type='KittiOdomDataset',
                data_root='data/kitti_odom',
                ann_file='{{ fileDirname }}/../../../splits/kitti/odom/'
                'test_files_10.txt',
                frame_ids=[0, 1],
                img_ext='.jpg',
                test_mode=True,
                pipeline=test_pipeline),
        ]))
test_evaluator = dict(type='PoseMetric', track_length=5)
test_cfg = dict(type='TestLoop')
