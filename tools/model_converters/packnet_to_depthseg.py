"""Convert PackNet-SfM / All4Depth weights to depthseg keys (packnet spec
§3.2, §6.3 step 1, quirks Q24, Q31, Q32).

Usage::

    python tools/model_converters/packnet_to_depthseg.py \
        PackNet01_MR_selfsup_K.ckpt packnet01_mr_selfsup_k.pth \
        [--config CONFIG]

The released ``.ckpt`` is a torch-saved dict with a yacs ``config`` and a
``state_dict``; it is read by :func:`depthseg.utils.safe_load.
load_checkpoint` (the yacs ``CfgNode`` becomes a dict without importing
yacs, quirk Q24; tensors saved on a GPU load on CPU). The keys are mapped
as below and checked strictly (every key, every shape; quirk Q32 fixed)
against the model of ``--config`` (default ``configs/packnet/
packnet01_kitti.py`` with the checkpoint's depth-net class, version and
dropout); the output ``{'state_dict', 'meta'}`` loads with
``torch.load(..., weights_only=True)``, ``tools/test.py`` and
``depthseg.apis.init_model``. ``meta`` keeps the useful parts of the
original config as plain data: the networks (name, version, dropout), the
input ``image_shape``, the evaluation ``params`` (crop, depth range,
scale_output), the loss settings and the epoch.

Mapping (the networks keep the original parameter names):

* ``model.depth_net.<key>`` -> ``depth_encoder.<key>`` (PackNet01 /
  PackNetSlim01 as the estimator's depth encoder, with the parameter-free
  ``PassThroughDecoder``);
* ``model.pose_net.<key>`` -> ``pose_net.<key>`` (``PackNetPoseNet``);
* legacy ``.pth.tar`` keys: a missing ``model.`` prefix is added,
  ``model.model.`` -> ``model.``, ``pose_network`` -> ``pose_net``,
  ``disp_network`` -> ``depth_net``;
* the dropout shortcut ``convK.<i>.conv3.0.{weight,bias}`` ->
  ``convK.<i>.conv3.{weight,bias}`` (dropout only acts in training, so the
  converted model is built with dropout 0; the residual-block index
  ``convK.0.`` itself is left alone).

The official ``PackNet01_MR_selfsup_K.ckpt`` has 216 + 30 = 246 tensors.
"""
import argparse
import os.path as osp
import re
import sys
from typing import Dict, Mapping, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

#: Tensors of PackNet01 (any version) and of PoseNet(nb_ref_imgs=2).
NUM_DEPTH_TENSORS = 216
NUM_POSE_TENSORS = 30
_SHORTCUT = re.compile(r'^(conv\d+\.\d+\.conv3)\.0\.(weight|bias)$')
_LEGACY_NAMES = (('model.pose_network.', 'model.pose_net.'),
                 ('model.disp_network.', 'model.depth_net.'))


def original_key(key: str) -> str:
    """A checkpoint key in the current packnet-sfm spelling
    (``model.depth_net.*`` / ``model.pose_net.*``)."""
    if not key.startswith('model.'):
        key = 'model.' + key
    if key.startswith('model.model.'):
        key = key[len('model.'):]
    for old, new in _LEGACY_NAMES:
        if key.startswith(old):
            key = new + key[len(old):]
    return key


def convert_packnet_state_dict(state_dict: Mapping,
                               depth_prefix: str = 'depth_encoder.',
                               pose_prefix: str = 'pose_net.',
                               expected_tensors: Optional[int] = None
                               ) -> Dict:
    """Map an original PackNet-SfM state dict to depthseg keys.

    Args:
        state_dict: ``ckpt['state_dict']`` of a packnet-sfm / All4Depth
            checkpoint (or a legacy ``.pth.tar`` state dict).
        depth_prefix, pose_prefix: depthseg prefixes of the two networks.
        expected_tensors: if given, the number of tensors the checkpoint
            must hold (246 for PackNet01 + PoseNet).

    Returns:
        A new dict, same values and order, depthseg keys.

    Raises:
        ValueError: a key belongs to neither network, two keys map to the
            same depthseg key, or the tensor count differs.
    """
    if expected_tensors is not None and len(state_dict) != expected_tensors:
        raise ValueError(f'expected {expected_tensors} tensors in the '
                         f'PackNet checkpoint, found {len(state_dict)}')
    out, unknown = {}, []
    for key, value in state_dict.items():
        name = original_key(key)
        if name.startswith('model.depth_net.'):
            sub = _SHORTCUT.sub(r'\1.\2', name[len('model.depth_net.'):])
            new = depth_prefix + sub
        elif name.startswith('model.pose_net.'):
            new = pose_prefix + name[len('model.pose_net.'):]
        else:
            unknown.append(key)
            continue
        if new in out:
            raise ValueError(f'two checkpoint keys map to {new!r} (one of '
                             f'them is {key!r})')
        out[new] = value
    if unknown:
        listed = ', '.join(unknown[:10])
        more = f' and {len(unknown) - 10} more' if len(unknown) > 10 else ''
        raise ValueError(f'{len(unknown)} checkpoint keys belong to neither '
                         f'model.depth_net nor model.pose_net: {listed}'
                         f'{more}')
    return out


# ----------------------------------------------------------------- the CLI
#: default config of the converted model
DEFAULT_CONFIG = osp.join(REPO_ROOT, 'configs', 'packnet',
                          'packnet01_kitti.py')
#: the original's depth-net classes with a depthseg counterpart
DEPTH_NETS = ('PackNet01', 'PackNetSlim01')
#: the original's pose-net classes with a depthseg counterpart
POSE_NETS = {'PoseNet': 'PackNetPoseNet'}


def read_ckpt(path: str) -> tuple:
    """``(state_dict, config)`` of a packnet-sfm ``.ckpt`` (config: plain
    dicts, {} when absent); a bare state dict is accepted too."""
    import torch

    from depthseg.utils.safe_load import load_checkpoint, to_plain
    ckpt = load_checkpoint(path)
    if not isinstance(ckpt, Mapping):
        raise ValueError(f'{path}: expected a dict, got '
                         f'{type(ckpt).__name__}')
    if 'state_dict' in ckpt:
        state, config = ckpt['state_dict'], to_plain(ckpt.get('config', {}))
        config = dict(config or {})
        if 'epoch' in ckpt and 'epoch' not in config:
            config['epoch'] = ckpt['epoch']
    elif ckpt and all(torch.is_tensor(v) for v in ckpt.values()):
        state, config = ckpt, {}
    else:
        raise KeyError(f'{path}: no state_dict (keys {sorted(ckpt)[:10]}): '
                       'not a PackNet-SfM checkpoint')
    return dict(state), config


def _get(cfg: Mapping, dotted: str, default=None):
    for part in dotted.split('.'):
        if not isinstance(cfg, Mapping) or part not in cfg:
            return default
        cfg = cfg[part]
    return cfg


def export_meta(config: Mapping) -> dict:
    """The useful parts of the original (plain) config."""
    depth_net = _get(config, 'model.depth_net', {}) or {}
    pose_net = _get(config, 'model.pose_net', {}) or {}
    meta = dict(
        source='packnet-sfm',
        model_name=_get(config, 'model.name'),
        depth_net=dict(name=depth_net.get('name'),
                       version=depth_net.get('version'),
                       dropout=depth_net.get('dropout')),
        pose_net=dict(name=pose_net.get('name'),
                      version=pose_net.get('version')),
        image_shape=_get(config, 'datasets.augmentation.image_shape'),
        params=_get(config, 'model.params'),
        loss=_get(config, 'model.loss'),
        name=config.get('name'),
        epoch=config.get('epoch'))
    shape = meta['image_shape']
    if shape:
        meta['height'], meta['width'] = (int(v) for v in shape)
    return {k: v for k, v in meta.items() if v is not None}


def model_options(config: Mapping, has_pose: bool) -> dict:
    """``cfg_options`` making the default config's model match the
    checkpoint's networks (class, version; dropout is train-only)."""
    name = _get(config, 'model.depth_net.name') or 'PackNet01'
    if name not in DEPTH_NETS:
        raise ValueError(f'the checkpoint\'s depth net {name!r} has no '
                         f'depthseg counterpart (supported: {DEPTH_NETS})')
    options = {'model.depth_encoder.type': name,
               'model.depth_encoder.version':
               _get(config, 'model.depth_net.version') or '1A',
               'model.depth_encoder.dropout': None}
    if has_pose:
        pose = _get(config, 'model.pose_net.name') or 'PoseNet'
        if pose not in POSE_NETS:
            raise ValueError(f'the checkpoint\'s pose net {pose!r} has no '
                             f'depthseg counterpart (supported: '
                             f'{sorted(POSE_NETS)})')
        options['model.pose_net.type'] = POSE_NETS[pose]
    return options


def build_meta_model(config_path: str, cfg_options: Optional[dict]):
    """The config's model built on the meta device (keys and shapes only:
    no 128 M-parameter initialisation)."""
    import torch

    from depthseg.apis.inference import build_model
    with torch.device('meta'):
        return build_model(config_path, cfg_options)


def convert(ckpt_path: str, out: str, config: Optional[str] = None) -> dict:
    """Convert ``ckpt_path`` into ``out``; returns the written ``meta``."""
    from depthseg.utils import save_converted_checkpoint
    from depthseg.utils.checkpoint import check_state_dict
    state, orig_cfg = read_ckpt(ckpt_path)
    converted = convert_packnet_state_dict(state)
    has_pose = any(k.startswith('pose_net.') for k in converted)
    options = None
    if config is None:
        config = DEFAULT_CONFIG
        options = model_options(orig_cfg, has_pose)
        if not has_pose:
            options.update({'model.pose_net': None,
                            'model.frame_ids': [0]})
    model = build_meta_model(config, options)
    check_state_dict(model, converted, f'the PackNet-SfM checkpoint '
                     f'{ckpt_path}')
    meta = export_meta(orig_cfg)
    meta['config'] = osp.relpath(config, REPO_ROOT) if osp.abspath(
        config).startswith(REPO_ROOT) else config
    if options:
        meta['cfg_options'] = options
    meta['num_tensors'] = len(converted)
    save_converted_checkpoint(converted, meta, out)
    return meta


def main(argv=None):
    from depthseg.utils.safe_load import add_trust_argument, set_trust
    parser = argparse.ArgumentParser(
        description='Convert a PackNet-SfM / All4Depth .ckpt into a '
        'depthseg checkpoint')
    parser.add_argument('ckpt', help='released .ckpt (e.g. '
                        'PackNet01_MR_selfsup_K.ckpt)')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--config', help='depthseg config of the model '
                        '(default: configs/packnet/packnet01_kitti.py with '
                        'the checkpoint\'s depth-net class and version)')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    set_trust(args.trust_checkpoint)
    meta = convert(args.ckpt, args.out, args.config)
    print(f'{args.ckpt} -> {args.out} ({meta["num_tensors"]} tensors, '
          f'{meta["config"]}, input {meta.get("height")}x'
          f'{meta.get("width")})')


if __name__ == '__main__':
    from depthseg.utils.safe_load import refuse_cleanly
    with refuse_cleanly():
        main()
