"""tools/infer.py --save-ply in-process on a random Monodepth2-R18 (network
input 64×192): one PLY per image or video frame, the model's or given
intrinsics, the --max-depth cut, bad --intrinsics."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from depthseg.apis import inference_depth, init_model
from depthseg.testing.tools import load_tool
from depthseg.utils.pointcloud import read_ply

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
H, W = 40, 100


@pytest.fixture(scope='module')
def infer():
    return load_tool('tools/infer.py')


@pytest.fixture
def image(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), np.uint8)
    path = tmp_path / 'imgs' / 'a.png'
    path.parent.mkdir()
    Image.fromarray(rgb).save(path)
    return path, rgb


def expected_points(checkpoint, rgb, fx, fy, cx, cy):
    depth = inference_depth(init_model(CONFIG, checkpoint), rgb)['depth']
    v, u = np.indices(depth.shape)
    return np.stack([(u - cx) / fx * depth, (v - cy) / fy * depth, depth],
                    -1).reshape(-1, 3)


def test_image_with_the_model_intrinsics(infer, checkpoint, image,
                                         tmp_path, capsys):
    path, rgb = image
    infer.main([str(CONFIG), str(checkpoint), str(path.parent), '--out-dir',
                str(tmp_path / 'out'), '--save-ply'])
    assert 'KITTI average' in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'a.ply', 'a_disp.png']
    points, colors = read_ply(tmp_path / 'out' / 'a.ply')
    assert len(points) == H * W  # no cut: every pixel, row-major
    np.testing.assert_array_equal(colors, rgb.reshape(-1, 3))
    # the config's K: the KITTI average, normalised by the image size
    np.testing.assert_allclose(
        points, expected_points(checkpoint, rgb, 0.58 * W, 1.92 * H, W / 2,
                                H / 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('spec', [['90', '80', '45', '18'], 'file',
                                  ['0.9', '2', '0.45', '0.45']])
def test_given_intrinsics_and_max_depth(infer, checkpoint, image, tmp_path,
                                        spec):
    path, rgb = image
    if spec == 'file':  # a 3×3 matrix in a text file
        matrix = tmp_path / 'K.txt'
        matrix.write_text('90, 0, 45\n0 80 18\n0 0 1\n')
        spec = [str(matrix)]
    fx, fy, cx, cy = ((0.9 * W, 2 * H, 0.45 * W, 0.45 * H)
                      if spec[0] == '0.9' else (90, 80, 45, 18))
    expected = expected_points(checkpoint, rgb, fx, fy, cx, cy)
    cut = float(np.median(expected[:, 2]))
    infer.main([str(CONFIG), str(checkpoint), str(path), '--out-dir',
                str(tmp_path / 'out'), '--save-ply', '--max-depth', str(cut),
                '--intrinsics', *spec])
    points, colors = read_ply(tmp_path / 'out' / 'a.ply')
    keep = expected[:, 2] <= cut
    assert 0 < len(points) == keep.sum() < H * W
    np.testing.assert_allclose(points, expected[keep], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(colors, rgb.reshape(-1, 3)[keep])


def test_video_frames(infer, checkpoint, tmp_path):
    video = tmp_path / 'drive.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (96, 48))
    for value in range(0, 150, 50):
        writer.write(np.full((48, 96, 3), value, np.uint8))
    writer.release()
    infer.main([str(CONFIG), str(checkpoint), str(video), '--out-dir',
                str(tmp_path / 'out'), '--save-ply'])
    plys = sorted(p.name for p in (tmp_path / 'out' / 'drive_ply').iterdir())
    assert plys == ['000000.ply', '000001.ply', '000002.ply']
    points, _ = read_ply(tmp_path / 'out' / 'drive_ply' / '000002.ply')
    assert points.shape == (48 * 96, 3)


@pytest.mark.parametrize('spec, message', [
    (['1', '2', '3'], "expected 4 numbers (fx fy cx cy) or 9"),
    (['missing.txt'], '--intrinsics missing.txt: no such file'),
    (['-5', '80', '45', '18'], 'not a camera matrix'),
])
def test_bad_intrinsics(infer, image, spec, message):
    path, _ = image
    with pytest.raises(SystemExit) as exit_info:
        infer.main([str(CONFIG), 'unused.pth', str(path), '--save-ply',
                    '--intrinsics', *spec])
    assert message in str(exit_info.value.code)


def test_ply_options_need_save_ply(infer, image, capsys):
    with pytest.raises(SystemExit):
        infer.main([str(CONFIG), 'unused.pth', str(image[0]),
                    '--max-depth', '10'])
    assert '--intrinsics and --max-depth apply to --save-ply' in \
        capsys.readouterr().err
