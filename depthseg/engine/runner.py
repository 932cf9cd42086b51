"""depthseg's Runner: the plugins' hooks join the config's; a fast start."""
import copy
from collections import OrderedDict

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from depthseg.models.utils.layers import to_channels_last
from depthseg.registry import RUNNERS

#: mmengine's own default hooks (a config may set them to None)
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


@RUNNERS.register_module()
class DepthRunner(Runner):
    """mmengine's ``Runner`` plus the hooks the model's plugins declare.

    After the config's hooks are registered, every hook config of
    ``model.plugin_hooks()`` (e.g. FUMET's camera-height update, the
    loss-weight schedule, the training pictures) is registered unless a hook
    of that type is already there: adding a plugin to a config adds its
    hooks once, and a config that configures such a hook itself keeps its
    own. A ``default_hooks`` entry set to None removes that hook, also for
    depthseg's additions (mmengine accepts None only for its own).

    Start-up: the config is written, logged and stored in checkpoints as
    plain Python (no yapf pass, which takes seconds per call) and the
    system environment (compilers, CUDA, ...) is collected only with
    ``env_cfg.log_env=True``; the runtime settings are always logged.

    Memory format: ``channels_last = True`` in the config (the default
    runtime's setting) stores the model's 4-D weights NHWC
    (:func:`~depthseg.models.utils.layers.to_channels_last`) before it is
    wrapped, loaded or trained: faster convolutions on CPU (oneDNN) and
    GPU, the same outputs up to float32 rounding.

    Optimizers: a single optimizer config without a ``constructor`` is
    built by :class:`DepthOptimWrapperConstructor` (torch's fused Adam,
    AdamW and SGD step).
    """

    def __init__(self, *args, cfg=None, **kwargs):
        if cfg is not None and hasattr(cfg, '_format_python_code'):
            # Config.pretty_text without yapf (the Runner calls it on every
            # checkpoint save and visualizer config dump)
            object.__setattr__(cfg, '_format_python_code', False)
        super().__init__(*args, cfg=cfg, **kwargs)

    def build_model(self, model):
        model = super().build_model(model)
        if self.cfg.get('channels_last', False):
            to_channels_last(model)
        return model

    def build_optim_wrapper(self, optim_wrapper):
        if (isinstance(optim_wrapper, dict)
                and isinstance(optim_wrapper.get('optimizer'), dict)
                and 'constructor' not in optim_wrapper):
            optim_wrapper = copy.copy(optim_wrapper)
            optim_wrapper['constructor'] = 'DepthOptimWrapperConstructor'
        return super().build_optim_wrapper(optim_wrapper)

    def _log_env(self, env_cfg: dict) -> None:
        if env_cfg.get('log_env', False):
            super()._log_env(env_cfg)
            return
        runtime = OrderedDict(env_cfg)
        runtime.update(self._randomness_cfg)
        runtime['seed'] = self._seed
        runtime['Distributed launcher'] = self._launcher
        runtime['Distributed training'] = self._distributed
        runtime['GPU number'] = self._world_size
        self.logger.info('Runtime environment (env_cfg.log_env=True also '
                         'logs the system environment):\n    ' +
                         '\n    '.join(f'{k}: {v}'
                                       for k, v in runtime.items()))
        if self.cfg._cfg_dict:
            self.logger.info(f'Config:\n{self.cfg.pretty_text}')

    def register_default_hooks(self, hooks=None) -> None:
        if hooks is not None:
            hooks = {name: hook for name, hook in hooks.items()
                     if hook is not None or name in MMENGINE_DEFAULT_HOOKS}
        super().register_default_hooks(hooks)

    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        declared = getattr(model, 'plugin_hooks', None)
        if not callable(declared):
            return
        present = {type(hook).__name__ for hook in self._hooks}
        for cfg in declared():
            if cfg['type'] not in present:
                self.register_hook(copy.deepcopy(cfg))
                present.add(cfg['type'])
