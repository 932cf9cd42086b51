"""Config helpers shared by the tools and the APIs."""
import os.path as osp
from typing import List


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


def merge_common_args(cfg, args) -> None:
    """Apply ``--launcher``, ``--cfg-options`` and ``--work-dir`` in place.

    Work-dir priority: command line > config > ``work_dirs/<config stem>``.
    """
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
