"""ResumableSampler: seeded by (seed, epoch), skips consumed samples."""
from unittest import mock

import pytest
import torch

from depthseg.datasets.samplers import ResumableSampler


def test_order_depends_on_seed_and_epoch_only():
    data = list(range(10))
    torch.manual_seed(123)
    a = ResumableSampler(data, seed=3)
    torch.manual_seed(456)
    b = ResumableSampler(data, seed=3)
    assert list(a) == list(b) and sorted(a) == data
    gen = torch.Generator().manual_seed(3)
    assert list(a) == torch.randperm(10, generator=gen).tolist()
    a.set_epoch(1)
    b.set_epoch(1)
    first = list(a)
    assert first == list(b) and first != list(ResumableSampler(data, seed=3))
    assert len(a) == 10
    assert list(ResumableSampler(data, shuffle=False, seed=0)) == data


def test_set_start_skips_once():
    s = ResumableSampler(list(range(10)), seed=0)
    s.set_epoch(2)
    full = list(s)
    s.set_start(4)
    assert list(s) == full[4:]
    assert list(s) == full  # only the next epoch is shortened
    assert len(s) == 10
    with pytest.raises(ValueError, match='start 11'):
        s.set_start(11)


def test_distributed_split_drops_remainder():
    data = list(range(11))
    parts = []
    for rank in range(2):
        with mock.patch('depthseg.datasets.samplers.get_dist_info',
                        return_value=(rank, 2)):
            s = ResumableSampler(data, seed=5)
        assert len(s) == 5
        parts.append(list(s))
    perm = torch.randperm(11, generator=torch.Generator().manual_seed(5))
    perm = perm.tolist()[:10]
    assert parts == [perm[0::2], perm[1::2]]
