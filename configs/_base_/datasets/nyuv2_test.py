# NYUv2 test set (654 images; splits/nyuv2/test_files.txt lists
# nyu_test/00001.h5 ...: h5 files with 'rgb' 3x480x640 uint8 and 'depth'
# 480x640 metres), BDEdepth's evaluate_depth.py protocol (spec §9.2): image
# and GT cropped to [44:471, 40:601] (Eigen crop), image LANCZOS-resized to
# the network size, prediction resized nearest to the GT, GT in (0, 10) m,
# torch median scaling, prediction clipped at 10 m, 7 metrics.
# Another root: --cfg-options test_dataloader.dataset.data_root=DIR
# Only test_* variables: combine with a training config (its network size:
# set the ResizePyramid size to the model's input size).
test_pipeline = [
    dict(type='LoadNYUv2H5'),
    dict(type='ResizePyramid', height=192, width=640, num_scales=1),
    dict(type='PackDepthInputs'),
]
test_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='NYUv2TestDataset',
        data_root='data/nyuv2',
        ann_file='{{ fileDirname }}/../../../splits/nyuv2/test_files.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop=None,
    gt_mask='range',
    min_depth=0.0,
    max_depth=10.0,
    scaling='median',
    resize='nearest',
    median='torch')
test_cfg = dict(type='TestLoop')
