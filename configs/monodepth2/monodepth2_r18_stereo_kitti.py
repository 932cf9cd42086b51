# Monodepth2 S: stereo only (frames 0, 's'), eigen_full split, no pose net.
# Depth is in units of the 0.1 training baseline: x5.4 gives metres.
_base_ = ['./monodepth2_r18_kitti.py']
model = dict(
    pose_net=None,
    frame_ids=[0, 's'],
    test_cfg=dict(depth_scale=5.4))
train_dataloader = dict(
    dataset=dict(
        ann_file='{{ fileDirname }}/../../splits/kitti/eigen_full/'
        'train_files.txt',
        frame_ids=[0, 's']))
# stereo-trained: metric depth = 5.4 x depth (model test_cfg), no median
# scaling (evaluate_depth.py --eval_stereo)
test_evaluator = dict(scaling='none')
