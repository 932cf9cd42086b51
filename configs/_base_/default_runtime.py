# Runtime settings shared by every depthseg config (epoch-based training).

# look up `type=` names in the depthseg registries first, then mmengine's
default_scope = 'depthseg'

# environment
env_cfg = dict(
    # cudnn autotuning: off, so runs are reproducible
    cudnn_benchmark=False,
    # fork dataloader workers; opencv runs single-threaded inside them
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # NCCL on GPUs; tools/train.py switches to gloo on CPU-only machines
    dist_cfg=dict(backend='nccl'),
)

# store the networks' 4-D weights channels-last (NHWC): oneDNN and cuDNN
# pick faster convolutions, outputs change only by float32 rounding
# (measured on 2 CPU cores, one fixed batch: Monodepth2 R18 192x640 step
# -7 %, the FUMET quick-start step -5 to -10 %; README "Train"); False
# keeps NCHW
channels_last = True

# hooks every run needs
default_hooks = dict(
    # time each iteration and the data loading
    timer=dict(type='IterTimerHook'),
    # print and record logs every 50 iterations and after the first one;
    # metrics per epoch
    logger=dict(type='DepthLoggerHook', interval=50,
                log_metric_by_epoch=True),
    # step the learning-rate / momentum schedulers
    param_scheduler=dict(type='ParamSchedulerHook'),
    # save every epoch, keep the newest 3; .pth files and the
    # last_checkpoint pointer are written atomically (crash-safe)
    checkpoint=dict(
        type='AtomicCheckpointHook',
        interval=1,
        by_epoch=True,
        max_keep_ckpts=3,
        backend_args=dict(backend='atomic_local')),
    # reshuffle distributed samplers with the epoch number
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # a non-finite loss term or gradient norm is never stepped; 'stop'
    # ends the run naming the iteration, the terms and the last good
    # checkpoint; 'skip' drops such steps (logged as nonfinite_skips) and
    # stops after max_consecutive_skips in a row
    nonfinite=dict(
        type='NonFiniteCheckHook', mode='stop', max_consecutive_skips=10),
    # save / restore python, numpy, torch (and CUDA) RNG states in
    # checkpoints, so a resumed run continues exactly like an uninterrupted
    # one
    rng_state=dict(type='RNGStateHook'),
    # refuse checkpoints of another architecture (mmengine only warns)
    checkpoint_check=dict(type='CheckpointCheckHook'),
    # TensorBoard pictures: input, disparity and what the loss plugins show
    # (e.g. the photometric loss's automask and minimum error)
    visualization=dict(type='DepthVisualizationHook', interval=250),
)

# the plugins of a model add the hooks they need (DepthRunner); a config
# lists only extra hooks here (a list: a child config replaces it)
custom_hooks = []

# depthseg's Runner: mmengine's plus the hooks the model's plugins declare
runner_type = 'DepthRunner'

# where scalars and images go: files in work_dir and TensorBoard event files
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(
    type='Visualizer', vis_backends=vis_backends, name='visualizer')

# average logged values over the logging interval, report epochs
log_processor = dict(by_epoch=True)

# logging verbosity
log_level = 'INFO'

# checkpoint to initialise the weights from (weights only, no resume)
load_from = None

# True unpickles checkpoints without restriction (or --trust-checkpoint):
# only for files you trust, a crafted file can run code. By default only
# tensors, plain data and a fixed list of known types load (README,
# "Loading files safely")
trust_checkpoint = False

# resume from load_from, or from work_dir/last_checkpoint if load_from=None
resume = False

# seed python/numpy/torch; deterministic=True also forces deterministic
# cuDNN / torch algorithms (slower)
randomness = dict(seed=0, deterministic=False)
