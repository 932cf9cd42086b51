"""Train a depthseg model.

Single process: ``python tools/train.py CONFIG [options]``; several
processes or machines: ``tools/dist_train.sh CONFIG N [options]`` (torchrun,
nccl on GPUs, gloo on CPU-only machines); SLURM: ``tools/slurm_train.sh``.
"""
import argparse
import difflib
import os
import os.path as osp
import re
import sys

# make `import depthseg` work from any directory without `pip install`
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import mmengine.registry  # noqa: E402
import torch.distributed as dist  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import Registry  # noqa: E402

import depthseg.registry  # noqa: E402
from depthseg.engine import DepthRunner, enable_amp  # noqa: E402
from depthseg.registry import RUNNERS  # noqa: E402
from depthseg.models.utils.nonfinite import NonFiniteStepError  # noqa: E402
from depthseg.utils import (disable_pretrained,  # noqa: E402
                            merge_common_args,
                            setup_cpu_distributed)
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      refuse_cleanly)

_UNKNOWN_TYPE = re.compile(r"'?(?P<type>[^\s']+) is not in the "
                           r'(?P<scope>[\w.]+)::(?P<registry>[\w ]+) registry')


class UnknownTypeError(KeyError):
    """A config names a ``type`` that no registry knows."""

    def __str__(self):
        return self.args[0]


def parse_args():
    parser = argparse.ArgumentParser(description='Train a depthseg model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a path, resume from '
        'the latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: bfloat16 autocast of the networks on CPU '
        '(AMX / AVX-512 BF16; float32 with a notice elsewhere) and GPU; the '
        'geometry and losses stay float32 (a config turns it on with '
        '`amp = True`)')
    parser.add_argument(
        '--amp-dtype', choices=['bfloat16', 'float16'], default='bfloat16',
        help="with --amp: 'float16' (GPU only) adds dynamic loss scaling")
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
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
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge the command line arguments into the config."""
    merge_common_args(cfg, args)

    if args.amp or cfg.get('amp', False):
        try:
            enable_amp(cfg, args.amp_dtype)
        except ValueError as err:
            raise SystemExit(f'tools/train.py: {err}') from None

    # `--resume` alone: work_dir/last_checkpoint; `--resume PATH`: PATH
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if cfg.get('resume') or cfg.get('load_from'):
        # the weights come from the checkpoint: do not download ImageNet ones
        changed = disable_pretrained(cfg.get('model', {}))
        if changed:
            print_log('weights come from the checkpoint; not loading '
                      'pretrained weights for ' + ', '.join(changed),
                      logger='current')

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    return cfg


def explain_build_error(err: Exception, cfg, config_path: str):
    """A clear message if ``err`` comes from an unknown ``type`` in the config.

    mmengine reports unknown types as a long KeyError ("X is not in the
    scope::name registry ...") or, where it looks types up with
    ``Registry.get`` (optimizers, model wrappers), as an unrelated TypeError.
    Returns None if no unknown type explains ``err``.
    """
    match = isinstance(err, KeyError) and _UNKNOWN_TYPE.search(str(err))
    if match:
        name, scope, registry = match.group('type', 'scope', 'registry')
        where = f"{scope} (registry '{registry}')"
        candidates = _registered_names(
            r for r in _registries() if r.name == registry)
    else:
        unknown = find_unknown_types(cfg)
        if not unknown:
            return None
        name, where = unknown[0], 'depthseg or mmengine'
        candidates = _registered_names(_registries())
    msg = f"{config_path}: '{name}' is not registered in {where}."
    close = difflib.get_close_matches(name, candidates)
    if close:
        msg += ' Did you mean ' + ' or '.join(f"'{c}'" for c in close) + '?'
    return msg + (' Check the spelling or register the module (in a '
                  "package listed in the registry's locations, or via "
                  'custom_imports).')


def find_unknown_types(cfg) -> list:
    """``type`` names in ``cfg`` that no depthseg or mmengine registry has."""
    registries = list(_registries())
    unknown = []

    def visit(node):
        if isinstance(node, dict):
            name = node.get('type')
            if isinstance(name, str) and not any(
                    reg.get(name) for reg in registries):
                unknown.append(name)
            nodes = node.values()
        elif isinstance(node, (list, tuple)):
            nodes = node
        else:
            return
        for child in nodes:
            visit(child)

    visit(cfg.to_dict())
    return unknown


def _registries():
    """depthseg's registries, then mmengine's root registries."""
    for module in (depthseg.registry, mmengine.registry):
        for obj in vars(module).values():
            if isinstance(obj, Registry):
                yield obj


def _registered_names(registries) -> list:
    """Every name visible from ``registries`` (including their parents)."""
    names = set()
    for registry in registries:
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
    return sorted(names)


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    created_group = setup_cpu_distributed(cfg, 'tools/dist_train.sh')
    try:
        if 'runner_type' not in cfg:
            runner = DepthRunner.from_cfg(cfg)
        else:
            runner = RUNNERS.build(cfg)
        runner.train()
    except NonFiniteStepError as err:
        # a clear message, no traceback; the weights are still finite
        raise SystemExit(f'tools/train.py: {err}') from err
    except Exception as err:
        msg = explain_build_error(err, cfg, args.config)
        if msg is None:
            raise
        raise UnknownTypeError(msg) from err
    if created_group:
        dist.destroy_process_group()


if __name__ == '__main__':
    with refuse_cleanly():
        main()
