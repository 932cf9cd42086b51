"""tools/infer.py on an image, a folder and a video; bad inputs."""
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
INFER = ROOT / 'tools' / 'infer.py'
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
PHOTO = ROOT.parent / 'shared' / 'data' / 'images' / 'road_photo.jpg'



def infer(checkpoint, *args, returncode=0):
    proc = subprocess.run(
        [sys.executable, str(INFER), str(CONFIG), str(checkpoint)] +
        [str(a) for a in args], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=300,
        env={'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin:/bin'})
    assert proc.returncode == returncode, proc.stdout[-3000:]
    return proc.stdout


def test_image(checkpoint, tmp_path):
    if not PHOTO.is_file():
        pytest.skip(f'{PHOTO} is absent')
    infer(checkpoint, PHOTO, '--out-dir', tmp_path, '--save-npy')
    h, w = np.asarray(Image.open(PHOTO)).shape[:2]
    out = np.asarray(Image.open(tmp_path / 'road_photo_disp.png'))
    assert out.shape == (2 * h, w, 3)  # input above its disparity
    assert np.load(tmp_path / 'road_photo_disp.npy').shape == (64, 192)


def test_folder(checkpoint, tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.png', 'b.jpg'):
        Image.fromarray(rng.integers(0, 255, (40, 100, 3), np.uint8)).save(
            folder / name)
    infer(checkpoint, folder, '--out-dir', tmp_path / 'out')
    outs = sorted(p.name for p in (tmp_path / 'out').iterdir())
    assert outs == ['a_disp.png', 'b_disp.png']


def test_video(checkpoint, tmp_path):
    video = tmp_path / 'drive.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (96, 48))
    rng = np.random.default_rng(0)
    for _ in range(5):
        writer.write(rng.integers(0, 255, (48, 96, 3), np.uint8))
    writer.release()
    infer(checkpoint, video, '--out-dir', tmp_path / 'out', '--save-npy')
    result = next((tmp_path / 'out').glob('drive_disp.*[!y]'))
    cap = cv2.VideoCapture(str(result))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 5 and frames[0].shape[:2] == (96, 96)
    assert np.load(tmp_path / 'out' / 'drive_disp.npy').shape == (5, 64, 192)


def test_bad_inputs(checkpoint, tmp_path):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video at all' * 100)
    out = infer(checkpoint, broken, '--out-dir', tmp_path / 'o1',
                returncode=1)
    assert 'cannot read video' in out and 'ffmpeg' in out
    assert not (tmp_path / 'o1').exists() or not any(
        (tmp_path / 'o1').iterdir())
    empty = tmp_path / 'empty'
    empty.mkdir()
    out = infer(checkpoint, empty, returncode=1)
    assert 'has no images' in out and '.png' in out
    out = infer(checkpoint, tmp_path / 'missing.jpg', returncode=1)
    assert 'does not exist' in out
    shutil.rmtree(empty)
