r"""Measure evaluation throughput of a config and checkpoint.

Example::

    python tools/analysis_tools/benchmark_eval.py CONFIG CHECKPOINT \
        --cfg-options test_evaluator.gt_file=data/kitti_raw/gt_depths_eigen.npz

Runs the whole test loop (image and GT loading, the network, the metric) and
prints images/s over all test images, plus the peak memory.
"""
import argparse
import os.path as osp
import sys
import tempfile
import time

TOOLS_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(TOOLS_DIR))
for path in (REPO_ROOT, TOOLS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchmark_train import peak_memory  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from depthseg.engine import DepthRunner  # noqa: E402

import depthseg  # noqa: E402,F401
from depthseg.utils import disable_pretrained, merge_cfg_options  # noqa: E402
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark evaluation')
    parser.add_argument('config', help='config file with a test_dataloader')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help=CFG_OPTIONS_HELP)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        merge_cfg_options(cfg, args.cfg_options)
    disable_pretrained(cfg.model)
    cfg.load_from = args.checkpoint
    cfg.launcher = 'none'
    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        runner = DepthRunner.from_cfg(cfg)
        start = time.perf_counter()
        runner.test()
        seconds = time.perf_counter() - start
    images = len(runner.test_dataloader.dataset)
    memory, kind = peak_memory()
    print(f'eval: {images} images in {seconds:.1f} s: '
          f'{images / seconds:.2f} img/s (loading, GT, network, metric)')
    print(f'peak memory: {memory:.1f} MiB ({kind})')


if __name__ == '__main__':
    main()
