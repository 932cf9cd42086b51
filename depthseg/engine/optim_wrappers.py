"""Optimizer wrappers: bfloat16 autocast on CPU (mmengine's
``AmpOptimWrapper`` asserts a GPU) and fused optimizers by default."""
import copy
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.utils import digit_version

from depthseg.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS

#: torch optimizers with a fused (one kernel for all parameters) step on
#: CPU and CUDA from torch 2.4
FUSED_OPTIMIZERS = ('Adam', 'AdamW', 'SGD')

#: /proc/cpuinfo flags of CPUs with fast bfloat16 (oneDNN's AMX / AVX-512)
BF16_CPU_FLAGS = ('amx_bf16', 'avx512_bf16')


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AMX or AVX-512 BF16);
    elsewhere bf16 autocast is emulated and slower than float32."""
    try:
        with open('/proc/cpuinfo') as f:
            flags = set(f.read().split())
    except OSError:  # not Linux
        return False
    return any(flag in flags for flag in BF16_CPU_FLAGS) and \
        torch.backends.mkldnn.is_available()


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose ``optim_context`` runs the forward pass under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    bfloat16 has float32's range, so no loss scaling is needed. On a CPU
    without native bf16 (:func:`cpu_supports_bf16`) it trains in float32
    and says so once. Which parts run in bf16: the networks only; the
    estimator runs the context (warping geometry) and every loss plugin in
    float32 (see ``SelfSupDepthEstimator.loss``).
    """

    def __init__(self, *args, dtype: str = 'bfloat16', **kwargs):
        super().__init__(*args, **kwargs)
        if dtype != 'bfloat16':
            raise ValueError(f'CPU autocast supports bfloat16 only, got '
                             f'{dtype!r}')
        self.enabled = cpu_supports_bf16()
        if not self.enabled:
            print_log('--amp: this CPU has no native bfloat16 (amx_bf16 / '
                      'avx512_bf16): training in float32', logger='current')

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16, enabled=self.enabled):
            yield


def enable_amp(cfg, dtype: str = 'bfloat16') -> None:
    """Switch ``cfg.optim_wrapper`` to mixed precision (``tools/train.py
    --amp``, or ``amp = True`` in a config).

    On a GPU mmengine's ``AmpOptimWrapper`` (bfloat16 by default; float16
    with dynamic loss scaling), on a CPU :class:`CPUAutocastOptimWrapper`
    (bfloat16 autocast where the CPU has native bf16, float32 with a notice
    elsewhere). The networks run in reduced precision except their output
    heads (``in_float32``); the geometry and the losses run in float32.

    Raises:
        ValueError: the config has another wrapper type, or float16 is
            asked for on a CPU.
    """
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        return  # the config already asks for it
    if wrapper_type != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type=OptimWrapper in '
                         f'the config, got {wrapper_type}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = dtype
        if dtype == 'float16':
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif dtype != 'bfloat16':
        raise ValueError('--amp-dtype float16 needs a GPU; on CPU --amp '
                         'uses bfloat16')
    else:
        cfg.optim_wrapper.type = 'CPUAutocastOptimWrapper'


def fused_optimizers_supported() -> bool:
    """Whether torch has fused Adam / AdamW / SGD for CPU and CUDA
    tensors (torch >= 2.4)."""
    return digit_version(torch.__version__) >= digit_version('2.4.0')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DepthOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with torch's fused step for Adam,
    AdamW and SGD unless the optimizer config sets ``fused`` or ``foreach``
    itself (``DepthRunner``'s default constructor).

    One fused Adam step over the 26.5 M parameters of Monodepth2 R18 (depth
    and pose nets) takes 19 ms on 2 CPU cores against 95 ms for torch's
    per-tensor default and 54 ms for ``foreach``; the update is the same
    up to float32 rounding.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        optim_wrapper_cfg = copy.deepcopy(optim_wrapper_cfg)
        optimizer = optim_wrapper_cfg.get('optimizer')
        if isinstance(optimizer, dict):
            name = optimizer.get('type')
            name = getattr(name, '__name__', name)
            if (name in FUSED_OPTIMIZERS and 'fused' not in optimizer
                    and 'foreach' not in optimizer
                    and fused_optimizers_supported()):
                optimizer['fused'] = True
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
