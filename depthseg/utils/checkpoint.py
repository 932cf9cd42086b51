"""Checks that a checkpoint fits a model before anything is loaded."""
from typing import Mapping

from torch import nn


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's state dict does not fit the model it is loaded into."""


def check_state_dict(model: nn.Module, state_dict: Mapping, source: str,
                     max_listed: int = 10) -> None:
    """Raise :class:`CheckpointMismatchError` unless keys and shapes match.

    Args:
        model: the (unwrapped) model.
        state_dict: the checkpoint's ``state_dict``.
        source: where it came from (file name), for the message.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
        f'{tuple(v.shape)}' for k, v in own.items()
        if k in state_dict and hasattr(state_dict[k], 'shape')
        and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if not (missing or unexpected or shapes):
        return

    def listing(title, items):
        if not items:
            return ''
        more = f'\n    ... and {len(items) - max_listed} more' if len(
            items) > max_listed else ''
        return f'\n  {title} ({len(items)}):\n    ' + '\n    '.join(
            items[:max_listed]) + more

    raise CheckpointMismatchError(
        f'{source} does not fit this model (another architecture or '
        'config?).' + listing('shape mismatches', shapes) +
        listing('keys missing from the checkpoint', missing) +
        listing('keys the model does not have', unexpected) +
        '\nFix: use the config the checkpoint was trained with, or convert a '
        'released checkpoint with tools/model_converters first.')
