"""Evaluate a depthseg checkpoint on a config's test set.

Single process: ``python tools/test.py CONFIG CHECKPOINT [options]``;
several processes: ``tools/dist_test.sh CONFIG CHECKPOINT N [options]``
(torchrun; gloo on CPU-only machines). Saved disparities, without a model
(as Monodepth2's ``--ext_disp_to_eval``):
``python tools/test.py CONFIG - --eval-disps disps.npy``.
"""
import argparse
import os
import os.path as osp
import sys

# make `import depthseg` work from any directory without `pip install`
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch.distributed as dist  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import RUNNERS, init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from depthseg.registry import METRICS  # noqa: E402
from depthseg.utils import (disable_pretrained,  # noqa: E402
                            merge_common_args,
                            setup_cpu_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a depthseg model (depth or pose metrics)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help="checkpoint file; '-' with --eval-disps (no model needed)")
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out',
        help='save the predicted scaled disparities (N×h×w, dataset order) '
        'to this .npz (key pred_disps)')
    parser.add_argument(
        '--show-dir',
        help='save a magma colour map of every predicted disparity here')
    parser.add_argument(
        '--eval-disps',
        help='evaluate saved N×h×w scaled disparities (.npy, or an --out '
        '.npz) against the test evaluator\'s gt_file, without a model')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs such as '
        '"test_dataloader.batch_size=4"; lists as key="[a,b]" or key=a,b')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch in torch >= 2.0 passes `--local-rank`, older
    # launchers `--local_rank`; torchrun only sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.checkpoint == '-' and not args.eval_disps:
        parser.error("checkpoint '-' is only allowed with --eval-disps")
    return args


def depth_metric_cfgs(cfg) -> list:
    """The ``DepthMetric`` entries of ``cfg.test_evaluator`` (a metric, a
    list of metrics or an ``Evaluator`` dict with ``metrics``)."""
    evaluator = cfg.get('test_evaluator')
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    return [m for m in metrics
            if isinstance(m, dict) and m.get('type') == 'DepthMetric']


def merge_args(cfg, args):
    """Merge the command line arguments into the config."""
    merge_common_args(cfg, args)
    cfg.load_from = None if args.checkpoint == '-' else args.checkpoint
    # the checkpoint holds every weight: never download ImageNet weights
    disable_pretrained(cfg.get('model'))

    if args.out or args.show_dir:
        metrics = depth_metric_cfgs(cfg)
        if not metrics:
            raise SystemExit('tools/test.py: --out / --show-dir need a '
                             'DepthMetric in test_evaluator')
        for metric in metrics:
            if args.out:
                metric.out_file = args.out
            if args.show_dir:
                metric.show_dir = args.show_dir

    # refuse checkpoints of another architecture (mmengine only warns)
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(h.get('type') == 'CheckpointCheckHook' for h in hooks):
        hooks.append(dict(type='CheckpointCheckHook'))
    cfg.custom_hooks = hooks
    return cfg


def evaluate_disps(cfg, path: str) -> dict:
    """Evaluate saved disparities with the config's DepthMetric; the fixed
    scale is the model's ``test_cfg.depth_scale`` (default 1)."""
    metrics = depth_metric_cfgs(cfg)
    if len(metrics) != 1:
        raise SystemExit('tools/test.py: --eval-disps needs exactly one '
                         f'DepthMetric in test_evaluator, found '
                         f'{len(metrics)}')
    init_default_scope(cfg.get('default_scope', 'depthseg'))
    metric = METRICS.build(dict(metrics[0], pred_disps_file=path))
    test_cfg = cfg.get('model', {}).get('test_cfg') or {}
    return metric.evaluate_external(test_cfg.get('depth_scale', 1.0))


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    if args.eval_disps:
        evaluate_disps(cfg, args.eval_disps)
        return
    created_group = setup_cpu_distributed(cfg, 'tools/dist_test.sh')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.test()
    if created_group:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
