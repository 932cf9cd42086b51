# Monodepth2 MS: frames 0, -1, +1 and the stereo pair, eigen_zhou split.
_base_ = ['./monodepth2_r18_kitti.py']
model = dict(frame_ids=[0, -1, 1, 's'], test_cfg=dict(depth_scale=5.4))
train_dataloader = dict(dataset=dict(frame_ids=[0, -1, 1, 's']))
# stereo-trained: metric depth = 5.4 x depth (model test_cfg), no median
# scaling (evaluate_depth.py --eval_stereo)
test_evaluator = dict(scaling='none')
