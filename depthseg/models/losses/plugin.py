"""The loss-plugin contract of :class:`SelfSupDepthEstimator`.

A loss plugin is an ``nn.Module`` in ``MODELS`` with ``forward(ctx) ->
{term: value}``. Optional parts the estimator and the generic hooks look
for (by these names, never by class):

* ``prepare(ctx)``: runs before every plugin's forward (selections other
  plugins read, extension points such as ``ctx.photometric_overrides``);
* ``plugin_hooks()``: hook configs the plugin needs; the
  :class:`~depthseg.engine.DepthRunner` adds each once, unless the config
  configures a hook of that type itself;
* ``visuals(ctx)``: ``{name: (B×H×W tensor, 'mask' | 'map')}`` pictures for
  ``DepthVisualizationHook``;
* ``loss_weight`` with ``weight_schedule`` and ``base_loss_weight``: set per
  epoch by ``LossWeightScheduleHook``;
* ``default_views`` / ``view_reduction``: which views it applies to and
  how their terms are combined (see the estimator).

:class:`LossPlugin` implements the weight schedule and the hook list for
plugins that want them.
"""
from typing import List, Optional, Tuple

from mmengine.model import BaseModule

#: keys of ``weight_schedule`` (``LossWeightScheduleHook``'s ramps)
SCHEDULE_KEYS = ('ramp', 'keep_epochs', 'limit_epoch', 'min_rate')


class LossPlugin(BaseModule):
    """Base of loss plugins with a schedulable ``loss_weight``.

    Args:
        loss_weight: the weight (the schedule's rate-1 value).
        weight_schedule: None (constant) or a per-epoch ramp for
            ``LossWeightScheduleHook`` with ``ramp`` (``'log_up'``,
            ``'log_down'`` or ``'constant'``) and optionally
            ``keep_epochs``, ``limit_epoch``, ``min_rate``; the hook is then
            added to the run by the plugin itself.
    """

    #: hook configs every instance needs (``plugin_hooks``)
    required_hooks: Tuple[dict, ...] = ()

    def __init__(self, loss_weight: float = 1.0,
                 weight_schedule: Optional[dict] = None, init_cfg=None):
        super().__init__(init_cfg)
        if weight_schedule is not None:
            unknown = set(weight_schedule) - set(SCHEDULE_KEYS)
            if unknown or 'ramp' not in weight_schedule:
                raise ValueError(
                    f'{type(self).__name__}: weight_schedule needs ramp and '
                    f'takes only {SCHEDULE_KEYS}, got {dict(weight_schedule)}')
        self.loss_weight = self.base_loss_weight = loss_weight
        self.weight_schedule = dict(weight_schedule) if weight_schedule \
            else None

    def plugin_hooks(self) -> List[dict]:
        hooks = [dict(cfg) for cfg in self.required_hooks]
        if self.weight_schedule:
            hooks.append(dict(type='LossWeightScheduleHook'))
        return hooks
