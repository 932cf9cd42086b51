# KITTI raw, Zhou's subset of the Eigen split (39810 train / 4424 val lines).
# Point any config at your copy with
#   --cfg-options train_dataloader.dataset.data_root=/path/to/kitti_raw
dataset_type = 'KittiRawDataset'
data_root = 'data/kitti_raw'
split_dir = '{{ fileDirname }}/../../../splits/kitti/'
height, width, num_scales = 192, 640, 4

train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=12,
    num_workers=12,
    persistent_workers=True,
    drop_last=True,  # the original's fixed-batch geometry (quirk Q11)
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=split_dir + 'eigen_zhou/train_files.txt',
        frame_ids=[0, -1, 1],
        img_ext='.jpg',
        pipeline=train_pipeline))
