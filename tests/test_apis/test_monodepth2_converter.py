"""Released Monodepth2 folders convert into depthseg checkpoints exactly."""
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF
from mmengine.runner import load_checkpoint
from PIL import Image
from torch import nn

from depthseg.apis import inference_depth, init_model
from depthseg.apis.inference import build_model
from depthseg.models.utils.geometry import disp_to_depth
from depthseg.testing.tools import REPO_ROOT, load_tool

ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / 'tools' / 'model_converters' / 'monodepth2_to_depthseg.py'


# ---- a test-local re-statement of the original Monodepth2 module layout ----
class OrigResnetEncoder(nn.Module):
    """``networks/resnet_encoder.py``: torchvision ResNet as ``encoder``."""

    def __init__(self, depth, num_input_images=1):
        super().__init__()
        self.encoder = getattr(torchvision.models, f'resnet{depth}')()
        if num_input_images > 1:
            self.encoder.conv1 = nn.Conv2d(3 * num_input_images, 64, 7, 2, 3,
                                           bias=False)

    def forward(self, x):
        x = (x - 0.45) / 0.225
        e = self.encoder
        f = [e.relu(e.bn1(e.conv1(x)))]
        f.append(e.layer1(e.maxpool(f[-1])))
        for layer in (e.layer2, e.layer3, e.layer4):
            f.append(layer(f[-1]))
        return f


class OrigConv3x3(nn.Module):

    def __init__(self, cin, cout):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv = nn.Conv2d(cin, cout, 3)

    def forward(self, x):
        return self.conv(self.pad(x))


class OrigConvBlock(nn.Module):

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = OrigConv3x3(cin, cout)
        self.nonlin = nn.ELU(inplace=True)

    def forward(self, x):
        return self.nonlin(self.conv(x))


class OrigDepthDecoder(nn.Module):
    """``networks/depth_decoder.py``: OrderedDict convs -> ModuleList."""

    def __init__(self, enc):
        super().__init__()
        dec = [16, 32, 64, 128, 256]
        self.convs = OrderedDict()
        for i in range(4, -1, -1):
            cin = enc[-1] if i == 4 else dec[i + 1]
            self.convs[('upconv', i, 0)] = OrigConvBlock(cin, dec[i])
            cin = dec[i] + (enc[i - 1] if i > 0 else 0)
            self.convs[('upconv', i, 1)] = OrigConvBlock(cin, dec[i])
        for s in range(4):
            self.convs[('dispconv', s)] = OrigConv3x3(dec[s], 1)
        self.decoder = nn.ModuleList(list(self.convs.values()))

    def forward(self, feats):
        out, x = {}, feats[-1]
        for i in range(4, -1, -1):
            x = self.convs[('upconv', i, 0)](x)
            x = [F.interpolate(x, scale_factor=2, mode='nearest')]
            if i > 0:
                x += [feats[i - 1]]
            x = self.convs[('upconv', i, 1)](torch.cat(x, 1))
            if i < 4:
                out[i] = torch.sigmoid(self.convs[('dispconv', i)](x))
        return out


class OrigPoseDecoder(nn.Module):
    """``networks/pose_decoder.py`` with (enc, 1, 2): keys ``net.0..3``."""

    def __init__(self, enc):
        super().__init__()
        self.net = nn.ModuleList([
            nn.Conv2d(enc[-1], 256, 1), nn.Conv2d(256, 256, 3, 1, 1),
            nn.Conv2d(256, 256, 3, 1, 1), nn.Conv2d(256, 12, 1)])

    def forward(self, feats):
        x = torch.relu(self.net[0](feats[-1]))
        for conv in self.net[1:3]:
            x = torch.relu(conv(x))
        x = 0.01 * self.net[3](x).mean(3).mean(2).view(-1, 2, 1, 6)
        return x[..., :3], x[..., 3:]


def released_folder(tmp_path, depth, height=64, width=192,
                    use_stereo=False):
    """Random original-layout models saved as a released model folder;
    returns (folder, encoder, decoder, pose encoder, pose decoder)."""
    torch.manual_seed(depth)
    enc = OrigResnetEncoder(depth)
    ch = [64, 64, 128, 256, 512] if depth < 50 else [64, 256, 512, 1024, 2048]
    dec = OrigDepthDecoder(ch)
    for m in list(enc.modules()) + list(dec.modules()):  # non-trivial BN
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    folder = tmp_path / f'mono_r{depth}'
    folder.mkdir()
    state = enc.state_dict()
    state.update(height=height, width=width, use_stereo=use_stereo)
    torch.save(state, folder / 'encoder.pth')
    torch.save(dec.state_dict(), folder / 'depth.pth')
    pose_enc, pose_dec = OrigResnetEncoder(depth, 2), OrigPoseDecoder(ch)
    torch.save(pose_enc.state_dict(), folder / 'pose_encoder.pth')
    torch.save(pose_dec.state_dict(), folder / 'pose.pth')
    return folder, enc.eval(), dec.eval(), pose_enc.eval(), pose_dec.eval()


def convert(folder, out):
    return subprocess.run(
        [sys.executable, str(CONVERTER), str(folder), str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)


@pytest.mark.parametrize('depth', [18, 50])
def test_converted_model_equals_original_layout(tmp_path, depth):
    folder, enc, dec, pose_enc, pose_dec = released_folder(tmp_path, depth)
    out = tmp_path / 'converted.pth'
    proc = convert(folder, out)
    assert proc.returncode == 0, proc.stdout
    ckpt = torch.load(out, weights_only=True)  # plain, safe format
    assert ckpt['meta']['height'] == 64 and ckpt['meta']['width'] == 192
    assert ckpt['meta']['config'].endswith(f'monodepth2_r{depth}_kitti.py')
    model = init_model(ROOT / ckpt['meta']['config'], str(out))
    assert model.input_size == (64, 192)
    img = torch.rand(2, 3, 64, 192)
    with torch.no_grad():
        ours = model.extract_disp(img)
        ref = dec(enc(img))
        pair = torch.rand(2, 6, 64, 192)
        ours_pose = model.pose_net.decoder([model.pose_net.encoder(pair)])
        ref_pose = pose_dec(pose_enc(pair))
    for s in range(4):
        np.testing.assert_allclose(ours[s].numpy(), ref[s].numpy(),
                                   atol=1e-6)
    for a, b in zip(ours_pose, ref_pose):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)

    # single-image inference as test_simple.py: LANCZOS to the stored size,
    # scaled disparity at network size, bilinear upsampling to the input size
    image = np.random.default_rng(depth).integers(0, 255, (50, 150, 3),
                                                  np.uint8)
    fed = np.array(Image.fromarray(image).resize((192, 64),
                                                 Image.Resampling.LANCZOS))
    with torch.no_grad():
        disp = dec(enc(TF.to_tensor(fed)[None]))[0]
    up = F.interpolate(disp, (50, 150), mode='bilinear', align_corners=False)
    result = inference_depth(model, image)
    np.testing.assert_allclose(result['disp_net'],
                               disp_to_depth(disp, 0.1, 100)[0][0, 0],
                               atol=1e-6)
    np.testing.assert_allclose(result['disp'],
                               disp_to_depth(up, 0.1, 100)[0][0, 0],
                               rtol=1e-6)

    # tools/test.py loads it through mmengine's load_checkpoint
    fresh = build_model(ROOT / ckpt['meta']['config'])
    load_checkpoint(fresh, str(out), strict=True)
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key


def test_mismatched_folder_fails_with_listing(tmp_path):
    folder = released_folder(tmp_path, 18)[0]
    r50_dec = OrigDepthDecoder([64, 256, 512, 1024, 2048])
    torch.save(r50_dec.state_dict(), folder / 'depth.pth')  # wrong decoder
    proc = convert(folder, tmp_path / 'bad.pth')
    assert proc.returncode != 0
    assert 'shape mismatches' in proc.stdout
    assert 'depth_decoder.decoder.0.conv.conv.weight' in proc.stdout
    assert not (tmp_path / 'bad.pth').exists()
    state = torch.load(folder / 'encoder.pth', weights_only=False)
    del state['encoder.layer1.0.conv1.weight']
    torch.save(state, folder / 'encoder.pth')
    proc = convert(folder, tmp_path / 'bad.pth')
    assert 'keys missing from the checkpoint' in proc.stdout
    assert 'depth_encoder.encoder.layer1.0.conv1.weight' in proc.stdout


def load_converter():
    return load_tool(str(CONVERTER.relative_to(REPO_ROOT)))


def test_stereo_folder_without_pose_and_old_batchnorm(tmp_path):
    """An S model (no pose files) from PyTorch < 0.4.1 (no
    num_batches_tracked) converts with the stereo config."""
    folder, enc, dec, _, _ = released_folder(tmp_path, 18, use_stereo=True)
    (folder / 'pose.pth').unlink()
    (folder / 'pose_encoder.pth').unlink()
    state = torch.load(folder / 'encoder.pth', weights_only=True)
    torch.save({k: v for k, v in state.items()
                if not k.endswith('num_batches_tracked')},
               folder / 'encoder.pth')
    out = tmp_path / 'stereo.pth'
    load_converter().convert(str(folder), str(out))
    ckpt = torch.load(out, weights_only=True)
    meta = ckpt['meta']
    assert meta['use_stereo'] is True
    assert meta['config'].endswith('monodepth2_r18_stereo_kitti.py')
    counter = 'depth_encoder.encoder.bn1.num_batches_tracked'
    assert ckpt['state_dict'][counter] == 0
    model = init_model(ROOT / meta['config'], str(out))
    assert model.pose_net is None and model.test_cfg['depth_scale'] == 5.4
    img = torch.rand(1, 3, 64, 192)
    with torch.no_grad():
        np.testing.assert_allclose(model.extract_disp(img)[0].numpy(),
                                   dec(enc(img))[0].numpy(), atol=1e-6)


def test_incomplete_folders_fail(tmp_path):
    converter = load_converter()
    folder = released_folder(tmp_path, 18)[0]
    (folder / 'pose.pth').unlink()
    # a lone pose file is named, not silently dropped
    with pytest.raises(FileNotFoundError, match='pose_encoder.pth but not'):
        converter.convert(str(folder), str(tmp_path / 'x.pth'))
    (folder / 'pose_encoder.pth').unlink()
    # a monocular model without its pose net has no default config
    with pytest.raises(ValueError, match='no pose net: pass --config'):
        converter.convert(str(folder), str(tmp_path / 'x.pth'))
    (folder / 'depth.pth').unlink()
    with pytest.raises(FileNotFoundError, match='depth.pth is missing'):
        converter.convert(str(folder), str(tmp_path / 'x.pth'))
    assert not (tmp_path / 'x.pth').exists()


def test_ddp_prefixed_folder(tmp_path):
    """Files saved from DDP-wrapped networks (``module.`` keys) convert to
    the same checkpoint as plain ones."""
    converter = load_converter()
    folder = released_folder(tmp_path, 18)[0]
    converter.convert(str(folder), str(tmp_path / 'plain.pth'))
    for path in folder.iterdir():
        part = torch.load(path, weights_only=True)
        torch.save({('module.' + k if torch.is_tensor(v) else k): v
                    for k, v in part.items()}, path)
    converter.convert(str(folder), str(tmp_path / 'ddp.pth'))
    plain = torch.load(tmp_path / 'plain.pth', weights_only=True)
    ddp = torch.load(tmp_path / 'ddp.pth', weights_only=True)
    assert ddp['meta'] == plain['meta']
    assert set(ddp['state_dict']) == set(plain['state_dict'])
    for k, v in plain['state_dict'].items():
        assert torch.equal(ddp['state_dict'][k], v), k
