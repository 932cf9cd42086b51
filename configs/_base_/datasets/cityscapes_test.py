# Cityscapes test split (1525 frames, splits/cityscapes/test_files.txt),
# FUMET's evaluation protocol (evaluate_depth.py, --eval_split cityscapes):
# raw leftImg8bit_sequence/test/<city>/<frame>_leftImg8bit.png cut to its
# top 3/4 (2048x768), aligned to the canonical intrinsics of the 192x512
# model (587.5, 587.5, 267.5, 130.0) with the camera/test/<city>/
# <frame>_camera.json intrinsics (a missing json is replaced by the
# sequence's frame 000019 one, quirk Q26). Ground truth: ManyDepth's
# gt_depths (<idx:03d>_depth.npy, unzipped into <data_root>/gt_depths): top
# 75 %, cut to the network's field of view (the alignment undone), the
# prediction resized to that, then ManyDepth's crop [256:, 192:1856] of the
# already-cut map (quirk Q17, reproduced), GT in (1e-3, 80) m, predictions
# clamped to [1e-3, 80] m. Metric depth, no median scaling (FUMET's
# "w/o scaling" row; the ratio statistics are still reported); relative
# models: --cfg-options test_evaluator.scaling=median.
# Another root: --cfg-options test_dataloader.dataset.data_root=DIR
# (gt_dir is relative to data_root unless absolute).
# Only variables named test_* here, so this file can sit next to a training
# dataset file in a config's _base_ list.
test_pipeline = [
    dict(type='LoadCityscapesRaw'),
    dict(type='CanonicalAlign', height=192, width=512, fx=587.5, fy=587.5,
         cx=267.5, cy=130.0),
    dict(type='LoadCityscapesDepthGT'),
    dict(type='ResizePyramid', height=192, width=512, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesTestDataset',
        data_root='data/cityscapes',
        ann_file='{{ fileDirname }}/../../../splits/cityscapes/'
        'test_files.txt',
        gt_dir='gt_depths',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop='cityscapes',
    min_depth=1e-3,
    max_depth=80.0,
    scaling='none')
test_cfg = dict(type='TestLoop')
