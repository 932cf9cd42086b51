"""Evaluate a depthseg checkpoint on a config's test set.

Single process: ``python tools/test.py CONFIG CHECKPOINT [options]``;
several processes: ``tools/dist_test.sh CONFIG CHECKPOINT N [options]``
(torchrun; gloo on CPU-only machines). Saved disparities, without a model
(as Monodepth2's ``--ext_disp_to_eval``):
``python tools/test.py CONFIG - --eval-disps disps.npy``.
Several test sets in one run (configs with ``test_sets``, e.g. BDEdepth's
KITTI / Make3D / NYUv2 / Cityscapes):
``python tools/test.py CONFIG CHECKPOINT --test-sets all`` (or names).
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
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import TestLoop  # noqa: E402

from depthseg.engine import DepthRunner  # noqa: E402
from depthseg.registry import METRICS, RUNNERS  # noqa: E402
from depthseg.utils import (disable_pretrained,  # noqa: E402
                            merge_common_args,
                            setup_cpu_distributed)
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      refuse_cleanly)


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
        '--test-sets',
        nargs='+',
        metavar='NAME',
        help="evaluate on these entries of the config's test_sets (a list "
        "of dict(name=..., dataloader=..., evaluator=...)), or 'all', "
        'loading the checkpoint once; prints one table per set and a '
        'summary')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=CFG_OPTIONS_HELP)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch in torch >= 2.0 passes `--local-rank`, older
    # launchers `--local_rank`; torchrun only sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.checkpoint == '-' and not args.eval_disps:
        parser.error("checkpoint '-' is only allowed with --eval-disps")
    if args.test_sets and (args.eval_disps or args.out or args.show_dir):
        parser.error('--test-sets cannot be combined with --eval-disps, '
                     '--out or --show-dir (they refer to one test set)')
    return args


def select_test_sets(cfg, names) -> list:
    """The entries of ``cfg.test_sets`` named in ``names`` ('all': every
    entry), in the order given."""
    sets = cfg.get('test_sets')
    if not sets:
        raise SystemExit(
            'tools/test.py: --test-sets needs a config with test_sets = '
            "[dict(name='kitti_eigen', dataloader=..., evaluator=...), ...] "
            '(see configs/bdedepth/); this config has none.')
    by_name = {}
    for i, entry in enumerate(sets):
        missing = {'name', 'dataloader', 'evaluator'} - set(entry)
        if missing:
            raise SystemExit(f'tools/test.py: test_sets[{i}] lacks '
                             f'{sorted(missing)}')
        by_name[entry['name']] = entry
    if list(names) == ['all']:
        return list(sets)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f'tools/test.py: unknown test set(s) {unknown}; '
                         f'the config has {list(by_name)} (or use all)')
    return [by_name[n] for n in names]


SUMMARY_KEYS = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'a1', 'a2', 'a3')


def format_summary(results: dict) -> str:
    """One row per test set of the depth metrics (``depth/<name>``)."""
    lines = ['Summary over test sets:',
             f'{"test set":<16}' + ''.join(f'{k:>10}' for k in SUMMARY_KEYS)]
    for name, metrics in results.items():
        row = f'{name:<16}'
        for key in SUMMARY_KEYS:
            value = metrics.get(f'depth/{key}')
            row += f'{value:>10.3f}' if value is not None else f'{"-":>10}'
        lines.append(row)
    return '\n'.join(lines)


def run_test_sets(cfg, sets) -> dict:
    """Build the runner once (checkpoint loaded once), then one TestLoop
    per test set; returns {name: metrics}."""
    first = sets[0]
    cfg.test_dataloader = first['dataloader']
    cfg.test_evaluator = first['evaluator']
    cfg.test_cfg = cfg.get('test_cfg') or dict(type='TestLoop')
    runner = DepthRunner.from_cfg(cfg)
    results = {}
    runner.logger.info(f"Test set {first['name']}")
    results[first['name']] = runner.test()
    for entry in sets[1:]:
        runner.logger.info(f"Test set {entry['name']}")
        runner._test_loop = TestLoop(runner, entry['dataloader'],
                                     entry['evaluator'])
        results[entry['name']] = runner._test_loop.run()
    runner.logger.info('\n' + format_summary(results))
    return results


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
    configured = hooks + list((cfg.get('default_hooks') or {}).values())
    if not any(h and h.get('type') == 'CheckpointCheckHook'
               for h in configured):
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
    if args.test_sets:
        run_test_sets(cfg, select_test_sets(cfg, args.test_sets))
    else:
        if 'runner_type' not in cfg:
            runner = DepthRunner.from_cfg(cfg)
        else:
            runner = RUNNERS.build(cfg)
        runner.test()
    if created_group:
        dist.destroy_process_group()


if __name__ == '__main__':
    with refuse_cleanly():
        main()
