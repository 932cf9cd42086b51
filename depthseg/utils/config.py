"""Config helpers shared by the tools and the APIs."""
import difflib
import inspect
import os.path as osp
from typing import List

from torch.utils.data import DataLoader

from .safe_load import TRUST_KEY, set_trust


def disable_pretrained(cfg, path: str = 'model') -> List[str]:
    """Set every string ``pretrained`` entry, every ``Pretrained``
    ``init_cfg`` and every string ``checkpoint`` of a sub-module (e.g. the
    autoencoder of ``FeatureMetricLoss``) below ``cfg`` to None, in place.

    Used when the weights come from a checkpoint anyway (resume, test,
    inference), so nothing is downloaded or read. Returns the changed key
    paths.
    """
    changed = []
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if (key in ('pretrained', 'checkpoint')
                    and isinstance(value, str)) or (
                    key == 'init_cfg' and isinstance(value, dict)
                    and value.get('type') == 'Pretrained'):
                cfg[key] = None
                changed.append(f'{path}.{key}')
            else:
                changed += disable_pretrained(value, f'{path}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            changed += disable_pretrained(value, f'{path}.{i}')
    return changed


#: ``--cfg-options`` help of the tools (the rule of merge_cfg_options).
CFG_OPTIONS_HELP = (
    'override settings in the config, key=value pairs such as '
    '"train_cfg.max_epochs=2", list items by index as in '
    '"test_dataloader.dataset.pipeline.1.height=96"; lists as key="[a,b]" '
    'or key=a,b, nested lists/tuples as key="[(a,b),(c,d)]" (quotes needed, '
    'no spaces). Keys must exist in the config, except a new last part '
    'directly below the config root, in a dict with a type (an argument the '
    'config does not write) or, in a dataloader, an argument of torch\'s '
    'DataLoader; +key=value adds any other new key')

#: Arguments of torch's DataLoader (new keys accepted in a dataloader dict).
DATALOADER_ARGS = frozenset(inspect.signature(DataLoader).parameters)


def merge_cfg_options(cfg, options: dict) -> None:
    """Merge ``--cfg-options`` into ``cfg`` after checking every key.

    A key is refused (ValueError listing the closest existing keys) unless
    it exists, or only its last part is new and its parent is the config
    root, a dict with a ``type`` (a component's argument not written in
    the config) or a dataloader dict (one with a ``dataset``) and the part
    an argument of torch's ``DataLoader``. A leading ``+`` skips the check
    (adds any new key). Then every dict with ``num_workers=0`` gets
    ``persistent_workers=False`` (which PyTorch requires).
    """
    plain = cfg.to_dict()
    merged = {}
    for key, value in options.items():
        if key.startswith('+'):
            key = key[1:]
        else:
            _check_option_key(plain, key)
        merged[key] = value
    cfg.merge_from_dict(merged)
    _no_persistent_workers_without_workers(cfg.values())


_MISSING = object()


def _child(node, part: str):
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, (list, tuple)) and part.isdigit() and \
            int(part) < len(node):
        return node[int(part)]
    return _MISSING


def _key_paths(node, prefix: str = ''):
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, (list, tuple)) else ()
    for key, value in items:
        path = f'{prefix}{key}'
        yield path
        yield from _key_paths(value, path + '.')


def _check_option_key(plain: dict, key: str) -> None:
    """Raise ValueError if ``key`` breaks the rule of
    :func:`merge_cfg_options`."""
    parts = key.split('.')
    node, depth = plain, 0
    for part in parts[:-1]:
        child = _child(node, part)
        if child is _MISSING:
            break
        node, depth = child, depth + 1
    parent = '.'.join(parts[:depth]) or 'the config'
    if depth == len(parts) - 1:
        if _child(node, parts[-1]) is not _MISSING or node is plain or (
                isinstance(node, dict) and ('type' in node or (
                    'dataset' in node and parts[-1] in DATALOADER_ARGS))):
            return
        problem = f'{parent} has no key {parts[-1]!r}'
        if not isinstance(node, dict):
            problem = (f'{parent} is a {type(node).__name__}, not a dict, '
                       f'so it has no key {parts[-1]!r}')
    else:
        problem = f'{parent} has no key {parts[depth]!r}'
    same_depth = [p for p in _key_paths(plain)
                  if p.count('.') == len(parts) - 1]
    close = difflib.get_close_matches(key, same_depth, n=5, cutoff=0.6)
    if not close and isinstance(node, (dict, list, tuple)):
        prefix = f'{parent}.' if depth else ''
        close = [f'{prefix}{k}' for k in (
            node if isinstance(node, dict) else range(len(node)))]
    fix = 'correct the key'
    if isinstance(node, dict):
        fix += (f', or write +{key}=... to add it (without +, new keys are '
                'accepted only directly below the config root, in a dict '
                'with a type (arguments of a built component) and, in a '
                "dataloader, as arguments of torch's DataLoader)")
    raise ValueError(
        f'--cfg-options {key}: {problem}. Closest existing keys: '
        f'{", ".join(close) or "none"}. Fix: {fix}.')


def _no_persistent_workers_without_workers(node) -> None:
    """``persistent_workers=False`` in every dict with ``num_workers=0``."""
    if isinstance(node, dict):
        if node.get('num_workers', None) == 0 and node.get(
                'persistent_workers'):
            node['persistent_workers'] = False
        node = node.values()
    elif not isinstance(node, (list, tuple)):
        return
    for child in node:
        _no_persistent_workers_without_workers(child)


def merge_common_args(cfg, args) -> None:
    """Apply ``--launcher``, ``--cfg-options`` (:func:`merge_cfg_options`),
    ``--work-dir`` and ``--trust-checkpoint`` (or the config's
    ``trust_checkpoint``) in place.

    Work-dir priority: command line > config > ``work_dirs/<config stem>``.
    """
    cfg.launcher = args.launcher
    merge_cfg_options(cfg, args.cfg_options or {})
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if getattr(args, 'trust_checkpoint', False):
        cfg[TRUST_KEY] = True
    set_trust(cfg.get(TRUST_KEY, False))
