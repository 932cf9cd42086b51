"""Export depth networks to ONNX or TorchScript and run the exported files.

The exported graph is the estimator's test-time depth path
(``predict_scaled_disp``: encoder, decoder, ``disp_to_depth`` with the
model's min/max depth, flip post-processing when ``test_cfg`` asks for it):

* input ``image``: B×3×H×W float32 RGB in [0, 1] (the encoders normalise
  inside), H×W the export shape;
* output ``disp``: B×1×h×w scaled disparity at scale 0 (h×w = H×W, or
  H/2×W/2 for FeatDepth's decoder); with ``depth=True`` also ``depth``
  (B×1×h×w, ``test_cfg.depth_scale / disp``).

What inference needs besides the graph (input size, min/max depth, depth
scale, normalised intrinsics, ...) is stored with the file: ONNX
``metadata_props`` (one JSON value per key) or the TorchScript extra file
``depthseg_meta.json``. ``onnx`` and ``onnxruntime`` come with the
``deploy`` extra (``pip install -e ".[deploy]"``).
"""
import importlib
import json
import os
import warnings
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from depthseg.models.estimators.selfsup_depth_estimator import (
    SelfSupDepthEstimator,
)
from depthseg.utils.safe_load import load_torchscript
from depthseg.version import __version__
from .inference import config_intrinsics, network_input_size

EXPORT_FORMATS = ('onnx', 'torchscript')
BACKENDS = ('onnxruntime', 'torchscript')
TORCHSCRIPT_META = 'depthseg_meta.json'
ONNX_OPSET = 17
DEPLOY_HINT = 'install the deploy extra: pip install -e ".[deploy]"'


def require(module: str):
    """Import an optional deploy dependency or fail naming the fix."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f'{module} cannot be imported ({err}); '
                          f'{DEPLOY_HINT}') from None


def check_estimator(model: nn.Module) -> None:
    """TypeError unless ``model`` is a :class:`SelfSupDepthEstimator`."""
    if not isinstance(model, SelfSupDepthEstimator):
        raise TypeError(
            f'only a depth estimator (SelfSupDepthEstimator) can be '
            f'exported, got {type(model).__name__}: pass the config of a '
            'depth method, not e.g. an autoencoder config')


class DepthExportWrapper(nn.Module):
    """The depth network of a :class:`SelfSupDepthEstimator` as a module of
    one image tensor (B×3×H×W in [0, 1]) -> ``disp`` (B×1×h×w scaled
    disparity) or ``(disp, depth)`` with ``depth=True``."""

    def __init__(self, model: SelfSupDepthEstimator, depth: bool = False):
        super().__init__()
        check_estimator(model)
        self.depth_encoder = model.depth_encoder
        self.depth_decoder = model.depth_decoder
        self.min_depth, self.max_depth = model.min_depth, model.max_depth
        self.test_cfg = dict(model.test_cfg)
        self.depth = depth

    def extract_disp(self, img: torch.Tensor) -> Dict[int, torch.Tensor]:
        return self.depth_decoder(self.depth_encoder(img))

    def forward(self, image: torch.Tensor):
        # the estimator's own test-time path, on this module's networks
        disp = SelfSupDepthEstimator.predict_scaled_disp(self, image)
        if not self.depth:
            return disp
        return disp, self.test_cfg['depth_scale'] / disp


def export_meta(model: nn.Module, shape: Tuple[int, int], depth: bool,
                dynamic_batch: bool, intrinsics: np.ndarray,
                intrinsics_source: str) -> dict:
    """The metadata stored with an export of ``model`` (an estimator from
    :func:`~depthseg.apis.init_model`)."""
    check_estimator(model)
    return dict(
        depthseg_version=__version__,
        config=str(getattr(model.cfg, 'filename', '') or ''),
        input_height=int(shape[0]), input_width=int(shape[1]),
        input='image: B×3×H×W float32 RGB in [0, 1]',
        outputs=['disp', 'depth'] if depth else ['disp'],
        dynamic_batch=bool(dynamic_batch),
        min_depth=float(model.min_depth), max_depth=float(model.max_depth),
        depth_scale=float(model.test_cfg.get('depth_scale', 1.0)),
        flip_post_process=bool(model.test_cfg.get('flip_post_process')),
        intrinsics=np.asarray(intrinsics, float)[:3, :3].tolist(),
        intrinsics_source=intrinsics_source,
        export_device=next(model.parameters()).device.type)


def export_model(model: nn.Module, out: Union[str, Path], meta: dict,
                 fmt: str = 'onnx') -> DepthExportWrapper:
    """Export the depth network of ``model`` to ``out`` (``fmt``: ``onnx``,
    torch's TorchScript-based exporter, opset :data:`ONNX_OPSET`; or
    ``torchscript``, ``torch.jit.trace``) at the size and with the outputs
    of ``meta`` (:func:`export_meta`). The file is written under a
    temporary name and renamed when complete. The networks are traced on
    their device: TorchScript files keep it (tensors made inside the
    forward, e.g. flip post-processing's blend weights); ONNX files run on
    any. Returns the exported wrapper (eval mode)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f'format must be one of {EXPORT_FORMATS}, got '
                         f'{fmt!r}')
    onnx = require('onnx') if fmt == 'onnx' else None
    wrapper = DepthExportWrapper(model, 'depth' in meta['outputs'])
    wrapper = wrapper.eval()
    example = torch.rand(1, 3, meta['input_height'], meta['input_width'],
                         device=next(wrapper.parameters()).device)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f'.{out.name}.partial')
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # deprecation notices (legacy ONNX exporter, TorchScript) and
            # tracer remarks on shape arithmetic (shapes are fixed at
            # export, except the batch with dynamic_batch)
            warnings.simplefilter('ignore', DeprecationWarning)
            warnings.filterwarnings('ignore', '`torch.jit', FutureWarning)
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            warnings.filterwarnings('ignore', message='Constant folding')
            if fmt == 'torchscript':
                traced = torch.jit.trace(wrapper, example, check_trace=False)
                torch.jit.save(traced, str(tmp), _extra_files={
                    TORCHSCRIPT_META: json.dumps(meta)})
            else:
                _export_onnx(onnx, wrapper, example, tmp, meta)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return wrapper


def _export_onnx(onnx, wrapper: DepthExportWrapper, example: torch.Tensor,
                 path: Path, meta: dict) -> None:
    """``torch.onnx.export`` (``dynamo=False``) + ``meta`` as
    ``metadata_props`` (JSON values)."""
    names = meta['outputs']
    axes = ({name: {0: 'batch'} for name in ['image', *names]}
            if meta['dynamic_batch'] else None)
    torch.onnx.export(wrapper, (example, ), str(path), dynamo=False,
                      input_names=['image'], output_names=names,
                      dynamic_axes=axes, opset_version=ONNX_OPSET,
                      do_constant_folding=True)
    proto = onnx.load(str(path))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(proto, str(path))


class DeployedDepthModel:
    """An exported depth network for :func:`~depthseg.apis.inference_depth`.

    Args:
        path: ``.onnx`` file (``backend='onnxruntime'``) or TorchScript file
            (``backend='torchscript'``) from :func:`export_model`.
        backend: ``'onnxruntime'`` or ``'torchscript'``.
        device: ``'cpu'`` or ``'cuda[:i]'`` (onnxruntime: the CUDA
            execution provider, from ``onnxruntime-gpu``; TorchScript: the
            device type the file was exported on).
        config: a config whose depth scale and intrinsics replace the
            stored ones and whose network input size serves files that
            store none (needed for files without depthseg metadata).
        trust: load a TorchScript file (a program: only files you trust;
            None: the process-wide ``--trust-checkpoint`` setting).

    Attributes: ``input_size`` ((H, W) the file takes), ``test_cfg``
    (``depth_scale``), ``intrinsics`` (normalised 3×3), ``meta`` (all
    stored metadata). Calling it maps a B×3×H×W float32 array in [0, 1] to
    the B×1×h×w scaled disparity (numpy float32).
    """

    def __init__(self, path: Union[str, Path], backend: str = 'onnxruntime',
                 device: str = 'cpu',
                 config: Union[str, Path, Config, None] = None,
                 trust: Optional[bool] = None):
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {BACKENDS}, got '
                             f'{backend!r}')
        self.path, self.backend = Path(path), backend
        if not self.path.is_file():
            raise FileNotFoundError(f'exported model {path} does not exist')
        if backend == 'onnxruntime':
            meta, shape = self._open_onnx(device)
        else:
            meta, shape = self._open_torchscript(device, trust)
        if config is not None:
            meta.update(self._config_meta(config, meta))
        size = [dim if isinstance(dim, int) else meta.get(key)
                for dim, key in zip(shape[2:], ('input_height',
                                                'input_width'))]
        missing = [k for k in ('depth_scale', 'intrinsics') if k not in meta]
        if missing or None in size:
            raise ValueError(
                f'{path} has no depthseg metadata (depth scale, intrinsics, '
                'input size): export it with tools/deployment/'
                "pytorch2onnx.py, or pass the model's config too")
        self.input_size = (int(size[0]), int(size[1]))
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        self.meta = meta
        self.test_cfg = dict(depth_scale=float(meta['depth_scale']))
        self.intrinsics = np.asarray(meta['intrinsics'], np.float64)

    def _open_onnx(self, device: str) -> Tuple[dict, Sequence]:
        ort = require('onnxruntime')
        providers = ['CPUExecutionProvider']
        if device.startswith('cuda'):
            if 'CUDAExecutionProvider' not in ort.get_available_providers():
                raise RuntimeError(
                    f'--device {device}: this onnxruntime has no CUDA '
                    'execution provider; pip install onnxruntime-gpu (or '
                    'run on the cpu)')
            index = device.partition(':')[2] or '0'
            providers.insert(0, ('CUDAExecutionProvider',
                                 dict(device_id=int(index))))
        try:
            self.session = ort.InferenceSession(str(self.path),
                                                providers=providers)
        except Exception as err:  # onnxruntime's errors derive from it
            raise ValueError(
                f'{self.path}: onnxruntime cannot load it ({err}). Fix: '
                'pass an ONNX file, e.g. from tools/deployment/'
                'pytorch2onnx.py') from None
        self.names = (self.session.get_inputs()[0].name,
                      self.session.get_outputs()[0].name)
        stored = self.session.get_modelmeta().custom_metadata_map
        meta = {key: json.loads(value) for key, value in stored.items()}
        return meta, self.session.get_inputs()[0].shape

    def _open_torchscript(self, device: str, trust: Optional[bool]
                          ) -> Tuple[dict, Sequence]:
        extra = {TORCHSCRIPT_META: ''}
        module = load_torchscript(str(self.path), 'cpu', trust, extra)
        meta = json.loads(extra[TORCHSCRIPT_META] or '{}')
        self.device = torch.device(device)
        traced = meta.get('export_device', self.device.type)
        if traced != self.device.type:
            raise ValueError(
                f'{self.path} was traced on {traced} and TorchScript keeps '
                f'that device; to run it on {device}, export it again with '
                f'--device {device} (or use --device {traced}, or ONNX)')
        self.module = module.to(self.device).eval()
        batch = None if meta.get('dynamic_batch', True) else 1
        return meta, (batch, 3, meta.get('input_height'),
                      meta.get('input_width'))

    @staticmethod
    def _config_meta(config, stored: dict) -> dict:
        """Depth scale and intrinsics of ``config``; its network input size
        where ``stored`` has none."""
        cfg = config if isinstance(config, Config) else Config.fromfile(
            str(config))
        intrinsics, source = config_intrinsics(cfg)
        test_cfg = cfg.model.get('test_cfg') or {}
        meta = dict(depth_scale=float(test_cfg.get('depth_scale', 1.0)),
                    intrinsics=intrinsics.tolist(),
                    intrinsics_source=source)
        size = network_input_size(cfg)
        if size and 'input_height' not in stored:
            meta.update(input_height=size[0], input_width=size[1])
        return meta

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, np.float32)
        if self.fixed_batch == 1 and len(batch) > 1:
            return np.concatenate([self(batch[i:i + 1])
                                   for i in range(len(batch))])
        if self.backend == 'onnxruntime':
            image, disp = self.names
            return self.session.run([disp], {image: batch})[0]
        with torch.no_grad():
            out = self.module(torch.from_numpy(batch).to(self.device))
        return (out[0] if isinstance(out, tuple) else out).cpu().numpy()


def compare_export(wrapper: DepthExportWrapper, path: Union[str, Path],
                   backend: str, batch: int = 1, seed: int = 0
                   ) -> Dict[str, Tuple[float, float]]:
    """``{output: (max abs difference, max abs PyTorch value)}`` for
    ``disp`` (and ``depth``) of the PyTorch wrapper and the exported file
    on one random batch in [0, 1]."""
    device = next(wrapper.parameters()).device
    deployed = DeployedDepthModel(path, backend, str(device),
                                  trust=True)  # our own file
    height, width = deployed.input_size
    image = torch.rand(batch, 3, height, width,
                       generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        expected = wrapper(image.to(device))
    expected = [e.cpu() for e in (expected if isinstance(expected, tuple)
                                  else (expected, ))]
    names = deployed.meta['outputs']
    if backend == 'onnxruntime':
        got = deployed.session.run(names, {'image': image.numpy()})
    else:
        with torch.no_grad():
            got = deployed.module(image.to(device))
        got = [t.cpu().numpy() for t in (got if isinstance(got, tuple)
                                         else (got, ))]
    return {name: (float(np.abs(e.numpy() - g).max()),
                   float(e.abs().max()))
            for name, e, g in zip(names, expected, got)}
