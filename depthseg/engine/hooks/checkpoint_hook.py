"""A CheckpointHook whose ``last_checkpoint`` pointer is written atomically."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from depthseg.registry import HOOKS
from depthseg.utils.fileio import atomic_write, remove_stale_temp_files


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with a crash-safe ``last_checkpoint``.

    With ``backend_args=dict(backend='atomic_local')`` mmengine writes the
    ``.pth`` files through :class:`depthseg.utils.AtomicLocalBackend`, but
    ``CheckpointHook`` writes ``work_dir/last_checkpoint`` (what
    ``--resume`` reads) with a plain ``open(..., 'w')``, ignoring the
    backend. This subclass repeats mmengine 0.10.7's
    ``_save_checkpoint_with_step`` and writes that file with
    :func:`depthseg.utils.atomic_write` instead; all arguments are the same.
    At the start of training it deletes (and logs) the temporary files of
    writes killed before their rename, in the work and checkpoint folders.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if not is_main_process():
            return
        for folder in sorted({runner.work_dir, self.out_dir}):
            removed = remove_stale_temp_files(folder)
            if removed:
                runner.logger.info(
                    'Removed the temporary files of checkpoint writes killed '
                    f'before completion: {", ".join(removed)}')

    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine 0.10.7's logic; only the last_checkpoint write differs
        if self.max_keep_ckpts > 0:
            # _save_checkpoint and _save_best_checkpoint may both call this
            if not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    old_step = self.keep_ckpt_ids.popleft()
                    if is_main_process():
                        self._remove(
                            self.file_backend.join_path(
                                self.out_dir,
                                self.filename_tmpl.format(old_step)))
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids',
                                               list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if is_main_process():
            atomic_write(self.last_ckpt.encode(),
                         osp.join(runner.work_dir, 'last_checkpoint'))

    def _remove(self, path):
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed checkpoints
            self.file_backend.rmtree(path)
