"""Colour maps for disparity and depth maps."""
from typing import Union

import matplotlib
import numpy as np
import torch


def colorize(disp: Union[np.ndarray, torch.Tensor], cmap: str = 'magma',
             vmax_percentile: float = 95) -> np.ndarray:
    """Colour-map an H×W (or 1×H×W) map to an H×W×3 uint8 RGB image.

    As Monodepth2's ``test_simple.py``: normalised from the map's minimum to
    its ``vmax_percentile``-th percentile (values above saturate), then
    passed through the matplotlib colour map ``cmap``. The result is the same
    for the sigmoid and the scaled disparity (an affine change of values).
    """
    if isinstance(disp, torch.Tensor):
        disp = disp.detach().float().cpu().numpy()
    disp = np.asarray(disp, dtype=np.float64)
    if disp.ndim == 3 and disp.shape[0] == 1:
        disp = disp[0]
    if disp.ndim != 2:
        raise ValueError(f'colorize: expected an H×W map, got shape '
                         f'{disp.shape}')
    try:
        colormap = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f'colorize: unknown matplotlib colour map {cmap!r} '
                         "(e.g. 'magma', 'plasma', 'viridis', 'gray')") \
            from None
    vmin, vmax = disp.min(), np.percentile(disp, vmax_percentile)
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax)
    rgba = colormap(norm(disp))
    return (rgba[..., :3] * 255).astype(np.uint8)
