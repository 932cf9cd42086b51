"""depthseg's Runner: the plugins' hooks join the config's."""
import copy

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

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
    """

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
