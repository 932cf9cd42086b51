_base_ = ['./monodepth2_r18.py']
model = dict(
    depth_encoder=dict(
        _delete_=True,
        type='VANEncoder',
        size='small',
        drop_path_rate=0.1,
        pretrained='checkpoints/van_small_811.pth.tar'),
    depth_decoder=dict(_delete_=True, type='VADepthDecoder',
                       scales=(0, 1, 2, 3)))
