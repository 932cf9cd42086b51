from .config import disable_pretrained, merge_cfg_options, merge_common_args
from .dist import init_cpu_dist_if_needed, setup_cpu_distributed
# importing fileio registers the 'atomic_local' mmengine file backend
from .fileio import AtomicLocalBackend, atomic_write, save_converted_checkpoint
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'disable_pretrained', 'merge_cfg_options',
    'merge_common_args',
    'init_cpu_dist_if_needed', 'setup_cpu_distributed', 'AtomicLocalBackend',
    'atomic_write', 'save_converted_checkpoint'
]
