# Built-in synthetic driving videos (depthseg.datasets.synthetic): 8 drives x
# 60 frames at 192x640 in the KITTI raw layout, with exact depth, stereo,
# velodyne scans, poses, OXTS packets (oxts/, for LoadOxtsPoses) and FUMET
# car/road npz files. SynthRoadDataset is KittiRawDataset plus one call:
# it renders the tree into data_root on first use (about half a minute on
# one CPU core; or beforehand with
#   python tools/dataset_converters/make_synthetic_kitti.py \
#       --out data/synthroad)
# and then reads it exactly like KITTI raw. Another root (rendered only when
# asked for: generate=True, or make_synthetic_kitti.py --out DIR):
#   --cfg-options train_dataloader.dataset.data_root=DIR
#   test_dataloader.dataset.data_root=DIR
# the training pipeline and loader settings of KITTI eigen_zhou
_base_ = ['./kitti_eigen_zhou.py']
dataset_type = 'SynthRoadDataset'
data_root = 'data/synthroad'
height, width = 192, 640
# generation parameters (the tree's synthroad_info.json must match them)
synth_cfg = dict(
    sequences=8, frames=60, size=(height, width), seed=0, ext='.jpg')
train_dataloader = dict(
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        synth_cfg=synth_cfg,
        ann_file='splits/train_files.txt'))  # relative to data_root

# Test split (the last drive, every frame, camera 2): the exact rendered
# depth (proj_depth PNGs, /256) read on the fly, no crop, GT in
# (1e-3, 80) m, predictions clamped to [1e-3, 80] m, per-image median
# scaling (metric models: test_evaluator.scaling='none').
test_pipeline = [
    dict(type='LoadFrames'),
    dict(type='LoadKittiDepthGT', source='png'),
    dict(type='ResizePyramid', height=height, width=width, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        synth_cfg=synth_cfg,
        ann_file='splits/test_files.txt',
        frame_ids=[0],
        img_ext='.jpg',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop=None,
    gt_mask='range',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='median')
test_cfg = dict(type='TestLoop')
# validation = the test split (synthetic data: no test-set selection issue)
val_dataloader = test_dataloader
val_evaluator = test_evaluator
val_cfg = dict(type='ValLoop')
