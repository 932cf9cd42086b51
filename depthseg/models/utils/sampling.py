"""``grid_sample`` that survives non-finite sampling grids."""
import torch
import torch.nn.functional as F
from torch import Tensor

#: where non-finite grid coordinates are moved before sampling: outside
#: [-1, 1] for every ``align_corners``, so they read padding
OUTSIDE = -2.0


def safe_grid_sample(input: Tensor, grid: Tensor, mode: str = 'bilinear',
                     padding_mode: str = 'zeros',
                     align_corners: bool = None) -> Tensor:
    """``F.grid_sample`` for grids that may hold NaN or ±inf.

    torch's CPU kernel turns a NaN coordinate into a wild memory index (with
    ``'border'`` / ``'reflection'`` padding the NaN survives the clipping)
    and can segfault; a diverging run (NaN depth or pose) got there. The
    coordinates that are not finite are moved to ``OUTSIDE`` before
    sampling, and the pixels they sample are set back to NaN afterwards
    (``+ (grid * 0).sum(-1)``), so the loss stays non-finite and the
    non-finite check (:func:`depthseg.models.utils.nonfinite
    .guarded_train_step`) still reports it instead of the run silently
    training on padding. Finite grids give exactly ``F.grid_sample``'s
    values and gradients.
    """
    finite_grid = torch.nan_to_num(grid, nan=OUTSIDE, posinf=OUTSIDE,
                                   neginf=OUTSIDE)
    sample = F.grid_sample(input, finite_grid, mode=mode,
                           padding_mode=padding_mode,
                           align_corners=align_corners)
    # 0 for finite coordinates, NaN where x or y is NaN or ±inf
    poison = (grid * 0).sum(-1).unsqueeze(1)
    return sample + poison
