# Cityscapes for FUMET-style training: SfMLearner's preprocessed tree
# (prepare_train_data.py, 1024x512, --seq_length 3, bottom 25 % cropped):
#   <data_root>/<city>/<city>_<seq>_<frame>.jpg   3072x384 strip [-1|0|+1]
#   <data_root>/<city>/<city>_<seq>_<frame>_cam.txt   3x3 K, 9 numbers
#   <data_root>/<city>/<city>_<seq>_<frame>.npz   FUMET car/road labels
# (FUMET's cityscapes_data after preprocess/cityscapes_move_heights_segms.py).
# Split files: splits/cityscapes_preprocessed/{train,val}_files.txt
# (69731 / 7621 lines "<city> <frame>"). Another root:
#   --cfg-options train_dataloader.dataset.data_root=DIR
#
# Every frame is aligned to FUMET's canonical intrinsics at 192x512
# (fx, fy, cx, cy = 587.5, 587.5, 267.5, 130.0 px; intrinsics/
# Cityscapes_512x192.txt): LANCZOS resize by fx/fx_orig, fy/fy_orig, then a
# 192x512 crop placing the principal point at (cx, cy); K = that canonical K.
# The npz maps are stored at 192x512 after this crop; cars of <= 200 px are
# dropped (the original's SMALL_TH). Each sample carries cam_setting (1.18 or
# 1.22 m by city), the key of FUMET's per-camera-setting h*.
#
# Flip: as the original, RandomFlip flips the native 1024x384 frames BEFORE
# the canonical crop (whose window is not mirrored), while the masks are
# flipped after it: flipped samples see a window shifted by about 15 px
# against their masks. Move RandomFlip after CanonicalAlign for flips
# consistent with the masks (K is mirrored, cx -> W - cx, either way).
dataset_type = 'CityscapesPreprocessedDataset'
data_root = 'data/cityscapes_preprocessed'
split_dir = '{{ fileDirname }}/../../../splits/cityscapes_preprocessed/'
height, width, num_scales = 192, 512, 4

train_pipeline = [
    dict(type='LoadCityscapesStrip'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='CanonicalAlign', height=height, width=width, fx=587.5,
         fy=587.5, cx=267.5, cy=130.0),
    dict(type='LoadCarRoadMasks', height=height, width=width, min_area=200),
    dict(type='ResizePyramid', height=height, width=width,
         num_scales=num_scales),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2,
         hue=0.1, prob=0.5),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=6,
    persistent_workers=True,
    drop_last=True,  # FUMET quirk Q29
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=split_dir + 'train_files.txt',
        frame_ids=[0, -1, 1],
        img_ext='.jpg',
        pipeline=train_pipeline))
