# Your own video or folder of frames (VideoFramesDataset): monocular
# training samples (frames 0, -1, +1) with the KITTI pipeline. A video is
# decoded once into <video>.frames/ beside it (or into cache_dir); frames
# that barely move (static_thresh) and frames without both neighbours are
# dropped. There is no ground truth, hence no val / test loop: look at the
# predictions with tools/infer.py. Set source and the intrinsics in the
# configs of configs/custom/ (walkthrough: configs/custom/README.md).
dataset_type = 'VideoFramesDataset'
# network input: multiples of 32, about the aspect ratio of the frames
# (128x224 for 16:9 video; 96x320 for KITTI-like 3.3:1 crops)
height, width, num_scales = 128, 224, 4

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
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        # a video (mp4, avi, mov, ...), a folder of frames (sorted names
        # give the order), a folder of sequence folders, or a list of these
        source='data/my_video.mp4',
        # camera intrinsics file in pixels of the frames, or None
        intrinsics=None,
        # without an intrinsics file: a guessed horizontal field of view
        hfov_deg=None,
        frame_ids=[0, -1, 1],
        # drop frames whose mean absolute grey difference (0..1) to the
        # previous kept frame is below this; 0 keeps every frame
        static_thresh=0.01,
        # keep every n-th frame first (3: a 30 fps video at 10 fps)
        frame_step=1,
        # where video frames are extracted (None: beside the video)
        cache_dir=None,
        pipeline=train_pipeline))
