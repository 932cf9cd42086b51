import io
import random
from types import SimpleNamespace
from unittest.mock import MagicMock

import numpy as np
import torch
from mmengine.registry import init_default_scope

from depthseg.engine.hooks import RNGStateHook
from depthseg.engine.hooks.rng_state_hook import get_rng_state, set_rng_state
from depthseg.registry import HOOKS

init_default_scope('depthseg')


def draws():
    """One number from each global generator."""
    return random.random(), np.random.rand(), torch.rand(1).item()


def seed(value):
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def fake_runner(iter=8, rank=0, diff_rank_seed=False):
    return SimpleNamespace(
        iter=iter,
        rank=rank,
        cfg=dict(randomness=dict(seed=0, diff_rank_seed=diff_rank_seed)),
        logger=MagicMock())


def saved_checkpoint(hook, runner, burn=3):
    """Save a checkpoint after ``burn`` draws; return it and the next draws."""
    seed(0)
    for _ in range(burn):
        draws()
    checkpoint = dict(meta=dict(iter=runner.iter))
    hook.before_save_checkpoint(runner, checkpoint)
    return checkpoint, draws()


def test_state_round_trip_and_plain_types():
    seed(1)
    state = get_rng_state()
    expected = draws()
    set_rng_state(state)
    assert draws() == expected
    # plain python types: loadable even with torch.load(weights_only=True)
    buffer = io.BytesIO()
    torch.save(dict(rng_state=state), buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True)['rng_state'] == state


def test_registered_with_lowest_priority():
    hook = HOOKS.build(dict(type='RNGStateHook'))
    assert isinstance(hook, RNGStateHook)
    assert hook.priority == 'LOWEST'


def test_resume_restores_rng_in_before_train():
    hook, runner = RNGStateHook(), fake_runner()
    checkpoint, expected = saved_checkpoint(hook, runner)

    seed(0)  # a fresh process, seeded by mmengine
    hook.after_load_checkpoint(runner, checkpoint)
    seed(0)  # Runner.resume re-seeds after loading when the seeds differ
    hook.before_train(runner)
    assert draws() == expected


def test_load_from_keeps_fresh_rng():
    hook = RNGStateHook()
    checkpoint, _ = saved_checkpoint(hook, fake_runner(iter=8))
    runner = fake_runner(iter=0)  # load_from: the loop starts at 0
    seed(5)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    fresh = draws()
    seed(5)
    assert draws() == fresh


def test_diff_rank_seed_only_rank0_restores():
    hook = RNGStateHook()
    checkpoint, expected = saved_checkpoint(hook, fake_runner())
    for rank, restored in ((0, True), (1, False)):
        runner = fake_runner(rank=rank, diff_rank_seed=True)
        seed(7)
        hook.after_load_checkpoint(runner, checkpoint)
        hook.before_train(runner)
        assert (draws() == expected) is restored


def test_validation_is_rng_neutral():
    hook, runner = RNGStateHook(), fake_runner()
    seed(0)
    expected = draws()

    seed(0)
    hook.before_val(runner)
    draws()  # validation consumes random numbers (dataloader seeds, ...)
    checkpoint = dict(meta=dict(iter=runner.iter))
    hook.before_save_checkpoint(runner, checkpoint)  # save_best in val
    hook.after_val(runner)
    assert draws() == expected

    # the checkpoint holds the pre-validation state, i.e. where training
    # continues
    set_rng_state(checkpoint['rng_state'])
    assert draws() == expected
