"""Predict depth for an image, a folder of images or a video.

Usage::

    python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir DIR]
        [--save-npy] [--save-ply [--intrinsics fx fy cx cy | FILE]
        [--max-depth D]] [--cmap magma] [--device cpu]
    python tools/infer.py [CONFIG] MODEL INPUT --backend onnxruntime ...

INPUT is an image, a folder of images (jpg/jpeg/png/bmp, sorted by name;
files ending in ``_disp.png`` are skipped) or a video file (``VIDEO_EXTS``:
mp4, avi, mov, mkv, ...; decoded by OpenCV); other files are refused.
Images that cannot be read are listed at the end, after the others are
written, and the exit status is 1. Each output shows the input on top of
its colour-mapped disparity (vertically stacked, input resolution):

* image ``NAME.ext`` -> ``DIR/NAME_disp.png``; with ``--save-npy`` also
  ``DIR/NAME_disp.npy``, the scaled disparity at network resolution (h×w
  float32, as Monodepth2's ``test_simple.py``; depth = depth_scale / disp);
* video ``NAME.ext`` -> ``DIR/NAME_disp.mp4`` (mp4v, the source's fps), or
  ``DIR/NAME_disp.gif`` when no mp4 writer can be opened; with
  ``--save-npy`` also ``DIR/NAME_disp.npy`` (N×h×w).

``DIR`` defaults to the input's folder for a file and to ``<folder>_depth``
next to an input folder. Outputs are written under temporary names and
renamed when complete.

``--save-ply`` also writes the coloured point cloud of each image
(``DIR/NAME.ply``) or frame (``DIR/NAME_ply/NNNNNN.ply``, from 000000):
binary little-endian PLY, the depth (``depth_scale / disp`` at the input
resolution: metres for metric models, relative units for monocular ones)
back-projected with the intrinsics of ``--intrinsics`` (fx fy cx cy, or a
text file holding them or a row-major 3×3 matrix: pixels of the input, or
normalised by its width / height when cx and cy are at most 1) or else the
model's (its config's test dataset ``K``, the KITTI average by default, or
those stored in an exported file). Points beyond ``--max-depth`` are
dropped.

``--backend onnxruntime`` (or ``torchscript``) runs a file written by
``tools/deployment/pytorch2onnx.py`` instead of a PyTorch model: MODEL
replaces CHECKPOINT and CONFIG may be left out (input size, depth scale and
intrinsics are stored in the file; a CONFIG given replaces the stored depth
scale and intrinsics). TorchScript files are programs: they load only with
``--trust-checkpoint``.
"""
import argparse
import io
import os
import os.path as osp
import sys
from pathlib import Path

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from PIL import Image  # noqa: E402
from tqdm import tqdm  # noqa: E402

from depthseg.apis import (DeployedDepthModel, inference_depth,  # noqa: E402
                           init_model, model_intrinsics)
from depthseg.apis.deploy import BACKENDS  # noqa: E402
from depthseg.datasets.video import (IMAGE_EXTS, REENCODE_HINT,  # noqa: E402
                                     VIDEO_EXTS, camera_matrix)
from depthseg.datasets.video import \
    read_intrinsics as read_camera_file  # noqa: E402
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      refuse_cleanly)
from depthseg.utils import atomic_write, merge_cfg_options  # noqa: E402
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402
from depthseg.utils.pointcloud import (pixel_intrinsics,  # noqa: E402
                                       point_cloud, write_ply)
from depthseg.visualization import colorize  # noqa: E402



class InputError(Exception):
    """The INPUT argument cannot be used."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Predict depth for an image, a folder of images or a '
        'video, and save colour-mapped disparities')
    parser.add_argument('config', help='model config file (optional with '
                        '--backend onnxruntime/torchscript)')
    parser.add_argument('checkpoint', help='checkpoint file, or the '
                        'exported model with --backend onnxruntime/'
                        'torchscript')
    parser.add_argument('input', nargs='?', help='an image, a folder of '
                        'images or a video file')
    parser.add_argument('--out-dir', help='output folder (default: the '
                        "input's folder, or <folder>_depth for a folder)")
    parser.add_argument('--save-npy', action='store_true',
                        help='also save the network-resolution scaled '
                        'disparity as NAME_disp.npy')
    parser.add_argument('--save-ply', action='store_true',
                        help='also save a coloured point cloud (binary '
                        'PLY) per image or video frame')
    parser.add_argument('--intrinsics', nargs='+', metavar='FX_FY_CX_CY',
                        help='camera of the input for --save-ply: fx fy cx '
                        'cy, or a file holding them or a 3×3 matrix; '
                        'pixels, or normalised when cx, cy <= 1 (default: '
                        "the model's)")
    parser.add_argument('--max-depth', type=float,
                        help='--save-ply: drop points farther than this '
                        '(depth units)')
    parser.add_argument('--backend', choices=('pytorch', ) + BACKENDS,
                        default='pytorch',
                        help='pytorch (CONFIG CHECKPOINT), or run an '
                        'exported file (MODEL, CONFIG optional)')
    parser.add_argument('--cmap', default='magma',
                        help='matplotlib colour map (default: magma)')
    parser.add_argument('--device', default='cpu', help="e.g. 'cuda:0'")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=CFG_OPTIONS_HELP)
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    if args.input is None:
        if args.backend == 'pytorch':
            parser.error('the following arguments are required: input '
                         '(CONFIG CHECKPOINT INPUT)')
        args.config, args.checkpoint, args.input = (None, args.config,
                                                    args.checkpoint)
    if (args.intrinsics or args.max_depth is not None) and not args.save_ply:
        parser.error('--intrinsics and --max-depth apply to --save-ply')
    if args.max_depth is not None and not args.max_depth > 0:
        parser.error(f'--max-depth must be positive, got {args.max_depth}')
    return args


def read_intrinsics(values) -> tuple:
    """``--intrinsics`` -> (3×3 K, normalised): four numbers fx fy cx cy,
    or one intrinsics file (the formats of ``VideoFramesDataset``: the four
    numbers or a row-major 3×3 matrix, YAML/JSON keys). Normalised (by the
    image width / height) when cx, cy <= 1. Raises InputError."""
    source = 'the --intrinsics values'
    if len(values) == 1:
        path = Path(values[0])
        if not path.is_file():
            raise InputError(f'--intrinsics {path}: no such file. Fix: pass '
                             'fx fy cx cy, or a file holding them (or a 3×3 '
                             'matrix)')
        source = str(path)
        try:
            K = read_camera_file(source)['K']
        except ValueError as e:
            raise InputError(str(e)) from None
    else:
        try:
            K = camera_matrix([float(v) for v in values])
        except ValueError:
            raise InputError(f'{source}: expected 4 numbers (fx fy cx cy) '
                             f'or 9 (a row-major 3×3 matrix), got '
                             f'{values!r}') from None
    if not (np.isfinite(K).all() and K[0, 0] > 0 and K[1, 1] > 0
            and np.allclose(K[2], [0, 0, 1])):
        raise InputError(f'{source}: not a camera matrix (fx, fy > 0, last '
                         f'row 0 0 1): {K.tolist()}')
    return K, bool(K[0, 2] <= 1 and K[1, 2] <= 1)


class PlyWriter:
    """Back-project and write the point clouds of ``--save-ply``."""

    def __init__(self, model, args):
        if args.intrinsics:
            self.K, self.normalised = read_intrinsics(args.intrinsics)
            source = ' '.join(args.intrinsics)
        else:
            self.K, source = model_intrinsics(model)
            self.normalised = True
        self.max_depth = args.max_depth
        kind = 'normalised' if self.normalised else 'pixel'
        print(f'point clouds: {kind} intrinsics fx={self.K[0, 0]:g} '
              f'fy={self.K[1, 1]:g} cx={self.K[0, 2]:g} cy={self.K[1, 2]:g} '
              f'({source})')

    def __call__(self, rgb: np.ndarray, depth: np.ndarray, path: Path):
        K = pixel_intrinsics(self.K, *rgb.shape[:2]) if self.normalised \
            else self.K
        write_ply(path, *point_cloud(depth, rgb, K, self.max_depth))


def find_inputs(path: Path):
    """``('images', [paths])`` or ``('video', path)``; raises InputError."""
    if path.is_dir():
        images = sorted(p for p in path.iterdir()
                        if p.suffix.lower() in IMAGE_EXTS and p.is_file()
                        and not p.name.endswith('_disp.png'))
        if not images:
            raise InputError(f'folder {path} has no images (accepted '
                             f'extensions: {", ".join(IMAGE_EXTS)}, any case)')
        return 'images', images
    if path.is_file():
        if path.suffix.lower() in IMAGE_EXTS:
            return 'images', [path]
        if path.suffix.lower() in VIDEO_EXTS:
            return 'video', path
        raise InputError(
            f'{path} is neither an image ({", ".join(IMAGE_EXTS)}) nor a '
            f'video ({", ".join(VIDEO_EXTS)}), judging by its extension '
            '(any case). Fix: pass an image, a folder of images or a video '
            '(rename the file if its extension is wrong).')
    raise InputError(f'input {path} does not exist')


def open_video(path: Path):
    """Open ``path`` and read its first frame; (capture, first BGR frame,
    fps). Raises InputError if OpenCV cannot decode a frame."""
    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise InputError(
            f'cannot read video {path}: OpenCV could not open it or it has '
            f'no frames (not a video, or an unsupported codec). '
            + REENCODE_HINT.format(src=path) + ', and pass the new file')
    fps = cap.get(cv2.CAP_PROP_FPS)
    if not fps or not np.isfinite(fps) or fps <= 0:
        fps = 25.0
    return cap, frame, fps


def compose(rgb: np.ndarray, disp: np.ndarray, cmap: str) -> np.ndarray:
    """Input (H×W×3 RGB) on top of its colour-mapped disparity -> 2H×W×3."""
    return np.concatenate([rgb, colorize(disp, cmap)], axis=0)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def run_images(model, images, out_dir: Path, args, ply=None) -> list:
    """Write the outputs of the readable images (point clouds with
    ``ply``, a :class:`PlyWriter`); returns ``'path: reason'`` of each
    image PIL cannot read (not an image, truncated, no access)."""
    failed = []
    for path in tqdm(images, unit='img'):
        try:
            with Image.open(path) as img:
                rgb = np.asarray(img.convert('RGB'))
        except OSError as err:
            failed.append(f'{path}: {err}')
            continue
        result = inference_depth(model, rgb)
        ok, png = cv2.imencode(
            '.png', cv2.cvtColor(compose(rgb, result['disp'], args.cmap),
                                 cv2.COLOR_RGB2BGR))
        if not ok:
            raise RuntimeError(f'could not encode the output for {path}')
        atomic_write(png.tobytes(), out_dir / f'{path.stem}_disp.png')
        if args.save_npy:
            atomic_write(npy_bytes(result['disp_net']),
                         out_dir / f'{path.stem}_disp.npy')
        if ply:
            ply(rgb, result['depth'], out_dir / f'{path.stem}.ply')
    return failed


def run_video(model, video: Path, opened, out_dir: Path, args, ply=None):
    """Write ``NAME_disp.mp4`` (or ``.gif``) frame by frame under a
    temporary name; rename when all frames are done, delete on failure
    (point clouds, with ``ply``, are complete files as they come).
    ``opened`` is :func:`open_video`'s result."""
    cap, frame, fps = opened
    height, width = frame.shape[:2]
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f'{video.stem}_disp.mp4'
    tmp = out.with_name(f'.{out.stem}.partial.mp4')
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, 2 * height))
    gif_frames = None
    if not writer.isOpened():
        writer.release()
        tmp.unlink(missing_ok=True)
        out, tmp = out.with_suffix('.gif'), tmp.with_suffix('.gif')
        gif_frames = []
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    disps, count = [], 0
    try:
        with tqdm(total=total, unit='frame') as bar:
            while frame is not None:
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                result = inference_depth(model, rgb)
                vis = compose(rgb, result['disp'], args.cmap)
                if gif_frames is None:
                    writer.write(cv2.cvtColor(vis, cv2.COLOR_RGB2BGR))
                else:
                    gif_frames.append(Image.fromarray(vis))
                if args.save_npy:
                    disps.append(result['disp_net'])
                if ply:
                    ply(rgb, result['depth'],
                        out_dir / f'{video.stem}_ply' / f'{count:06d}.ply')
                count += 1
                bar.update()
                ok, frame = cap.read()
                frame = frame if ok else None
        if gif_frames is None:
            writer.release()
        else:
            gif_frames[0].save(tmp, format='GIF', save_all=True,
                               append_images=gif_frames[1:], loop=0,
                               duration=round(1000 / fps))
        if args.save_npy:
            atomic_write(npy_bytes(np.stack(disps)),
                         out_dir / f'{video.stem}_disp.npy')
        os.replace(tmp, out)
    except BaseException:
        writer.release()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        cap.release()
    print(f'{video} -> {out} ({count} frames, {fps:g} fps)')


def load_model(args):
    """The PyTorch model of CONFIG + CHECKPOINT, or the exported file of
    ``--backend`` (with CONFIG's depth scale and intrinsics if given)."""
    trust = args.trust_checkpoint or None
    if args.backend == 'pytorch':
        return init_model(args.config, args.checkpoint, device=args.device,
                          cfg_options=args.cfg_options,
                          trust_checkpoint=trust)
    config = None
    if args.config:
        config = Config.fromfile(args.config)
        if args.cfg_options:
            merge_cfg_options(config, args.cfg_options)
    try:
        return DeployedDepthModel(args.checkpoint, args.backend,
                                  args.device, config, trust=trust)
    except (ImportError, OSError, ValueError, RuntimeError) as err:
        # a missing extra, a missing or unreadable file, no metadata
        sys.exit(f'error: {err}')


def main(argv=None):
    args = parse_args(argv)
    source = Path(args.input).resolve()
    try:
        kind, inputs = find_inputs(source)
        if args.intrinsics:
            read_intrinsics(args.intrinsics)  # fail before the model loads
        # fail on unreadable videos before loading the model
        opened = open_video(inputs) if kind == 'video' else None
    except InputError as err:
        sys.exit(f'error: {err}')
    if args.out_dir:
        out_dir = Path(args.out_dir)
    elif source.is_dir():
        out_dir = source.with_name(source.name + '_depth')
    else:
        out_dir = source.parent
    model = load_model(args)
    ply = PlyWriter(model, args) if args.save_ply else None
    if kind == 'video':
        run_video(model, inputs, opened, out_dir, args, ply)
    else:
        failed = run_images(model, inputs, out_dir, args, ply)
        print(f'{len(inputs) - len(failed)} image(s) -> {out_dir}')
        if failed:
            sys.exit(f'error: {len(failed)} of {len(inputs)} image(s) could '
                     'not be read and have no output:\n  ' +
                     '\n  '.join(failed) + '\nFix: replace or remove them '
                     '(e.g. copy them again), then run again.')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
