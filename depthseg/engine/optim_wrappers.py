"""Mixed precision on CPU: bfloat16 autocast (mmengine's ``AmpOptimWrapper``
asserts a GPU)."""
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from depthseg.registry import OPTIM_WRAPPERS

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
