"""Per-epoch loss-weight schedules for any loss plugin."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from depthseg.models.utils.road_geometry import log_ramp_rates
from depthseg.registry import HOOKS

RAMPS = ('log_up', 'log_down', 'constant')


def schedule_rate(epoch: int, ramp: str, keep_epochs: int = 1,
                  limit_epoch: int = 20, min_rate: float = 0.005) -> float:
    """Weight multiplier at ``epoch`` (0-based).

    ``log_up``: ln(q+1)/ln(Q+1) with q = epoch // keep_epochs and
    Q = limit_epoch // keep_epochs, then 1; ``log_down``: 1 minus that,
    then ``min_rate`` (FUMET's fine/rough ramps); ``constant``: 1.
    """
    if ramp == 'constant':
        return 1.0
    up, down = log_ramp_rates(epoch, keep_epochs, limit_epoch, min_rate)
    return up if ramp == 'log_up' else down


@HOOKS.register_module()
class LossWeightScheduleHook(Hook):
    """Sets ``loss_weight`` of loss plugins before every training epoch.

    Args:
        schedules: dicts with ``loss`` (the plugin's class name, e.g.
            ``'CameraHeightLoss'``), ``base`` (weight at rate 1), ``ramp``
            (``'log_up'``, ``'log_down'`` or ``'constant'``) and optionally
            ``keep_epochs`` (1), ``limit_epoch`` (20), ``min_rate`` (0.005).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, schedules: Sequence[dict]):
        self.schedules = []
        for cfg in schedules:
            cfg = dict(cfg)
            unknown = set(cfg) - {'loss', 'base', 'ramp', 'keep_epochs',
                                  'limit_epoch', 'min_rate'}
            if 'loss' not in cfg or 'base' not in cfg or unknown:
                raise ValueError(
                    f'bad loss-weight schedule {cfg}: needs loss and base, '
                    'optional ramp, keep_epochs, limit_epoch, min_rate')
            if cfg.setdefault('ramp', 'constant') not in RAMPS:
                raise ValueError(f'ramp {cfg["ramp"]!r} is not one of '
                                 f'{RAMPS}')
            self.schedules.append(cfg)

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for cfg in self.schedules:
            cfg = dict(cfg)
            name, base = cfg.pop('loss'), cfg.pop('base')
            targets = [m for m in model.modules()
                       if type(m).__name__ == name]
            if not targets:
                raise ValueError(
                    f'LossWeightScheduleHook: the model has no {name} '
                    'loss plugin')
            weight = base * schedule_rate(runner.epoch, **cfg)
            for module in targets:
                module.loss_weight = weight
            runner.message_hub.update_scalar(f'train/weight_{name}', weight)
