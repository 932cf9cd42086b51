"""Convert a released Monodepth2 model folder into a depthseg checkpoint.

Usage::

    python tools/model_converters/monodepth2_to_depthseg.py MODEL_DIR OUT.pth \
        [--config CONFIG]

MODEL_DIR holds ``encoder.pth`` (with the non-tensor entries ``height``,
``width`` and ``use_stereo``), ``depth.pth`` and optionally
``pose_encoder.pth`` and ``pose.pth`` (the original's ``weights_N`` folders
and released ``mono_640x192``-style downloads). Keys lose a DDP ``module.``
prefix, are prefixed (``depth_encoder.``, ``depth_decoder.``,
``pose_net.encoder.``, ``pose_net.decoder.``) and checked against the
depthseg model built from the config: any missing, unexpected or mis-shaped
key aborts the conversion with a listing. The output
``{'state_dict', 'meta'}`` loads with
``torch.load(..., weights_only=True)``, ``tools/test.py`` and
``depthseg.apis.init_model``; ``meta`` keeps the network input size.
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402

from depthseg.apis.inference import build_model  # noqa: E402
from depthseg.utils import save_converted_checkpoint  # noqa: E402
from depthseg.utils.checkpoint import (check_state_dict,  # noqa: E402
                                       strip_ddp_prefix)
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      load_checkpoint, refuse_cleanly,
                                      set_trust)

PARTS = (('encoder.pth', 'depth_encoder.'), ('depth.pth', 'depth_decoder.'),
         ('pose_encoder.pth', 'pose_net.encoder.'),
         ('pose.pth', 'pose_net.decoder.'))
# (encoder depth, use_stereo, has a pose net) -> default config
CONFIGS = {
    key: osp.join(REPO_ROOT, 'configs', 'monodepth2', name)
    for key, name in (
        ((18, False, True), 'monodepth2_r18_kitti.py'),
        ((50, False, True), 'monodepth2_r50_kitti.py'),
        ((18, True, True), 'monodepth2_r18_monostereo_kitti.py'),
        ((18, True, False), 'monodepth2_r18_stereo_kitti.py'),
    )
}
# ResNet depth from the number of blocks in layer3 and the block type
DEPTHS = {(2, False): 18, (6, False): 34, (6, True): 50, (23, True): 101,
          (36, True): 152}


def resnet_depth(state: dict) -> int:
    """ResNet depth of a Monodepth2 ``encoder.pth`` state dict."""
    blocks = {int(k.split('.')[2]) for k in state
              if k.startswith('encoder.layer3.')}
    bottleneck = any('.conv3.' in k for k in state)
    key = (len(blocks), bottleneck)
    if key not in DEPTHS:
        raise ValueError(f'encoder.pth is not a ResNet-18/34/50/101/152 '
                         f'encoder ({len(blocks)} blocks in layer3)')
    return DEPTHS[key]


def read_folder(model_dir: str):
    """Return (state_dict with depthseg keys, meta, has_pose)."""
    state, meta = {}, {}
    present = [f for f, _ in PARTS if osp.isfile(osp.join(model_dir, f))]
    for required in ('encoder.pth', 'depth.pth'):
        if required not in present:
            raise FileNotFoundError(
                f'{osp.join(model_dir, required)} is missing: MODEL_DIR must '
                'be a Monodepth2 model folder (encoder.pth, depth.pth and '
                'optionally pose_encoder.pth, pose.pth)')
    pose_files = {'pose_encoder.pth', 'pose.pth'} & set(present)
    if len(pose_files) == 1:
        raise FileNotFoundError(
            f'{model_dir} has {pose_files.pop()} but not its partner: a '
            'pose net needs both pose_encoder.pth and pose.pth (or remove '
            'both to convert the depth network alone)')
    has_pose = bool(pose_files)
    for fname, prefix in PARTS:
        if fname not in present or (prefix.startswith('pose') and
                                    not has_pose):
            continue
        part = strip_ddp_prefix(load_checkpoint(osp.join(model_dir, fname)))
        for key, value in part.items():
            if torch.is_tensor(value):
                state[prefix + key] = value
            else:  # height, width, use_stereo (quirk Q15)
                meta[key] = value
    return state, meta, has_pose


def fill_num_batches_tracked(state: dict, model) -> list:
    """Add ``num_batches_tracked`` buffers absent from checkpoints written by
    PyTorch < 0.4.1 (value 0: unused in eval mode). Returns the added keys."""
    added = []
    for key, value in model.state_dict().items():
        if key.endswith('num_batches_tracked') and key not in state and \
                key.rsplit('.', 1)[0] + '.running_mean' in state:
            state[key] = torch.zeros_like(value)
            added.append(key)
    return added


def convert(model_dir: str, out: str, config: str = None) -> dict:
    state, meta, has_pose = read_folder(model_dir)
    depth = resnet_depth({k[len('depth_encoder.'):]: v for k, v in
                          state.items() if k.startswith('depth_encoder.')})
    stereo = bool(meta.get('use_stereo', False))
    if config is None:
        config = CONFIGS.get((depth, stereo, has_pose))
        if config is None:
            raise ValueError(
                f'no default config for a ResNet-{depth} model with '
                f'use_stereo={stereo} and{"" if has_pose else " no"} pose '
                'net: pass --config')
    model = build_model(config)
    fill_num_batches_tracked(state, model)
    check_state_dict(model, state, f'the Monodepth2 folder {model_dir}')
    meta = dict(meta, source='monodepth2', config=osp.relpath(
        config, REPO_ROOT) if config.startswith(REPO_ROOT) else config)
    save_converted_checkpoint(state, meta, out)
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('model_dir', help='released Monodepth2 folder')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--config', help='depthseg config of the model '
                        '(default: from the encoder depth and use_stereo)')
    add_trust_argument(parser)
    args = parser.parse_args()
    set_trust(args.trust_checkpoint)
    meta = convert(args.model_dir, args.out, args.config)
    print(f'{args.model_dir} -> {args.out} ({meta["config"]}, input '
          f'{meta.get("height")}x{meta.get("width")})')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
