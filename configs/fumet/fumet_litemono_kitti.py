# FUMET with Lite-Mono (3 scales: 0, 1, 2), KITTI 640x192 (Lite-Mono only
# supports 640x192 and 1024x320); pose net ResNet-18 + Lite-Mono's pose
# decoder. ImageNet Lite-Mono weights: download lite-mono-pretrain.pth into
# checkpoints/ or set model.depth_encoder.pretrained=None (scratch).
# Optimiser: AdamW 1e-4, weight decay 1e-2, cosine annealing restarted every
# 30 epochs with the peak x0.9 per cycle (the original: two AdamW optimisers
# with eta_min 5e-6 (depth) / 1e-5 (pose); here one with 5e-6).
_base_ = ['./fumet_r50_kitti.py']
scales = [0, 1, 2]
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
    pose_net=dict(
        encoder=dict(depth=18),
        decoder=dict(type='LiteMonoPoseDecoder')),
    losses=dict(camera_height=dict(scales=scales)),
    scales=scales)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2))
param_scheduler = [
    dict(type='CosineRestartLR', by_epoch=True, periods=[30, 30],
         restart_weights=[1.0, 0.9], eta_min=5e-6)
]
