# BDEdepth's augmented views (Liu et al., RA-L 2023) on your own video: the
# Monodepth2 R18 of monodepth2_r18_video.py (same data settings, inherited:
# edit the data block there or use --cfg-options) plus the resizing-cropping
# ('local') and splitting-permuting ('reshuffle') views of the target frame
# with 0.07 x the SI-log depth-consistency loss; one output scale, per-image
# colour jitter (Q1), AdamW (wd 0.01), as
# configs/bdedepth/bdedepth_r18_synthroad.py. Each view is one more pass
# of the depth net per step.
#   python tools/train.py configs/custom/bdedepth_r18_video.py \
#       --cfg-options train_dataloader.dataset.source=data/my_video.mp4 \
#                     train_dataloader.dataset.intrinsics=data/intrinsics.txt
_base_ = ['./monodepth2_r18_video.py']
height, width = 128, 224
scales = [0]  # --num_scales 1
model = dict(
    depth_decoder=dict(scales=tuple(scales)),
    scales=scales,
    views=dict(
        local=dict(type='ResizeCropView'),
        reshuffle=dict(type='PatchReshuffleView'),
    ),
    losses=dict(
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
