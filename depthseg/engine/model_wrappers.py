"""Model wrappers that also work for CPU-only distributed training."""
from mmengine.model import MMDistributedDataParallel
from mmengine.model.wrappers.distributed import detect_anomalous_params

from depthseg.models.utils.nonfinite import (NonFiniteGuardMixin,
                                             guarded_train_step)
from depthseg.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUSafeDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that accepts modules on the CPU.

    ``Runner.wrap_model`` always injects ``device_ids=[LOCAL_RANK]``, which
    PyTorch's DDP rejects for CPU modules. This wrapper drops ``device_ids``
    and ``output_device`` when the module's parameters live on the CPU, so
    one config trains with gloo on CPUs and with nccl on GPUs.

    Its ``train_step`` is the module's non-finite-safe one
    (:func:`~depthseg.models.utils.nonfinite.guarded_train_step`) when the
    module has it; mmengine's wrapper calls ``update_params`` directly.
    """

    def __init__(self, module, detect_anomalous_params=False, **kwargs):
        param = next(module.parameters(), None)
        if param is None or param.device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(
            module=module,
            detect_anomalous_params=detect_anomalous_params,
            **kwargs)

    def train_step(self, data, optim_wrapper):
        if not isinstance(self.module, NonFiniteGuardMixin):
            return super().train_step(data, optim_wrapper)
        return guarded_ddp_train_step(self, data, optim_wrapper)


def guarded_ddp_train_step(wrapper: MMDistributedDataParallel, data,
                           optim_wrapper):
    """``MMDistributedDataParallel.train_step`` with the non-finite check
    of :func:`~depthseg.models.utils.nonfinite.guarded_train_step`."""
    log_vars = guarded_train_step(wrapper, data, optim_wrapper)
    if wrapper.detect_anomalous_params and 'loss' in log_vars:
        detect_anomalous_params(log_vars['loss'], model=wrapper)
    return log_vars
