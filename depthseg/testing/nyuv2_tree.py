"""Tiny NYUv2 training tree in StructDepth's layout (BDEdepth's indoor
setting): ``<root>/nyu_depth_v2/<scene>/r-<timestamp>-<n>.ppm`` frames
(640×480, the Kinect's native size) and a split file of nine-path lines,
optionally with the h5 test files beside (:func:`make_nyuv2_tree`)."""
import os
import os.path as osp
from typing import Sequence

import numpy as np
from PIL import Image

from depthseg.datasets.nyuv2 import NYU_LINE_FRAMES, NYU_RAW_SIZE
from .cross_eval_trees import _texture, make_nyuv2_tree


def make_nyuv2_train_tree(root: str,
                          scenes: Sequence[str] = ('bedroom_0001',
                                                   'kitchen_0002'),
                          frames: int = 10, shift: int = 3,
                          test_images: int = 0, seed: int = 0) -> dict:
    """Write ``frames`` consecutive 640×480 ``.ppm`` frames per scene (a
    random texture seen through a window sliding ``shift`` px per frame)
    and ``<root>/train_files.txt``: one line per frame with four
    neighbours on each side (``frames − 8`` lines per scene), columns in
    the order 0, −4, −3, −2, −1, 1, 2, 3, 4. ``test_images > 0`` also
    writes the h5 test files and ``test_files.txt``
    (:func:`make_nyuv2_tree`).

    Returns:
        dict(root, train, lines (the split lines), frames ({scene: [path
        relative to root, in temporal order]}) and, with test files,
        test).
    """
    rng = np.random.default_rng(seed)
    h, w = NYU_RAW_SIZE
    reach = max(NYU_LINE_FRAMES)
    if frames <= 2 * reach:
        raise ValueError(f'frames must exceed {2 * reach} (four neighbours '
                         f'on each side), got {frames}')
    names, lines = {}, []
    for scene in scenes:
        os.makedirs(osp.join(root, 'nyu_depth_v2', scene), exist_ok=True)
        texture = _texture(rng, h, w + shift * frames)
        names[scene] = []
        for i in range(frames):
            name = (f'nyu_depth_v2/{scene}/r-{1315251252 + i / 30:.6f}-'
                    f'{3131793654 + i}.ppm')
            Image.fromarray(texture[:, i * shift:i * shift + w]).save(
                osp.join(root, name))
            names[scene].append(name)
        for i in range(reach, frames - reach):
            lines.append(' '.join(names[scene][i + off]
                                  for off in NYU_LINE_FRAMES))
    train = osp.join(root, 'train_files.txt')
    with open(train, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    out = dict(root=root, train=train, lines=lines, frames=names)
    if test_images:
        out['test'] = make_nyuv2_tree(root, num_images=test_images,
                                      seed=seed)['test']
    return out
