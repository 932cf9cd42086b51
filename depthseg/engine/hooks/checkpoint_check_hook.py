"""Refuse to load a checkpoint of another architecture."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from depthseg.registry import HOOKS
from depthseg.utils.checkpoint import check_state_dict


@HOOKS.register_module()
class CheckpointCheckHook(Hook):
    """Checks ``load_from`` / ``--resume`` checkpoints against the model.

    mmengine loads non-strictly and only warns, so a checkpoint of another
    architecture would be loaded partially. This hook raises a
    :class:`~depthseg.utils.checkpoint.CheckpointMismatchError` listing the
    differences instead.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        source = runner.cfg.get('load_from') or 'the checkpoint'
        check_state_dict(model, checkpoint.get('state_dict', checkpoint),
                         f'checkpoint {source}')
