"""Your own video or folder of frames as monocular training data.

:class:`VideoFramesDataset` turns a video file, a folder of frames or a
folder of sequence folders into the samples of :class:`~depthseg.datasets.
KittiRawDataset` (``img_paths`` of the temporal neighbours, a normalised
``K``), so the Monodepth2 training pipeline runs unchanged on it:

* **Video** (``VIDEO_EXTS``): its frames are decoded once by OpenCV into a
  cache folder, ``<video>.frames/`` beside it or
  ``<cache_dir>/<video name>.frames/``, as ``000000.jpg, ...``. The marker
  ``frames.json`` (frame count, size, fps and the video's size and mtime) is
  written last: a cache without it (an interrupted extraction) or made from
  another version of the video is extracted again. A lock file
  (``.<video name>.frames.lock``) makes concurrent processes (distributed
  ranks) wait for one extraction.
* **Folder**: its images (``IMAGE_EXTS``, any case) are one sequence, in
  natural name order (``frame2`` before ``frame10``); a folder without
  images holds one sequence per sub-folder with images.
* **Intrinsics**: a text / YAML / JSON file (:func:`read_intrinsics`) in
  pixels of the frames, checked against the frame size; without one, a
  guessed horizontal field of view ``hfov_deg`` (with a logged warning).
* **Static frames** (Zhou et al.'s preprocessing): a frame whose mean
  absolute grey difference to the previous kept frame (both downsampled to
  at most :data:`THUMB_WIDTH` columns, values in [0, 1]) is below
  ``static_thresh`` is dropped; then frames without every neighbour of
  ``frame_ids`` are not targets. Both counts are logged.

Errors (missing or unreadable input, too few frames, intrinsics that do not
fit the frames) name the file and say what to fix.
"""
import fcntl
import json
import logging
import math
import os
import os.path as osp
import re
import shutil
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import yaml
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from PIL import Image

from depthseg.registry import DATASETS
from depthseg.utils.fileio import atomic_write

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
              '.mpeg', '.wmv', '.flv', '.gif')
#: what to do with a video OpenCV cannot decode (``.format(src=path)``)
REENCODE_HINT = ('re-encode it, e.g. `ffmpeg -i {src} -c:v libx264 -pix_fmt '
                 'yuv420p reencoded.mp4`')
CACHE_SUFFIX = '.frames'
#: written last into a complete frame cache
MARKER = 'frames.json'
CACHE_VERSION = 1
_FRAME = re.compile(r'^\d{6}\.jpg$')
#: what a (possibly interrupted) extraction writes into a cache
_CACHE_FILE = re.compile(
    r'^(\d{6}\.jpg|frames\.json|\.frames\.json\..*\.tmp)$')
#: static-frame test: frames downsampled to at most this many columns
THUMB_WIDTH = 128
_NUMBER = re.compile(r'[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?')
INTRINSICS_FORMATS = (
    "'fx fy cx cy' (4 numbers in pixels of the frames at their native "
    'size), a 3×3 camera matrix (9 numbers, row by row), or YAML / JSON '
    'with fx, fy, cx, cy (or K: 3×3) and optionally width, height (the '
    'image size the values refer to; they are scaled to the frames)')


def natural_key(name: str) -> list:
    """Sort key ordering digit runs by value (``f2`` before ``f10``)."""
    return [int(t) if t.isdigit() else t.lower()
            for t in re.split(r'(\d+)', name)]


def list_images(folder: str) -> List[str]:
    """Paths of the images directly in ``folder``, in natural name order."""
    names = [n for n in os.listdir(folder)
             if n.lower().endswith(IMAGE_EXTS)
             and osp.isfile(osp.join(folder, n))]
    return [osp.join(folder, n) for n in sorted(names, key=natural_key)]


def _video_stamp(video: str) -> dict:
    st = os.stat(video)
    return dict(version=CACHE_VERSION, video=video, bytes=st.st_size,
                mtime_ns=st.st_mtime_ns)


def _read_marker(cache: str) -> Optional[dict]:
    try:
        with open(osp.join(cache, MARKER)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _cache_ok(cache: str, stamp: dict) -> bool:
    """The marker matches the video and every frame is there."""
    marker = _read_marker(cache)
    return marker is not None and all(
        marker.get(k) == v for k, v in stamp.items()) and marker.get(
            'frames') == sum(bool(_FRAME.match(n)) for n in os.listdir(cache))


def _clear_cache(cache: str, video: str) -> None:
    """Remove an outdated or incomplete cache; refuse foreign folders."""
    marker = _read_marker(cache)
    if marker is None:
        foreign = [n for n in os.listdir(cache)
                   if not _CACHE_FILE.match(n)]
        if foreign:
            raise FileExistsError(
                f'{cache} exists but is not a frame cache of {video} (it '
                f'holds {foreign[:3]}, no {MARKER}). Fix: move it away, or '
                'set cache_dir to another folder.')
        why = f'incomplete (no {MARKER}: an interrupted extraction)'
    else:
        why = f'made from another version of {video}'
    print_log(f'Frame cache {cache} is {why}; extracting again.',
              logger='current', level=logging.WARNING)
    shutil.rmtree(cache)


def _decode(video: str, cache: str) -> dict:
    """Write every frame of ``video`` as ``cache/%06d.jpg`` (quality 95);
    returns the marker fields ``frames``, ``height``, ``width``, ``fps``."""
    cap = cv2.VideoCapture(video)
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok:
            raise OSError(
                f'Cannot decode video {video}: OpenCV could not open it or '
                'read a frame (not a video, an unsupported codec, or a '
                'truncated file). Fix: ' + REENCODE_HINT.format(src=video)
                + ', or '
                f'extract its frames (`ffmpeg -i {video} frames/%06d.jpg`) '
                'and pass the folder as source.')
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0)
        count = 0
        while ok:
            path = osp.join(cache, f'{count:06d}.jpg')
            if not cv2.imwrite(path, frame, [cv2.IMWRITE_JPEG_QUALITY, 95]):
                raise OSError(f'Cannot write {path} (disk full or no write '
                              'permission?). Fix: free space or set '
                              'cache_dir to a writable folder.')
            count += 1
            ok, frame = cap.read()
    finally:
        cap.release()
    if reported > count + 1:
        print_log(f'{video}: decoded {count} of the {reported} frames its '
                  'container reports; the rest could not be decoded '
                  '(truncated file?).', logger='current',
                  level=logging.WARNING)
    height, width = cv2.imread(osp.join(cache, '000000.jpg')).shape[:2]
    return dict(frames=count, height=height, width=width, fps=fps)


def extract_video_frames(video: str, cache_dir: Optional[str] = None) -> str:
    """Decode ``video`` into its frame cache once; return the cache folder.

    Args:
        video: a video file OpenCV can decode.
        cache_dir: folder of the cache (``<cache_dir>/<video name>.frames``);
            None: ``<video>.frames`` beside the video.
    """
    video = osp.abspath(video)
    if not osp.isfile(video):
        raise FileNotFoundError(
            f'Video {video} does not exist. Fix: correct the source path of '
            'VideoFramesDataset (train_dataloader.dataset.source).')
    name = osp.basename(video) + CACHE_SUFFIX
    parent = osp.abspath(cache_dir) if cache_dir else osp.dirname(video)
    cache = osp.join(parent, name)
    stamp = _video_stamp(video)
    if _cache_ok(cache, stamp):
        return cache
    try:
        os.makedirs(parent, exist_ok=True)
        lock = open(osp.join(parent, f'.{name}.lock'), 'a')
    except OSError as e:
        raise OSError(f'Cannot create the frame cache of {video} in '
                      f'{parent}: {e}. Fix: set cache_dir to a writable '
                      'folder.') from e
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _cache_ok(cache, stamp):  # another process extracted it
            return cache
        if osp.isdir(cache):
            _clear_cache(cache, video)
        print_log(f'Extracting the frames of {video} into {cache} (once).',
                  logger='current')
        os.makedirs(cache)
        try:
            info = _decode(video, cache)
        except BaseException:
            shutil.rmtree(cache, ignore_errors=True)
            raise
        atomic_write(json.dumps(dict(stamp, **info), indent=1).encode(),
                     osp.join(cache, MARKER))
    return cache


def read_intrinsics(path: str) -> dict:
    """Read a camera intrinsics file.

    Formats (:data:`INTRINSICS_FORMATS`; ``#`` starts a comment in plain
    text)::

        718.86 718.86 607.19 185.22          # fx fy cx cy
        fx: 1450.0                           # YAML (or the same in JSON)
        fy: 1450.0
        cx: 960.0
        cy: 540.0
        width: 1920                          # optional
        height: 1080

    Returns:
        dict with ``K`` (float64 3×3, pixels) and ``size`` ((H, W) the values
        refer to, or None: the frames' native size).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Intrinsics file {path} does not exist. Fix: correct the '
            'intrinsics path, or remove it and set hfov_deg (a guess).')
    with open(path) as f:
        text = f.read()

    def malformed(problem: str):
        return ValueError(f'Cannot read the intrinsics file {path}: '
                          f'{problem}. Expected {INTRINSICS_FORMATS}.')

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    size = None
    if isinstance(data, dict):
        keys = {str(k).lower(): v for k, v in data.items()}
        matrix = keys.get('k', keys.get('camera_matrix'))
        try:
            if matrix is not None:
                values = np.asarray(matrix, np.float64).ravel()
            else:
                values = np.array([keys[k] for k in ('fx', 'fy', 'cx', 'cy')],
                                  np.float64)
            if 'width' in keys or 'height' in keys:
                size = (int(keys['height']), int(keys['width']))
        except KeyError as e:
            raise malformed(f'no {e.args[0]!r} entry') from None
        except (TypeError, ValueError) as e:
            raise malformed(f'a value is not a number ({e})') from None
    elif isinstance(data, list):
        try:
            values = np.asarray(data, np.float64).ravel()
        except (TypeError, ValueError) as e:
            raise malformed(f'a value is not a number ({e})') from None
    else:
        lines = [line.split('#', 1)[0] for line in text.splitlines()]
        values = np.array(_NUMBER.findall(' '.join(lines)), np.float64)
    try:
        K = camera_matrix(values)
    except ValueError as e:
        raise malformed(str(e)) from None
    return dict(K=K, size=size)


def camera_matrix(values) -> np.ndarray:
    """4 numbers (fx fy cx cy) or 9 (a row-major matrix) -> 3×3 float64
    K. Raises ValueError for another count."""
    values = np.asarray(values, np.float64).ravel()
    if values.size == 4:
        fx, fy, cx, cy = values
        return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
    if values.size == 9:
        return values.reshape(3, 3)
    raise ValueError(f'found {values.size} numbers, not 4 or 9')


def normalised_K(K: np.ndarray, frame_size: Tuple[int, int], source: str,
                 size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Check a pixel K against the frames and normalise it.

    Args:
        K: 3×3 pixel intrinsics (skew allowed).
        frame_size: (H, W) of the frames.
        source: the file (or setting) K comes from, for error messages.
        size: (H, W) the values refer to; scaled to ``frame_size`` when it
            differs with the same aspect ratio (±1 %). None: ``frame_size``.

    Returns:
        float32 4×4: the first two rows divided by W and H (the convention of
        :data:`~depthseg.datasets.KITTI_K`).
    """
    h, w = frame_size
    K = np.array(K, np.float64)
    fix = (f'Fix: give the intrinsics of the {w}×{h} frames in pixels '
           f'({INTRINSICS_FORMATS}) in {source}, or remove it and set '
           'hfov_deg (a guess).')
    if size is not None and tuple(size) != (h, w):
        sy, sx = h / size[0], w / size[1]
        if abs(sx / sy - 1) > 0.01:
            raise ValueError(
                f'Intrinsics {source} refer to {size[1]}×{size[0]} images, '
                f'the frames are {w}×{h}: another aspect ratio (cropped '
                f'frames?), so they cannot be scaled. {fix}')
        K[0] *= sx
        K[1] *= sy
    if not np.isfinite(K).all() or not np.allclose(K[2], [0, 0, 1]) \
            or K[1, 0] != 0:
        raise ValueError(f'Intrinsics {source} are not a camera matrix '
                         f'[[fx, s, cx], [0, fy, cy], [0, 0, 1]]: {K.tolist()}'
                         f'. {fix}')
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    if fx <= 0 or fy <= 0:
        raise ValueError(f'Intrinsics {source}: the focal lengths must be '
                         f'positive, got fx={fx:g}, fy={fy:g}. {fix}')
    if not (0 < cx < w and 0 < cy < h):
        raise ValueError(
            f'Intrinsics {source}: the principal point (cx, cy) = ({cx:g}, '
            f'{cy:g}) lies outside the {w}×{h} frames. {fix}')
    hfov = math.degrees(2 * math.atan(w / (2 * fx)))
    if not 1 < hfov < 170:
        raise ValueError(
            f'Intrinsics {source}: fx={fx:g} gives a {hfov:.1f}° horizontal '
            f'field of view over {w} pixels, not a pinhole camera (values '
            'normalised by the image size must be multiplied by the width '
            f'and height). {fix}')
    K4 = np.eye(4, dtype=np.float32)
    K4[0, :3] = K[0] / w
    K4[1, :3] = K[1] / h
    return K4


def hfov_K(hfov_deg: float, frame_size: Tuple[int, int]) -> np.ndarray:
    """Normalised 4×4 K of a centred pinhole with square pixels and a
    horizontal field of view of ``hfov_deg`` over the (H, W) frames."""
    if not 1 < hfov_deg < 170:
        raise ValueError(f'hfov_deg must be in (1, 170) degrees, got '
                         f'{hfov_deg!r}')
    h, w = frame_size
    fx = w / (2 * math.tan(math.radians(hfov_deg) / 2))
    return normalised_K(np.array([[fx, 0, w / 2], [0, fx, h / 2],
                                  [0, 0, 1]]), frame_size,
                        f'hfov_deg={hfov_deg}')


def _grey_thumbnail(path: str, width: int) -> np.ndarray:
    """float32 grey image in [0, 1] of at most THUMB_WIDTH columns."""
    flag = (cv2.IMREAD_REDUCED_GRAYSCALE_4 if width >= 4 * THUMB_WIDTH else
            cv2.IMREAD_REDUCED_GRAYSCALE_2 if width >= 2 * THUMB_WIDTH else
            cv2.IMREAD_GRAYSCALE)
    img = cv2.imread(path, flag)
    if img is None:
        raise OSError(f'Cannot decode image {path}. Fix: replace or remove '
                      'it (the frame order is the sorted file names).')
    if img.shape[1] > THUMB_WIDTH:
        th = max(1, round(img.shape[0] * THUMB_WIDTH / img.shape[1]))
        img = cv2.resize(img, (THUMB_WIDTH, th),
                         interpolation=cv2.INTER_AREA)
    return img.astype(np.float32) / 255


def moving_frames(paths: Sequence[str], width: int,
                  thresh: float) -> List[int]:
    """Indices of the frames kept by the static-frame test.

    Frame 0 is kept; frame i is kept when the mean absolute difference of
    its grey thumbnail to the last kept frame's is at least ``thresh``
    (grey values in [0, 1]). ``width``: the frames' width in pixels.
    """
    kept, last = [0], _grey_thumbnail(paths[0], width)
    for i in range(1, len(paths)):
        thumb = _grey_thumbnail(paths[i], width)
        if float(np.abs(thumb - last).mean()) >= thresh:
            kept.append(i)
            last = thumb
    return kept


@DATASETS.register_module()
class VideoFramesDataset(BaseDataset):
    """Monocular training samples from your own videos or frame folders.

    Args:
        source: a video file, a folder of frames, a folder of sequence
            folders, or a list of these (module docstring).
        intrinsics: intrinsics file (:func:`read_intrinsics`) of every
            sequence, in pixels of the frames; checked against each
            sequence's frame size.
        hfov_deg: horizontal field of view (degrees) assumed when
            ``intrinsics`` is None: a centred pinhole, with a warning.
        frame_ids: temporal offsets (ints) of the frames to load; default
            ``(0, -1, 1)``. Offsets count kept frames (after ``frame_step``
            and the static-frame test).
        static_thresh: static-frame threshold on the mean absolute grey
            difference in [0, 1] (module docstring); 0 keeps every frame.
        frame_step: keep every ``frame_step``-th frame first (e.g. 3 turns
            a 30 fps video into 10 fps, KITTI's rate).
        cache_dir: where video frames are extracted (None: beside the
            video).
        pipeline, test_mode, **kwargs: see :class:`BaseDataset`.

    Each data info holds what :class:`KittiRawDataset`'s does for
    monocular training: ``img_paths`` ({frame_id: path}), ``img_path``
    (frame 0 or the first frame id), ``K`` (float32 4×4 normalised by the
    frame width / height), ``frame_ids``, ``sample_idx``; and ``folder``
    (the sequence: video file or folder name), ``frame_index`` (index of
    the target among all the sequence's frames, before ``frame_step``);
    for the loaders' error messages ``data_root`` / ``ann_file`` (the
    sequence's video or folder), ``line_no`` (``frame_index + 1``),
    ``line`` (the target's file name) and ``layout``.
    """

    def __init__(self,
                 source: Union[str, Sequence[str]] = '',
                 intrinsics: Optional[str] = None,
                 hfov_deg: Optional[float] = None,
                 frame_ids: Sequence[int] = (0, -1, 1),
                 static_thresh: float = 0.01,
                 frame_step: int = 1,
                 cache_dir: Optional[str] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        for fid in frame_ids:
            if not isinstance(fid, int) or isinstance(fid, bool):
                raise ValueError(
                    'VideoFramesDataset: frame_ids must be ints (temporal '
                    f'offsets; no stereo), got {list(frame_ids)}')
        if not isinstance(frame_step, int) or frame_step < 1:
            raise ValueError(f'VideoFramesDataset: frame_step must be a '
                             f'positive int, got {frame_step!r}')
        self.sources = [os.fspath(source)] if isinstance(
            source, (str, os.PathLike)) else [os.fspath(s) for s in source]
        if not self.sources or not all(self.sources):
            raise ValueError(
                'VideoFramesDataset: no source given. Fix: set source to '
                'your video, frame folder or folder of sequence folders '
                "(train_dataloader.dataset.source='data/my_video.mp4').")
        if intrinsics is None and hfov_deg is None:
            raise ValueError(
                f'VideoFramesDataset needs the intrinsics of {source}. Fix: '
                "set intrinsics='<file>' (" + INTRINSICS_FORMATS +
                '; see configs/custom/README.md) or, as a guess, hfov_deg=<'
                'horizontal field of view in degrees> (a phone main camera '
                'filming landscape: about 60-70).')
        self.intrinsics = intrinsics
        self.hfov_deg = hfov_deg
        self.frame_ids = list(frame_ids)
        self.static_thresh = float(static_thresh)
        self.frame_step = frame_step
        self.cache_dir = cache_dir
        super().__init__(pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def _sequences(self) -> List[Tuple[str, str, List[str], str]]:
        """``(name, origin, frame paths, layout)`` of every sequence; origin
        is the video file or the frame folder, layout describes the frame
        files for the loaders' error hints."""
        folder_layout = ('<folder>/<frame images, in natural name order>, '
                         'one folder per sequence')
        out = []
        for src in self.sources:
            src = osp.abspath(src)
            if osp.isfile(src):
                if not src.lower().endswith(VIDEO_EXTS):
                    raise ValueError(
                        f'{src} is not a video ({", ".join(VIDEO_EXTS)}, '
                        'any case) nor a folder. Fix: pass a video, a '
                        'folder of frames or a folder of sequence folders.')
                frames = extract_video_frames(src, self.cache_dir)
                out.append((osp.basename(src), src, list_images(frames),
                            f'{frames}/NNNNNN.jpg (the frames of {src}; '
                            'delete the folder to extract them again)'))
                continue
            if not osp.isdir(src):
                raise FileNotFoundError(
                    f'Source {src} does not exist. Fix: correct the source '
                    'of VideoFramesDataset (a video, a folder of frames or '
                    'a folder of sequence folders).')
            images = list_images(src)
            if images:
                out.append((osp.basename(src), src, images, folder_layout))
                continue
            subs = sorted((d for d in os.listdir(src)
                           if osp.isdir(osp.join(src, d))), key=natural_key)
            seqs = [(d, osp.join(src, d), list_images(osp.join(src, d)),
                     folder_layout) for d in subs]
            seqs = [s for s in seqs if s[2]]
            if not seqs:
                raise FileNotFoundError(
                    f'Folder {src} holds no images ({", ".join(IMAGE_EXTS)},'
                    ' any case) and no sub-folder with images. Fix: put the '
                    'frames of a sequence into one folder (sorted names give '
                    'their order), one folder per sequence.')
            out += seqs
        return out

    def _frame_size(self, paths: List[str], origin: str) -> Tuple[int, int]:
        """(H, W) shared by all ``paths`` (image headers only)."""
        sizes = {}
        for path in paths:
            try:
                with Image.open(path) as img:
                    sizes.setdefault(img.size, path)
            except OSError as e:
                raise OSError(f'Cannot read image {path} ({e}). Fix: replace '
                              'or remove it.') from e
        if len(sizes) > 1:
            (s0, p0), (s1, p1) = list(sizes.items())[:2]
            raise ValueError(
                f'The frames of {origin} differ in size: {p0} is '
                f'{s0[0]}×{s0[1]}, {p1} is {s1[0]}×{s1[1]}. Fix: give every '
                'frame of a sequence the same size (one camera, no crops).')
        w, h = next(iter(sizes))
        return h, w

    def _K(self, size: Tuple[int, int], origin: str) -> np.ndarray:
        if self.intrinsics is not None:
            intr = read_intrinsics(self.intrinsics)
            return normalised_K(intr['K'], size, self.intrinsics,
                                intr['size'])
        K = hfov_K(self.hfov_deg, size)
        print_log(
            f'VideoFramesDataset: no intrinsics file for {origin}: assuming '
            f'a {self.hfov_deg:g}° horizontal field of view (fx = fy = '
            f'{K[0, 0] * size[1]:.1f} px at {size[1]}×{size[0]}, principal '
            'point at the centre). The depth, the poses and their scale '
            'then depend on this guess; set intrinsics=<file> with the '
            'calibrated values when you have them.', logger='current',
            level=logging.WARNING)
        return K

    def load_data_list(self) -> List[dict]:
        lo, hi = min(self.frame_ids), max(self.frame_ids)
        span = hi - lo + 1
        data_list = []
        for name, origin, all_paths, layout in self._sequences():
            paths = all_paths[::self.frame_step]
            if len(paths) < span:
                raise ValueError(
                    f'{origin} has {len(paths)} frame(s) (frame_step '
                    f'{self.frame_step}); frame_ids {self.frame_ids} need at '
                    f'least {span}. Fix: use a longer recording (or a '
                    'smaller frame_step), or remove it from the source.')
            size = self._frame_size(paths, origin)
            K = self._K(size, origin)
            kept = list(range(len(paths)))
            if self.static_thresh > 0:
                kept = moving_frames(paths, size[1], self.static_thresh)
            if len(kept) < span:
                raise ValueError(
                    f'{origin}: only {len(kept)} of {len(paths)} frames move '
                    'enough (mean absolute grey difference to the previous '
                    f'kept frame >= static_thresh={self.static_thresh:g}); '
                    f'frame_ids {self.frame_ids} need at least {span}. Fix: '
                    'record while the camera moves, or lower static_thresh '
                    '(0 keeps every frame).')
            targets = range(-lo, len(kept) - hi)
            print_log(
                f'VideoFramesDataset: {origin}: {len(all_paths)} frames, '
                f'{len(paths)} after frame_step {self.frame_step}, '
                f'{len(paths) - len(kept)} dropped as static (mean absolute '
                f'grey difference < {self.static_thresh:g}), {span - 1} '
                f'without neighbours for frame_ids {self.frame_ids}: '
                f'{len(targets)} samples.', logger='current')
            ref = 0 if 0 in self.frame_ids else self.frame_ids[0]
            for j in targets:
                img_paths = {f: paths[kept[j + f]] for f in self.frame_ids}
                index = kept[j + ref] * self.frame_step
                data_list.append(dict(
                    img_paths=img_paths, img_path=img_paths[ref], K=K.copy(),
                    frame_ids=list(self.frame_ids), folder=name,
                    frame_index=index, data_root=origin, ann_file=origin,
                    line_no=index + 1, line=osp.basename(img_paths[ref]),
                    layout=layout, sample_idx=len(data_list)))
        return data_list
