"""Convert a released BDEdepth checkpoint into a depthseg checkpoint.

Usage::

    python tools/model_converters/bdedepth_to_depthseg.py CKPT OUT.pth \
        [--config CONFIG]

CKPT is one file (``kitti_hrnet18_640x192.pth``, ``cs_resnet18_512x192.pth``,
a training ``ckpt.pth`` or ``models/model{epoch}.pth``) holding the state
dicts ``encoder``, ``depth`` and optionally ``pose_encoder`` / ``pose``,
plus ``height``, ``width``, ``use_stereo`` (spec §8, §11). Keys get the
prefixes ``depth_encoder.``, ``depth_decoder.``, ``pose_net.encoder.``,
``pose_net.decoder.`` and are checked strictly against the depthseg model of
the config (quirk Q8 fixed: any missing, unexpected or mis-shaped key aborts
with a listing; optimizer / scheduler / counters are dropped). The backbone
(HRNet18 / ResNet18) is recognised from the keys; the default config is the
KITTI one of that backbone (pass --config for the Cityscapes models, whose
architecture is the same).
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


from depthseg.apis.inference import build_model  # noqa: E402
from depthseg.utils import save_converted_checkpoint  # noqa: E402
from depthseg.utils.checkpoint import (check_state_dict,  # noqa: E402
                                       strip_ddp_prefix)
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      load_checkpoint, refuse_cleanly,
                                      set_trust)

PARTS = (('encoder', 'depth_encoder.'), ('depth', 'depth_decoder.'),
         ('pose_encoder', 'pose_net.encoder.'), ('pose', 'pose_net.decoder.'))
META_KEYS = ('height', 'width', 'use_stereo', 'epoch', 'batch_idx',
             'step_in_total')
CONFIGS = {
    'hrnet': osp.join(REPO_ROOT, 'configs', 'bdedepth',
                      'bdedepth_hrnet18_kitti.py'),
    'resnet': osp.join(REPO_ROOT, 'configs', 'bdedepth',
                       'bdedepth_r18_kitti.py'),
}


def backbone_of(encoder_state: dict) -> str:
    """'hrnet' (``context_conv`` + ``encoder.transition1``) or 'resnet'
    (``conv1`` + ``encoder.layer4``); a DDP ``module.`` prefix is ignored."""
    keys = set(strip_ddp_prefix(encoder_state))
    if 'context_conv.weight' in keys and any(
            k.startswith('encoder.transition1.') for k in keys):
        return 'hrnet'
    if 'conv1.weight' in keys and any(
            k.startswith('encoder.layer4.') for k in keys):
        return 'resnet'
    raise ValueError(
        'ckpt["encoder"] is neither a BDEdepth HRNet18 encoder '
        '(context_conv.*, encoder.transition1.*) nor a ResNet encoder '
        '(conv1.*, encoder.layer4.*)')


def read_checkpoint(path: str):
    """Return (state_dict with depthseg keys, meta, backbone)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist: give a BDEdepth '
                                'checkpoint file (e.g. kitti_hrnet18_640x192'
                                '.pth)')
    ckpt = load_checkpoint(path)
    if not isinstance(ckpt, dict) or not {'encoder', 'depth'} <= set(ckpt):
        found = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt)
        raise ValueError(
            f'{path}: expected a BDEdepth checkpoint with the state dicts '
            f'"encoder" and "depth" (found {found}); Monodepth2 folders '
            'convert with monodepth2_to_depthseg.py')
    if ('pose_encoder' in ckpt) != ('pose' in ckpt):
        raise ValueError(f'{path}: has only one of pose_encoder / pose; a '
                         'pose net needs both')
    state, meta = {}, {}
    for name, prefix in PARTS:
        for key, value in strip_ddp_prefix(ckpt.get(name, {})).items():
            state[prefix + key] = value
    for key in META_KEYS:
        if key in ckpt:
            meta[key] = ckpt[key]
    return state, meta, backbone_of(ckpt['encoder'])


def convert(path: str, out: str, config: str = None) -> dict:
    state, meta, backbone = read_checkpoint(path)
    config = config or CONFIGS[backbone]
    model = build_model(config)
    if not any(k.startswith('pose_net.') for k in state):
        # depth-only checkpoint: keep the config's pose net out of the check
        model.pose_net = None
    check_state_dict(model, state, f'the BDEdepth checkpoint {path}')
    meta = dict(meta, source='bdedepth', backbone=backbone,
                config=osp.relpath(config, REPO_ROOT)
                if config.startswith(REPO_ROOT) else config)
    save_converted_checkpoint(state, meta, out)
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='released BDEdepth .pth')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--config', help='depthseg config (default: '
                        'bdedepth_{hrnet18,r18}_kitti.py by backbone)')
    add_trust_argument(parser)
    args = parser.parse_args()
    set_trust(args.trust_checkpoint)
    meta = convert(args.checkpoint, args.out, args.config)
    print(f'{args.checkpoint} -> {args.out} ({meta["config"]}, '
          f'{meta["backbone"]}, input {meta.get("height")}x'
          f'{meta.get("width")})')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
