"""mmengine's ``LoggerHook`` that also logs the first iteration of a run."""
from typing import Optional

from mmengine.hooks import LoggerHook

from depthseg.registry import HOOKS


@HOOKS.register_module()
class DepthLoggerHook(LoggerHook):
    """``LoggerHook`` plus one log line after the first training iteration
    of a run (and of a resumed run), so that a slow or broken start shows
    within seconds instead of after ``interval`` iterations.

    Args:
        log_first_iter: log the first iteration; the other arguments are
            ``LoggerHook``'s.
    """

    def __init__(self, *args, log_first_iter: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.log_first_iter = log_first_iter
        self._first = False

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self._first = self.log_first_iter

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch=None, outputs: Optional[dict] = None
                         ) -> None:
        first, self._first = self._first, False
        if first and not (self.every_n_inner_iters(batch_idx, self.interval)
                          or self.end_of_epoch(runner.train_dataloader,
                                               batch_idx)):
            tag, log_str = runner.log_processor.get_log_after_iter(
                runner, batch_idx, 'train')
            runner.logger.info(log_str)
            runner.visualizer.add_scalars(
                tag, step=runner.iter + 1, file_path=self.json_log_path)
            return
        super().after_train_iter(runner, batch_idx, data_batch, outputs)
