"""Batch the packed frames, convert them to float and add intrinsics."""
from typing import List

import numpy as np
import torch
from mmengine.model import BaseDataPreprocessor

from depthseg.models.utils.geometry import scale_intrinsics
from depthseg.registry import MODELS


def _stack_uint8(images: List[torch.Tensor], device) -> torch.Tensor:
    """List of 3×H×W uint8 tensors -> B×3×H×W float in [0, 1] on device."""
    batch = torch.stack(images).to(device, non_blocking=True)
    return batch.float() / 255.


@MODELS.register_module()
class DepthDataPreprocessor(BaseDataPreprocessor):
    """Turns ``PackDepthInputs`` output into the estimator's batch dict.

    Output ``inputs``: ``color[f][s]`` (B×3×H_s×W_s float in [0, 1]),
    ``color_aug[f]`` (B×3×H×W), ``K[s]`` / ``inv_K[s]`` (B×4×4 float32, the
    sample's normalised K scaled to each pyramid level, ``inv_K = pinv(K)``)
    and, when the samples carry it, ``stereo_T`` (B×4×4).

    FUMET car/road masks (``PackDepthInputs`` of ``LoadCarRoadMasks``
    output), when present: ``road`` (bool B×H×W), ``segms_flat`` (bool
    N×H×W, every car of every frame in frame order; 0×H×W without cars),
    ``heights_flat`` (float32 N), ``n_inst`` (int64 B, cars per frame, sums
    to N) and ``car_frame_idx`` (int64 N, the frame of each car,
    ``repeat_interleave(arange(B), n_inst)``). ``cam_setting`` (float32 B)
    when the samples' metainfo carries it (Cityscapes camera-setting group
    key).

    BDEdepth views (``inputs['views'][name]``, see
    ``datasets/transforms/views.py``): ``views[name]`` with ``color[f][s]``
    and ``color_aug[f]`` batched like the frames, every other entry stacked
    along a new batch dimension with its dtype (``road`` bool B×H×W,
    ``split_xy`` int64 B×2, ``grid_local`` float64 B×2×H×W, ``ratio_local``
    float32 B×1).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs, samples = data['inputs'], data['data_samples']
        device = self.device
        color = {
            f: [_stack_uint8(level, device) for level in levels]
            for f, levels in inputs['color'].items()
        }
        out = dict(color=color)
        out['color_aug'] = {
            f: _stack_uint8(imgs, device)
            for f, imgs in inputs.get('color_aug', {}).items()
        }
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
        if 'road' in inputs:
            out.update(self._car_road(inputs, device, height, width))
        if 'cam_setting' in samples[0].metainfo:
            out['cam_setting'] = torch.tensor(
                [float(s.metainfo['cam_setting']) for s in samples],
                dtype=torch.float32, device=device)
        if 'views' in inputs:
            out['views'] = {
                name: self._view(view, device)
                for name, view in inputs['views'].items()
            }
        samples = [s.to(device) for s in samples]
        return dict(inputs=out, data_samples=samples)

    @staticmethod
    def _view(view: dict, device) -> dict:
        """Batch one view's packed per-sample entries."""
        out = dict(
            color={f: [_stack_uint8(level, device) for level in levels]
                   for f, levels in view['color'].items()},
            color_aug={f: _stack_uint8(imgs, device)
                       for f, imgs in view['color_aug'].items()})
        for key, values in view.items():
            if key not in out:
                out[key] = torch.stack(
                    [torch.as_tensor(v) for v in values]).to(device)
        return out

    @staticmethod
    def _car_road(inputs: dict, device, height: int, width: int) -> dict:
        """Batch the per-frame road / car masks (varying car counts)."""
        roads = [torch.as_tensor(r) for r in inputs['road']]
        masks = [torch.as_tensor(m) for m in inputs['car_masks']]
        heights = [torch.as_tensor(h) for h in inputs['car_heights']]
        roads = [r[0] if r.dim() == 3 else r for r in roads]  # 1×H×W
        for i, (r, m, h) in enumerate(zip(roads, masks, heights)):
            if (tuple(r.shape) != (height, width) or m.dim() != 3
                    or tuple(m.shape[1:]) != (height, width)
                    or h.dim() != 1 or len(h) != len(m)):
                raise ValueError(
                    f'DepthDataPreprocessor: frame {i} of the batch has road '
                    f'{tuple(r.shape)}, car_masks {tuple(m.shape)} and '
                    f'car_heights {tuple(h.shape)}; expected H×W, n×H×W and '
                    f'n with (H, W) = {(height, width)}, the frame size')
        n_inst = torch.tensor([len(m) for m in masks], dtype=torch.int64)
        return dict(
            road=torch.stack(roads).to(device, torch.bool),
            segms_flat=torch.cat(masks).to(device, torch.bool),
            heights_flat=torch.cat(heights).to(device, torch.float32),
            n_inst=n_inst.to(device),
            car_frame_idx=torch.repeat_interleave(
                torch.arange(len(masks)), n_inst).to(device))
