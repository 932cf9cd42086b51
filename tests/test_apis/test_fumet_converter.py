"""FUMET's released folders (HR-Depth R18 here) convert with their h*."""
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from depthseg.apis import init_model
from depthseg.apis.inference import build_model
from depthseg.models.losses import CameraHeightLoss

ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / 'tools' / 'model_converters' / 'fumet_to_depthseg.py'
PARTS = {'depth_encoder.': 'encoder.pth', 'depth_decoder.': 'depth.pth',
         'pose_net.encoder.': 'pose_encoder.pth',
         'pose_net.decoder.': 'pose.pth'}


def released_folder(tmp_path, config, h_star=None):
    """A folder in the original's layout, from a randomly initialised
    depthseg model (the FUMET modules keep the original key names)."""
    model = build_model(str(config))
    folder = tmp_path / 'weights_45'
    folder.mkdir()
    state = model.state_dict()
    for prefix, fname in PARTS.items():
        part = {k[len(prefix):]: v for k, v in state.items()
                if k.startswith(prefix)}
        if fname == 'encoder.pth':
            part.update(height=192, width=640)
        torch.save(part, folder / fname)
    if h_star is not None:
        with open(folder / 'cam_height_expect.pkl', 'wb') as f:
            pickle.dump(h_star, f)
    return model, folder


def run(folder, out, *args):
    return subprocess.run(
        [sys.executable, str(CONVERTER), str(folder), str(out), *args],
        capture_output=True, text=True, cwd=ROOT)


def test_hrdepth_folder_converts_with_h_star(tmp_path):
    config = ROOT / 'configs/fumet/fumet_hrdepth_r18_kitti.py'
    model, folder = released_folder(
        tmp_path, config, {s: torch.tensor(1.63 + 0.01 * s)
                           for s in range(4)})
    out = tmp_path / 'fumet_hrdepth.pth'
    proc = run(folder, out, '--arch', 'hrdepth')
    assert proc.returncode == 0, proc.stderr
    ckpt = torch.load(out, weights_only=True)
    assert ckpt['meta']['height'] == 192 and ckpt['meta']['source'] == \
        'fumet/hrdepth'
    converted = init_model(str(config), str(out), device='cpu')
    loss = [m for m in converted.modules()
            if isinstance(m, CameraHeightLoss)][0]
    assert loss.h_star_valid.all()
    assert loss.h_star[0].tolist() == pytest.approx([1.63, 1.64, 1.65, 1.66])
    ref = model.state_dict()
    for key, value in converted.state_dict().items():
        if 'h_star' not in key:
            torch.testing.assert_close(value, ref[key])


def test_wrong_arch_fails_with_listing(tmp_path):
    config = ROOT / 'configs/fumet/fumet_hrdepth_r18_kitti.py'
    _, folder = released_folder(tmp_path, config)
    out = tmp_path / 'x.pth'
    proc = run(folder, out, '--arch', 'monodepth2',
               '--config', str(ROOT / 'configs/monodepth2/'
                               'monodepth2_r18_kitti.py'))
    assert proc.returncode != 0
    assert 'depth_decoder' in proc.stderr
    assert not out.exists()


def test_read_h_star_per_camera_setting(tmp_path):
    sys.path.insert(0, str(CONVERTER.parent))
    from fumet_to_depthseg import read_h_star
    loss = CameraHeightLoss(scales=(0, 1), cam_settings=(1.18, 1.22))
    path = tmp_path / 'h.pkl'
    with open(path, 'wb') as f:
        pickle.dump({1.18: {0: 1.2, 1: 1.21}, 1.22: {0: 0.0, 1: 0.0}}, f)
    h_star, valid = read_h_star(str(path), loss)
    assert valid.tolist() == [True, False]  # 0 = never estimated
    assert h_star[0].tolist() == pytest.approx([1.2, 1.21])
    with pytest.raises(ValueError, match='one global'):
        read_h_star(str(path), CameraHeightLoss(scales=(0, 1)))


def test_ddp_prefixed_folder(tmp_path):
    """Files saved from DDP-wrapped networks (``module.`` keys)."""
    sys.path.insert(0, str(CONVERTER.parent))
    from fumet_to_depthseg import convert
    config = ROOT / 'configs/fumet/fumet_hrdepth_r18_kitti.py'
    model, folder = released_folder(tmp_path, config)
    for fname in PARTS.values():
        part = torch.load(folder / fname, weights_only=True)
        torch.save({('module.' + k if torch.is_tensor(v) else k): v
                    for k, v in part.items()}, folder / fname)
    out = tmp_path / 'ddp.pth'
    assert convert(str(folder), str(out), 'hrdepth')['height'] == 192
    converted = torch.load(out, weights_only=True)['state_dict']
    for key, value in model.state_dict().items():  # h* unset: NaN
        torch.testing.assert_close(converted[key], value, equal_nan=True,
                                   msg=key)
