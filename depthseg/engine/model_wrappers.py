"""Model wrappers that also work for CPU-only distributed training."""
from mmengine.model import MMDistributedDataParallel

from depthseg.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUSafeDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that accepts modules on the CPU.

    ``Runner.wrap_model`` always injects ``device_ids=[LOCAL_RANK]``, which
    PyTorch's DDP rejects for CPU modules. This wrapper drops ``device_ids``
    and ``output_device`` when the module's parameters live on the CPU, so
    one config trains with gloo on CPUs and with nccl on GPUs.
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
