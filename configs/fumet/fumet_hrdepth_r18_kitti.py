# FUMET with the HR-Depth decoder on ResNet-18 depth and pose encoders,
# KITTI 640x192; everything else as fumet_r50_kitti.py.
_base_ = ['./fumet_r50_kitti.py']
model = dict(
    depth_encoder=dict(depth=18),
    depth_decoder=dict(_delete_=True, type='HRDepthDecoder',
                       scales=(0, 1, 2, 3)),
    pose_net=dict(encoder=dict(depth=18)))
