"""Per-epoch loss-weight schedules of loss plugins."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from depthseg.models.utils.schedules import log_ramp_rates
from depthseg.registry import HOOKS

RAMPS = ('log_up', 'log_down', 'constant')


def schedule_rate(epoch: int, ramp: str, keep_epochs: int = 1,
                  limit_epoch: int = 20, min_rate: float = 0.005) -> float:
    """Weight multiplier at ``epoch`` (0-based).

    ``log_up``: ln(q+1)/ln(Q+1) with q = epoch // keep_epochs and
    Q = limit_epoch // keep_epochs, then 1; ``log_down``: 1 minus that,
    then ``min_rate`` (FUMET's fine/rough ramps); ``constant``: 1.
    """
    if ramp not in RAMPS:
        raise ValueError(f'weight_schedule ramp {ramp!r} is not one of '
                         f'{RAMPS}')
    if ramp == 'constant':
        return 1.0
    up, down = log_ramp_rates(epoch, keep_epochs, limit_epoch, min_rate)
    return up if ramp == 'log_up' else down


@HOOKS.register_module()
class LossWeightScheduleHook(Hook):
    """Before every training epoch, sets ``loss_weight`` of every module
    with a ``weight_schedule`` to ``base_loss_weight × schedule_rate(epoch,
    **weight_schedule)`` (the plugin interface of
    :class:`~depthseg.models.losses.plugin.LossPlugin`, whose instances add
    this hook to the run). Logs ``weight_<plugin class>``.
    """

    priority = 'ABOVE_NORMAL'

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for module in model.modules():
            schedule = getattr(module, 'weight_schedule', None)
            if not schedule:
                continue
            weight = module.base_loss_weight * schedule_rate(
                runner.epoch, **schedule)
            module.loss_weight = weight
            runner.message_hub.update_scalar(
                f'train/weight_{type(module).__name__}', weight)
