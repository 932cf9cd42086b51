"""FeatDepth on a tiny synthetic tree: autoencoder run, then depth run."""
import torch
from tool_helpers import ROOT, finish, start

from depthseg.datasets.synthetic import write_synthroad

TRAIN = ROOT / 'tools' / 'train.py'
SIZE = (64, 192)
SYNTH = dict(sequences=2, frames=5, size=SIZE, seed=0, ext='.jpg')

COMMON = """\
_base_ = [{base!r}]
height, width = {h}, {w}
synth_cfg = {synth!r}
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root={root!r}, synth_cfg=synth_cfg))
train_cfg = dict(max_epochs=1, val_interval=100)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=1))
"""


def _write(tmp_path, name, base, root, extra=''):
    path = tmp_path / name
    path.write_text(COMMON.format(base=str(ROOT / base), h=SIZE[0],
                                  w=SIZE[1], synth=SYNTH, root=root) + extra)
    return path


def _resize(frame_ids, scales):
    return (f"train_dataloader['dataset']['pipeline'] = [\n"
            "    dict(type='LoadFrames'),\n"
            "    dict(type='ResizePyramid', height=height, width=width, "
            f"num_scales={scales}),\n"
            "    dict(type='PackDepthInputs', stereo_baseline=0.015)]\n"
            f"train_dataloader['dataset']['frame_ids'] = {frame_ids!r}\n")


def _state(path):
    return torch.load(path, map_location='cpu',
                      weights_only=False)['state_dict']


def test_autoencoder_then_frozen_feature_metric_depth(tmp_path):
    root = str(tmp_path / 'synthroad')
    write_synthroad(root, **SYNTH)
    ae_cfg = _write(tmp_path, 'ae.py',
                    'configs/featdepth/featdepth_autoencoder_synthroad.py',
                    root, _resize([0], 1))
    finish(start([TRAIN, ae_cfg, '--work-dir', tmp_path / 'ae'], ROOT),
           timeout=900)
    ae_ckpt = tmp_path / 'ae' / 'epoch_1.pth'
    assert ae_ckpt.is_file()
    depth_cfg = _write(
        tmp_path, 'depth.py', 'configs/featdepth/featdepth_r50_synthroad.py',
        root, _resize([0, -1, 1, 's'], 1) +
        f"model = dict(losses=[dict(type='PhotometricLoss', automask=False, "
        f"l1='charbonnier'), dict(type='FeatureMetricLoss', autoencoder="
        f"dict(type='FeatureNet', depth=50, pretrained=None, "
        f"with_decoder=False), checkpoint={str(ae_ckpt)!r}, "
        f"checkpoint_prefix='autoencoder.', frozen=True, loss_weight=1e-3),"
        f" dict(type='SmoothnessLoss', second_order=True, edge_alpha=0.5, "
        f"image_resize='area')])\n")
    out = finish(start([TRAIN, depth_cfg, '--work-dir', tmp_path / 'depth'],
                       ROOT), timeout=900)
    assert 'loss_feature_metric' in out
    ae = {k[len('autoencoder.'):]: v for k, v in _state(ae_ckpt).items()
          if k.startswith('autoencoder.encoder.')}
    depth = _state(tmp_path / 'depth' / 'epoch_1.pth')
    prefix = [k for k in depth if k.endswith('autoencoder.encoder.'
                                             'encoder.conv1.weight')][0]
    prefix = prefix[:-len('encoder.encoder.conv1.weight')]
    assert ae, 'no autoencoder encoder weights in the autoencoder checkpoint'
    for key, value in ae.items():
        if key.endswith('num_batches_tracked') or 'running_' in key:
            continue  # train-mode BatchNorm statistics (the original's Q2)
        assert torch.equal(depth[prefix + key], value), key
