r"""Measure what extra loss plugins add to the training step of a config.

Examples (FUMET's metric losses, FeatDepth's feature-metric loss)::

    python tools/analysis_tools/benchmark_loss_overhead.py \
        configs/fumet/fumet_r50_kitti.py --iters 5 --warmup 1
    python tools/analysis_tools/benchmark_loss_overhead.py \
        configs/featdepth/featdepth_r50_kitti.py \
        --baseline PhotometricLoss SmoothnessLoss

Times forward + backward + Adam step of the config's model on one fixed
synthetic batch (random images, a road on the lower 40 % of every frame and
``--cars`` car masks per frame standing on it) twice: with the config's loss
plugins, and with only the baseline plugins (``--baseline``: the photometric
loss without the road override, and smoothness). h* is set (``--h-star``) so
the outlier test and the camera-height loss run, as after epoch 1. Each
measurement runs in its own process, alternating the two variants, so the
peak memory of each is separate (max RSS on CPU, max allocated on CUDA).
The model's 4-D weights are NHWC where the config's ``channels_last`` says
so (``--cfg-options channels_last=False`` for NCHW), as in training.
Prints seconds per step and peak memory of both (medians over the rounds)
and the relative overheads.
"""
import argparse
import copy
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

import depthseg  # noqa: E402,F401
from depthseg.models.utils.geometry import scale_intrinsics  # noqa: E402
from depthseg.models.utils.layers import to_channels_last  # noqa: E402
from depthseg.registry import MODELS  # noqa: E402
from depthseg.utils.config import (CFG_OPTIONS_HELP,  # noqa: E402
                                   disable_pretrained, merge_cfg_options)

KITTI_K = np.array([[0.58, 0, 0.5, 0], [0, 1.92, 0.5, 0], [0, 0, 1, 0],
                    [0, 0, 0, 1]], dtype=np.float32)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Step-time overhead of loss plugins')
    parser.add_argument('config', help='config with the extra plugins')
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=3,
                        help='alternating timing rounds (median is shown)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--height', type=int, default=192)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--cars', type=int, default=4,
                        help='car masks per frame')
    parser.add_argument('--h-star', type=float, default=1.65,
                        help='camera height pseudo-label to start from')
    parser.add_argument('--baseline', nargs='+',
                        default=['PhotometricLoss', 'SmoothnessLoss'],
                        help='plugin types kept in the baseline')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--amp', action='store_true',
                        help='bfloat16 autocast of the forward pass, as '
                        'tools/train.py --amp (the geometry and losses stay '
                        'float32)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=CFG_OPTIONS_HELP)
    parser.add_argument('--variant', choices=['baseline', 'full'],
                        help=argparse.SUPPRESS)  # one measurement (child)
    return parser.parse_args()


def synthetic_batch(model, batch, height, width, cars, device):
    """A preprocessed batch with road and car masks (fixed seed)."""
    g = torch.Generator().manual_seed(0)
    num_scales = max(model.scales) + 1
    color = {f: [torch.rand(batch, 3, height >> s, width >> s, generator=g)
                 for s in range(num_scales)] for f in model.frame_ids}
    K, inv_K = scale_intrinsics(KITTI_K, height, width, num_scales)
    inputs = dict(
        color=color, color_aug={f: c[0] for f, c in color.items()},
        K=[torch.from_numpy(k).expand(batch, 4, 4) for k in K],
        inv_K=[torch.from_numpy(k).expand(batch, 4, 4) for k in inv_K])
    if 's' in model.frame_ids:
        stereo_T = torch.eye(4).expand(batch, 4, 4).clone()
        stereo_T[:, 0, 3] = -0.1
        inputs['stereo_T'] = stereo_T
    road = torch.zeros(batch, height, width, dtype=torch.bool)
    road[:, int(0.6 * height):] = True
    segms = torch.zeros(batch * cars, height, width, dtype=torch.bool)
    top, bottom = int(0.45 * height), int(0.62 * height)
    for i in range(batch * cars):
        left = int(torch.randint(0, width - width // 10, (1, ), generator=g))
        segms[i, top:bottom, left:left + width // 12] = True
    n_inst = torch.full((batch, ), cars, dtype=torch.long)
    inputs.update(road=road, segms_flat=segms,
                  heights_flat=1.4 + 0.5 * torch.rand(batch * cars,
                                                       generator=g),
                  n_inst=n_inst,
                  car_frame_idx=torch.repeat_interleave(
                      torch.arange(batch), n_inst))

    def move(x):
        if isinstance(x, dict):
            return {k: move(v) for k, v in x.items()}
        if isinstance(x, list):
            return [move(v) for v in x]
        return x.to(device)

    return move(inputs)


def time_steps(model, inputs, warmup, iters, amp=False):
    """Seconds per forward + backward + Adam step (forward under bfloat16
    autocast with ``amp``)."""
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-6)
    model.train()

    device = inputs['color_aug'][0].device.type

    def step():
        with torch.autocast(device, dtype=torch.bfloat16, enabled=amp):
            terms = model(inputs, None, mode='loss')
        loss = sum(v for k, v in terms.items() if 'loss' in k)
        optim.zero_grad()
        loss.backward()
        optim.step()

    for _ in range(warmup):
        step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def peak_memory_mib() -> float:
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def measure(args) -> dict:
    """One variant in this process: seconds per step and peak memory."""
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        merge_cfg_options(cfg, args.cfg_options)
    init_default_scope('depthseg')
    disable_pretrained(cfg.model)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model_cfg = copy.deepcopy(cfg.model)
    if args.variant == 'baseline':
        model_cfg.losses = {name: loss for name, loss in
                            model_cfg.losses.items()
                            if loss and loss['type'] in args.baseline}
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).to(device)
    if cfg.get('channels_last', False):  # as DepthRunner
        to_channels_last(model)
    for module in model.modules():
        if hasattr(module, 'h_star'):
            module.h_star.fill_(args.h_star)
            module.h_star_valid.fill_(True)
    inputs = synthetic_batch(model, args.batch_size, args.height,
                             args.width, args.cars, device)
    seconds = time_steps(model, inputs, args.warmup, args.iters, args.amp)
    return dict(seconds=seconds, memory=peak_memory_mib(),
                plugins=[type(p).__name__ for p in model.losses],
                threads=torch.get_num_threads(), device=device)


def main():
    args = parse_args()
    if args.variant:
        print(json.dumps(measure(args)))
        return
    runs = {'baseline': [], 'full': []}
    # alternate the two, each in a fresh process, so that load changes hit
    # both alike and their peak memory is separate
    for _ in range(args.rounds):
        for name, results in runs.items():
            out = subprocess.run(
                [sys.executable, __file__, *sys.argv[1:], '--variant', name],
                capture_output=True, text=True, env=os.environ)
            if out.returncode:
                sys.exit(f'{name} run failed:\n{out.stderr[-3000:]}')
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    figures = {}
    for name, results in runs.items():
        seconds = float(np.median([r['seconds'] for r in results]))
        memory = float(np.median([r['memory'] for r in results]))
        figures[name] = (seconds, memory)
        print(f'{name}: {seconds:.3f} s/step, peak {memory:.0f} MiB '
              f'(median of {len(results)} runs; '
              f'{", ".join(results[0]["plugins"])})')
    info = runs['full'][0]
    kind = 'CUDA max allocated' if info['device'] == 'cuda' else 'max RSS'
    print(f"device: {info['device']}, threads: {info['threads']}, "
          f"{'bf16 autocast' if args.amp else 'float32'}, batch "
          f'{args.batch_size}, {args.height}x{args.width}, {args.cars} cars '
          f'per frame, {args.iters} timed steps (+{args.warmup} warm-up) per '
          f'run, memory = {kind}')
    (base_s, base_m), (full_s, full_m) = figures['baseline'], figures['full']
    print(f'overhead of the extra plugins: {100 * (full_s / base_s - 1):.1f} '
          f'% step time, {100 * (full_m / base_m - 1):.1f} % peak memory')


if __name__ == '__main__':
    main()
