"""The estimator on a real packed batch from a tiny KITTI tree."""
from pathlib import Path
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from depthseg.registry import DATASETS, MODELS
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()
MODEL_CFG = str(Path(__file__).resolve().parents[3] / 'configs/_base_/models/monodepth2_r18.py')
H, W = 64, 192


def model_cfg(**overrides):
    cfg = Config.fromfile(MODEL_CFG).model
    cfg.depth_encoder.pretrained = None
    cfg.pose_net.encoder.pretrained = None
    cfg.update(overrides)
    return cfg


def batch(tmp_path, frame_ids=(0, -1, 1), size=2):
    tree = make_kitti_raw_tree(str(tmp_path), size=(H, W))
    ds = DATASETS.build(dict(
        type='KittiRawDataset', data_root=tree['root'],
        ann_file=tree['train'], frame_ids=list(frame_ids),
        pipeline=[
            dict(type='LoadFrames'), dict(type='RandomFlip', prob=0.5),
            dict(type='ResizePyramid', height=H, width=W, num_scales=4),
            dict(type='ColorJitter', prob=0.5), dict(type='PackDepthInputs')
        ]))
    return pseudo_collate([ds[i] for i in range(size)])


@pytest.mark.parametrize('frame_ids', [(0, -1, 1), (0, 's'), (0, -1, 1, 's')])
def test_train_step(tmp_path, frame_ids):
    cfg = model_cfg(frame_ids=list(frame_ids))
    if 's' == frame_ids[-1] and len(frame_ids) == 2:
        cfg.pose_net = None
    model = MODELS.build(cfg)
    data = batch(tmp_path, frame_ids)
    optim = MagicMock()
    log_vars = model.train_step(data, optim)
    assert set(log_vars) == {'loss', 'loss_photometric', 'loss_smooth'}
    assert torch.isfinite(log_vars['loss'])
    # the non-finite check calls backward / step itself (update_params'
    # steps, with a check between them)
    optim.backward.assert_called_once()
    optim.step.assert_called_once()
    # gradients reach the depth and (for temporal frames) the pose network
    loss = model(**model.data_preprocessor(data, True), mode='loss')
    sum(loss.values()).backward()
    assert model.depth_encoder.encoder.conv1.weight.grad.abs().sum() > 0
    if model.pose_net is not None:
        grad = model.pose_net.decoder.net[-1].weight.grad
        assert grad.abs().sum() > 0


def test_predict_and_tensor(tmp_path):
    model = MODELS.build(model_cfg(test_cfg=dict(depth_scale=5.4)))
    model.eval()
    data = batch(tmp_path)
    samples = model.val_step(data)
    assert samples[0].pred_depth_map.data.shape == (1, H, W)
    disp = samples[0].pred_disp_map.data
    assert torch.allclose(samples[0].pred_depth_map.data, 5.4 / disp)
    out = model(**model.data_preprocessor(data), mode='tensor')
    assert sorted(out) == [0, 1, 2, 3] and out[3].shape[-2:] == (H // 8,
                                                                 W // 8)


def test_bad_frame_ids():
    with pytest.raises(ValueError, match='start with the target frame 0'):
        MODELS.build(model_cfg(frame_ids=[-1, 0, 1]))
    with pytest.raises(ValueError, match='needs a pose_net'):
        MODELS.build(model_cfg(pose_net=None))
    with pytest.raises(ValueError, match='predict_pose needs a pose_net'):
        MODELS.build(model_cfg(pose_net=None, frame_ids=[0, 's'],
                               test_cfg=dict(predict_pose=True)))


def test_duplicate_loss_terms(tmp_path):
    cfg = model_cfg(losses=[dict(type='SmoothnessLoss'),
                            dict(type='SmoothnessLoss')])
    model = MODELS.build(cfg)
    with pytest.raises(KeyError, match='loss_smooth'):
        model.train_step(batch(tmp_path), MagicMock())


def test_flip_post_process_and_pose(tmp_path):
    from depthseg.models.utils.geometry import disp_to_depth
    from depthseg.models.utils.post_process import \
        batch_post_process_disparity
    model = MODELS.build(model_cfg(test_cfg=dict(
        flip_post_process=True, predict_pose=True, depth_scale=5.4)))
    model.eval()
    data = model.data_preprocessor(batch(tmp_path))
    img = data['inputs']['color_aug'][0]
    with torch.no_grad():
        samples = model(**data, mode='predict')
        plain = disp_to_depth(model.extract_disp(img)[0])[0]
        flipped = disp_to_depth(model.extract_disp(img.flip(-1))[0])[0]
        pose = model.pose_net(data['inputs']['color_aug'], [0, 1])[1]
    ref = batch_post_process_disparity(plain, flipped.flip(-1))
    for i, sample in enumerate(samples):
        assert torch.allclose(sample.pred_disp_map.data, ref[i], atol=1e-6)
        assert sample.metainfo['depth_scale'] == 5.4
        assert sample.pred_pose.shape == (4, 4)
        assert not pose['invert']
    # the blend uses the flipped prediction near the left border only
    assert torch.allclose(ref[..., :5], flipped.flip(-1)[..., :5])


def test_cpu_bf16_autocast_train_steps(tmp_path):
    """--amp on CPU: the networks under bf16 autocast, the context and the
    losses in float32; a few steps give finite losses that follow the
    float32 run."""
    from mmengine.optim import OptimWrapper

    from depthseg.engine.optim_wrappers import (CPUAutocastOptimWrapper,
                                                cpu_supports_bf16)
    data = batch(tmp_path)
    losses = {}
    for wrapper_type in (OptimWrapper, CPUAutocastOptimWrapper):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg(losses=dict(
            photometric=dict(noise_scale=0.0))))
        model.keep_context = True
        wrapper = wrapper_type(
            optimizer=torch.optim.Adam(model.parameters(), lr=1e-4))
        losses[wrapper_type] = [
            float(model.train_step(data, wrapper)['loss']) for _ in range(3)]
        ctx = model.last_context
        assert ctx.disp[0].dtype == torch.float32
        assert ctx.warped[-1, 0].dtype == torch.float32
    amp = losses[CPUAutocastOptimWrapper]
    assert all(torch.isfinite(torch.tensor(amp)))
    if cpu_supports_bf16():  # bf16 convolutions: close, not equal
        assert amp != losses[OptimWrapper]
    torch.testing.assert_close(torch.tensor(amp),
                               torch.tensor(losses[OptimWrapper]),
                               rtol=0.05, atol=0)
