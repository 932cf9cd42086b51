"""Pack a multi-frame sample into ``inputs`` and a ``DepthDataSample``."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from depthseg.registry import TRANSFORMS
from depthseg.structures import DepthDataSample
from depthseg.structures.fields import (
    FIELD_KINDS,
    SPATIAL_KINDS,
    declared_fields,
)


def _where(results: dict) -> str:
    return (f"sample_idx {results.get('sample_idx')}, "
            f"{results.get('img_path')}")


def _to_chw(img: np.ndarray) -> torch.Tensor:
    """uint8 H×W×3 array -> uint8 3×H×W tensor."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


def _pack_frames(results: dict) -> dict:
    """``color`` pyramids and ``color_aug`` (scale 0 without jitter)."""
    color = {fid: [_to_chw(level) for level in levels]
             for fid, levels in results['color'].items()}
    aug = results.get('color_aug')
    color_aug = {fid: _to_chw(aug[fid]) if aug is not None else levels[0]
                 for fid, levels in color.items()}
    return dict(color=color, color_aug=color_aug)


@TRANSFORMS.register_module()
class PackDepthInputs(BaseTransform):
    """Pack the pyramid, the jittered frames, the declared fields and the
    metadata.

    Output::

        inputs = dict(
            color={fid: [uint8 3×H_s×W_s for s]},   # un-augmented pyramid
            color_aug={fid: uint8 3×H×W},           # scale 0, jittered
            **fields)                               # declared fields
        data_samples = DepthDataSample(metainfo=...)  # + gt_depth_map

    ``color_aug`` falls back to ``color[fid][0]`` without ColorJitter.
    Metainfo holds ``meta_keys`` present in the results plus ``flip``
    (default False) and, when ``'s'`` is a frame id, ``stereo_T``: float32
    4×4 identity with ``T[0, 3] = side_sign · flip_sign · stereo_baseline``
    (side_sign −1 for the left camera, flip_sign −1 when flipped).
    ``gt_depth`` (H×W) becomes ``gt_depth_map`` (float32 1×H×W).

    Fields declared in ``results['field_kinds']`` are packed by kind
    (:mod:`depthseg.structures.fields`): ``pixel`` / ``instances`` /
    ``instance_values`` / ``array`` as tensors (dtype kept; spatial sizes
    checked against the frames, instance counts against their instances),
    ``scalar`` as ``float`` in the metainfo, ``subsamples`` as
    ``{name: packed sub-sample}`` (frames and fields packed like the
    sample's), ``passthrough`` unchanged; the declarations go to
    ``inputs['field_kinds']`` for the data preprocessor. A declared field
    missing from the results is an error.
    """

    def __init__(self,
                 meta_keys=('K', 'img_path', 'ori_shape', 'img_shape',
                            'frame_ids', 'sample_idx', 'ann_file', 'line_no',
                            'folder', 'frame_index', 'side', 'city',
                            'frame_name'),
                 stereo_baseline: float = 0.1):
        self.meta_keys = tuple(meta_keys)
        self.stereo_baseline = stereo_baseline

    def transform(self, results: dict) -> dict:
        metainfo = {k: results[k] for k in self.meta_keys if k in results}
        if 'K' in metainfo:
            metainfo['K'] = np.asarray(metainfo['K'], dtype=np.float32)
        flip = bool(results.get('flip', False))
        metainfo['flip'] = flip
        if 's' in results.get('frame_ids', ()):
            side_sign = -1 if results.get('cam', 2) == 2 else 1
            flip_sign = -1 if flip else 1
            stereo_T = np.eye(4, dtype=np.float32)
            stereo_T[0, 3] = side_sign * flip_sign * self.stereo_baseline
            metainfo['stereo_T'] = stereo_T
        for name, fk in declared_fields(results, 'scalar').items():
            metainfo[name] = float(self._get(results, name, fk,
                                             _where(results)))

        sample = DepthDataSample(metainfo=metainfo)
        if 'gt_depth' in results:
            gt = torch.from_numpy(
                np.ascontiguousarray(results['gt_depth'], dtype=np.float32))
            sample.gt_depth_map = PixelData(data=gt[None])
        inputs = self._pack_sample(results, _where(results), top=True)
        return dict(inputs=inputs, data_samples=sample)

    @staticmethod
    def _get(results: dict, name: str, fk, where: str):
        if name not in results:
            raise KeyError(
                f'PackDepthInputs: {fk.source or "the pipeline"} declared '
                f'the {fk.kind} field {name!r}, but the results of {where} '
                'lack it (removed by a later transform?). Fix: add the '
                'field with its declaration, or neither.')
        return results[name]

    def _pack_sample(self, results: dict, where: str,
                     top: bool = False) -> dict:
        """Frames and declared fields of the sample or of a sub-sample."""
        out = _pack_frames(results)
        color = out['color']
        ref = 0 if 0 in color else next(iter(color))
        img_size = tuple(color[ref][0].shape[-2:])
        fields = declared_fields(results)
        for name, fk in fields.items():
            if fk.kind == 'scalar':
                if not top:
                    raise ValueError(
                        f'PackDepthInputs: scalar field {name!r} of '
                        f'{fk.source or "the pipeline"} in a sub-sample '
                        f'({where}); declare it as an array instead')
                continue  # in the metainfo
            value = self._get(results, name, fk, where)
            if fk.kind == 'subsamples':
                out[name] = {sub: self._pack_sample(s, where)
                             for sub, s in value.items()}
            elif fk.kind == 'passthrough':
                out[name] = value
            else:
                value = np.asarray(value)
                self._check(name, fk, value, results, fields, img_size, where)
                out[name] = torch.from_numpy(np.ascontiguousarray(value))
        if fields:
            out[FIELD_KINDS] = fields
        return out

    @staticmethod
    def _check(name, fk, value, results, fields, img_size, where):
        """Shape checks of the spatial and per-instance kinds."""
        source = fk.source or 'the transform that adds it'
        if fk.kind in SPATIAL_KINDS:
            ndim = 2 if fk.kind == 'pixel' else 3
            if value.ndim != ndim:
                raise ValueError(
                    f'PackDepthInputs: {fk.kind} field {name!r} of '
                    f'{source} must have {ndim} dimensions '
                    f'({"H×W" if ndim == 2 else "n×H×W"}), got shape '
                    f'{value.shape} ({where})')
            if tuple(value.shape[-2:]) != img_size:
                raise ValueError(
                    f'PackDepthInputs: {fk.kind} field {name!r} of size '
                    f'{tuple(value.shape[-2:])} but network frames of size '
                    f'{img_size} ({where}). Fix: give {source} the height / '
                    'width of ResizePyramid.')
        elif fk.kind == 'instance_values':
            of = fields.get(fk.of)
            if of is None or of.kind != 'instances':
                raise ValueError(
                    f'PackDepthInputs: {name!r} of {source} holds values of '
                    f'the instances field {fk.of!r}, which is not declared '
                    f'as instances ({where})')
            n = len(PackDepthInputs._get(results, fk.of, of, where))
            if value.ndim < 1 or len(value) != n:
                raise ValueError(
                    f'PackDepthInputs: {name!r} of {source} must hold one '
                    f'value per instance of {fk.of!r} ({n}), got shape '
                    f'{value.shape} ({where})')
