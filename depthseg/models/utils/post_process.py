"""Flip post-processing of disparity predictions (Monodepth2 spec
``monodepth2.md`` §8.2 step 3, ``--post_process``): blend the prediction of
an image with the flipped-back prediction of its mirror image.

Used by the estimator's ``test_cfg.flip_post_process`` and by the evaluation
functions (re-exported by :mod:`depthseg.evaluation.functional`).
"""
import numpy as np
import torch


def batch_post_process_disparity(l_disp, r_disp):
    """Blend a disparity and the flipped-back prediction of the flipped image.

    Works on NumPy arrays (float64 weights, as the original) and torch
    tensors (weights in the input dtype / device); shapes ``(..., H, W)``.
    With ``u = linspace(0, 1, W)``: ``l_mask = 1 − clip(20(u − 0.05), 0, 1)``,
    ``r_mask = flip(l_mask)`` and
    ``out = r_mask·l + l_mask·r + (1 − l_mask − r_mask)·(l + r)/2``.
    """
    width = l_disp.shape[-1]
    if isinstance(l_disp, torch.Tensor):
        u = torch.linspace(0, 1, width, dtype=torch.float64)
        l_mask = (1.0 - torch.clamp(20 * (u - 0.05), 0, 1)).to(
            l_disp.device, l_disp.dtype)
        r_mask = l_mask.flip(-1)
    else:
        u = np.linspace(0, 1, width)
        l_mask = 1.0 - np.clip(20 * (u - 0.05), 0, 1)
        r_mask = l_mask[::-1]
    m_disp = 0.5 * (l_disp + r_disp)
    return (r_mask * l_disp + l_mask * r_disp +
            (1.0 - l_mask - r_mask) * m_disp)
