_base_ = ['./monodepth2_r18.py']
model = dict(
    depth_encoder=dict(
        _delete_=True,
        type='LiteMono',
        model='lite-mono',
        height=192,
        width=640,
        drop_path_rate=0.2,
        pretrained='checkpoints/lite-mono-pretrain.pth'),
    depth_decoder=dict(_delete_=True, type='LiteMonoDecoder',
                       scales=(0, 1, 2)),
    pose_net=dict(decoder=dict(type='LiteMonoPoseDecoder')),
    scales=[0, 1, 2])
