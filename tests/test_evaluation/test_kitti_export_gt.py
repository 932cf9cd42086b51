"""tools/dataset_converters/kitti_export_gt.py on tiny KITTI trees."""
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthseg.datasets.kitti_utils import generate_depth_map
from depthseg.evaluation import load_gt_depths
from depthseg.testing.fixtures import load_fixture
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.testing.tools import load_tool

ROOT = Path(__file__).resolve().parents[2]
export_tool = load_tool('tools/dataset_converters/kitti_export_gt.py')


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    return make_kitti_raw_tree(str(tmp_path_factory.mktemp('kitti')),
                               num_frames=4, with_gt_png=True)


def _lines(split_file):
    with open(split_file) as f:
        return [line.split() for line in f.read().splitlines() if line]


def test_eigen_equals_generate_depth_map(tree, tmp_path):
    out = str(tmp_path / 'gt.npz')
    export_tool.main(['--data-root', tree['root'], '--split', 'eigen',
                      '--split-file', tree['test'], '--out', out])
    gts = load_gt_depths(out)
    lines = _lines(tree['test'])
    assert len(gts) == len(lines) == 4
    with np.load(out, allow_pickle=False) as z:  # needs no pickle
        assert sorted(z.files) == ['shapes', 'values']
    for gt, (folder, frame, _) in zip(gts, lines):
        expected = generate_depth_map(
            osp.join(tree['root'], folder.split('/')[0]),
            osp.join(tree['root'], folder, 'velodyne_points', 'data',
                     f'{int(frame):010d}.bin'), cam=2, vel_depth=True)
        assert gt.dtype == np.float32 and (gt > 0).sum() > 100
        np.testing.assert_array_equal(gt, expected.astype(np.float32))


def test_eigen_benchmark_pngs(tree, tmp_path):
    export_tool.main(['--data-root', tree['root'], '--split',
                      'eigen_benchmark', '--split-file', tree['test']])
    # default output: <data-root>/gt_depths_<split>.npz
    gts = load_gt_depths(osp.join(tree['root'],
                                  'gt_depths_eigen_benchmark.npz'))
    for gt, (folder, frame, _) in zip(gts, _lines(tree['test'])):
        png = osp.join(tree['root'], folder, 'proj_depth', 'groundtruth',
                       'image_02', f'{int(frame):010d}.png')
        np.testing.assert_array_equal(
            gt, np.array(Image.open(png)).astype(np.float32) / 256)


def test_velodyne_quirks_through_export(tmp_path):
    """The fixture's calibration (S_rect_02 shape, collisions) in a tree."""
    ins, outs = load_fixture('kitti_velodyne',
                             'generate_depth_map_cam2_vel_depth')
    folder = '2011_09_26/2011_09_26_drive_0001_sync'
    velo_dir = tmp_path / folder / 'velodyne_points' / 'data'
    velo_dir.mkdir(parents=True)
    for key in ('calib_cam_to_cam', 'calib_velo_to_cam'):
        (tmp_path / '2011_09_26' / f'{key}.txt').write_text(
            str(ins[f'{key}_txt']))
    ins['velo_points'].astype(np.float32).tofile(velo_dir /
                                                 '0000000007.bin')
    split = tmp_path / 'test_files.txt'
    split.write_text(f'{folder} 0000000007 l\n')
    out = tmp_path / 'gt.npz'
    assert export_tool.export_gt(str(tmp_path), 'eigen', str(split),
                                 str(out)) == 1
    gt = load_gt_depths(str(out))[0]
    expected = outs['depth']
    np.testing.assert_array_equal(gt > 0, expected > 0)
    np.testing.assert_allclose(gt, expected.astype(np.float32), rtol=1e-6)


def test_missing_files_name_the_line(tree, tmp_path):
    split = tmp_path / 'split.txt'
    lines = open(tree['test']).read().splitlines()
    split.write_text('\n'.join(lines[:2] + ['2011_09_26/missing_drive 3 l']))
    with pytest.raises(FileNotFoundError) as err:
        export_tool.export_gt(tree['root'], 'eigen', str(split),
                              str(tmp_path / 'gt.npz'))
    msg = str(err.value)
    assert 'missing_drive/velodyne_points/data/0000000003.bin' in msg
    assert f'line 3 of {split}' in msg and 'velodyne_points' in msg
    with pytest.raises(FileNotFoundError, match='proj_depth/groundtruth'):
        export_tool.export_gt(tree['root'], 'eigen_benchmark', str(split),
                              str(tmp_path / 'gt.npz'))
    with pytest.raises(FileNotFoundError, match='Split file'):
        export_tool.export_gt(tree['root'], 'eigen', str(tmp_path / 'no'),
                              str(tmp_path / 'gt.npz'))


@pytest.mark.parametrize('line', ['2011_09_26/drive 3', 'drive three l'])
def test_malformed_line(tree, line):
    with pytest.raises(ValueError) as err:
        export_tool.load_gt(tree['root'], 'eigen', line, 7, 'split.txt')
    assert str(err.value) == (
        f'Malformed line 7 of split.txt: {line!r}; expected "<folder> '
        '<frame> <side>" with an integer frame. Fix: correct or delete '
        'this line.')
