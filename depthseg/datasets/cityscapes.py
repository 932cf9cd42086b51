"""Cityscapes for FUMET-style training and evaluation (spec ``fumet.md``
§4.3, §6).

* :class:`CityscapesPreprocessedDataset`: SfMLearner's preprocessed
  training tree ``<root>/<city>/<city>_<seq>_<frame>.jpg`` (3072×384 strips
  of the frames −1 | 0 | +1, each 1024×384), ``<frame>_cam.txt`` (3×3 K,
  9 comma-separated numbers) and FUMET's ``<frame>.npz`` car/road files;
  split lines ``<city> <frame>``.
* :class:`CityscapesTestDataset`: raw Cityscapes
  ``leftImg8bit_sequence/test/<city>/<frame>_leftImg8bit.png`` +
  ``camera/test/<city>/<frame>_camera.json`` and ManyDepth's GT
  ``<gt_dir>/<idx:03d>_depth.npy``.

Both only build paths; the transforms (``LoadCityscapesStrip`` /
``LoadCityscapesRaw``, ``CanonicalAlign``, ``LoadCityscapesDepthGT``) read
the files, so errors name the file and its split line. The geometry of the
canonical-intrinsics alignment and of the evaluation window lives here as
pure functions.
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Sequence, Tuple


from depthseg.registry import DATASETS
from .split_file import SplitFileDataset

#: Nominal camera height (m) per training city: FUMET's camera-setting key
#: (``city2cam_height``); cities not listed (all others) use 1.22.
CITY_CAM_SETTING: Dict[str, float] = {
    'bochum': 1.18, 'hamburg': 1.18, 'hanover': 1.18, 'krefeld': 1.18,
    'monchengladbach': 1.18, 'strasbourg': 1.18
}
DEFAULT_CAM_SETTING = 1.22
#: Canonical pixel intrinsics (fx, fy, cx, cy) of FUMET's released
#: Cityscapes model at 192×512 (``intrinsics/Cityscapes_512x192.txt``).
CITYSCAPES_CANONICAL = (587.5, 587.5, 267.5, 130.0)
#: ManyDepth's evaluation crop ``[256:, 192:1856]`` (top, left, right).
MANYDEPTH_CROP = (256, 192, 1856)


def city_cam_setting(city: str) -> float:
    """FUMET's camera-setting key of a city (1.18 or 1.22)."""
    return CITY_CAM_SETTING.get(city, DEFAULT_CAM_SETTING)


class AlignBox(NamedTuple):
    """Resize then crop of the canonical-intrinsics alignment."""
    resized_h: int
    resized_w: int
    top: int
    left: int
    zoom_x: float
    zoom_y: float


def canonical_align_box(orig: Sequence[float], frame_size: Tuple[int, int],
                        canonical: Sequence[float]) -> AlignBox:
    """Resize size and crop corner of FUMET's ``align_img_size``.

    Args:
        orig: (fx, fy, cx, cy) of the frame in its pixels.
        frame_size: (H, W) of the frame (1024×384 training frames, the
            2048×768 top 3/4 of the test images).
        canonical: target (fx, fy, cx, cy) in pixels at the training size.

    Returns:
        ``zoom_x = fx/fx_orig``, ``zoom_y = fy/fy_orig``; the frame is
        resized to ``(int(zoom_y·H), int(zoom_x·W))`` and an H×W window is
        cropped at ``top = int(cy_orig·zoom_y − cy)``,
        ``left = int(cx_orig·zoom_x − cx)``.
    """
    ofx, ofy, ocx, ocy = (float(v) for v in orig)
    fx, fy, cx, cy = (float(v) for v in canonical)
    zoom_x, zoom_y = fx / ofx, fy / ofy
    h, w = frame_size
    return AlignBox(int(zoom_y * h), int(zoom_x * w), int(ocy * zoom_y - cy),
                    int(ocx * zoom_x - cx), zoom_x, zoom_y)


def cityscapes_gt_window(orig: Sequence[float], canonical: Sequence[float],
                         size: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """The network's field of view in GT pixels (``evaluate_depth.py``).

    Undoes the canonical alignment on the GT grid (the raw image grid):
    ``top = int((cy_orig·zoom_y − cy) / zoom_y)``, ``bottom = int((cy_orig·
    zoom_y − cy + H) / zoom_y)``, same for left / right with x (floats until
    the final ``int``, unlike the image crop).

    Returns:
        ``(top, bottom, left, right)``: rows / columns of the top-75 % GT.
    """
    ofx, ofy, ocx, ocy = (float(v) for v in orig)
    fx, fy, cx, cy = (float(v) for v in canonical)
    zoom_x, zoom_y = fx / ofx, fy / ofy
    left = ocx * zoom_x - cx
    top = ocy * zoom_y - cy
    h, w = size
    return (int(top / zoom_y), int((top + h) / zoom_y), int(left / zoom_x),
            int((left + w) / zoom_x))


def cityscapes_eval_box(gt_shape: Tuple[int, int], orig: Sequence[float],
                        canonical: Sequence[float],
                        size: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """Final evaluated box ``(top, bottom, left, right)`` in the raw GT
    (e.g. 1024×2048): top 75 % (``round(h·0.75)``), the field-of-view cut
    of :func:`cityscapes_gt_window`, then ManyDepth's ``[256:, 192:1856]``
    on that already-cut array (quirk Q17: ≈ 12 rows / 67 columns off
    ManyDepth's box)."""
    rows = int(round(gt_shape[0] * 0.75))
    top, bottom, left, right = cityscapes_gt_window(orig, canonical, size)
    bottom, right = min(bottom, rows), min(right, gt_shape[1])
    c_top, c_left, c_right = MANYDEPTH_CROP
    return (top + c_top, bottom, left + c_left,
            min(left + c_right, right))


class _CityscapesBase(SplitFileDataset):
    """Split-file parsing shared by both datasets (``<city> <frame>``)."""

    def _read_lines(self, example: str) -> List[Tuple[int, str, str, str]]:
        if not osp.isfile(self.ann_file):
            tried = ', '.join(osp.abspath(p) for p in self._ann_file_tried)
            raise FileNotFoundError(
                f'Split file not found; tried: {tried}. Fix: pass an '
                f'existing split file, e.g. {example} (absolute, relative to '
                'the working directory, or relative to '
                f'data_root={self.data_root!r}).')
        with open(self.ann_file) as f:
            lines = f.read().splitlines()
        out = []
        for line_no, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            tokens = text.split()
            if len(tokens) != 2 or not tokens[1].startswith(tokens[0] + '_'):
                raise ValueError(
                    f'Malformed line {line_no} of split file '
                    f'{self.ann_file}: {text!r}. Expected "<city> <frame>" '
                    'with the frame named <city>_<seq>_<frame>, e.g. '
                    '"ulm ulm_000064_000012". Fix: correct or delete this '
                    'line.')
            out.append((line_no, text, tokens[0], tokens[1]))
        return out


@DATASETS.register_module()
class CityscapesPreprocessedDataset(_CityscapesBase):
    """SfMLearner-preprocessed Cityscapes training tree (spec §4.3).

    Args:
        data_root: root holding ``<city>/`` folders (FUMET's
            ``cityscapes_data``).
        ann_file: split file (``splits/cityscapes_preprocessed/
            {train,val}_files.txt``); CWD first, then ``data_root``.
        frame_ids: frames to load, a subset of the strip's (0, −1, 1).
        img_ext: strip extension (``.jpg``).
        pipeline, test_mode, **kwargs: see :class:`BaseDataset`.

    Each data info holds ``city``, ``frame_name``, ``img_path`` (the strip),
    ``cam_path`` (``<frame>_cam.txt``), ``car_road_path``
    (``<root>/<city>/<frame>.npz``), ``cam_setting`` (1.18 / 1.22 by city,
    declared a ``scalar`` field in ``field_kinds``), ``frame_ids``,
    ``data_root``, ``ann_file``, ``line_no``, ``line`` and ``sample_idx``.
    K comes from ``CanonicalAlign`` (the canonical K).
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 frame_ids: Sequence[int] = (0, -1, 1),
                 img_ext: str = '.jpg',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        for fid in frame_ids:
            if fid not in (-1, 0, 1) or isinstance(fid, bool):
                raise ValueError(
                    f'frame_ids must be a subset of (0, -1, 1) (the frames '
                    f'of a preprocessed Cityscapes strip), got {fid!r}')
        self.frame_ids = list(frame_ids)
        self.img_ext = img_ext
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = []
        for line_no, text, city, frame in self._read_lines(
                'splits/cityscapes_preprocessed/train_files.txt'):
            folder = osp.join(self.data_root, city)
            data_list.append(dict(
                city=city,
                frame_name=frame,
                img_path=osp.join(folder, frame + self.img_ext),
                cam_path=osp.join(folder, frame + '_cam.txt'),
                car_road_path=osp.join(folder, frame + '.npz'),
                cam_setting=city_cam_setting(city),
                field_kinds={'cam_setting': 'scalar'},
                frame_ids=list(self.frame_ids),
                data_root=self.data_root,
                ann_file=self.ann_file,
                line_no=line_no,
                line=text,
                sample_idx=len(data_list)))
        return data_list


@DATASETS.register_module()
class CityscapesTestDataset(_CityscapesBase):
    """Raw Cityscapes test frames + ManyDepth's GT (spec §4.3, §6).

    Args:
        data_root: raw Cityscapes root (``leftImg8bit_sequence/``,
            ``camera/``).
        ann_file: ``splits/cityscapes/test_files.txt`` (1525 lines).
        gt_dir: folder of ManyDepth's ``<idx:03d>_depth.npy`` (idx = the
            sample index, 0-based); used as given when absolute or existing
            relative to the working directory, else joined with
            ``data_root``.
        split: Cityscapes split folder (``test``).

    Each data info holds ``city``, ``frame_name``, ``img_path``,
    ``camera_path`` (the json of the frame; ``LoadCityscapesRaw`` falls
    back to frame 000019, quirk Q26), ``gt_path``, ``cam_setting`` (with
    ``field_kinds``),
    ``frame_ids`` ([0]), ``data_root``, ``ann_file``, ``line_no``, ``line``
    and ``sample_idx``.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 gt_dir: str = 'gt_depths',
                 split: str = 'test',
                 pipeline: Sequence = (),
                 test_mode: bool = True,
                 **kwargs):
        self.gt_dir_given = gt_dir
        self.split = split
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def _gt_dir(self) -> str:
        given = self.gt_dir_given
        if osp.isabs(given) or osp.isdir(given) or not self.data_root:
            return osp.abspath(given)
        return osp.join(self.data_root, given)

    def load_data_list(self) -> List[dict]:
        gt_dir = self._gt_dir()
        data_list = []
        for line_no, text, city, frame in self._read_lines(
                'splits/cityscapes/test_files.txt'):
            idx = len(data_list)
            data_list.append(dict(
                city=city,
                frame_name=frame,
                img_path=osp.join(self.data_root, 'leftImg8bit_sequence',
                                  self.split, city,
                                  frame + '_leftImg8bit.png'),
                camera_path=osp.join(self.data_root, 'camera', self.split,
                                     city, frame + '_camera.json'),
                gt_path=osp.join(gt_dir, f'{idx:03d}_depth.npy'),
                cam_setting=city_cam_setting(city),
                field_kinds={'cam_setting': 'scalar'},
                frame_ids=[0],
                data_root=self.data_root,
                ann_file=self.ann_file,
                line_no=line_no,
                line=text,
                sample_idx=idx))
        return data_list
