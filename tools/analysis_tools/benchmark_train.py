r"""Measure training and data-loading throughput of a config.

Example::

    python tools/analysis_tools/benchmark_train.py CONFIG --iters 50 \
        --warmup 5 --batch-size 8 --num-workers 4

Prints one figure per line: training images/s (data loading, forward,
backward and optimizer step, i.e. batch size x steps / time), data-loading
images/s per worker (iterating the dataloader alone) and the peak memory
(max RSS of the process on CPU, ``torch.cuda.max_memory_allocated`` on GPU).

``--precision both`` runs float32 and ``--amp`` (bfloat16 autocast on CPU
and GPU) side by side, each in its own process (its own peak memory), from
the same seed and the same batches, and prints for each the step time,
images/s, peak memory and the mean loss of the last timed steps, then the
speed-up; ``--seeds 0 1 2 3`` does so for each seed and prints the mean and
spread of both losses (one run per precision says little: from-scratch
training is chaotic, float32 runs of two seeds differ by tens of percent
after 200 steps); ``--channels-last on|off`` overrides the config's
``channels_last`` (NHWC weights, on in the default runtime). On a GPU the
same figures are CUDA's (synchronised timings, ``max_memory_allocated``).
"""
import argparse
import itertools
import os.path as osp
import re
import resource
import subprocess
import sys
import tempfile
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from depthseg.engine import DepthRunner, enable_amp  # noqa: E402

import depthseg  # noqa: E402,F401  (this checkout's depthseg, patches)
from depthseg.utils.config import (CFG_OPTIONS_HELP,  # noqa: E402
                                   merge_cfg_options)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Benchmark training and data-loading speed')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--iters', type=int, default=50, help='timed training steps')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed warm-up steps')
    parser.add_argument(
        '--batch-size', type=int, help='override train_dataloader.batch_size')
    parser.add_argument(
        '--num-workers',
        type=int,
        help='override train_dataloader.num_workers')
    parser.add_argument(
        '--precision', choices=['fp32', 'amp', 'both'], default='fp32',
        help="'amp': bfloat16 autocast (tools/train.py --amp); 'both': fp32 "
        'and amp side by side, each in its own process')
    parser.add_argument(
        '--channels-last', choices=['on', 'off'],
        help="NHWC weights (the config's channels_last by default)")
    parser.add_argument(
        '--seed', type=int,
        help="randomness.seed (initial weights, data order); the config's "
        'by default')
    parser.add_argument(
        '--seeds', type=int, nargs='+',
        help="with --precision both: compare on each of these seeds and "
        'print the mean and spread of the losses')
    parser.add_argument(
        '--skip-loading', action='store_true',
        help='do not time the dataloader alone')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=CFG_OPTIONS_HELP)
    return parser.parse_args()


def build(cfg, work_dir):
    """Build the model, optimizer wrapper and train dataloader."""
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.load_from = None
    cfg.resume = False
    cfg.log_level = 'WARNING'  # keep the output to the figures
    runner = DepthRunner.from_cfg(cfg)
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    dataloader = DepthRunner.build_dataloader(
        cfg.train_dataloader, seed=runner.seed)
    return runner.model, optim_wrapper, dataloader


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_training(model, optim_wrapper, batches, warmup, iters):
    """(seconds for ``iters`` train steps after ``warmup`` untimed ones,
    mean loss of the last min(10, iters) steps)."""
    model.train()
    for _ in range(warmup):
        model.train_step(next(batches), optim_wrapper=optim_wrapper)
    _sync()
    losses = []
    start = time.perf_counter()
    for _ in range(iters):
        log_vars = model.train_step(next(batches),
                                    optim_wrapper=optim_wrapper)
        losses.append(log_vars['loss'])
    _sync()
    seconds = time.perf_counter() - start
    tail = losses[-min(10, iters):]
    return seconds, float(sum(float(v) for v in tail) / len(tail))


def time_loading(batches, warmup, iters):
    """Seconds for fetching ``iters`` batches after ``warmup`` ones."""
    for _ in range(warmup):
        next(batches)
    start = time.perf_counter()
    for _ in range(iters):
        next(batches)
    return time.perf_counter() - start


def endless(dataloader):
    """Iterate over the dataloader forever (new epoch when exhausted)."""
    return itertools.chain.from_iterable(itertools.repeat(dataloader))


def peak_memory():
    """(MiB, description) of the peak memory of this process."""
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20, 'CUDA allocated'
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    rss = rss / 2**20 if sys.platform == 'darwin' else rss / 2**10
    return rss, 'max RSS of the main process'


FIGURES = re.compile(r'^train: (?P<ips>[\d.]+) img/s, '
                     r'(?P<step>[\d.]+) s/step, '
                     r'loss (?P<loss>[\d.e+-]+)$', re.M)
MEMORY = re.compile(r'^peak memory: (?P<mib>[\d.]+) MiB', re.M)


def run_precision(base, precision, seed=None):
    """(images/s, s/step, loss, peak MiB, figures line) of one run of this
    script in its own process."""
    extra = [] if seed is None else ['--seed', str(seed)]
    out = subprocess.run(
        [sys.executable, __file__, *base, '--precision', precision, *extra],
        capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f'{precision} run failed:\n{out.stderr[-3000:]}')
    fig, mem = FIGURES.search(out.stdout), MEMORY.search(out.stdout)
    return (float(fig['ips']), float(fig['step']), float(fig['loss']),
            float(mem['mib']), f'{fig[0][len("train: "):]}, peak memory '
            f'{mem["mib"]} MiB')


def compare_precisions(argv, seeds=None):
    """Run this script once per precision (and seed) in its own process;
    print the figures, the speed-up of --amp and the loss difference."""
    base, args = [], list(argv[1:])
    while args:  # drop --precision X and --seeds S ...
        arg = args.pop(0)
        if arg == '--precision':
            args.pop(0)
        elif arg == '--seeds':
            while args and args[0].lstrip('-').isdigit():
                args.pop(0)
        elif not arg.startswith(('--precision=', '--seeds=')):
            base.append(arg)
    rows = {'fp32': [], 'amp': []}
    for seed in seeds or [None]:
        for precision in rows:
            row = run_precision(base, precision, seed)
            rows[precision].append(row)
            tag = '' if seed is None else f' (seed {seed})'
            print(f'{precision}{tag}: {row[4]}', flush=True)
    step32 = sum(r[1] for r in rows['fp32'])
    stepamp = sum(r[1] for r in rows['amp'])
    loss32 = [r[2] for r in rows['fp32']]
    lossamp = [r[2] for r in rows['amp']]
    mean32, meanamp = sum(loss32) / len(loss32), sum(lossamp) / len(lossamp)
    print(f'amp speed-up: {step32 / stepamp:.2f}x per step; loss difference '
          f'{100 * (meanamp - mean32) / mean32:+.2f} %')
    if seeds:
        for name, losses in (('fp32', loss32), ('amp', lossamp)):
            print(f'{name} loss over {len(losses)} seeds: mean '
                  f'{sum(losses) / len(losses):.6g}, min {min(losses):.6g}, '
                  f'max {max(losses):.6g}')


def main():
    args = parse_args()
    if args.precision == 'both':
        compare_precisions(sys.argv, args.seeds)
        return
    if args.seeds:
        raise SystemExit('--seeds needs --precision both')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        merge_cfg_options(cfg, args.cfg_options)
    if args.batch_size is not None:
        cfg.train_dataloader.batch_size = args.batch_size
    if args.num_workers is not None:
        cfg.train_dataloader.num_workers = args.num_workers
        if args.num_workers == 0:
            cfg.train_dataloader.persistent_workers = False
    if args.precision == 'amp':
        enable_amp(cfg)
    if args.channels_last is not None:
        cfg.channels_last = args.channels_last == 'on'
    if args.seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=args.seed)
    batch_size = cfg.train_dataloader.batch_size
    workers = cfg.train_dataloader.get('num_workers', 0)

    with tempfile.TemporaryDirectory() as work_dir:
        torch.manual_seed(0)
        model, optim_wrapper, dataloader = build(cfg, work_dir)
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        train_s, loss = time_training(model, optim_wrapper,
                                      endless(dataloader), args.warmup,
                                      args.iters)
        load_s = None if args.skip_loading else time_loading(
            endless(dataloader), args.warmup, args.iters)
    memory, kind = peak_memory()

    images = batch_size * args.iters
    print(f'device: {"cuda" if torch.cuda.is_available() else "cpu"}, '
          f'precision: {args.precision}, batch size: {batch_size}, '
          f'workers: {workers}, timed steps: {args.iters} '
          f'(+{args.warmup} warm-up), threads: {torch.get_num_threads()}')
    print(f'train: {images / train_s:.2f} img/s, '
          f'{train_s / args.iters:.4f} s/step, loss {loss:.6g}')
    if load_s is not None:
        loader = ('main process' if workers == 0 else
                  f'{workers} worker' + ('s' if workers > 1 else ''))
        print(f'data: {images / load_s / max(workers, 1):.2f} img/s per '
              f'worker ({loader})')
    print(f'peak memory: {memory:.1f} MiB ({kind})')


if __name__ == '__main__':
    main()
