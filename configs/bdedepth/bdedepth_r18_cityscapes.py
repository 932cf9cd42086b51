# BDEdepth ResNet18 on Cityscapes at 512x192 (run_cityscapes.sh uses
# --backbone resnet); see bdedepth_hrnet18_cityscapes.py for the data.
_base_ = ['./bdedepth_hrnet18_cityscapes.py']
model = dict(
    depth_encoder=dict(_delete_=True, type='ContextResnetEncoder', depth=18,
                       pretrained='imagenet'),
    depth_decoder=dict(num_ch_enc=[64, 64, 128, 256, 512]))
