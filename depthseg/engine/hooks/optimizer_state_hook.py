"""Continue a finished run's optimiser under a new schedule."""
from mmengine.hooks import Hook

from depthseg.registry import HOOKS
from depthseg.utils.safe_load import load_checkpoint

#: param-group entries owned by this run's schedule, never taken from the
#: checkpoint
SCHEDULED_KEYS = ('lr', 'initial_lr')


@HOOKS.register_module()
class LoadOptimizerStateHook(Hook):
    """Load the optimiser state (e.g. Adam's moments and step counts) of a
    checkpoint before training, keeping this run's learning-rate schedule.

    With ``load_from`` (the weights) this continues a trained model the way
    FeatDepth's online refinement resumes its 40-epoch model, while the
    epochs, milestones and learning rates are those of the new config
    (mmengine's ``resume`` would also restore the old schedule).

    Args:
        checkpoint: the checkpoint file with an ``optimizer`` entry.
    """

    priority = 'LOW'

    def __init__(self, checkpoint: str):
        self.checkpoint = checkpoint

    def before_train(self, runner) -> None:
        ckpt = load_checkpoint(self.checkpoint)
        if 'optimizer' not in ckpt:
            raise KeyError(
                f'{self.checkpoint} has no optimizer state (keys: '
                f'{sorted(ckpt)}): LoadOptimizerStateHook needs a training '
                'checkpoint, not converted weights')
        optimizer = runner.optim_wrapper.optimizer
        scheduled = [{k: g[k] for k in SCHEDULED_KEYS if k in g}
                     for g in optimizer.param_groups]
        try:
            runner.optim_wrapper.load_state_dict(ckpt['optimizer'])
        except (ValueError, KeyError) as e:
            raise ValueError(
                f'the optimizer state of {self.checkpoint} does not fit '
                f'this model/optimizer: {e}') from None
        for group, values in zip(optimizer.param_groups, scheduled):
            group.update(values)
        runner.logger.info(f'Loaded the optimizer state of {self.checkpoint}'
                           ' (learning rates from this config)')
