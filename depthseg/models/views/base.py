"""Views: augmented copies of the target frame run through the depth net.

A view (``nn.Module`` in ``MODELS``) turns the batch into a
:class:`ViewOutput`: the augmented target image for the depth net, the batch
its losses read, and three maps tied to this batch's augmentation
parameters:

* ``restore(disp)``: the view's raw prediction -> the disparity its losses
  use (e.g. the inverse reshuffle);
* ``transform_pose(T)``: the geometry change, applied to the original view's
  target->source poses (e.g. the crop's pose conjugation);
* ``map_back(disp_s, ref_disp_s, s)``: pairs of the view's prediction and
  the original view's prediction in a common frame (for the consistency
  loss).

The estimator runs the depth net once per view and builds a
``ViewContext`` from the output, so every loss plugin reads a view exactly
as it reads the original.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from mmengine.model import BaseModule
from torch import Tensor

#: ``(view disparity, original disparity, depth factor or None)`` groups.
Pairs = List[Tuple[Tensor, Tensor, Optional[Tensor]]]


@dataclass
class ViewOutput:
    """One view of one batch.

    Attributes:
        view: the view module (owner of the maps).
        image: B×3×H×W augmented target, the depth net's input.
        inputs: the batch the view's losses read (same keys as the
            original's: ``color[f][s]``, ``K``, ``inv_K``, masks, ...).
        params: the view's per-batch parameters (``split_xy``, ...).
    """
    view: 'BaseView'
    image: Tensor
    inputs: dict
    params: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.view.name

    def restore(self, disp: Dict[int, Tensor]) -> Dict[int, Tensor]:
        return self.view.restore(disp, self.params)

    def transform_pose(self, T: Tensor) -> Tensor:
        return self.view.transform_pose(T, self.params)

    def map_back(self, disp: Tensor, ref_disp: Tensor, s: int) -> Pairs:
        return self.view.map_back(disp, ref_disp, self.params, s)


class BaseView(BaseModule):
    """Base of the views; subclasses implement :meth:`forward`.

    Args:
        name: key of the view's data in ``inputs['views']`` (written by the
            dataset transform of the same name) and suffix of its logged
            loss terms (``loss_photometric_<name>``).
    """

    def __init__(self, name: str, init_cfg=None):
        super().__init__(init_cfg)
        if not name or name == 'ori':
            raise ValueError(f"a view needs a name other than 'ori' (the "
                             f'original view), got {name!r}')
        self.name = name

    def view_data(self, inputs: dict, transform: str) -> dict:
        """``inputs['views'][name]``, with a hint when it is missing."""
        data = inputs.get('views', {}).get(self.name)
        if data is None:
            raise KeyError(
                f"{type(self).__name__}: the batch has no inputs['views']"
                f"[{self.name!r}]: add dict(type='{transform}', name="
                f"'{self.name}') to the training pipeline (after "
                'ResizePyramid, before ColorJitter)')
        return data

    def restore(self, disp: Dict[int, Tensor],
                params: dict) -> Dict[int, Tensor]:
        """Identity: the view's losses use its raw prediction."""
        return disp

    def transform_pose(self, T: Tensor, params: dict) -> Tensor:
        """Identity: the view keeps the original geometry."""
        return T

    def map_back(self, disp: Tensor, ref_disp: Tensor, params: dict,
                 s: int) -> Pairs:
        raise NotImplementedError
