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
        samples = [s.to(device) for s in samples]
        return dict(inputs=out, data_samples=samples)
