# BDEdepth ResNet18 (torchvision ImageNet weights) + context branch (7x7,
# stride 1) + grid decoder, KITTI 640x192; everything else as the HRNet18
# run (the released ResNet18 models need --backbone resnet in the original).
_base_ = ['./bdedepth_hrnet18_kitti.py']
model = dict(
    depth_encoder=dict(_delete_=True, type='ContextResnetEncoder', depth=18,
                       pretrained='imagenet'),
    depth_decoder=dict(num_ch_enc=[64, 64, 128, 256, 512]))
