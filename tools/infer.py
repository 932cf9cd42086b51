"""Predict depth for an image, a folder of images or a video.

Usage::

    python tools/infer.py CONFIG CHECKPOINT INPUT [--out-dir DIR]
        [--save-npy] [--cmap magma] [--device cpu]

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
from mmengine.config import DictAction  # noqa: E402
from PIL import Image  # noqa: E402
from tqdm import tqdm  # noqa: E402

from depthseg.apis import inference_depth, init_model  # noqa: E402
from depthseg.utils.safe_load import (add_trust_argument,  # noqa: E402
                                      refuse_cleanly)
from depthseg.utils import atomic_write  # noqa: E402
from depthseg.utils.config import CFG_OPTIONS_HELP  # noqa: E402
from depthseg.visualization import colorize  # noqa: E402

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
              '.mpeg', '.wmv', '.flv', '.gif')
FFMPEG_HINT = ('re-encode it, e.g. `ffmpeg -i {src} -c:v libx264 -pix_fmt '
               'yuv420p reencoded.mp4`, and pass the new file')


class InputError(Exception):
    """The INPUT argument cannot be used."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Predict depth for an image, a folder of images or a '
        'video, and save colour-mapped disparities')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='an image, a folder of images or a '
                        'video file')
    parser.add_argument('--out-dir', help='output folder (default: the '
                        "input's folder, or <folder>_depth for a folder)")
    parser.add_argument('--save-npy', action='store_true',
                        help='also save the network-resolution scaled '
                        'disparity as NAME_disp.npy')
    parser.add_argument('--cmap', default='magma',
                        help='matplotlib colour map (default: magma)')
    parser.add_argument('--device', default='cpu', help="e.g. 'cuda:0'")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help=CFG_OPTIONS_HELP)
    add_trust_argument(parser)
    return parser.parse_args(argv)


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
            + FFMPEG_HINT.format(src=path))
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


def run_images(model, images, out_dir: Path, args) -> list:
    """Write the outputs of the readable images; returns ``'path: reason'``
    of each image PIL cannot read (not an image, truncated, no access)."""
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
    return failed


def run_video(model, video: Path, opened, out_dir: Path, args):
    """Write ``NAME_disp.mp4`` (or ``.gif``) frame by frame under a
    temporary name; rename when all frames are done, delete on failure.
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


def main(argv=None):
    args = parse_args(argv)
    source = Path(args.input).resolve()
    try:
        kind, inputs = find_inputs(source)
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
    model = init_model(args.config, args.checkpoint, device=args.device,
                       cfg_options=args.cfg_options,
                       trust_checkpoint=args.trust_checkpoint or None)
    if kind == 'video':
        run_video(model, inputs, opened, out_dir, args)
    else:
        failed = run_images(model, inputs, out_dir, args)
        print(f'{len(inputs) - len(failed)} image(s) -> {out_dir}')
        if failed:
            sys.exit(f'error: {len(failed)} of {len(inputs)} image(s) could '
                     'not be read and have no output:\n  ' +
                     '\n  '.join(failed) + '\nFix: replace or remove them '
                     '(e.g. copy them again), then run again.')


if __name__ == '__main__':
    with refuse_cleanly():
        main()
