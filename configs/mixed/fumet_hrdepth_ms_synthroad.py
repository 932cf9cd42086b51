# A mix of landed plugins on the built-in synthetic videos: FUMET's metric
# losses (car height, camera height, h* hook, weight ramp, road override)
# + the HR-Depth decoder + Monodepth2's stereo frame ('s'), with the true
# 0.54 m stereo baseline so that stereo and FUMET agree on metres.
#   python tools/train.py configs/mixed/fumet_hrdepth_ms_synthroad.py
_base_ = ['../fumet/fumet_r18_synthroad_full.py']
height, width = 96, 320
data_size = (192, 640)
model = dict(
    depth_decoder=dict(_delete_=True, type='HRDepthDecoder',
                       scales=(0, 1, 2, 3)),
    frame_ids=[0, -1, 1, 's'])
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadCarRoadMasks', height=height, width=width,
         npz_size=data_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    # metric stereo: the rig's baseline in metres (Monodepth2 uses 0.1)
    dict(type='PackDepthInputs', stereo_baseline=0.54),
]
train_dataloader = dict(
    dataset=dict(frame_ids=[0, -1, 1, 's'], pipeline=train_pipeline))
