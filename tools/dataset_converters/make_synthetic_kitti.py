"""Render the built-in synthetic driving videos in the KITTI raw layout.

Procedural drives (``depthseg.datasets.synthetic``) with exact depth,
stereo, velodyne scans, poses, OXTS (GPS/IMU) packets and FUMET car/road
npz files, so training and evaluation run without downloading KITTI. The
defaults take well under a minute on one CPU core. Example::

    python tools/dataset_converters/make_synthetic_kitti.py \\
        --out data/synthroad --sequences 8 --frames 60 --size 192x640

The tree is written into a hidden temp folder and renamed to ``--out`` when
complete; an existing complete tree with the same parameters is kept
(``ensure_synthroad``, also what ``configs/_base_/datasets/synthroad.py``
calls on first use).
"""
import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from depthseg.datasets.synthetic.writer import ensure_synthroad  # noqa: E402

__all__ = ['ensure_synthroad', 'parse_size', 'main']


def parse_size(text: str):
    """``'192x640'`` -> ``(192, 640)`` (height x width)."""
    try:
        h, w = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'size must be HxW, e.g. 192x640, got {text!r}') from None
    if h < 8 or w < 8:
        raise argparse.ArgumentTypeError(f'size must be at least 8x8, got '
                                         f'{text!r}')
    return h, w


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate synthetic driving videos in the KITTI raw '
        'layout')
    parser.add_argument('--out', default='data/synthroad',
                        help='output root (default: data/synthroad)')
    parser.add_argument('--sequences', type=int, default=8,
                        help='number of drives (default: 8)')
    parser.add_argument('--frames', type=int, default=60,
                        help='frames per drive (default: 60)')
    parser.add_argument('--size', type=parse_size, default=(192, 640),
                        help='image size HxW (default: 192x640)')
    parser.add_argument('--seed', type=int, default=0, help='seed')
    parser.add_argument('--ext', choices=('.jpg', '.png'), default='.jpg',
                        help='image format (default: .jpg, as Monodepth2)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        info = ensure_synthroad(args.out, sequences=args.sequences,
                                frames=args.frames, size=args.size,
                                seed=args.seed, ext=args.ext)
    except ValueError as e:  # another tree or foreign files at --out
        sys.exit(f'error: {e}')
    print(f"{osp.abspath(args.out)}: {len(info['drives'])} drives x "
          f"{info['frames']} frames at {info['size'][0]}x{info['size'][1]}; "
          f"splits {info['splits']}")


if __name__ == '__main__':
    main()
