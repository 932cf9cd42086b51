"""Dataset side of BDEdepth's augmented views (spec §3.1, §4.1).

Each transform draws its random parameters per sample (injectable for
parity tests) and writes one entry of ``results['views']``::

    results['views'][name] = dict(
        color={fid: [uint8 H_s×W_s×3 for s]},  # un-augmented images
        **params)                               # numpy arrays, per sample

:class:`ColorJitter` (placed after these transforms) adds each view's
``color_aug``; :class:`PackDepthInputs` packs the dict into
``inputs['views'][name]`` and ``DepthDataPreprocessor`` batches it: both
transforms declare ``views`` a ``subsamples`` field and each view's
parameters (and cropped masks) in the view's own ``field_kinds``
(:mod:`depthseg.structures.fields`). The model side is
``depthseg.models.views`` (a view of the same ``name``).
"""
import random
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from depthseg.registry import TRANSFORMS
from depthseg.structures.fields import (
    declare_fields,
    declared_fields,
    resize_pixel,
)

#: The ``results`` field holding the views.
VIEWS_FIELD = {'views': 'subsamples'}


def patch_reshuffle(img: np.ndarray, w_i: int, h_i: int) -> np.ndarray:
    """Splitting-permuting of an H×W(×C) image: the left strip [0, w_i)
    moves to the right end, then the top strip [0, h_i) to the bottom,
    i.e. ``roll(img, (−h_i, −w_i))`` (a diagonal swap of the 4 quadrants)."""
    return np.roll(img, (-h_i, -w_i), axis=(0, 1))


def _uniform(draw: float, bounds: Sequence[float]) -> float:
    """``draw·(hi − lo) + lo`` (the original's ``U(0,1)·0.8 + 0.1``)."""
    lo, hi = bounds
    return draw * (hi - lo) + lo


@TRANSFORMS.register_module()
class PatchReshuffle(BaseTransform):
    """BDEdepth splitting-permuting of the target frame (spec §3.1).

    Place after ``RandomFlip`` and ``ResizePyramid`` (it reshuffles the
    flipped, un-augmented scale-0 image of frame 0) and before
    ``ColorJitter``. Two draws ``(dx, dy)`` in [0, 1):
    ``w_i = int(W·(lo + (hi−lo)·dx))``, ``h_i = int(H·(lo + (hi−lo)·dy))``.

    Adds ``results['views'][name]`` with ``color = {0: [H×W×3 uint8]}`` and
    ``split_xy`` = int64 ``[W − w_i, H − h_i]`` (an ``array`` field: what the
    model needs to undo the permutation).

    Args:
        split_ratio: range of the split position as a fraction of W / H.
        name: the view's name (``PatchReshuffleView(name=...)``).
    """

    def __init__(self, split_ratio: Sequence[float] = (0.1, 0.9),
                 name: str = 'reshuffle'):
        self.split_ratio = tuple(split_ratio)
        self.name = name

    def transform(self, results: dict,
                  draws: Optional[Sequence[float]] = None) -> dict:
        if draws is None:
            draws = (random.random(), random.random())
        img = results['color'][0][0]
        height, width = img.shape[:2]
        w_i = int(width * _uniform(draws[0], self.split_ratio))
        h_i = int(height * _uniform(draws[1], self.split_ratio))
        view = dict(
            color={0: [patch_reshuffle(img, w_i, h_i)]},
            split_xy=np.array([width - w_i, height - h_i], dtype=np.int64))
        results.setdefault('views', {})[self.name] = declare_fields(
            view, dict(split_xy='array'), source=self)
        return declare_fields(results, VIEWS_FIELD, source=self)


def crop_grid(height: int, width: int, h_r: int, w_r: int, h0: int,
              w0: int) -> np.ndarray:
    """2×H×W float64 normalised coordinates (x, y in [−1, 1] of the resized
    H_r×W_r image) of the crop's pixels."""
    gx, gy = np.meshgrid(np.linspace(-1, 1, w_r), np.linspace(-1, 1, h_r))
    return np.stack([gx, gy])[:, h0:h0 + height, w0:w0 + width]


@TRANSFORMS.register_module()
class ResizeCrop(BaseTransform):
    """BDEdepth resizing-cropping of every frame (spec §4.1).

    Place after ``RandomFlip`` and ``ResizePyramid`` (it reads the native,
    flipped ``imgs`` and the pyramid size) and before ``ColorJitter``. Three
    draws ``(d0, d1, d2)`` shared by all frames: ``r = lo + (hi−lo)·d0``,
    ``H_r = int(H·r)``, ``W_r = int(W·r)``, ``w0 = int((W_r − W)·d1)``,
    ``h0 = int((H_r − H)·d2)``. Each frame: LANCZOS resize of the native
    image to W_r×H_r, crop ``(w0, h0, w0 + W, h0 + H)``; scales > 0 resized
    from the previous level, as ``ResizePyramid``.

    Adds ``results['views'][name]`` with ``color`` (the cropped pyramids of
    all frames), ``grid_local`` (2×H×W float64, :func:`crop_grid`) and
    ``ratio_local`` (float32 ``[r]``), both ``array`` fields; every declared
    ``pixel`` field of the results (e.g. FUMET's ``road``) resized to
    H_r×W_r with its ``resize`` mode and cropped the same way (``instances``
    are not carried into the view); and ``results['view_params'][name]``
    (r, w0, h0, H_r, W_r; diagnostics, not packed). Intrinsics are
    unchanged: the model conjugates the pose instead.

    Args:
        resize_ratio: range of the zoom factor r.
        name: the view's name (``ResizeCropView(name=...)``).
    """

    def __init__(self, resize_ratio: Sequence[float] = (1.2, 2.0),
                 name: str = 'local'):
        self.resize_ratio = tuple(resize_ratio)
        self.name = name

    def transform(self, results: dict,
                  draws: Optional[Sequence[float]] = None) -> dict:
        if draws is None:
            draws = (random.random(), random.random(), random.random())
        ref = results['color'][0]
        height, width = ref[0].shape[:2]
        ratio = _uniform(draws[0], self.resize_ratio)
        h_r, w_r = int(height * ratio), int(width * ratio)
        w0, h0 = int((w_r - width) * draws[1]), int((h_r - height) * draws[2])
        box = (w0, h0, w0 + width, h0 + height)
        color = {}
        for fid, img in results['imgs'].items():
            img = img.resize((w_r, h_r), Image.Resampling.LANCZOS).crop(box)
            levels = [np.array(img, dtype=np.uint8)]
            for s in range(1, len(ref)):
                img = img.resize((width // 2**s, height // 2**s),
                                 Image.Resampling.LANCZOS)
                levels.append(np.array(img, dtype=np.uint8))
            color[fid] = levels
        view = dict(color=color,
                    grid_local=crop_grid(height, width, h_r, w_r, h0, w0),
                    ratio_local=np.array([ratio], dtype=np.float32))
        declare_fields(view, dict(grid_local='array', ratio_local='array'),
                       source=self)
        for key, fk in declared_fields(results, 'pixel').items():
            if key in results:
                resized = resize_pixel(results[key], (h_r, w_r), fk.resize)
                view[key] = resized[h0:h0 + height, w0:w0 + width]
                declare_fields(view, {key: fk})
        results.setdefault('views', {})[self.name] = view
        declare_fields(results, VIEWS_FIELD, source=self)
        results.setdefault('view_params', {})[self.name] = dict(
            ratio=ratio, w0=w0, h0=h0, height_re=h_r, width_re=w_r)
        return results
