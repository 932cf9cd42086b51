# Monodepth2 M with ResNet-50 depth and pose encoders.
_base_ = ['./monodepth2_r18_kitti.py']
model = dict(
    depth_encoder=dict(depth=50),
    pose_net=dict(encoder=dict(depth=50)))
