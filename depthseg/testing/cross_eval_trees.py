"""Tiny NYUv2 (h5) and Make3D (jpg + mat) test trees in the real formats."""
import os
import os.path as osp
from typing import Sequence

import numpy as np
from PIL import Image


def _texture(rng, h: int, w: int) -> np.ndarray:
    """Smooth random uint8 RGB texture (h×w×3)."""
    small = rng.integers(0, 256, (max(h // 16, 2), max(w // 16, 2), 3),
                         dtype=np.uint8)
    return np.array(Image.fromarray(small).resize((w, h),
                                                  Image.Resampling.BILINEAR))


def make_nyuv2_tree(root: str, num_images: int = 3, seed: int = 0) -> dict:
    """Write ``<root>/nyu_test/{i:05d}.h5`` (``rgb`` 3×480×640 uint8,
    ``depth`` 480×640 float32 metres in (0.5, 9.5), a few zeros) and
    ``<root>/test_files.txt``. Returns dict(root, test, names)."""
    import h5py
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'nyu_test'), exist_ok=True)
    names = []
    for i in range(1, num_images + 1):
        name = f'nyu_test/{i:05d}.h5'
        rgb = _texture(rng, 480, 640).transpose(2, 0, 1)
        yy = np.linspace(0, 1, 480)[:, None]
        depth = (0.5 + 9.0 * yy * np.ones((1, 640))
                 * rng.uniform(0.5, 1.0)).astype(np.float32)
        depth[rng.random((480, 640)) < 0.01] = 0
        with h5py.File(osp.join(root, name), 'w') as f:
            f.create_dataset('rgb', data=np.ascontiguousarray(rgb))
            f.create_dataset('depth', data=depth)
        names.append(name)
    split = osp.join(root, 'test_files.txt')
    with open(split, 'w') as f:
        f.write('\n'.join(names) + '\n')
    return dict(root=root, test=split, names=names)


def make_make3d_tree(root: str,
                     names: Sequence[str] = ('060705-17.10.14-p-049t000',
                                             '060705-17.10.14-p-080t000'),
                     seed: int = 0) -> dict:
    """Write ``<root>/Test134/img-<name>.jpg`` (1704×2272) and
    ``<root>/Gridlaserdata/depth_sph_corr-<name>.mat`` (``Position3DGrid``
    55×305×4, depth in channel 3, values in (1, 80) m so the 70 m cap
    matters), and ``<root>/test_files.txt``."""
    from scipy.io import savemat
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'Test134'), exist_ok=True)
    os.makedirs(osp.join(root, 'Gridlaserdata'), exist_ok=True)
    for name in names:
        Image.fromarray(_texture(rng, 2272, 1704)).save(
            osp.join(root, 'Test134', f'img-{name}.jpg'), quality=90)
        grid = rng.uniform(-5, 5, (55, 305, 4))
        grid[:, :, 3] = np.linspace(80, 1, 55)[:, None] * rng.uniform(
            0.8, 1.0, (1, 305))
        savemat(osp.join(root, 'Gridlaserdata', f'depth_sph_corr-{name}.mat'),
                {'Position3DGrid': grid})
    split = osp.join(root, 'test_files.txt')
    with open(split, 'w') as f:
        f.write('\n'.join(names) + '\n')
    return dict(root=root, test=split, names=list(names))
