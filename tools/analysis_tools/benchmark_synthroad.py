"""Measure the rendering speed of the synthetic driving videos.

Example::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_synthroad.py \\
        --size 192x640 --frames 60

Renders ``--frames`` frames of camera 2 (RGB, depth, labels) and velodyne
scans per drive on one thread (OpenCV and BLAS pinned to one thread) and
prints frames/s per camera view, per stereo pair and of the scans, by wall
clock and by process CPU time (less sensitive to other processes sharing
the cores).
"""
import argparse
import os
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)
os.environ.setdefault('OMP_NUM_THREADS', '1')

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from depthseg.datasets.synthetic.renderer import (SynthRoadScene,  # noqa
                                                  _noise_table)
from depthseg.datasets.synthetic.writer import velo_to_cam  # noqa: E402


def parse_size(text: str):
    h, w = (int(v) for v in text.lower().split('x'))
    return h, w


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark the synthetic driving-video renderer')
    parser.add_argument('--size', type=parse_size, default=(192, 640),
                        help='image size HxW (default: 192x640)')
    parser.add_argument('--frames', type=int, default=60,
                        help='timed frames per drive (default: 60)')
    parser.add_argument('--drives', type=int, default=3,
                        help='drives to average over (default: 3)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cv2.setNumThreads(1)
    table = _noise_table(np.random.default_rng(args.seed))
    velo = velo_to_cam()
    wall = dict(view=0.0, lidar=0.0)
    cpu = dict(view=0.0, lidar=0.0)
    n = 0
    for drive in range(args.drives):
        scene = SynthRoadScene(args.seed, drive, args.frames, args.size,
                               noise_table=table)
        scene.render(0)  # warm-up
        for key, fn in (('view', lambda f: scene.render(f, 2)),
                        ('lidar', lambda f: scene.lidar_scan(f, velo))):
            t0, c0 = time.perf_counter(), time.process_time()
            for frame in range(args.frames):
                fn(frame)
            wall[key] += time.perf_counter() - t0
            cpu[key] += time.process_time() - c0
        n += args.frames
    print(f'size {args.size[0]}x{args.size[1]}, {args.drives} drives x '
          f'{args.frames} frames, 1 thread; frames/s by wall clock '
          f'(by process CPU time)')
    view, view_cpu = n / wall['view'], n / cpu['view']
    print(f'camera view (RGB + depth + labels): {view:.1f} ({view_cpu:.1f}) '
          f'frames/s, {1e3 / view:.1f} ms')
    print(f'stereo pair: {view / 2:.1f} ({view_cpu / 2:.1f}) frames/s')
    print(f"velodyne scan: {n / wall['lidar']:.1f} "
          f"({n / cpu['lidar']:.1f}) scans/s")


if __name__ == '__main__':
    main()
