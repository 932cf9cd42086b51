"""Convert a released FUMET model folder into a depthseg checkpoint.

Usage::

    python tools/model_converters/fumet_to_depthseg.py MODEL_DIR OUT.pth \
        --arch {monodepth2,hrdepth,litemono,vadepth} [--dataset cityscapes] \
        [--config CONFIG]

MODEL_DIR is one of the authors' Monodepth2-style folders (``weights_N`` or
a released download): ``encoder.pth`` (with ``height`` / ``width``),
``depth.pth``, optionally ``pose_encoder.pth`` + ``pose.pth`` and
``cam_height_expect.pkl`` (h*, a pickled dict ``{scale: value}`` for KITTI
or ``{camera_setting: {scale: value}}`` for Cityscapes; unpickling runs
code: convert only files you trust). Keys are prefixed as for Monodepth2
(the FUMET architectures keep the original module names) and h* goes into
the ``h_star`` / ``h_star_valid`` buffers of the config's
``CameraHeightLoss``. Every key and shape is checked against the model
built from the config; the output ``{'state_dict', 'meta'}`` loads with
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
from monodepth2_to_depthseg import (fill_num_batches_tracked,  # noqa: E402
                                    read_folder)

from depthseg.apis.inference import build_model  # noqa: E402
from depthseg.models.losses import CameraHeightLoss  # noqa: E402
from depthseg.utils import save_converted_checkpoint  # noqa: E402
from depthseg.utils.checkpoint import check_state_dict  # noqa: E402
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      load_pickle, refuse_cleanly,
                                      set_trust)

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'fumet')
CONFIGS = {
    ('monodepth2', 'kitti'): 'fumet_r50_kitti.py',
    ('hrdepth', 'kitti'): 'fumet_hrdepth_r18_kitti.py',
    ('litemono', 'kitti'): 'fumet_litemono_kitti.py',
    ('vadepth', 'kitti'): 'fumet_vadepth_kitti.py',
    ('monodepth2', 'cityscapes'): 'fumet_r50_cityscapes.py',
}
PICKLE = 'cam_height_expect.pkl'


def _value(v) -> float:
    return float(v.item() if torch.is_tensor(v) else v)


def read_h_star(path: str, loss: CameraHeightLoss):
    """``cam_height_expect.pkl`` -> (h_star G×S, valid G) for ``loss``."""
    data = load_pickle(path)
    if not isinstance(data, dict) or not data:
        raise ValueError(f'{path}: expected a non-empty dict of camera '
                         f'heights, got {type(data).__name__}')
    h_star = loss.h_star.clone().fill_(float('nan'))
    valid = torch.zeros_like(loss.h_star_valid)
    nested = isinstance(next(iter(data.values())), dict)
    settings = loss.cam_settings or [None]
    if nested != (loss.cam_settings is not None):
        raise ValueError(
            f'{path} holds {"per camera setting" if nested else "one"} '
            f'camera height(s) but the config expects '
            f'{"cam_settings " + str(loss.cam_settings) if loss.cam_settings else "one global h*"}'
            ': pass the matching --dataset / --config')
    for g, setting in enumerate(settings):
        if nested:
            match = [k for k in data if abs(float(k) - setting) < 1e-6]
            if not match:
                continue
            per_scale = data[match[0]]
        else:
            per_scale = data
        for i, s in enumerate(loss.scales):
            if s in per_scale:
                h_star[g, i] = _value(per_scale[s])
        valid[g] = bool(torch.isfinite(h_star[g, 0])) and \
            bool(h_star[g, 0] > 0)
    return h_star, valid


def convert(model_dir: str, out: str, arch: str = 'monodepth2',
            dataset: str = 'kitti', config: str = None) -> dict:
    if config is None:
        if (arch, dataset) not in CONFIGS:
            raise ValueError(f'no default config for --arch {arch} on '
                             f'{dataset}: pass --config')
        config = osp.join(CONFIG_DIR, CONFIGS[arch, dataset])
    state, meta, _ = read_folder(model_dir)
    model = build_model(config)
    fill_num_batches_tracked(state, model)
    h_losses = [(name, m) for name, m in model.named_modules()
                if isinstance(m, CameraHeightLoss)]
    pkl = osp.join(model_dir, PICKLE)
    for name, loss in h_losses:
        if osp.isfile(pkl):
            h_star, valid = read_h_star(pkl, loss)
            meta['h_star'] = h_star[:, 0].tolist()
        else:  # weights only: h* stays unset (as before epoch 1)
            h_star, valid = loss.h_star, loss.h_star_valid
        state[f'{name}.h_star'] = h_star
        state[f'{name}.h_star_valid'] = valid
    check_state_dict(model, state, f'the FUMET folder {model_dir}')
    meta = dict(meta, source=f'fumet/{arch}', config=osp.relpath(
        config, REPO_ROOT) if config.startswith(REPO_ROOT) else config)
    save_converted_checkpoint(state, meta, out)
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('model_dir', help='released FUMET model folder')
    parser.add_argument('out', help='output .pth file')
    parser.add_argument('--arch', default='monodepth2',
                        choices=['monodepth2', 'hrdepth', 'litemono',
                                 'vadepth'])
    parser.add_argument('--dataset', default='kitti',
                        choices=['kitti', 'cityscapes'])
    parser.add_argument('--config', help='depthseg config of the model '
                        '(default: configs/fumet/ for --arch/--dataset)')
    add_trust_argument(parser)
    args = parser.parse_args()
    set_trust(args.trust_checkpoint)
    meta = convert(args.model_dir, args.out, args.arch, args.dataset,
                   args.config)
    print(f'{args.model_dir} -> {args.out} ({meta["config"]}, input '
          f'{meta.get("height")}x{meta.get("width")}, h* '
          f'{meta.get("h_star", "not in the folder")})')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
