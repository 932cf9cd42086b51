"""FUMET car / road masks from the ``.npz`` label files (spec ``fumet.md``
§4.1).

One file per *target* frame holds ``segms`` (2-D label map at the training
resolution: 0 background, 1..99 car instances, 100 road) and ``heights``
(the cars' real heights in metres, the k-th entry for the k-th smallest car
label). No file exists for the adjacent frames.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from depthseg.registry import TRANSFORMS
from depthseg.structures.fields import declare_fields

#: Label of the road in the ``segms`` map; car labels are 1..ROAD_LABEL-1.
ROAD_LABEL = 100


def kitti_car_road_path(data_root: str, folder: str, cam: int,
                        frame_index: int, segm_dirname: str,
                        size: Tuple[int, int]) -> str:
    """FUMET's KITTI npz path (spec §4.2): ``<data_root>/<folder>/
    <segm_dirname>_<W>x<H>_0<cam>/<%010d frame_index>.npz`` for ``size``
    = (H, W), e.g. ``.../heights_segms_with_road_640x192_02/
    0000000473.npz``."""
    h, w = size
    return osp.join(data_root, folder, f'{segm_dirname}_{w}x{h}_0{cam}',
                    f'{int(frame_index):010d}.npz')


def _where(results: dict) -> str:
    line = results.get('line')
    if line is None:
        return f"sample {results.get('sample_idx')}"
    return (f"line {results.get('line_no')} of split file "
            f"{results.get('ann_file')}: {line!r}")


def read_car_road_npz(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read and check one npz; returns ``(segms uint8 H×W, heights float32
    n_labels)`` with the file's own values (no expansion).

    Raises a ``FileNotFoundError`` / ``OSError`` / ``ValueError`` naming
    ``path`` for a missing, unreadable or malformed file: missing keys,
    ``segms`` not 2-D or not integer labels in [0, 100], ``heights`` not
    1-D, or ``len(heights)`` different from the number of car labels.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            files = list(z.files)
            arrays = {k: z[k] for k in ('segms', 'heights') if k in files}
    except Exception as e:  # zipfile / pickle / format errors
        raise OSError(f'Cannot read FUMET car/road file {path}: {e}. The '
                      'file is probably truncated or not an .npz; re-extract '
                      'it from the heights_segms archive.') from e
    missing = [k for k in ('segms', 'heights') if k not in arrays]
    if missing:
        raise ValueError(
            f'{path}: missing key(s) {missing}; a FUMET car/road npz holds '
            "'segms' (H×W label map) and 'heights' (car heights in metres); "
            f'found keys {sorted(files)}')
    segms, heights = arrays['segms'], arrays['heights']
    if segms.ndim != 2:
        raise ValueError(f'{path}: segms must be a 2-D label map (H, W), got '
                         f'shape {segms.shape}')
    if segms.dtype == np.bool_ or not np.issubdtype(segms.dtype, np.number):
        raise ValueError(f'{path}: segms must hold integer labels, got dtype '
                         f'{segms.dtype}')
    if segms.size and (segms.min() < 0 or segms.max() > ROAD_LABEL):
        raise ValueError(
            f'{path}: segms labels must lie in [0, {ROAD_LABEL}] (0 '
            f'background, 1..{ROAD_LABEL - 1} cars, {ROAD_LABEL} road: car '
            f'labels must be < {ROAD_LABEL}), got min {segms.min()} and max '
            f'{segms.max()}')
    if not np.issubdtype(segms.dtype, np.integer) and not np.array_equal(
            segms, np.round(segms)):
        raise ValueError(f'{path}: segms holds non-integer labels '
                         f'(dtype {segms.dtype})')
    segms = segms.astype(np.uint8)
    if heights.ndim != 1:
        raise ValueError(f'{path}: heights must be 1-D (one height per car '
                         f'label), got shape {heights.shape}')
    heights = heights.astype(np.float32)
    labels = np.unique(segms)
    n_cars = int(np.count_nonzero((labels > 0) & (labels < ROAD_LABEL)))
    if len(heights) != n_cars:
        raise ValueError(
            f'{path}: {len(heights)} heights for {n_cars} car labels '
            f'{labels[(labels > 0) & (labels < ROAD_LABEL)].tolist()}; '
            'heights[k] must be the height of the k-th smallest car label')
    return segms, heights


def expand_segms(segms: np.ndarray, heights: np.ndarray,
                 labels_from: Optional[np.ndarray] = None):
    """FUMET's ``expand_segms`` with the heights matched to the masks.

    Args:
        segms: uint8 H×W label map.
        heights: float32 heights, one per car label of ``labels_from``.
        labels_from: label map whose labels define the car order and the
            road flag (default ``segms``; the file's map when ``segms`` was
            resized).

    Returns:
        ``(road bool H×W, car_masks bool n×H×W, car_heights float32 n,
        has_road)``: cars in ascending label order. Without label 100 the
        frame has no road **and no cars** (all-False road, n = 0).
    """
    ref = segms if labels_from is None else labels_from
    labels = np.unique(ref)
    h, w = segms.shape
    has_road = bool(labels.size) and bool(labels[-1] == ROAD_LABEL)
    if not has_road:
        return (np.zeros((h, w), bool), np.zeros((0, h, w), bool),
                np.zeros((0, ), np.float32), False)
    car_ids = labels[(labels > 0) & (labels < ROAD_LABEL)]
    if len(car_ids) != len(heights):
        raise ValueError(f'{len(heights)} heights for {len(car_ids)} car '
                         f'labels {car_ids.tolist()}')
    car_masks = segms[None] == car_ids[:, None, None].astype(np.uint8)
    return (segms == ROAD_LABEL, car_masks,
            np.asarray(heights, np.float32), True)


def _nearest_resize(labels: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Centre-aligned nearest-neighbour resize of a label map: output pixel
    i takes input pixel ``floor((i + 0.5) · in / out)``."""
    h0, w0 = labels.shape
    h, w = size
    rows = np.minimum(((np.arange(h) + 0.5) * h0 / h).astype(np.int64), h0 - 1)
    cols = np.minimum(((np.arange(w) + 0.5) * w0 / w).astype(np.int64), w0 - 1)
    return labels[rows[:, None], cols[None, :]]


@TRANSFORMS.register_module()
class LoadCarRoadMasks(BaseTransform):
    """Load FUMET's car/road npz of the target frame (spec §4.1).

    Path: ``results[path_key]`` when the dataset provides it (Cityscapes:
    ``<root>/<city>/<frame>.npz``); otherwise FUMET's KITTI rule
    :func:`kitti_car_road_path` from the KITTI data info fields
    (``data_root``, ``folder``, ``cam``, ``frame_index``):
    ``<data_root>/<folder>/<segm_dirname>_<W>x<H>_0<cam>/<%010d>.npz`` with
    (H, W) = ``npz_size``. The rule lives here because the folder name
    carries the npz size, which is this transform's setting.

    Args:
        height, width: training resolution = the size of the output masks.
        segm_dirname: KITTI folder prefix (``--segm_dirname``).
        min_area: drop cars whose mask has ``area <= min_area`` pixels at the
            output size (Cityscapes: 200, the original's ``SMALL_TH``;
            KITTI: 0, no filter).
        npz_size: (H, W) of the stored label maps when they differ from the
            training resolution (e.g. the 192×640 synthetic npz for 96×320
            training); the label map is then resized to (height, width) by
            centre-aligned nearest neighbour before expansion (the car order
            and the heights come from the stored map; a car that vanishes
            has area 0 and is dropped). Default: (height, width), no resize.
        path_key: data info key that overrides the KITTI rule.

    Adds ``road`` (bool H×W), ``car_masks`` (bool n×H×W, ascending label
    order), ``car_heights`` (float32 n) and ``car_road_path``. Without label
    100 (no road) there are no cars either. The first three are declared
    (:attr:`adds`, :mod:`depthseg.structures.fields`): ``road`` a ``pixel``
    map (nearest resize), ``car_masks`` ``instances`` batched as
    ``segms_flat`` with ``n_inst`` / ``car_frame_idx``, ``car_heights``
    their ``instance_values`` batched as ``heights_flat``.

    Flip: works before or after :class:`RandomFlip`. Placed after it, the
    masks are flipped here when ``results['flip']`` is set; placed before
    it, ``RandomFlip`` flips them (heights never change).

    Errors name the file: missing npz, unreadable file, missing keys, labels
    outside [0, 100] (car labels must be < 100), ``len(heights)`` different
    from the number of car labels, or a map whose shape is not ``npz_size``.
    """

    adds = dict(
        road=('pixel', 'nearest'),
        car_masks=dict(kind='instances', batch_key='segms_flat',
                       count_key='n_inst', index_key='car_frame_idx'),
        car_heights=dict(kind='instance_values', of='car_masks',
                         batch_key='heights_flat'))

    def __init__(self,
                 height: int,
                 width: int,
                 segm_dirname: str = 'heights_segms_with_road',
                 min_area: int = 0,
                 npz_size: Optional[Sequence[int]] = None,
                 path_key: str = 'car_road_path'):
        self.size = (int(height), int(width))
        self.npz_size = self.size if npz_size is None else tuple(
            int(v) for v in npz_size)
        if len(self.npz_size) != 2:
            raise ValueError(f'npz_size must be (H, W), got {npz_size!r}')
        self.segm_dirname = segm_dirname
        self.min_area = int(min_area)
        self.path_key = path_key

    def get_path(self, results: dict) -> str:
        if results.get(self.path_key):
            return results[self.path_key]
        missing = [k for k in ('data_root', 'folder', 'cam', 'frame_index')
                   if k not in results]
        if missing:
            raise KeyError(
                f'LoadCarRoadMasks: the data info of {_where(results)} has '
                f'no {self.path_key!r} and lacks {missing} for the KITTI '
                'path rule <data_root>/<folder>/<segm_dirname>_<W>x<H>_0<cam>'
                '/<%010d>.npz. Fix: use a dataset that provides either.')
        return kitti_car_road_path(results['data_root'], results['folder'],
                                   results['cam'], results['frame_index'],
                                   self.segm_dirname, self.npz_size)

    def transform(self, results: dict) -> dict:
        path = self.get_path(results)
        try:
            segms, heights = read_car_road_npz(path)
        except FileNotFoundError:
            h, w = self.npz_size
            raise FileNotFoundError(
                f'FUMET car/road file {path} (for {_where(results)}) does '
                'not exist. Fix: download the heights_segms archives linked '
                'in the FUMET README and move them into the data tree '
                '(KITTI: <data_root>/<date>/<drive>/'
                f'{self.segm_dirname}_{w}x{h}_0{{2,3}}/<%010d>.npz; '
                'Cityscapes: <data_root>/<city>/<frame>.npz), or check '
                'segm_dirname / height / width / npz_size of '
                'LoadCarRoadMasks.') from None
        if segms.shape != self.npz_size:
            raise ValueError(
                f'{path}: label map of shape {segms.shape}, expected '
                f'{self.npz_size} (H, W). The maps must be stored at the '
                'training resolution (after the canonical crop on '
                'Cityscapes); set LoadCarRoadMasks height / width (and '
                'npz_size for stored maps of another size) accordingly.')
        resized = segms if self.npz_size == self.size else _nearest_resize(
            segms, self.size)
        road, car_masks, car_heights, _ = expand_segms(resized, heights,
                                                       labels_from=segms)
        if len(car_heights):
            keep = car_masks.sum((1, 2)) > self.min_area
            if not keep.all():
                car_masks, car_heights = car_masks[keep], car_heights[keep]
        if results.get('flip', False):  # loaded after RandomFlip
            road = road[:, ::-1]
            car_masks = car_masks[..., ::-1]
        results['road'] = np.ascontiguousarray(road)
        results['car_masks'] = np.ascontiguousarray(car_masks)
        results['car_heights'] = car_heights
        results['car_road_path'] = path
        return declare_fields(results, self.adds, source=self)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(height={self.size[0]}, '
                f'width={self.size[1]}, segm_dirname={self.segm_dirname!r}, '
                f'min_area={self.min_area}, npz_size={self.npz_size})')
