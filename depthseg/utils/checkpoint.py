"""Checks that a checkpoint fits a model before anything is loaded."""
from typing import Mapping

from torch import nn


def strip_ddp_prefix(state: Mapping) -> dict:
    """``state`` with the ``module.`` prefix of DDP-wrapped saves removed
    from its keys (other keys unchanged)."""
    return {key.removeprefix('module.'): value
            for key, value in state.items()}


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


def check_pretrained_state(module: nn.Module, state: dict, owner: str,
                           source: str, expected: str = '',
                           fill_bn_counters: bool = False) -> None:
    """Raise a ``RuntimeError`` listing every missing, unexpected and
    mis-shaped key unless ``state`` (pretrained weights, e.g. ImageNet) has
    exactly ``module``'s keys and shapes.

    Args:
        owner: the module's name in the message, e.g. ``'HRNetEncoder'``.
        source: where the weights came from (file name).
        expected: what the file should be, for the message.
        fill_bn_counters: a ``num_batches_tracked`` missing from ``state``
            (files saved by PyTorch < 0.4.1) takes the module's value;
            ``state`` is updated in place.
    """
    own = module.state_dict()
    if fill_bn_counters:
        for key in own:
            if key.endswith('num_batches_tracked') and key not in state:
                state[key] = own[key]
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = []
    for key in own:
        shape = tuple(getattr(state.get(key), 'shape', ()))
        if key in state and shape != tuple(own[key].shape):
            wrong.append(f'{key}: file {shape} != model '
                         f'{tuple(own[key].shape)}')
    if not (missing or unexpected or wrong):
        return
    lines = [f'{owner}: weights from {source} do not match the '
             'architecture' + (f' (expected {expected})' if expected else '')
             + '.']
    if missing:
        lines.append(f'missing keys ({len(missing)}): ' + ', '.join(missing))
    if unexpected:
        lines.append(f'unexpected keys ({len(unexpected)}): '
                     + ', '.join(unexpected))
    if wrong:
        lines.append(f'shape mismatches ({len(wrong)}): ' + '; '.join(wrong))
    raise RuntimeError('\n'.join(lines))
