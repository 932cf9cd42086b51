"""tools/infer.py in-process: default output folder, ``--save-npy`` for
folders, the GIF fallback, and no partial video after a failure.

(Subprocess runs on an image, a folder, a video and bad inputs are in
``test_infer.py``; the converter is tested in ``tests/test_apis``.)
"""
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from depthseg.testing.tools import load_tool


ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'


@pytest.fixture(scope='module')
def infer():
    return load_tool('tools/infer.py')



def write_video(path, frames=5, size=(48, 96)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             size[::-1])
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (*size, 3), np.uint8))
    writer.release()


def test_folder_default_out_dir_and_npy(infer, checkpoint, tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.PNG', 'b.jpeg', 'old_disp.png'):  # old_disp: an output
        Image.fromarray(rng.integers(0, 255, (40, 100, 3), np.uint8)).save(
            folder / name, format='PNG' if name.endswith(('png', 'PNG'))
            else 'JPEG')
    (folder / 'notes.txt').write_text('not an image')
    infer.main([str(CONFIG), str(checkpoint), str(folder), '--save-npy'])
    out = tmp_path / 'imgs_depth'
    assert sorted(p.name for p in out.iterdir()) == [
        'a_disp.npy', 'a_disp.png', 'b_disp.npy', 'b_disp.png']
    assert np.asarray(Image.open(out / 'a_disp.png')).shape == (80, 100, 3)
    assert np.load(out / 'b_disp.npy').shape == (64, 192)


def test_gif_when_no_mp4_writer(infer, checkpoint, tmp_path, monkeypatch):
    video = tmp_path / 'clip.mp4'
    write_video(video)
    real_writer = cv2.VideoWriter

    def closed_writer(*args):  # as if no mp4 encoder were available
        return real_writer()

    monkeypatch.setattr(infer.cv2, 'VideoWriter', closed_writer)
    out = tmp_path / 'out'
    infer.main([str(CONFIG), str(checkpoint), str(video), '--out-dir',
                str(out)])
    assert [p.name for p in out.iterdir()] == ['clip_disp.gif']
    with Image.open(out / 'clip_disp.gif') as gif:
        assert gif.n_frames == 5 and gif.size == (96, 96)


def test_failure_leaves_no_video(infer, checkpoint, tmp_path, monkeypatch):
    video = tmp_path / 'clip.mp4'
    write_video(video)
    real, calls = infer.inference_depth, []

    def fail_on_third_frame(model, image):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError('simulated crash')
        return real(model, image)

    monkeypatch.setattr(infer, 'inference_depth', fail_on_third_frame)
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError, match='simulated crash'):
        infer.main([str(CONFIG), str(checkpoint), str(video), '--out-dir',
                    str(out), '--save-npy'])
    assert list(out.iterdir()) == []


def test_unreadable_image_reported_after_the_others(infer, checkpoint,
                                                     tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.png', 'c.png'):
        Image.fromarray(rng.integers(0, 255, (40, 100, 3), np.uint8)).save(
            folder / name)
    (folder / 'b.jpg').write_bytes(b'not an image at all')
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as exit_info:
        infer.main([str(CONFIG), str(checkpoint), str(folder), '--out-dir',
                    str(out)])
    msg = str(exit_info.value.code)
    assert msg.startswith('error: 1 of 3 image(s) could not be read and have '
                          f'no output:\n  {folder / "b.jpg"}: ')
    assert msg.endswith('Fix: replace or remove them (e.g. copy them again), '
                        'then run again.')
    assert sorted(p.name for p in out.iterdir()) == ['a_disp.png',
                                                     'c_disp.png']


def test_neither_image_nor_video(infer, tmp_path):
    notes = tmp_path / 'notes.txt'
    notes.write_text('not a video')
    with pytest.raises(SystemExit) as exit_info:
        infer.main([str(CONFIG), 'unused.pth', str(notes)])
    msg = str(exit_info.value.code)
    assert msg.startswith(f'error: {notes} is neither an image (.jpg, .jpeg, '
                          '.png, .bmp) nor a video (.mp4, .avi,')
    assert 'Fix: pass an image, a folder of images or a video' in msg
