# FUMET with VADepth (VAN-small encoder, attention decoder), KITTI 640x192;
# pose net ResNet-18 (the original's --num_layers default). ImageNet VAN
# weights: download van_small_811.pth.tar into checkpoints/ (the original
# reads a hard-coded absolute path, Q18) or set
# model.depth_encoder.pretrained=None to train from scratch.
_base_ = ['./fumet_r50_kitti.py']
model = dict(
    depth_encoder=dict(
        _delete_=True,
        type='VANEncoder',
        size='small',
        drop_path_rate=0.1,
        pretrained='checkpoints/van_small_811.pth.tar'),
    depth_decoder=dict(_delete_=True, type='VADepthDecoder',
                       scales=(0, 1, 2, 3)),
    pose_net=dict(encoder=dict(depth=18)))
