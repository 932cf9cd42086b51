# Quick start of BDEdepth's augmented views (Liu et al., RA-L 2023) on the
# built-in synthetic driving videos, sized for a CPU: Monodepth2 R18 from
# scratch plus the resizing-cropping ('local') and splitting-permuting
# ('reshuffle') views of the target frame, each through the depth net in its
# own pass, with the same photometric + smoothness loss per view, averaged
# over the 3 views, and 0.07 x the scale-invariant log consistency of each
# view with the original; one output scale, per-image colour jitter (Q1),
# AdamW (wd 0.01). 96x320, batch 8, 10 epochs. Run:
#   python tools/train.py configs/bdedepth/bdedepth_r18_synthroad.py
# Same data as configs/monodepth2/monodepth2_r18_synthroad.py. The network
# here is the Monodepth2 ResNet-18 U-Net (depth_encoder / depth_decoder);
# BDEdepth's own DepthNet (context branch + grid decoder) drops in through
# those two entries.
_base_ = ['../monodepth2/monodepth2_r18_synthroad.py']
height, width = 96, 320
scales = [0]  # --num_scales 1
model = dict(
    depth_decoder=dict(scales=tuple(scales)),
    scales=scales,
    views=dict(
        # zoom r in [1.2, 2.0] + random crop of every frame; the pose is
        # conjugated by Rc instead of rewriting the intrinsics
        local=dict(type='ResizeCropView'),
        # cyclic patch reshuffle of the target; the prediction is restored
        # before the losses
        reshuffle=dict(type='PatchReshuffleView'),
    ),
    losses=dict(
        # (L_ori + L_local + L_reshuffle) / 3: the Monodepth2 losses apply to
        # every view and are divided by the number of views
        # (view_reduction='mean');
        # 0.07 * (L_dc_local + L_dc_reshuffle): augmented views, summed
        consistency=dict(type='ViewConsistencyLoss', loss_weight=0.07,
                         lam=0.5),
    ))
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=len(scales)),
    # draws in the original's order: crop (r, x, y), then split (x, y)
    dict(type='ResizeCrop', resize_ratio=(1.2, 2.0), name='local'),
    dict(type='PatchReshuffle', split_ratio=(0.1, 0.9), name='reshuffle'),
    # a new jitter draw for every frame and view (BDEdepth Q1)
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5, per_image=True),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, betas=(0.9, 0.999),
                   weight_decay=0.01))
