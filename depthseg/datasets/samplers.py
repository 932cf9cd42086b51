"""Seeded, resumable training sampler (BDEdepth spec §8 samplers)."""
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from depthseg.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ResumableSampler(Sampler):
    """Per-epoch permutation seeded by ``seed + epoch`` that can start in the
    middle of an epoch.

    As BDEdepth's ``CustomSampler`` / ``CustomDistributedSampler``:
    ``total = len − len % world_size``; ``perm = randperm(len, generator
    seeded with seed + epoch)[:total]`` (``arange`` without shuffle); rank r
    takes ``perm[r::world_size]``, then drops the first ``start`` indices
    (:meth:`set_start`, used by
    :class:`~depthseg.engine.ResumableEpochBasedTrainLoop` after a
    mid-epoch resume). The order of an epoch therefore depends only on
    (seed, epoch, rank, world_size), never on the global RNG.

    Args:
        dataset: the dataset (only its length is used).
        shuffle: permute (True) or keep the dataset order.
        seed: base seed; None takes mmengine's synchronised random seed
            (the runner passes ``randomness.seed``).
    """

    def __init__(self, dataset: Sized, shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self._start = 0
        self.total_size = len(dataset) - len(dataset) % world_size
        self.num_samples = self.total_size // world_size

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        indices = indices[:self.total_size][self.rank::self.world_size]
        start, self._start = self._start, 0  # applies to one epoch only
        return iter(indices[start:])

    def __len__(self) -> int:
        """Samples of a whole epoch on this rank (also after
        :meth:`set_start`, so the loop's iteration count stays fixed)."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation of ``epoch`` (``seed + epoch``)."""
        self.epoch = epoch

    def set_start(self, start: int) -> None:
        """Skip the first ``start`` samples of the next iteration only."""
        if not 0 <= start <= self.num_samples:
            raise ValueError(f'ResumableSampler: start {start} outside '
                             f'[0, {self.num_samples}]')
        self._start = start
