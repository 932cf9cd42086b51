"""Build a depth model from a config and checkpoint; predict single images."""
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image
from torch import nn

from depthseg.datasets.kitti import KITTI_K
from depthseg.models.utils.layers import to_channels_last
from depthseg.registry import MODELS
from depthseg.structures import DepthDataSample
from depthseg.utils import (disable_pretrained, merge_cfg_options,
                            register_all_modules)
from depthseg.utils.checkpoint import check_state_dict, strip_ddp_prefix
from depthseg.utils.safe_load import load_checkpoint

ImageType = Union[str, Path, np.ndarray]


def _state_dict(checkpoint: dict) -> dict:
    """The model weights of a checkpoint, without a DDP ``module.`` prefix."""
    return strip_ddp_prefix(checkpoint.get('state_dict', checkpoint))


def network_input_size(cfg: Config,
                       meta: Optional[dict] = None) -> Optional[Tuple[int,
                                                                      int]]:
    """(height, width) the network is fed with, or None if unknown.

    Taken from the checkpoint ``meta`` (``height``, ``width``, written by the
    Monodepth2 converter) when present, else from the first ``ResizePyramid``
    of the test, val or train pipeline of ``cfg``.
    """
    if meta and 'height' in meta and 'width' in meta:
        return int(meta['height']), int(meta['width'])
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        pipeline = (cfg.get(loader) or {}).get('dataset', {}).get(
            'pipeline', [])
        for transform in pipeline:
            if transform.get('type') == 'ResizePyramid':
                return int(transform['height']), int(transform['width'])
    return None


def config_intrinsics(cfg: Config) -> Tuple[np.ndarray, str]:
    """Normalised 3×3 intrinsics (row 0 / W, row 1 / H) of the camera of a
    config's data, and where they come from: the ``K`` of the test, val or
    train dataset, else the KITTI average :data:`KITTI_K` (the default of
    the KITTI-layout datasets; per-image cameras, e.g. Cityscapes' or
    ``LoadKittiIntrinsics``, are not read)."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        K = (cfg.get(loader) or {}).get('dataset', {}).get('K')
        if K is not None:
            return (np.asarray(K, np.float64)[:3, :3],
                    f'{loader}.dataset.K of the config')
    return KITTI_K[:3, :3].astype(np.float64), 'the KITTI average KITTI_K'


def model_intrinsics(model) -> Tuple[np.ndarray, str]:
    """Normalised 3×3 intrinsics of a model from :func:`init_model`
    (:func:`config_intrinsics` of ``model.cfg``) or of a
    :class:`~depthseg.apis.deploy.DeployedDepthModel` (stored at export),
    and their source."""
    if isinstance(model, nn.Module):
        return config_intrinsics(model.cfg)
    return model.intrinsics, model.meta.get('intrinsics_source',
                                            'the exported file')


def build_model(config: Union[str, Path, Config],
                cfg_options: Optional[dict] = None) -> nn.Module:
    """Build ``config.model`` with every ``pretrained`` string (and
    ``Pretrained`` init_cfg) set to None, so nothing is downloaded; the
    config is attached as ``model.cfg``."""
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file name or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options is not None:
        merge_cfg_options(config, cfg_options)
    disable_pretrained(config.model)
    register_all_modules(init_default_scope=False)
    init_default_scope(config.get('default_scope', 'depthseg'))
    model = MODELS.build(config.model)
    model.cfg = config
    return model


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               trust_checkpoint: Optional[bool] = None) -> nn.Module:
    """Build a depth estimator from a config and load a checkpoint.

    Every ``pretrained`` string of ``cfg.model`` is set to None (nothing is
    downloaded). The checkpoint's keys and shapes are checked against the
    model before anything is loaded (``CheckpointMismatchError`` listing the
    differences). The returned model is in eval mode on ``device``, stores
    its 4-D weights NHWC where ``cfg.channels_last`` says so and has
    ``cfg`` (the config) and ``input_size`` ((H, W) of the network input:
    checkpoint meta first, else the config's ``ResizePyramid``; None if
    neither says).

    Args:
        config: config file path or :class:`Config`.
        checkpoint: a depthseg checkpoint (converted, published or an
            mmengine training checkpoint), or None for random weights.
        device: e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: overrides merged into the config.
        trust_checkpoint: unpickle ``checkpoint`` without restrictions (a
            file you trust); None: the process-wide setting
            (:func:`depthseg.utils.safe_load.set_trust`).
    """
    model = build_model(config, cfg_options)
    meta = {}
    if checkpoint is not None:
        ckpt = load_checkpoint(checkpoint, trust=trust_checkpoint)
        state = _state_dict(ckpt)
        check_state_dict(model, state, checkpoint)
        model.load_state_dict(state)
        meta = ckpt.get('meta') or {}
        if meta.get('use_stereo') and \
                model.test_cfg.get('depth_scale', 1.0) == 1.0:
            warnings.warn(
                f'{checkpoint} was trained with stereo pairs but the config '
                'has test_cfg.depth_scale=1: depth is in units of the 0.1 '
                'training baseline. Use a stereo config (depth_scale=5.4) '
                'for metres.')
    model.input_size = network_input_size(model.cfg, meta)
    if model.cfg.get('channels_last', False):
        to_channels_last(model)
    model.to(device)
    model.eval()
    return model


def _to_rgb_array(image: ImageType) -> np.ndarray:
    """Path or H×W×3 uint8 RGB array -> H×W×3 uint8 RGB array."""
    if isinstance(image, (str, Path)):
        with Image.open(image) as img:
            return np.asarray(img.convert('RGB'))
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'expected an H×W×3 uint8 RGB array, got '
                         f'{image.dtype} array of shape {image.shape}')
    return image


@torch.no_grad()
def inference_depth(model: nn.Module, image: Union[ImageType,
                                                   Sequence[ImageType]]
                    ) -> Union[Dict[str, np.ndarray],
                               List[Dict[str, np.ndarray]]]:
    """Predict the depth of one image, or of a list of images in one batch.

    As Monodepth2's ``test_simple.py``: the image is resized to the network
    size ``model.input_size`` with PIL LANCZOS and run through
    ``model.predict`` (so ``test_cfg`` options apply).

    Args:
        model: a model from :func:`init_model`, or an exported one
            (:class:`~depthseg.apis.deploy.DeployedDepthModel`: called on
            the resized B×3×h×w float32 batch in [0, 1]).
        image: a file path, or an H×W×3 uint8 array in **RGB** order (convert
            OpenCV's BGR first); or a list of them.

    Returns:
        For each image a dict of float32 arrays: ``disp`` (H×W scaled
        disparity, bilinearly upsampled with align_corners=False to the
        input size), ``depth`` (H×W, ``test_cfg.depth_scale / disp``: metres
        for stereo-trained or metric models, relative units for monocular
        ones) and ``disp_net`` (scaled disparity at network resolution, the
        original's ``.npy``).
    """
    single = isinstance(image, (str, Path)) or (
        isinstance(image, np.ndarray) and image.ndim == 3)
    arrays = [_to_rgb_array(img) for img in ([image] if single else image)]
    if getattr(model, 'input_size', None) is None:
        raise ValueError(
            'unknown network input size: build the model with init_model from '
            'a checkpoint whose meta has height/width or a config with a '
            'ResizePyramid transform, or set model.input_size = (H, W)')
    height, width = model.input_size
    batch = torch.stack([
        torch.from_numpy(
            np.array(Image.fromarray(a).resize(
                (width, height), Image.Resampling.LANCZOS))).permute(2, 0, 1)
        for a in arrays
    ]).float() / 255.
    if isinstance(model, nn.Module):
        samples = [
            DepthDataSample(metainfo=dict(ori_shape=a.shape[:2],
                                          img_shape=(height, width)))
            for a in arrays
        ]
        inputs = batch.to(next(model.parameters()).device)
        samples = model.predict(dict(color={0: [inputs]},
                                     color_aug={0: inputs}), samples)
        disps = [s.pred_disp_map.data.float() for s in samples]
    else:
        disps = list(torch.from_numpy(model(batch.numpy())))
    depth_scale = model.test_cfg.get('depth_scale', 1.0)
    results = []
    for array, disp_net in zip(arrays, disps):
        disp = F.interpolate(disp_net[None], array.shape[:2],
                             mode='bilinear', align_corners=False)[0, 0]
        results.append(
            dict(disp=disp.cpu().numpy(),
                 depth=(depth_scale / disp).cpu().numpy(),
                 disp_net=disp_net[0].cpu().numpy()))
    return results[0] if single else results
