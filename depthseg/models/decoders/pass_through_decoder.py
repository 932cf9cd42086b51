"""A parameter-free decoder for whole encoder-decoder depth networks."""
from typing import Dict, Optional

from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS


@MODELS.register_module()
class PassThroughDecoder(BaseModule):
    """Adapts a whole depth network's output to ``{scale: map}``.

    For networks such as :class:`~depthseg.models.backbones.PackNet01` that
    already decode: the estimator's ``depth_encoder`` is the whole network
    and this decoder only re-indexes its output. Accepts
    ``{'inv_depths': [...]}`` (or the value under ``key``), a list of maps
    finest first, or a bare ``B×1×H×W`` tensor (PackNet's legacy eval
    output, quirk Q1), and returns ``{0: finest, 1: next, ...}``. No
    parameters, so checkpoints keep the network's own keys.

    PackNet maps are inverse depths in (0, 2), not sigmoid disparities; an
    estimator that applies ``disp_to_depth(disp, min_depth, max_depth)``
    reproduces ``depth = 1/inv_depth`` with ``min_depth=1`` and
    ``max_depth=float('inf')`` (``scaled = 0 + (1 - 0)·disp``).

    Args:
        key: the output entry to read from a dict output.
    """

    def __init__(self, key: str = 'inv_depths', init_cfg=None, **kwargs):
        super().__init__(init_cfg)
        # ``num_ch_enc`` etc. may be passed by the estimator: not needed
        self.key = key
        self.ignored_kwargs = kwargs

    def forward(self, outputs, key: Optional[str] = None
                ) -> Dict[int, Tensor]:
        if isinstance(outputs, dict):
            entry = key or self.key
            if entry not in outputs:
                raise KeyError(f'PassThroughDecoder: the network output has '
                               f'no {entry!r} entry (keys '
                               f'{sorted(outputs)})')
            outputs = outputs[entry]
        if isinstance(outputs, Tensor):
            outputs = [outputs]
        if not isinstance(outputs, (list, tuple)) or not outputs:
            raise TypeError(f'PassThroughDecoder: expected a tensor or a '
                            f'non-empty list of tensors, got '
                            f'{type(outputs).__name__}')
        return {s: out for s, out in enumerate(outputs)}
