"""tools/deployment/pytorch2onnx.py on every depth network (random weights,
64×192) and tools/infer.py on the exported files.

The ONNX tests need the ``deploy`` extra (onnx, onnxruntime) and skip
without it; the TorchScript ones need only torch.
"""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthseg.apis import DeployedDepthModel
from depthseg.testing.tools import load_tool
from depthseg.utils.pointcloud import read_ply
from depthseg.utils.safe_load import UntrustedProgramError

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'monodepth2' / 'monodepth2_r18_kitti.py'
NETWORKS = {
    'monodepth2_r18': 'configs/monodepth2/monodepth2_r18_kitti.py',
    'monodepth2_r50': 'configs/monodepth2/monodepth2_r50_kitti.py',
    'hrdepth': 'configs/fumet/fumet_hrdepth_r18_kitti.py',
    'litemono': 'configs/fumet/fumet_litemono_kitti.py',
    'vadepth': 'configs/fumet/fumet_vadepth_kitti.py',
    'hrnet18_grid': 'configs/bdedepth/bdedepth_hrnet18_kitti.py',
    'featdepth_r50': 'configs/featdepth/featdepth_r50_kitti.py',
    'packnet01': 'configs/packnet/packnet01_kitti.py',
}


@pytest.fixture(scope='module')
def export():
    return load_tool('tools/deployment/pytorch2onnx.py').main


@pytest.fixture(scope='module')
def infer():
    return load_tool('tools/infer.py').main


def needs_onnx():
    """The onnx module; skips the test without the deploy extra."""
    pytest.importorskip('onnxruntime')
    return pytest.importorskip('onnx')


@pytest.mark.parametrize('name', NETWORKS)
def test_onnx_export_matches_pytorch(export, name, tmp_path):
    needs_onnx()
    out = tmp_path / f'{name}.onnx'
    args = [str(ROOT / NETWORKS[name]), '-', '--out', str(out), '--shape',
            '64', '192', '--depth']
    if name == 'monodepth2_r18':
        args.append('--dynamic-batch')  # checked on a batch of 2
    diffs = export(args)
    assert set(diffs) == {'disp', 'depth'}
    assert diffs['disp'][0] <= 1e-4
    assert diffs['depth'][0] <= 1e-4 * max(1, diffs['depth'][1])
    meta = DeployedDepthModel(out).meta
    assert (meta['input_height'], meta['input_width']) == (64, 192)
    assert meta['outputs'] == ['disp', 'depth']
    assert meta['min_depth'] > 0 and meta['max_depth'] > meta['min_depth']


@pytest.mark.parametrize('name', ['monodepth2_r18', 'featdepth_r50'])
def test_torchscript_export_matches_pytorch(export, name, tmp_path):
    diffs = export([str(ROOT / NETWORKS[name]), '-', '--out',
                    str(tmp_path / 'model.pt'), '--shape', '64', '192',
                    '--format', 'torchscript', '--dynamic-batch', '--atol',
                    '1e-6'])
    assert diffs['disp'][0] <= 1e-6


def test_export_fails_beyond_the_limit(export, tmp_path):
    needs_onnx()
    out = tmp_path / 'model.onnx'
    with pytest.raises(SystemExit) as exit_info:
        export([str(CONFIG), '-', '--out', str(out), '--shape', '64', '192',
                '--atol', '0'])
    assert str(exit_info.value.code).startswith(
        f'error: {out} differs from PyTorch in disp beyond the limit')


def write_images(folder):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.png', 'b.jpg'):
        Image.fromarray(rng.integers(0, 255, (40, 100, 3), np.uint8)).save(
            folder / name)
    return folder


def assert_same_outputs(reference, other):
    names = sorted(p.name for p in reference.iterdir())
    assert sorted(p.name for p in other.iterdir()) == names
    for name in names:
        if name.endswith('.png'):  # a colour level where rounding differs
            diff = np.abs(np.asarray(Image.open(other / name), int) -
                          np.asarray(Image.open(reference / name), int))
            assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
        elif name.endswith('.npy'):
            np.testing.assert_allclose(np.load(other / name),
                                       np.load(reference / name), atol=1e-5)
        else:
            (points, colors), (ref_points, ref_colors) = (
                read_ply(other / name), read_ply(reference / name))
            np.testing.assert_allclose(points, ref_points, atol=1e-5)
            np.testing.assert_array_equal(colors, ref_colors)


def test_infer_onnxruntime_backend(export, infer, checkpoint, tmp_path):
    onnx = needs_onnx()
    model = tmp_path / 'model.onnx'
    export([str(CONFIG), str(checkpoint), '--out', str(model)])
    images = write_images(tmp_path / 'imgs')
    common = [str(images), '--save-npy', '--save-ply']
    infer([str(CONFIG), str(checkpoint), *common, '--out-dir',
           str(tmp_path / 'pytorch')])
    # no config: input size and intrinsics from the file's metadata
    infer([str(model), *common, '--out-dir', str(tmp_path / 'onnx'),
           '--backend', 'onnxruntime'])
    assert_same_outputs(tmp_path / 'pytorch', tmp_path / 'onnx')
    # a file without depthseg metadata needs the config
    proto = onnx.load(str(model))
    del proto.metadata_props[:]
    onnx.save(proto, str(tmp_path / 'bare.onnx'))
    with pytest.raises(SystemExit, match='bare.onnx has no depthseg metadata'):
        infer([str(tmp_path / 'bare.onnx'), *common, '--backend',
               'onnxruntime'])
    with pytest.raises(SystemExit, match='pth: onnxruntime cannot load'):
        infer([str(checkpoint), *common, '--backend', 'onnxruntime'])
    infer([str(CONFIG), str(tmp_path / 'bare.onnx'), *common, '--out-dir',
           str(tmp_path / 'bare'), '--backend', 'onnxruntime'])
    assert_same_outputs(tmp_path / 'pytorch', tmp_path / 'bare')


def test_infer_torchscript_backend(export, infer, checkpoint, tmp_path):
    model = tmp_path / 'model.pt'
    export([str(CONFIG), str(checkpoint), '--out', str(model), '--format',
            'torchscript'])
    images = write_images(tmp_path / 'imgs')
    infer([str(CONFIG), str(checkpoint), str(images), '--save-npy',
           '--out-dir', str(tmp_path / 'pytorch')])
    args = [str(model), str(images), '--save-npy', '--out-dir',
            str(tmp_path / 'ts'), '--backend', 'torchscript']
    with pytest.raises(UntrustedProgramError, match='is a program'):
        infer(args)
    infer(args + ['--trust-checkpoint'])
    assert_same_outputs(tmp_path / 'pytorch', tmp_path / 'ts')
    with pytest.raises(SystemExit, match='model.pt was traced on cpu'):
        infer(args + ['--trust-checkpoint', '--device', 'cuda'])
