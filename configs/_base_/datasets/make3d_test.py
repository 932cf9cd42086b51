# Make3D test set (134 images; splits/make3d/test_files.txt, one name per
# line): <data_root>/Test134/img-<name>.jpg and
# <data_root>/Gridlaserdata/depth_sph_corr-<name>.mat (Test134.tar.gz,
# Test134Depth.tar.gz). BDEdepth's evaluate_depth.py protocol (spec §9.2,
# the C1 protocol of Monodepth2 issue 392): image crop (0, 710, 1704, 1562)
# (centre 2:1 band), LANCZOS resize to the network size; GT =
# Position3DGrid[:, :, 3] rows 17:38 (21x305); prediction resized nearest to
# the GT; GT in (0, 70) m; torch median scaling; prediction clipped at 70 m;
# abs_rel, sq_rel, rmse and rmse_log with log10 (the delta columns printed
# are extra, not part of the protocol).
# Another root: --cfg-options test_dataloader.dataset.data_root=DIR
test_pipeline = [
    dict(type='LoadMake3D'),
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
        type='Make3DTestDataset',
        data_root='data/make3d',
        ann_file='{{ fileDirname }}/../../../splits/make3d/test_files.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='DepthMetric',
    crop=None,
    gt_mask='range',
    min_depth=0.0,
    max_depth=70.0,
    scaling='median',
    resize='nearest',
    median='torch',
    log_base='10')
test_cfg = dict(type='TestLoop')
