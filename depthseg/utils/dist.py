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
