"""configs/packnet: the train_kitti.yaml equivalent (values of packnet spec
§3.1 / §6.2) and the CPU-sized synthetic config."""
from pathlib import Path

import torch
from mmengine.config import Config

from depthseg.apis.inference import build_model
from depthseg.registry import DATASETS, MODELS
from depthseg.testing.kitti_tree import make_kitti_raw_tree
from depthseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).resolve().parents[2]
KITTI = ROOT / 'configs/packnet/packnet01_kitti.py'
SYNTH = ROOT / 'configs/packnet/packnet01_synthroad.py'


def n_params(module, prefix):
    return sum(p.numel() for n, p in module.named_parameters()
               if n.startswith(prefix))


def test_kitti_config_values():
    cfg = Config.fromfile(str(KITTI))
    loader = cfg.train_dataloader
    assert loader.batch_size == 4
    assert loader.dataset.type == 'RepeatDataset' and \
        loader.dataset.times == 2
    inner = loader.dataset.dataset
    assert inner.ann_file.endswith('eigen_zhou/train_files.txt')
    assert inner.frame_ids == [0, -1, 1] and inner.img_ext == '.png'
    types = [t['type'] for t in inner.pipeline]
    assert 'RandomFlip' not in types  # flip inside the model (Q37)
    assert types[:2] == ['LoadFrames', 'LoadKittiIntrinsics']
    resize = inner.pipeline[types.index('ResizePyramid')]
    assert (resize.height, resize.width) == (192, 640)
    jitter = inner.pipeline[types.index('ColorJitter')]
    assert (jitter.brightness, jitter.contrast, jitter.saturation,
            jitter.hue, jitter.prob) == (0.2, 0.2, 0.2, 0.05, 1.0)
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=2e-4,
                                               weight_decay=0.0)
    assert cfg.param_scheduler == [dict(type='StepLR', by_epoch=True,
                                        step_size=30, gamma=0.5)]
    assert cfg.train_cfg.max_epochs == 50
    assert cfg.model.depth_flip_prob == 0.5
    loss = cfg.model.losses.photometric
    assert loss.type == 'PackNetPhotometricLoss'
    assert loss.smooth_loss_weight == 1e-3 and loss.padding_mode == 'zeros'
    assert cfg.test_evaluator.resize == 'bilinear_depth_align_corners'


def test_kitti_model_size_and_dataset(tmp_path):
    with torch.device('meta'):
        model = build_model(str(KITTI))
    assert n_params(model, 'depth_encoder.') == 128_294_020
    assert n_params(model, 'pose_net.') == 1_592_684
    assert len(model.state_dict()) == 246
    cfg = Config.fromfile(str(KITTI))
    tree = make_kitti_raw_tree(str(tmp_path), size=(64, 192))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.dataset.data_root = tree['root']
    ds_cfg.dataset.ann_file = tree['train']
    ds_cfg.dataset.pipeline = [dict(type='LoadFrames')]
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 2 * len(dataset.dataset) > 0


def test_synthroad_config_builds_a_cpu_sized_model():
    cfg = Config.fromfile(str(SYNTH))
    model = MODELS.build(cfg.model)
    assert n_params(model, 'depth_encoder.') == 4_915_412  # 3.8 %
    assert type(model.losses[0]).__name__ == 'PackNetPhotometricLoss'
    assert cfg.train_dataloader.dataset.frame_ids == [0, -1, 1]
