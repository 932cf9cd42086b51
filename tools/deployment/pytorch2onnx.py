"""Export the depth network of a config + checkpoint to ONNX or TorchScript.

Usage::

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out FILE
        [--shape H W] [--dynamic-batch] [--depth]
        [--format onnx|torchscript] [--device cpu] [--atol 1e-4]

The file maps ``image`` (B×3×H×W float32 RGB in [0, 1]) to ``disp``
(B×1×h×w scaled disparity at scale 0, flip-post-processed when the
config's ``test_cfg`` asks for it) and, with ``--depth``, ``depth``
(``test_cfg.depth_scale / disp``); see :mod:`depthseg.apis.deploy`. The
batch is 1 unless ``--dynamic-batch``; H×W default to the network input size
(checkpoint meta or the config's ``ResizePyramid``). CHECKPOINT ``-``
exports random weights (to try the export), with BatchNorm statistics
taken from random images so that activations stay in a trained network's
range (uncalibrated random HRNet-18 features reach 1e8 and saturate the
sigmoid). TorchScript files keep the device they are traced on
(``--device``); ONNX export runs on the CPU and the file runs anywhere.

After writing, the file is run (onnxruntime or ``torch.jit.load``) on a
random input next to PyTorch and the max abs difference of each output is
printed; the exit status is 1 if ``disp`` differs by more than ``--atol``
or ``depth`` by more than ``--atol`` × max(1, max |depth|) (a relative
bound: depth = scale / disp magnifies rounding). Run the file with
``python tools/infer.py --backend onnxruntime FILE INPUT``.
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from torch import nn  # noqa: E402

from depthseg.apis import config_intrinsics, deploy, init_model  # noqa: E402
from depthseg.utils import safe_load  # noqa: E402
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a depth network to ONNX or TorchScript and '
        'check the file against PyTorch')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint',
                        help="checkpoint file; '-' for random weights")
    parser.add_argument('--out', required=True,
                        help='output file (e.g. model.onnx, model.pt)')
    parser.add_argument('--shape', nargs=2, type=int, metavar=('H', 'W'),
                        help='input height and width (default: the network '
                        'input size of the checkpoint meta or config)')
    parser.add_argument('--dynamic-batch', action='store_true',
                        help='batch size free (default: 1)')
    parser.add_argument('--depth', action='store_true',
                        help='also output depth = depth_scale / disp')
    parser.add_argument('--format', choices=deploy.EXPORT_FORMATS,
                        default='onnx')
    parser.add_argument('--device', default='cpu',
                        help='device TorchScript files are traced on and '
                        "keep, e.g. 'cuda:0' (ONNX export runs on the cpu; "
                        'the file runs on any)')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest accepted difference to PyTorch '
                        '(default 1e-4)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=CFG_OPTIONS_HELP)
    safe_load.add_trust_argument(parser)
    args = parser.parse_args(argv)
    if args.shape and min(args.shape) < 1:
        parser.error(f'--shape must be positive, got {args.shape}')
    return args


def calibrate_batchnorm(model: nn.Module, shape, seed: int = 0) -> None:
    """Set the running statistics of every BatchNorm of the depth network
    to those of one random batch (2×3×H×W in [0, 1]); ``model`` ends in
    eval mode."""
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:  # e.g. PackNet (GroupNorm)
        return
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average: this batch's statistics
    model.train()
    with torch.no_grad():
        model.extract_disp(torch.rand(
            2, 3, *shape, generator=torch.Generator().manual_seed(seed)).to(
                next(model.parameters()).device))
    model.eval()
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum


def main(argv=None) -> dict:
    """Export and check; returns ``{output: (max abs diff, max abs
    value)}`` (:func:`~depthseg.apis.deploy.compare_export`)."""
    args = parse_args(argv)
    if args.format == 'onnx':
        try:
            deploy.require('onnx')
            deploy.require('onnxruntime')
        except ImportError as err:
            sys.exit(f'error: {err}')
    checkpoint = None if args.checkpoint == '-' else args.checkpoint
    device = args.device if args.format == 'torchscript' else 'cpu'
    model = init_model(args.config, checkpoint, device=device,
                       cfg_options=args.cfg_options,
                       trust_checkpoint=args.trust_checkpoint or None)
    shape = args.shape or model.input_size
    if shape is None:
        sys.exit(f'error: {args.config} does not give the network input '
                 'size (no ResizePyramid, no height/width in the '
                 'checkpoint meta). Fix: pass --shape H W.')
    intrinsics, source = config_intrinsics(model.cfg)
    try:
        meta = deploy.export_meta(model, shape, args.depth,
                                  args.dynamic_batch, intrinsics, source)
    except TypeError as err:
        sys.exit(f'error: {args.config}: {err}')
    if checkpoint is None:
        calibrate_batchnorm(model, shape)
    wrapper = deploy.export_model(model, args.out, meta, args.format)
    backend = 'onnxruntime' if args.format == 'onnx' else 'torchscript'
    batch = 2 if args.dynamic_batch else 1
    diffs = deploy.compare_export(wrapper, args.out, backend, batch=batch)
    print(f'{args.out}: {args.format}, input {batch}×3×{shape[0]}×'
          f'{shape[1]}, {checkpoint or "random weights"}')
    failed = []
    for name, (diff, value) in diffs.items():
        bound = args.atol * (max(1.0, value) if name == 'depth' else 1.0)
        print(f'  {name}: max abs diff to PyTorch {diff:.3g} '
              f'(limit {bound:.3g})')
        if not diff <= bound:
            failed.append(name)
    if failed:
        sys.exit(f'error: {args.out} differs from PyTorch in '
                 f'{", ".join(failed)} beyond the limit; the file is kept '
                 'for inspection. Fix: report the network, or export with '
                 'another --format.')
    return diffs


if __name__ == '__main__':
    with safe_load.refuse_cleanly():
        main()
