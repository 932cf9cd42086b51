"""Batch the packed frames, convert them to float and add intrinsics."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.model import BaseDataPreprocessor

from depthseg.models.utils.geometry import scale_intrinsics
from depthseg.registry import MODELS
from depthseg.structures.fields import FIELD_KINDS, FieldKind, field_kind


def _stack_uint8(images: List[torch.Tensor], device) -> torch.Tensor:
    """List of 3×H×W uint8 tensors -> B×3×H×W float in [0, 1] on device."""
    batch = torch.stack(images).to(device, non_blocking=True)
    return batch.float() / 255.


def _batch_kinds(kinds: Optional[dict]) -> Dict[str, FieldKind]:
    """The declarations of a collated batch (one list per field, equal)."""
    out = {}
    for name, specs in (kinds or {}).items():
        if isinstance(specs, list):
            first = field_kind(specs[0])
            if any(field_kind(s) != first for s in specs[1:]):
                raise ValueError(
                    f'DepthDataPreprocessor: the samples of the batch '
                    f'declare the field {name!r} differently: {specs}')
            specs = first
        out[name] = field_kind(specs)
    return out


@MODELS.register_module()
class DepthDataPreprocessor(BaseDataPreprocessor):
    """Turns ``PackDepthInputs`` output into the estimator's batch dict.

    Output ``inputs``: ``color[f][s]`` (B×3×H_s×W_s float in [0, 1]),
    ``color_aug[f]`` (B×3×H×W), ``K[s]`` / ``inv_K[s]`` (B×4×4 float32, the
    sample's normalised K scaled to each pyramid level, ``inv_K = pinv(K)``)
    and, when the samples carry it, ``stereo_T`` (B×4×4).

    The declared fields (``inputs['field_kinds']``, see
    :mod:`depthseg.structures.fields`) are batched by kind under their
    ``batch_key`` (default: the field name), dtypes kept, on the device:
    ``pixel`` stacked (B×H×W); ``instances`` concatenated (ΣN×H×W; 0×H×W
    without instances) with ``count_key`` (int64 B, sums to N) and
    ``index_key`` (int64 N, ``repeat_interleave(arange(B), counts)``);
    ``instance_values`` concatenated alongside (ΣN×…); ``scalar`` from the
    samples' metainfo (float32 B); ``array`` stacked along a new batch
    dimension; ``subsamples`` as ``{name: batch}`` with ``color`` /
    ``color_aug`` and fields batched like the sample's; ``passthrough`` as
    collated. ``field_kinds`` itself is not passed on.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs, samples = data['inputs'], data['data_samples']
        device = self.device
        out = self._frames(inputs, device)
        color = out['color']
        height, width = color[0][0].shape[-2:]
        Ks, inv_Ks = zip(*[
            scale_intrinsics(s.metainfo['K'], height, width, len(color[0]))
            for s in samples
        ])
        out['K'] = list(torch.from_numpy(np.stack(Ks, 1)).to(device))
        out['inv_K'] = list(torch.from_numpy(np.stack(inv_Ks, 1)).to(device))
        if 'stereo_T' in samples[0].metainfo:
            out['stereo_T'] = torch.from_numpy(
                np.stack([s.metainfo['stereo_T'] for s in samples])).to(
                    device, torch.float32)
        out.update(self._fields(inputs, device, (height, width), samples))
        samples = [s.to(device) for s in samples]
        return dict(inputs=out, data_samples=samples)

    @staticmethod
    def _frames(inputs: dict, device) -> dict:
        return dict(
            color={f: [_stack_uint8(level, device) for level in levels]
                   for f, levels in inputs['color'].items()},
            color_aug={f: _stack_uint8(imgs, device)
                       for f, imgs in inputs.get('color_aug', {}).items()})

    def _subsample(self, inputs: dict, device) -> dict:
        out = self._frames(inputs, device)
        color = out['color']
        ref = 0 if 0 in color else next(iter(color))
        out.update(self._fields(inputs, device,
                                tuple(color[ref][0].shape[-2:])))
        return out

    def _fields(self, inputs: dict, device, size, samples=None) -> dict:
        """Batch the declared fields of the (sub-)sample inputs."""
        out = {}
        kinds = _batch_kinds(inputs.get(FIELD_KINDS))
        for name, fk in kinds.items():
            key = fk.batch_key or name
            if fk.kind == 'scalar':
                if samples is None:
                    raise ValueError(f'DepthDataPreprocessor: scalar field '
                                     f'{name!r} in a sub-sample')
                out[key] = torch.tensor(
                    [float(s.metainfo[name]) for s in samples],
                    dtype=torch.float32, device=device)
                continue
            values = inputs[name]
            if fk.kind == 'subsamples':
                out[key] = {sub: self._subsample(v, device)
                            for sub, v in values.items()}
            elif fk.kind == 'passthrough':
                out[key] = values
            elif fk.kind == 'pixel':
                maps = [torch.as_tensor(v) for v in values]
                maps = [m[0] if m.dim() == 3 else m for m in maps]  # 1×H×W
                self._check(name, fk, maps, size)
                out[key] = torch.stack(maps).to(device)
            elif fk.kind == 'instances':
                masks = [torch.as_tensor(v) for v in values]
                self._check(name, fk, masks, size)
                counts = torch.tensor([len(m) for m in masks],
                                      dtype=torch.int64)
                out[key] = torch.cat(masks).to(device)
                out[fk.count_key or f'{name}_count'] = counts.to(device)
                out[fk.index_key or f'{name}_sample_idx'] = (
                    torch.repeat_interleave(torch.arange(len(masks)),
                                            counts).to(device))
            elif fk.kind == 'instance_values':
                vals = [torch.as_tensor(v) for v in values]
                for i, (v, m) in enumerate(zip(vals, inputs[fk.of])):
                    if v.dim() < 1 or len(v) != len(m):
                        raise ValueError(
                            f'DepthDataPreprocessor: sample {i} of the '
                            f'batch has {name!r} of shape {tuple(v.shape)} '
                            f'for {len(m)} instances of {fk.of!r}')
                out[key] = torch.cat(vals).to(device)
            else:  # array
                out[key] = torch.stack(
                    [torch.as_tensor(v) for v in values]).to(device)
        return out

    @staticmethod
    def _check(name: str, fk: FieldKind, values: list, size) -> None:
        ndim = 2 if fk.kind == 'pixel' else 3
        for i, v in enumerate(values):
            if v.dim() != ndim or tuple(v.shape[-2:]) != tuple(size):
                raise ValueError(
                    f'DepthDataPreprocessor: sample {i} of the batch has '
                    f'{fk.kind} field {name!r} of shape {tuple(v.shape)}; '
                    f'expected {"H×W" if ndim == 2 else "n×H×W"} with '
                    f'(H, W) = {tuple(size)}, the frame size')
