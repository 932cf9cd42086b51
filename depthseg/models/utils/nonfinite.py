"""A training step that never applies a non-finite optimizer step.

mmengine's ``BaseModel.train_step`` and ``OptimWrapper.update_params`` step
whatever the loss and the gradients hold: one NaN step makes every weight
NaN, later checkpoints keep it, and before this check the NaN reached
``grid_sample`` and killed the run with a segfault. ``guarded_train_step``
is ``update_params`` with two checks:

1. every logged loss term (the ``loss*`` keys mmengine sums) is finite;
2. on the iterations that step (``optim_wrapper.should_update()``, i.e.
   with gradient accumulation the last of the accumulated ones), the total
   gradient norm (one fused norm over all gradients) is finite. With
   ``AmpOptimWrapper`` this check is left to its ``GradScaler``, which
   skips such steps itself and lowers the loss scale.

On failure the gradients are zeroed (with accumulation: the whole
accumulated window is dropped), the step is not taken, the model's buffers
(BatchNorm statistics) are restored to their state before the forward pass,
and ``MessageHub`` gets the info ``NONFINITE_INFO`` for
:class:`~depthseg.engine.hooks.NonFiniteCheckHook`, which stops the run
with a clear error or counts the skipped step. Without that hook
(``default_hooks.nonfinite=None``) the step raises
:class:`NonFiniteStepError` itself. In distributed training the decision is
all-reduced, so every process skips (or stops at) the same step.
"""
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import Tensor

#: MessageHub info key: what was not finite at the current iteration
NONFINITE_INFO = 'nonfinite_step'
#: MessageHub info key set by NonFiniteCheckHook: a hook handles the info
NONFINITE_HANDLED = 'nonfinite_check_mode'


class NonFiniteStepError(FloatingPointError):
    """A training step produced a non-finite loss or gradient norm."""


def describe(info: dict) -> str:
    """``info`` of a skipped step -> what was not finite, in words."""
    if info.get('terms'):
        terms = ', '.join(f'{name} = {value}'
                          for name, value in info['terms'].items())
        return f'non-finite loss terms: {terms}'
    if info.get('grad_norm') is not None:
        return f"non-finite gradient norm ({info['grad_norm']})"
    return 'a non-finite loss or gradient norm on another process'


def _grad_norm(optim_wrapper: OptimWrapper) -> Optional[Tensor]:
    """Total 2-norm of the optimizer's gradients (None: no gradients)."""
    grads = [
        param.grad for group in optim_wrapper.optimizer.param_groups
        for param in group['params'] if param.grad is not None
    ]
    if not grads:
        return None
    return torch.nn.utils.get_total_norm(grads, 2.0)


def guarded_train_step(model, data, optim_wrapper: OptimWrapper
                       ) -> Dict[str, Tensor]:
    """``BaseModel.train_step`` that skips non-finite optimizer steps.

    Args:
        model: the model, or a model wrapper (``MMDistributedDataParallel``)
            around it; the forward pass runs through it (gradient
            synchronisation), preprocessing and loss parsing through the
            wrapped module.
        data: the batch from the dataloader.
        optim_wrapper: an ``OptimWrapper``; its ``backward``,
            ``should_update``, ``step`` and ``zero_grad`` are used as in
            ``update_params`` (gradient accumulation is respected).

    Returns:
        ``log_vars``; after a skipped step without the non-finite values.
    """
    module = model.module if is_model_wrapper(model) else model
    buffers = [buf.detach().clone() for buf in module.buffers()]
    with optim_wrapper.optim_context(model):
        data = module.data_preprocessor(data, True)
        losses = model._run_forward(data, mode='loss')
    parsed_loss, log_vars = module.parse_losses(losses)
    device = parsed_loss.device  # a plugin may log a CPU scalar on GPU
    values = torch.stack([
        value.detach().to(device, torch.float32).reshape(())
        for value in log_vars.values()
    ])
    finite = torch.isfinite(values)
    loss_bad = ~finite[[i for i, key in enumerate(log_vars)
                        if 'loss' in key]].all()
    # backward also when the loss is bad: in distributed training every
    # process must join the gradient all-reduce of this step
    optim_wrapper.backward(optim_wrapper.scale_loss(parsed_loss))
    update = optim_wrapper.should_update()
    norm = None
    if update and not hasattr(optim_wrapper, 'loss_scaler'):  # not AMP
        norm = _grad_norm(optim_wrapper)
    grad_bad = (~torch.isfinite(norm) if norm is not None else
                torch.zeros((), dtype=torch.bool, device=values.device))
    flags = torch.stack([loss_bad, grad_bad.to(values.device)]).float()
    if get_world_size() > 1:
        all_reduce(flags, op='max')
    bad_loss, bad_grad = (bool(flag) for flag in flags.tolist())
    if not (bad_loss or bad_grad):
        if update:
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        return log_vars

    optim_wrapper.zero_grad()
    with torch.no_grad():
        for buf, saved in zip(module.buffers(), buffers):
            buf.copy_(saved)
    keys = list(log_vars)
    ok = finite.tolist()
    terms = {key: f'{log_vars[key].item()}'
             for key, good in zip(keys, ok) if not good and 'loss' in key}
    if len(terms) > 1:
        terms.pop('loss', None)  # the sum of the bad terms
    # the gradient norm only matters when every loss term is finite
    grad_norm = None
    if bad_grad and not bad_loss and norm is not None:
        grad_norm = f'{norm.item()}'
    info = dict(terms=terms, grad_norm=grad_norm)
    message_hub = MessageHub.get_current_instance()
    if message_hub.get_info(NONFINITE_HANDLED) is None:
        it = message_hub.get_info('iter')
        where = '' if it is None else f' at iteration {it + 1}'
        raise NonFiniteStepError(
            f'training step{where}: {describe(info)}; the optimizer step was '
            'not applied')
    message_hub.update_info(NONFINITE_INFO, info, resumed=False)
    return {key: log_vars[key] for key, good in zip(keys, ok) if good}


class NonFiniteGuardMixin:
    """``train_step`` = :func:`guarded_train_step` (put it before
    ``BaseModel`` in the bases)."""

    def train_step(self, data, optim_wrapper: OptimWrapper
                   ) -> Dict[str, Tensor]:
        return guarded_train_step(self, data, optim_wrapper)


__all__ = [
    'NONFINITE_HANDLED', 'NONFINITE_INFO', 'NonFiniteGuardMixin',
    'NonFiniteStepError', 'describe', 'guarded_train_step'
]
