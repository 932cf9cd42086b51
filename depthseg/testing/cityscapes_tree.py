"""Tiny Cityscapes trees for tests and smoke runs.

* :func:`make_cityscapes_preprocessed_tree`: SfMLearner's preprocessed
  training layout (``<root>/<city>/<frame>.jpg`` strips [−1 | 0 | +1],
  ``<frame>_cam.txt``) with FUMET's ``<frame>.npz`` car/road files and
  ``splits/{train,val}_files.txt``.
* :func:`make_cityscapes_test_tree`: raw test layout
  (``leftImg8bit_sequence/test/<city>/<frame>_leftImg8bit.png``,
  ``camera/test/<city>/<frame>_camera.json``), ManyDepth-style GT
  ``gt_depths/<idx:03d>_depth.npy`` and ``splits/test_files.txt``.

Intrinsics are Cityscapes' (fx 2262.52, fy 2265.30, u0 1096.98, v0 513.14
at 2048×1024) scaled to the requested size, so FUMET's canonical alignment
fits the frames exactly as on the real data.
"""
import json
import os
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from depthseg.datasets.cityscapes import CITYSCAPES_CANONICAL

#: Cityscapes camera (pixels at 2048×1024).
RAW_INTRINSICS = (2262.52, 2265.3017905988554, 1096.98, 513.137)
RAW_SIZE = (1024, 2048)
ROAD = 100


def preprocessed_intrinsics(frame_size: Tuple[int, int]):
    """(fx, fy, cx, cy) of a preprocessed frame of ``frame_size`` (H, W):
    SfMLearner halves the 2048×1024 camera (1024×512) and crops the bottom
    25 % (1024×384, principal point unchanged); scaled by W / 1024."""
    s = frame_size[1] / 1024
    fx, fy, cx, cy = RAW_INTRINSICS
    return fx / 2 * s, fy / 2 * s, cx / 2 * s, cy / 2 * s


def canonical_for(size: Tuple[int, int]):
    """FUMET's canonical intrinsics scaled from 192×512 to ``size``."""
    s = size[1] / 512
    return tuple(v * s for v in CITYSCAPES_CANONICAL)


def _texture(rng, h: int, w: int) -> np.ndarray:
    coarse = rng.uniform(0, 255, (max(h // 8, 2), max(w // 8, 2), 3))
    img = Image.fromarray(coarse.astype(np.uint8)).resize(
        (w, h), Image.Resampling.BILINEAR)
    noise = rng.normal(0, 8, (h, w, 3))
    return np.clip(np.asarray(img, np.float64) + noise, 0, 255).astype(
        np.uint8)


def car_road_labels(rng, size: Tuple[int, int], car_labels: Sequence[int],
                    road: bool = True,
                    small: Optional[int] = None) -> Tuple[np.ndarray, dict]:
    """A label map (uint8 H×W) with road (100) on the lower third and one
    box per car label (drawn in the given order, so the label values are
    not sorted spatially); ``small`` makes that label a box of at most
    8×10 = 80 pixels (dropped by ``min_area=200``). Returns ``(segms,
    boxes)`` with boxes ``{label: (top, bottom, left, right)}``."""
    h, w = size
    segms = np.zeros((h, w), np.uint8)
    if road:
        segms[2 * h // 3:] = ROAD
    boxes = {}
    n = max(len(car_labels), 1)
    for i, label in enumerate(car_labels):
        bw, bh = w // (2 * n), h // 3
        if label == small:
            bw, bh = min(10, bw), min(8, bh)
        left = i * w // n + int(rng.integers(0, max(w // n - bw, 1)))
        top = h // 2 - bh // 2
        segms[top:top + bh, left:left + bw] = label
        boxes[label] = (top, top + bh, left, left + bw)
    return segms, boxes


def _write_split(path: str, lines: Sequence[str]):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def make_cityscapes_preprocessed_tree(
        root: str,
        cities: Sequence[str] = ('bochum', 'aachen'),
        frames_per_city: int = 2,
        frame_size: Tuple[int, int] = (96, 256),
        npz_size: Tuple[int, int] = (48, 128),
        ext: str = '.jpg',
        seed: int = 0) -> dict:
    """Write a tiny preprocessed Cityscapes tree under ``root``.

    Frame ``k`` of a city is ``<city>_000000_<k*3:06d>``: a 3·W×H strip
    (``frame_size`` = (H, W) per frame, default 1/4 of 1024×384), its
    ``_cam.txt`` (:func:`preprocessed_intrinsics`, written as SfMLearner
    does: 9 comma-separated numbers) and an npz at ``npz_size`` (the
    training size after the canonical crop; use :func:`canonical_for`).
    npz contents cycle through: cars with labels (7, 2, 5) and heights
    (1.4, 1.5, 1.6) for labels (2, 5, 7) with label 5 small (80 px); no
    car; cars without road (label 3); one car (label 1).
    Split files: all lines in ``train``, the first two in ``val``.

    Returns:
        dict with ``root``, ``train``, ``val``, ``frames`` (list of
        ``(city, frame)``), ``npz`` ({frame: dict(segms, heights, boxes)}),
        ``intrinsics`` ((fx, fy, cx, cy) of every frame), ``canonical``
        (for ``npz_size``).
    """
    rng = np.random.default_rng(seed)
    h, w = frame_size
    intr = preprocessed_intrinsics(frame_size)
    variants = [dict(labels=[7, 2, 5], heights=[1.4, 1.5, 1.6], small=5),
                dict(labels=[], heights=[]),
                dict(labels=[3], heights=[1.45], road=False),
                dict(labels=[1], heights=[1.55])]
    out = dict(root=root, frames=[], npz={}, intrinsics=intr,
               canonical=canonical_for(npz_size))
    lines = []
    k = 0
    for city in cities:
        folder = osp.join(root, city)
        os.makedirs(folder, exist_ok=True)
        for i in range(frames_per_city):
            frame = f'{city}_000000_{3 * i:06d}'
            tex = _texture(rng, h, w + 8)
            strip = np.concatenate(
                [tex[:, s:s + w] for s in (0, 4, 8)], axis=1)
            Image.fromarray(strip).save(osp.join(folder, frame + ext),
                                        quality=92)
            fx, fy, cx, cy = intr
            with open(osp.join(folder, frame + '_cam.txt'), 'w') as f:
                f.write(','.join(str(v) for v in
                                 (fx, 0., cx, 0., fy, cy, 0., 0., 1.)))
            var = variants[k % len(variants)]
            segms, boxes = car_road_labels(rng, npz_size, var['labels'],
                                           var.get('road', True),
                                           var.get('small'))
            heights = np.asarray(var['heights'], np.float32)
            np.savez_compressed(osp.join(folder, frame + '.npz'),
                                segms=segms, heights=heights)
            out['npz'][frame] = dict(segms=segms, heights=heights,
                                     boxes=boxes)
            out['frames'].append((city, frame))
            lines.append(f'{city} {frame}')
            k += 1
    for split, split_lines in (('train', lines), ('val', lines[:2])):
        out[split] = osp.join(root, 'splits', f'{split}_files.txt')
        _write_split(out[split], split_lines)
    return out


def make_cityscapes_test_tree(
        root: str,
        frames: Sequence[Tuple[str, str]] = (
            ('berlin', 'berlin_000000_000019'),
            ('bonn', 'bonn_000001_000012')),
        size: Tuple[int, int] = RAW_SIZE,
        missing_json: Sequence[str] = ('bonn_000001_000012', ),
        seed: int = 0,
        split: str = 'test') -> dict:
    """Write a tiny raw Cityscapes test tree under ``root``.

    Per ``(city, frame)``: ``leftImg8bit_sequence/<split>/<city>/
    <frame>_leftImg8bit.png`` (RGB, ``size`` = (H, W)), its camera json
    (Cityscapes intrinsics scaled to ``size``) — for frames in
    ``missing_json`` only the json of frame 000019 of the same sequence is
    written, with fx, fy 1 % larger so a test can tell it was read (quirk
    Q26) — and GT ``gt_depths/<idx:03d>_depth.npy`` (float32 H×W metres:
    a smooth field in (2, 70), 0 on a few rows and beyond 80 in a corner).

    Returns:
        dict with ``root``, ``test`` (split file), ``gt_dir``, ``frames``,
        ``intrinsics`` ({frame: (fx, fy, u0, v0) actually used}).
    """
    rng = np.random.default_rng(seed)
    h, w = size
    s = w / RAW_SIZE[1]
    base = tuple(v * s for v in RAW_INTRINSICS)
    gt_dir = osp.join(root, 'gt_depths')
    os.makedirs(gt_dir, exist_ok=True)
    out = dict(root=root, gt_dir=gt_dir, frames=list(frames), intrinsics={})
    lines = []
    for idx, (city, frame) in enumerate(frames):
        img_dir = osp.join(root, 'leftImg8bit_sequence', split, city)
        cam_dir = osp.join(root, 'camera', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(cam_dir, exist_ok=True)
        Image.fromarray(_texture(rng, h, w)).save(
            osp.join(img_dir, frame + '_leftImg8bit.png'), compress_level=1)
        name, intr = frame, base
        if frame in missing_json:
            name = '_'.join(frame.split('_')[:2] + ['000019'])
            intr = (base[0] * 1.01, base[1] * 1.01, base[2], base[3])
        fx, fy, u0, v0 = intr
        camera = dict(extrinsic=dict(baseline=0.209313, pitch=0.038, roll=0.,
                                     x=1.7, y=0.1, yaw=-0.0195, z=1.22),
                      intrinsic=dict(fx=fx, fy=fy, u0=u0, v0=v0))
        with open(osp.join(cam_dir, name + '_camera.json'), 'w') as f:
            json.dump(camera, f, indent=2)
        out['intrinsics'][frame] = intr
        yy, xx = np.mgrid[0:h, 0:w]
        gt = (2 + 68 * (0.5 + 0.5 * np.sin(xx / w * 6 + idx) *
                        np.cos(yy / h * 4))).astype(np.float32)
        gt[::17] = 0
        gt[:h // 8, :w // 8] = 90
        np.save(osp.join(gt_dir, f'{idx:03d}_depth.npy'), gt)
        lines.append(f'{city} {frame}')
    out['test'] = osp.join(root, 'splits', 'test_files.txt')
    _write_split(out['test'], lines)
    return out
