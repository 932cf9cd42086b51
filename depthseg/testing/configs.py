"""Small training configs on tiny data trees (smoke tests, benchmarks)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

TINY_CONFIG = """\
_base_ = [{base!r}]
height, width = {height}, {width}
train_pipeline = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob={flip}),
    dict(type='ResizePyramid', height=height, width=width, num_scales=4),
    dict(type='ColorJitter', prob={jitter}),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size={batch_size},
    num_workers={num_workers},
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(data_root={data_root!r}, ann_file={ann_file!r},
                 pipeline=train_pipeline))
model = dict(
    depth_encoder=dict(pretrained=None, norm_eval={norm_eval}),
    pose_net=dict(encoder=dict(pretrained=None, norm_eval={norm_eval})))
train_cfg = dict(max_epochs={max_epochs})
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0, deterministic=True)
"""


def write_tiny_config(directory, data_root: str, ann_file: str,
                      base: str = 'configs/monodepth2/monodepth2_r18_kitti.py',
                      height: int = 64, width: int = 192, batch_size: int = 2,
                      num_workers: int = 0, max_epochs: int = 2,
                      augment: bool = True, norm_eval: bool = False,
                      extra: str = '', name: str = 'tiny.py') -> Path:
    """Write a config inheriting ``base`` that trains on a tiny tree.

    ``augment=False`` turns off flip and colour jitter (needed where two runs
    must see identical batches, e.g. one process vs two); ``norm_eval=True``
    freezes BatchNorm statistics (per-process batch statistics would
    otherwise differ from a single process with the whole batch).
    """
    text = TINY_CONFIG.format(
        base=str(REPO_ROOT / base), height=height, width=width,
        flip=0.5 if augment else 0.0, jitter=0.5 if augment else 0.0,
        batch_size=batch_size, num_workers=num_workers, data_root=data_root,
        ann_file=ann_file, norm_eval=norm_eval, max_epochs=max_epochs)
    path = Path(directory) / name
    path.write_text(text + extra)
    return path
