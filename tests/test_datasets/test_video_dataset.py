"""VideoFramesDataset: your own video or frame folder as monocular training
data. The configs of configs/custom train 1 epoch on a short mp4 of the
built-in synthetic drive (with an intrinsics file; with only a field of
view), and tools/infer.py runs on the same video."""
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from PIL import Image

import depthseg.datasets.video as video_mod
from depthseg.datasets import KittiRawDataset, VideoFramesDataset
from depthseg.datasets.synthetic import SynthRoadScene
from depthseg.engine import DepthRunner
from depthseg.models.data_preprocessor import DepthDataPreprocessor
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.testing.tools import load_tool
from depthseg.utils import disable_pretrained, register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CUSTOM = ROOT / 'configs' / 'custom'
SIZE = (64, 192)  # H, W
FRAMES = 12
PIPELINE = [
    dict(type='LoadFrames'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ResizePyramid', height=SIZE[0], width=SIZE[1]),
    dict(type='ColorJitter', prob=0.5),
    dict(type='PackDepthInputs'),
]

register_all_modules()


@pytest.fixture(scope='module')
def scene():
    return SynthRoadScene(seed=0, drive=0, num_frames=FRAMES, size=SIZE)


@pytest.fixture(scope='module')
def frames(scene):
    """The drive's RGB frames (uint8 H×W×3)."""
    return [scene.render(i)['image'] for i in range(FRAMES)]


def write_video(path: Path, frames) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             frames[0].shape[1::-1])
    assert writer.isOpened()
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def write_folder(folder: Path, frames, name='f{}.png') -> Path:
    """Lossless frames named ``name.format(i + 1)`` (f1, f2, ..., f12)."""
    folder.mkdir(parents=True)
    for i, rgb in enumerate(frames):
        Image.fromarray(rgb).save(folder / name.format(i + 1))
    return folder


def write_intrinsics(path: Path, scene) -> Path:
    fx, fy, cx, cy = (scene.K[0, 0], scene.K[1, 1], scene.K[0, 2],
                      scene.K[1, 2])
    path.write_text(f'# fx fy cx cy (pixels, {SIZE[1]}x{SIZE[0]})\n'
                    f'{fx} {fy} {cx} {cy}\n')
    return path


@pytest.fixture
def logs(monkeypatch):
    """Messages of the dataset's print_log calls: [(text, level)]."""
    got, real = [], video_mod.print_log

    def record(msg, *args, **kwargs):
        got.append((msg, kwargs.get('level')))
        real(msg, *args, **kwargs)

    monkeypatch.setattr(video_mod, 'print_log', record)
    return got


@pytest.fixture(scope='module')
def infer():
    return load_tool('tools/infer.py')


def tiny_runner(config: Path, work_dir: Path, **dataset) -> DepthRunner:
    """``config`` at 64×192, batch 2, 1 epoch, no workers, no ImageNet."""
    cfg = Config.fromfile(str(config))
    disable_pretrained(cfg.model)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step['type'] == 'ResizePyramid':
            step.update(height=SIZE[0], width=SIZE[1])
    cfg.train_dataloader.update(batch_size=2, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.update(dataset)
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    return DepthRunner.from_cfg(cfg)


# ---- end to end: train the custom configs, then infer ----

def test_train_with_intrinsics_file_then_infer(scene, frames, tmp_path,
                                               infer):
    video = write_video(tmp_path / 'clip.mp4', frames)
    runner = tiny_runner(CUSTOM / 'monodepth2_r18_video.py',
                         tmp_path / 'work', source=str(video),
                         intrinsics=str(write_intrinsics(
                             tmp_path / 'clip_intrinsics.txt', scene)))
    assert runner.cfg.get('val_cfg') is None  # no GT: no val / test loop
    runner.train()
    assert runner.iter == (FRAMES - 2) // 2
    assert math.isfinite(runner.message_hub.log_scalars[
        'train/loss'].current())
    ckpt = tmp_path / 'work' / 'epoch_1.pth'
    assert ckpt.is_file()
    marker = json.loads((tmp_path / 'clip.mp4.frames' /
                         video_mod.MARKER).read_text())
    assert (marker['frames'], marker['height'], marker['width']) == (
        FRAMES, *SIZE)

    out = tmp_path / 'pred'
    infer.main([str(CUSTOM / 'monodepth2_r18_video.py'), str(ckpt),
                str(video), '--out-dir', str(out), '--save-npy'])
    cap = cv2.VideoCapture(str(out / 'clip_disp.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES
    cap.release()
    disps = np.load(out / 'clip_disp.npy')
    assert disps.shape == (FRAMES, 128, 224) and np.isfinite(disps).all()


def test_train_bdedepth_with_field_of_view_only(frames, tmp_path, logs):
    video = write_video(tmp_path / 'clip.avi', frames)
    runner = tiny_runner(CUSTOM / 'bdedepth_r18_video.py', tmp_path / 'work',
                         source=str(video), hfov_deg=60.0)
    runner.train()
    assert runner.iter == (FRAMES - 2) // 2
    scalars = runner.message_hub.log_scalars
    assert math.isfinite(scalars['train/loss'].current())
    assert 'train/loss_view_consistency_local' in scalars
    warnings = [m for m, level in logs if level is not None]
    assert len(warnings) == 1 and 'assuming a 60° horizontal field of ' \
        'view' in warnings[0] and 'depend on this guess' in warnings[0]
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


# ---- the data contract ----

def test_samples_match_kitti_raw(scene, frames, tmp_path):
    """Same packed inputs and metadata as KittiRawDataset's (monocular),
    consecutive neighbours, K of the intrinsics file."""
    video = write_video(tmp_path / 'clip.mp4', frames)
    ds = VideoFramesDataset(
        source=str(video), pipeline=PIPELINE,
        intrinsics=str(write_intrinsics(tmp_path / 'k.txt', scene)))
    assert len(ds) == FRAMES - 2
    frames_dir = tmp_path / 'clip.mp4.frames'
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['frame_index'] == i + 1
        assert info['img_paths'] == {
            f: str(frames_dir / f'{i + 1 + f:06d}.jpg') for f in (0, -1, 1)}
    expected = np.eye(4, dtype=np.float32)
    expected[:3, :3] = scene.K_norm
    np.testing.assert_allclose(ds.get_data_info(0)['K'], expected,
                               rtol=1e-6)

    tree = make_kitti_raw_tree(str(tmp_path / 'kitti'), size=SIZE)
    kitti = KittiRawDataset(data_root=tree['root'], ann_file=tree['train'],
                            pipeline=PIPELINE)
    ours, theirs = ds[0], kitti[0]
    assert ours['inputs'].keys() == theirs['inputs'].keys()
    for key in ('color', 'color_aug'):
        assert ours['inputs'][key].keys() == theirs['inputs'][key].keys()
    assert [t.shape for t in ours['inputs']['color'][-1]] == [
        t.shape for t in theirs['inputs']['color'][-1]]
    assert set(theirs['data_samples'].metainfo) - set(
        ours['data_samples'].metainfo) == {'side'}


def test_folder_sources_natural_order_and_step(frames, tmp_path):
    root = tmp_path / 'root'
    write_folder(root / 'seq10', frames)
    write_folder(root / 'seq2', frames[:5])
    (root / 'seq2' / 'notes.txt').write_text('not a frame')
    ds = VideoFramesDataset(source=str(root), hfov_deg=70)
    seqs = [ds.get_data_info(i)['folder'] for i in range(len(ds))]
    assert seqs == ['seq2'] * 3 + ['seq10'] * (FRAMES - 2)
    info = ds.get_data_info(3)  # the first of seq10: f2 between f1 and f3
    assert {f: Path(p).name for f, p in info['img_paths'].items()} == {
        0: 'f2.png', -1: 'f1.png', 1: 'f3.png'}
    # one folder; every 2nd frame; frame ids (0, -2, 2) of kept frames
    ds = VideoFramesDataset(source=str(root / 'seq10'), hfov_deg=70,
                            frame_step=2, frame_ids=[0, -2, 2])
    assert [ds.get_data_info(i)['frame_index'] for i in range(len(ds))] == [
        4, 6]
    assert Path(ds.get_data_info(0)['img_paths'][-2]).name == 'f1.png'
    # a list of sources: a folder and a video
    video = write_video(tmp_path / 'clip.mp4', frames)
    ds = VideoFramesDataset(source=[str(root / 'seq2'), str(video)],
                            hfov_deg=70)
    assert len(ds) == 3 + FRAMES - 2


def test_static_frames_dropped(frames, tmp_path, logs):
    # the camera stops at frame 3 for 4 frames
    order = [0, 1, 2, 3, 3, 3, 3, 4, 5]
    folder = write_folder(tmp_path / 'stop', [frames[i] for i in order])
    ds = VideoFramesDataset(source=str(folder), hfov_deg=70)
    assert len(ds) == 6 - 2
    names = [{f: Path(p).name for f, p in ds.get_data_info(i)[
        'img_paths'].items()} for i in range(len(ds))]
    assert names[3] == {0: 'f8.png', -1: 'f4.png', 1: 'f9.png'}
    assert any('9 frames, 9 after frame_step 1, 3 dropped as static' in m
               for m, _ in logs)
    ds = VideoFramesDataset(source=str(folder), hfov_deg=70,
                            static_thresh=0)
    assert len(ds) == len(order) - 2


def test_frame_cache_reused_redone_and_protected(frames, tmp_path,
                                                 monkeypatch):
    video = write_video(tmp_path / 'clip.mp4', frames)
    cache = tmp_path / 'cache' / 'clip.mp4.frames'
    kw = dict(source=str(video), hfov_deg=70, cache_dir=str(cache.parent))
    assert len(VideoFramesDataset(**kw)) == FRAMES - 2
    assert not (tmp_path / 'clip.mp4.frames').exists()
    real_capture = cv2.VideoCapture

    def no_decoding(*args):
        raise AssertionError('decoded again')

    monkeypatch.setattr(video_mod.cv2, 'VideoCapture', no_decoding)
    assert len(VideoFramesDataset(**kw)) == FRAMES - 2  # reused
    monkeypatch.setattr(video_mod.cv2, 'VideoCapture', real_capture)
    # an interrupted extraction: frames but no marker -> extracted again
    (cache / video_mod.MARKER).unlink()
    (cache / '000011.jpg').unlink()
    assert len(VideoFramesDataset(**kw)) == FRAMES - 2
    assert (cache / '000011.jpg').is_file()
    # another video under the same name -> extracted again
    write_video(video, frames[:6])
    assert len(VideoFramesDataset(**kw)) == 6 - 2
    assert len(list(cache.glob('*.jpg'))) == 6
    # a folder that is not a frame cache is never deleted
    (cache / video_mod.MARKER).unlink()
    (cache / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='not a frame cache'):
        VideoFramesDataset(**kw)
    assert (cache / 'mine.txt').is_file()


# ---- intrinsics ----

@pytest.mark.parametrize('name, text', [
    ('k.txt', '100 110 96 32'),
    ('k.txt', '# K\n100, 0, 96\n0, 110, 32\n0, 0, 1\n'),
    ('k.yaml', 'fx: 100\nfy: 110\ncx: 96\ncy: 32\n'),
    ('k.json', '{"K": [[200, 0, 192], [0, 220, 64], [0, 0, 1]], '
     '"width": 384, "height": 128}'),
])
def test_intrinsics_formats(frames, tmp_path, name, text):
    folder = write_folder(tmp_path / 'seq', frames[:4])
    (tmp_path / name).write_text(text)
    ds = VideoFramesDataset(source=str(folder),
                            intrinsics=str(tmp_path / name))
    K = ds.get_data_info(0)['K']
    np.testing.assert_allclose(K[:2, :3], [[100 / 192, 0, 0.5],
                                           [0, 110 / 64, 0.5]], rtol=1e-6)


def test_field_of_view_guess(frames, tmp_path):
    folder = write_folder(tmp_path / 'seq', frames[:4])
    K = VideoFramesDataset(source=str(folder),
                           hfov_deg=90).get_data_info(0)['K']
    np.testing.assert_allclose(K[:2, :3], [[0.5, 0, 0.5],
                                           [0, 0.5 * 192 / 64, 0.5]],
                               rtol=1e-6)


@pytest.mark.parametrize('text, match', [
    ('100 110 300 32', r'principal point .* outside the 192×64 frames'),
    ('0 110 96 32', 'focal lengths must be positive'),
    ('0.58 1.92 0.5 0.5', 'field of view .*normalised by the image size'),
    ('fx: 100\nfy: 110\ncx: 96\ncy: 32\nwidth: 100\nheight: 100',
     'another aspect ratio'),
    ('100 110 96', 'found 3 numbers, not 4 or 9'),
    ('fx: 100\nfy: 110\ncx: 96', "no 'cy' entry"),
    ('100 0 96 0 110 32 0 1 1', 'not a camera matrix'),
])
def test_bad_intrinsics(frames, tmp_path, text, match):
    folder = write_folder(tmp_path / 'seq', frames[:4])
    path = tmp_path / 'intrinsics.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        VideoFramesDataset(source=str(folder), intrinsics=str(path))
    msg = str(err.value)
    assert str(path) in msg and ('Fix:' in msg or 'Expected' in msg)


# ---- bad input ----

def test_bad_inputs(frames, tmp_path):
    folder = write_folder(tmp_path / 'seq', frames[:4])
    with pytest.raises(ValueError, match='needs the intrinsics'):
        VideoFramesDataset(source=str(folder))
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        VideoFramesDataset(source=str(folder),
                           intrinsics=str(tmp_path / 'missing.txt'))
    with pytest.raises(ValueError, match='no stereo'):
        VideoFramesDataset(source=str(folder), hfov_deg=70,
                           frame_ids=[0, 's'])
    missing = tmp_path / 'nothing_here'
    with pytest.raises(FileNotFoundError, match=f'{missing} does not exist'):
        VideoFramesDataset(source=str(missing), hfov_deg=70)
    (tmp_path / 'empty' / 'sub').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='holds no images'):
        VideoFramesDataset(source=str(tmp_path / 'empty'), hfov_deg=70)
    notes = tmp_path / 'notes.txt'
    notes.write_text('not a video')
    with pytest.raises(ValueError, match=f'{notes} is not a video'):
        VideoFramesDataset(source=str(notes), hfov_deg=70)


def test_unreadable_and_short_videos(frames, tmp_path):
    fake = tmp_path / 'fake.mp4'
    fake.write_bytes(b'not a video at all')
    with pytest.raises(OSError, match=f'Cannot decode video {fake}.*ffmpeg'):
        VideoFramesDataset(source=str(fake), hfov_deg=70)
    assert not (tmp_path / 'fake.mp4.frames').exists()
    short = write_video(tmp_path / 'short.mp4', frames[:2])
    with pytest.raises(ValueError, match=r'short.mp4 has 2 frame\(s\).*'
                       'need at least 3'):
        VideoFramesDataset(source=str(short), hfov_deg=70)
    parked = write_video(tmp_path / 'parked.mp4', [frames[0]] * 5)
    with pytest.raises(ValueError, match='only 1 of 5 frames move enough'):
        VideoFramesDataset(source=str(parked), hfov_deg=70)


def test_unreadable_or_mismatched_frames(frames, tmp_path):
    folder = write_folder(tmp_path / 'seq', frames[:4])
    (folder / 'f5.jpg').write_bytes(b'truncated')
    with pytest.raises(OSError, match=f'Cannot read image {folder}/f5.jpg'):
        VideoFramesDataset(source=str(folder), hfov_deg=70)
    (folder / 'f5.jpg').unlink()
    Image.fromarray(frames[4][:, :100]).save(folder / 'f5.png')
    with pytest.raises(ValueError, match='differ in size.*f5.png is 100×64'):
        VideoFramesDataset(source=str(folder), hfov_deg=70)


def test_packed_K_reaches_the_model_scaled(scene, frames, tmp_path):
    """The preprocessor turns the normalised K into the pixel K of the
    network input (the video's own K at 64×192)."""
    folder = write_folder(tmp_path / 'seq', frames[:4])
    ds = VideoFramesDataset(
        source=str(folder), pipeline=PIPELINE,
        intrinsics=str(write_intrinsics(tmp_path / 'k.txt', scene)))
    batch = DepthDataPreprocessor()(pseudo_collate([ds[0], ds[1]]))
    K = batch['inputs']['K'][0]
    assert K.shape == (2, 4, 4)
    np.testing.assert_allclose(K[:, :3, :3].numpy(),
                               np.stack([scene.K] * 2), rtol=1e-5)
