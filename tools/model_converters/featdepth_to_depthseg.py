"""Convert a FeatDepth checkpoint into a depthseg checkpoint.

Usage::

    python tools/model_converters/featdepth_to_depthseg.py CKPT OUT.pth \
        [--config CONFIG] [--no-extractor]

CKPT is one of the original's mmcv checkpoints (``epoch_N.pth`` or a
released download): ``{'meta', 'state_dict', 'optimizer'}`` with the keys
of the original model:

============================ ============================================
original prefix              depthseg prefix
============================ ============================================
``DepthEncoder.``            ``depth_encoder.`` (``ResnetEncoder``)
``DepthDecoder.``            ``depth_decoder.`` (``FeatDepthDecoder``)
``PoseEncoder.``             ``pose_net.encoder.``
``PoseDecoder.``             ``pose_net.decoder.`` (``net.0..3``)
``extractor.`` (mono_fm)     ``<FeatureNet>.encoder.``
``Encoder.`` / ``Decoder.``  ``<FeatureNet>.encoder.`` / ``.decoder.``
============================ ============================================

``<FeatureNet>`` is the path of the config's :class:`FeatureNet`:
``autoencoder`` in a ``FeatDepthAutoEncoderModel`` config (stand-alone
autoencoder, ``cfg_kitti_autoencoder.py``), the feature-metric loss's
autoencoder in a depth config (frozen extractor of ``mono_fm`` or the joint
model's trained ``Encoder``/``Decoder``). Module names inside each part are
the original ones, so only prefixes change. The config defaults from the
prefixes present (autoencoder, mono_fm or mono_fm_joint on KITTI).
``--no-extractor`` drops the extractor / autoencoder weights of a depth
checkpoint, for a config without the feature-metric loss (evaluation).

Every key and shape is checked against the model built from the config
(nothing is written on a mismatch, every difference is listed); buffers
that exist only in depthseg (outside the converted parts) keep the model's
initial values. The output ``{'state_dict', 'meta'}`` loads with
``weights_only=True``, ``tools/test.py`` and ``depthseg.apis.init_model``.
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
for path in (REPO_ROOT, osp.dirname(osp.abspath(__file__))):
    if path not in sys.path:
        sys.path.insert(0, path)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from monodepth2_to_depthseg import fill_num_batches_tracked  # noqa: E402

from depthseg.apis.inference import build_model  # noqa: E402
from depthseg.models.autoencoders import (  # noqa: E402
    FeatDepthAutoEncoderModel, FeatureNet)
from depthseg.utils import save_converted_checkpoint  # noqa: E402
from depthseg.utils.checkpoint import (check_state_dict,  # noqa: E402
                                       strip_ddp_prefix)
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      load_checkpoint, refuse_cleanly,
                                      set_trust)

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'featdepth')
CONFIGS = {
    'autoencoder': 'featdepth_autoencoder_kitti.py',
    'mono_fm': 'featdepth_r50_kitti.py',
    'mono_fm_joint': 'featdepth_r50_joint_kitti.py',
}
DEPTH_PARTS = (('DepthEncoder.', 'depth_encoder.'),
               ('DepthDecoder.', 'depth_decoder.'),
               ('PoseEncoder.', 'pose_net.encoder.'),
               ('PoseDecoder.', 'pose_net.decoder.'))
AE_SOURCES = ('extractor.', 'Encoder.', 'Decoder.')


def read_checkpoint(path: str) -> tuple:
    """(state_dict without a DDP ``module.`` prefix, plain-type meta)."""
    ckpt = load_checkpoint(path)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'{path}: no state_dict found (expected an mmcv '
                         'checkpoint of FeatDepth)')
    state = {k: v for k, v in strip_ddp_prefix(state).items()
             if torch.is_tensor(v)}
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items()
            if isinstance(v, (int, float, str, bool))}
    return state, meta


def model_kind(state: dict) -> str:
    """'autoencoder', 'mono_fm' or 'mono_fm_joint' from the key prefixes."""
    has = {p for p in ('DepthEncoder.', 'extractor.', 'Encoder.')
           if any(k.startswith(p) for k in state)}
    if 'DepthEncoder.' not in has:
        if 'Encoder.' in has:
            return 'autoencoder'
        raise ValueError('the checkpoint has neither DepthEncoder.* nor '
                         'Encoder.* keys: not a FeatDepth checkpoint')
    return 'mono_fm_joint' if 'Encoder.' in has else 'mono_fm'


def pose_decoder_keys(part: dict) -> dict:
    """Original ``PoseDecoder`` keys -> ``net.{0..3}.{weight,bias}``.

    Keys already named ``net.*`` are kept; any other naming of the four
    convolutions (squeeze, pose 0-2) is mapped in order of appearance."""
    if all(k.startswith('net.') for k in part):
        return dict(part)
    weights = [k for k in part if k.endswith('.weight')]
    biases = [k for k in part if k.endswith('.bias')]
    if len(weights) != 4 or len(biases) != 4 or len(part) != 8:
        raise ValueError(f'PoseDecoder: expected 4 convolutions (weight + '
                         f'bias), got keys {sorted(part)}')
    out = {}
    for i, (w, b) in enumerate(zip(weights, biases)):
        out[f'net.{i}.weight'], out[f'net.{i}.bias'] = part[w], part[b]
    return out


def _split(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items()
            if k.startswith(prefix)}


def featurenet_path(model) -> str:
    """Module path of the model's (single) :class:`FeatureNet`, or ''."""
    paths = [n for n, m in model.named_modules() if isinstance(m, FeatureNet)]
    if len(paths) > 1:
        raise ValueError(f'the config has several FeatureNets {paths}: '
                         'cannot tell which one the weights belong to')
    return paths[0] if paths else ''


def convert_state(state: dict, model, no_extractor: bool = False) -> tuple:
    """Original state dict -> (depthseg state dict, prefixes written)."""
    out, targets = {}, []
    if isinstance(model, FeatDepthAutoEncoderModel):
        if any(k.startswith('DepthEncoder.') for k in state):
            raise ValueError('a depth checkpoint (DepthEncoder.*) cannot be '
                             'converted for an autoencoder config')
        sources = (('Encoder.', 'autoencoder.encoder.'),
                   ('Decoder.', 'autoencoder.decoder.'))
    else:
        sources = list(DEPTH_PARTS)
        fnet = featurenet_path(model)
        ae = [p for p in AE_SOURCES if any(k.startswith(p) for k in state)]
        if ae and not no_extractor:
            if not fnet:
                raise ValueError(
                    f'the checkpoint has autoencoder weights ({", ".join(ae)}'
                    '*) but the config has no FeatureNet (no feature-metric '
                    'loss): pass --no-extractor to drop them')
            sources += [('extractor.', fnet + '.encoder.'),
                        ('Encoder.', fnet + '.encoder.'),
                        ('Decoder.', fnet + '.decoder.')]
    for src, dst in sources:
        part = _split(state, src)
        if not part:
            continue
        if src == 'PoseDecoder.':
            part = pose_decoder_keys(part)
        out.update({dst + k: v for k, v in part.items()})
        targets.append(dst)
    known = tuple(p for p, _ in DEPTH_PARTS) + AE_SOURCES
    if no_extractor:
        state = {k: v for k, v in state.items()
                 if not k.startswith(AE_SOURCES)}
    # anything else is reported by check_state_dict as unexpected
    out.update({k: v for k, v in state.items() if not k.startswith(known)})
    return out, targets


def fill_depthseg_buffers(state: dict, model, targets: list) -> list:
    """Copy the model's buffers that lie outside every converted part
    (depthseg-only state such as loss statistics). Returns their keys."""
    added = []
    for name, buf in model.named_buffers():
        if name not in state and not name.startswith(tuple(targets)):
            state[name] = buf.detach().clone()
            added.append(name)
    return added


def _null_checkpoints(cfg) -> None:
    """Drop ``checkpoint`` paths of loss plugins (the frozen autoencoder of
    the feature-metric loss): the converted file provides the weights."""
    losses = cfg.model.get('losses') or {}
    for loss in (losses.values() if isinstance(losses, dict) else losses):
        if isinstance(loss, dict) and 'checkpoint' in loss:
            loss['checkpoint'] = None


def convert(ckpt: str, out: str, config: str = None,
            no_extractor: bool = False) -> dict:
    state, meta = read_checkpoint(ckpt)
    kind = model_kind(state)
    if config is None:
        config = osp.join(CONFIG_DIR, CONFIGS[kind])
    cfg = Config.fromfile(config)
    _null_checkpoints(cfg)
    model = build_model(cfg)
    new_state, targets = convert_state(state, model, no_extractor)
    fill_num_batches_tracked(new_state, model)
    extra = fill_depthseg_buffers(new_state, model, targets)
    check_state_dict(model, new_state, f'the FeatDepth checkpoint {ckpt}')
    meta = dict(
        source=f'featdepth/{kind}',
        original_meta=meta,
        config=osp.relpath(config, REPO_ROOT)
        if osp.abspath(config).startswith(REPO_ROOT) else config)
    if extra:
        meta['initial_buffers'] = extra
    save_converted_checkpoint(new_state, meta, out)
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='FeatDepth .pth checkpoint')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--config', help='depthseg config of the model '
                        '(default: configs/featdepth/ for the model kind)')
    parser.add_argument('--no-extractor', action='store_true',
                        help='drop the autoencoder / extractor weights')
    add_trust_argument(parser)
    args = parser.parse_args()
    set_trust(args.trust_checkpoint)
    meta = convert(args.checkpoint, args.out, args.config,
                   args.no_extractor)
    print(f'{args.checkpoint} -> {args.out} ({meta["source"]}, '
          f'{meta["config"]})')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
