"""Distributed helpers for machines without CUDA."""
import os

import torch
import torch.distributed as dist

TORCHRUN_ENV = ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT',
                'LOCAL_RANK')


def init_cpu_dist_if_needed(launcher: str, backend: str = 'gloo') -> bool:
    """Initialise the process group for a CPU-only ``torchrun`` launch.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls
    ``torch.cuda.set_device`` and so fails without CUDA. ``Runner.setup_env``
    only calls it when no process group exists yet, so creating the group
    here (from the variables torchrun exports) makes the Runner skip it.

    Args:
        launcher: the ``--launcher`` value; only ``'pytorch'`` is handled.
        backend: the torch.distributed backend for CPU tensors.

    Returns:
        True if this call initialised the process group.
    """
    if (launcher != 'pytorch' or torch.cuda.is_available()
            or dist.is_initialized()):
        return False
    missing = [key for key in TORCHRUN_ENV if key not in os.environ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs the torchrun environment variables '
            f'{missing}. Fix: start with tools/dist_train.sh or torchrun.')
    dist.init_process_group(
        backend=backend,
        init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']))
    return True


def setup_cpu_distributed(cfg, launch_script: str) -> bool:
    """Prepare a ``--launcher pytorch`` run on a machine without CUDA.

    Creates the gloo process group (so mmengine skips its CUDA-only
    ``init_dist``), sets ``env_cfg.dist_cfg.backend='gloo'`` and selects
    ``CPUSafeDistributedDataParallel`` (mmengine passes ``device_ids``, which
    DDP rejects for CPU modules).

    Args:
        cfg: the run's config, with ``launcher`` set; changed in place.
        launch_script: the script to name in the error for other launchers,
            e.g. ``'tools/dist_train.sh'``.

    Returns:
        True if the process group was created here.
    """
    from mmengine.config import ConfigDict
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return False
    if cfg.launcher != 'pytorch':
        raise SystemExit(
            f'--launcher {cfg.launcher} needs CUDA (mmengine calls '
            f'torch.cuda.set_device). On CPU-only machines use '
            f'{launch_script}, i.e. --launcher pytorch.')
    created = init_cpu_dist_if_needed(cfg.launcher, backend='gloo')
    cfg.setdefault('env_cfg', ConfigDict())
    cfg.env_cfg.setdefault('dist_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    wrapper_cfg = ConfigDict(cfg.get('model_wrapper_cfg') or {})
    wrapper_type = wrapper_cfg.get('type', 'MMDistributedDataParallel')
    if wrapper_type == 'MMDistributedDataParallel':
        # scoped name: Runner.wrap_model looks the type up with
        # mmengine's root MODEL_WRAPPERS.get, which ignores default_scope
        wrapper_cfg.type = 'depthseg.CPUSafeDistributedDataParallel'
    # mmengine reads these only when model_wrapper_cfg is unset; keep them
    wrapper_cfg.setdefault('find_unused_parameters',
                           cfg.get('find_unused_parameters', False))
    wrapper_cfg.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper_cfg
    return created
