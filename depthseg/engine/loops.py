"""Epoch-based training loop that resumes in the middle of an epoch."""
import torch
from mmengine.runner import EpochBasedTrainLoop

from depthseg.registry import LOOPS


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that continues a resumed epoch where the
    checkpoint left it (BDEdepth spec §8: ``start_iter`` of its sampler).

    mmengine 0.10.7's epoch loop restarts a resumed epoch from its first
    batch, even when the checkpoint was written mid-epoch
    (``CheckpointHook(by_epoch=False)``), so the resumed run repeats batches
    and runs more iterations than an uninterrupted one. Here:

    * the batches of the epoch already consumed, ``iter − epoch · len``, are
      skipped by the sampler (``train_dataloader.sampler`` must be a
      :class:`~depthseg.datasets.samplers.ResumableSampler`), without
      loading them;
    * the ``batch_idx`` passed to hooks continues from there;
    * the DataLoader's base seed is drawn from a generator seeded with
      (seed, epoch) instead of the global torch RNG, so creating the
      iterator at a resume does not shift the global RNG stream (which
      ``RNGStateHook`` restores to the checkpoint's state).

    A checkpoint written after the last batch of an epoch but before its
    end (``iter == (epoch + 1) · len``) resumes with an empty epoch: only
    the ``after_train_epoch`` hooks (LR step) and the validation run.

    Exact replay of the random augmentations after a resume needs
    ``num_workers=0``: worker processes have RNG streams of their own that
    are not stored in checkpoints (the sample order is exact either way).
    """

    def run_epoch(self) -> None:
        """Iterate the rest of the current epoch."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        num_batches = len(self.dataloader)
        start = self._iter - self._epoch * num_batches
        if not 0 <= start <= num_batches:
            raise RuntimeError(
                f'ResumableEpochBasedTrainLoop: the checkpoint says epoch '
                f'{self._epoch}, iteration {self._iter}, which does not fit '
                f'{num_batches} batches per epoch. Fix: resume with the '
                'batch size, dataset and number of processes of the run '
                'that wrote it.')
        sampler = self.dataloader.sampler
        if start:
            if not hasattr(sampler, 'set_start'):
                raise RuntimeError(
                    'ResumableEpochBasedTrainLoop: resuming mid-epoch '
                    f'(batch {start} of {num_batches}) needs '
                    "train_dataloader.sampler=dict(type='ResumableSampler'),"
                    f' got {type(sampler).__name__}.')
            sampler.set_start(start * self.dataloader.batch_size)
        seed = getattr(sampler, 'seed', 0) or 0
        self.dataloader.generator = torch.Generator().manual_seed(
            seed * 100003 + self._epoch)
        for idx, data_batch in enumerate(self.dataloader, start):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
