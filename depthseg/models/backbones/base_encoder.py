"""Pretrained-weight handling shared by the depth / pose encoders."""
import os
from typing import Any, Optional

from mmengine.model import BaseModule
from torch import nn

from depthseg.utils.checkpoint import check_pretrained_state
from depthseg.utils.safe_load import load_checkpoint


class PretrainedEncoder(BaseModule):
    """Base of the encoders with a ``pretrained`` argument.

    ``pretrained`` names weights in their upstream format (torchvision /
    the authors' ImageNet files), which each encoder converts and checks in
    :meth:`load_pretrained`. mmengine's ``init_cfg=dict(type='Pretrained',
    checkpoint=..., prefix=...)`` is the other way in, for depthseg
    checkpoints whose keys already match (mmengine loads them non-strictly,
    through :mod:`depthseg.utils.safe_load` like every read); the two are
    exclusive.

    Nothing is read at construction, so every config builds without its
    weight files: :meth:`init_weights` (which ``Runner.train`` calls) first
    applies ``init_cfg`` (mmengine), then loads ``pretrained`` once; later
    calls, or calls after mmengine marked the module initialised, load
    nothing. Without ``init_weights`` the module keeps its random init.

    Subclasses implement :meth:`load_pretrained` with the helpers
    :meth:`pretrained_file` (a missing file is a ``FileNotFoundError``
    naming it and the fix), :meth:`read_pretrained` (through
    :func:`depthseg.utils.safe_load.load_checkpoint`) and
    :meth:`load_checked` (strict key / shape check, then load).

    Args:
        pretrained: weights for :meth:`load_pretrained`, or None.
        init_cfg: mmengine init config; exclusive with ``pretrained``.
    """

    def __init__(self, pretrained: Optional[str] = None, init_cfg=None):
        super().__init__(init_cfg)
        if pretrained is not None and init_cfg is not None:
            raise ValueError(f'{type(self).__name__}: set either '
                             '`pretrained` or `init_cfg`, not both (use '
                             'pretrained=None with an init_cfg).')
        self.pretrained = pretrained

    def init_weights(self):
        """Apply ``init_cfg`` (mmengine), then load ``pretrained`` once."""
        load = self.pretrained is not None and not self.is_init
        super().init_weights()
        if load:
            self.load_pretrained(self.pretrained)

    def load_pretrained(self, pretrained: str) -> None:
        """Load ``pretrained`` (converted to the module's keys)."""
        raise NotImplementedError(
            f'{type(self).__name__} does not implement load_pretrained')

    def pretrained_file(self, path: str, fix: str) -> str:
        """``path`` with ``~`` expanded; ``FileNotFoundError`` (the class,
        the file and ``fix``) when it is not a file."""
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f'{type(self).__name__}: pretrained file {path!r} does not '
                f'exist. {fix}')
        return path

    @staticmethod
    def read_pretrained(path: str) -> Any:
        """The object stored in ``path`` (the restricted checkpoint
        loader)."""
        return load_checkpoint(path)

    @staticmethod
    def load_checked(module: nn.Module, state: dict, owner: str,
                     source: str, expected: str = '',
                     fill_bn_counters: bool = False) -> None:
        """Load ``state`` into ``module`` strictly after
        :func:`~depthseg.utils.checkpoint.check_pretrained_state` (a
        ``RuntimeError`` listing missing, unexpected and mis-shaped keys;
        ``module`` is unchanged then)."""
        check_pretrained_state(module, state, owner, source, expected,
                               fill_bn_counters=fill_bn_counters)
        module.load_state_dict(state)
