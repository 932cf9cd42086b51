"""Photometric reprojection loss with per-pixel minimum and auto-masking."""
from typing import Dict, Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

from depthseg.registry import MODELS
from .functional import L1_KINDS, reprojection_error


def automask_min(identity: Optional[Tensor], reprojection: Tensor,
                 noise: Optional[Tensor] = None, identity_first: bool = True,
                 noise_scale: float = 1e-5) -> Tuple[Tensor, Tensor, Tensor]:
    """Per-pixel minimum over reprojection (and identity) errors.

    Args:
        identity: B×S×H×W errors of the unwarped sources, or None (no
            auto-masking).
        reprojection: B×S'×H×W errors of the warped sources.
        noise: standard-normal tie-break noise shaped like ``identity``
            (drawn when None); ``noise_scale·noise`` is added to identity.
        identity_first: channel order of the concatenation (Monodepth2 puts
            identity first; it decides argmin ties).

    Returns:
        to_optimise (B×H×W), argmin index (B×H×W, int64) and the float mask
        of pixels where a reprojection term won (B×H×W).
    """
    if identity is None:
        combined, num_identity = reprojection, 0
    else:
        if noise is None:
            noise = torch.randn_like(identity)
        identity = identity + noise.to(identity) * noise_scale
        num_identity = identity.shape[1]
        parts = [identity, reprojection] if identity_first else [
            reprojection, identity]
        combined = torch.cat(parts, 1)
    if combined.shape[1] == 1:
        to_optimise = combined[:, 0]
        idxs = torch.zeros_like(to_optimise, dtype=torch.long)
    else:
        to_optimise, idxs = torch.min(combined, dim=1)
    if identity_first:
        won = idxs > num_identity - 1
    else:
        won = idxs < reprojection.shape[1]
    return to_optimise, idxs, won.float()


@MODELS.register_module()
class PhotometricLoss(BaseModule):
    """Monodepth2's minimum-reprojection loss with auto-masking.

    For each scale: errors of every warped source against the target, the
    identity errors of the unwarped sources (auto-masking, with 1e-5 tie-break
    noise), a per-pixel minimum, and the mean; the value is averaged over
    scales. Ablations of the original are switches.

    Writes ``ctx.state['automask'][s]`` (B×H×W, 1 where a reprojection won)
    and ``ctx.state['min_reproj'][s]`` for hooks and other plugins, and
    shows them in the training pictures (``visuals``). With auto-masking,
    the callables other plugins put in ``ctx.photometric_overrides`` (e.g.
    a method's override of the auto-mask) modify the per-pixel minimum.

    Args:
        loss_weight: multiplies the value; schedulable.
        automask: add identity errors (``--disable_automasking`` = False).
        avg_reprojection: average over sources instead of the minimum.
        use_ssim: SSIM term on (``--no_ssim`` = False).
        ssim_weight: weight of the SSIM term (0.85).
        identity_first: order of identity/reprojection channels.
        noise_scale: std of the tie-break noise added to identity errors
            (1e-5; 0 makes the loss deterministic, e.g. to compare runs
            whose processes draw different random numbers).
        l1: the photometric L1 term: ``'abs'`` (Monodepth2) or
            ``'charbonnier'`` (FeatDepth's ``sqrt(d² + 1e-6)``).
    """

    def __init__(self, loss_weight: float = 1.0, automask: bool = True,
                 avg_reprojection: bool = False, use_ssim: bool = True,
                 ssim_weight: float = 0.85, identity_first: bool = True,
                 noise_scale: float = 1e-5, l1: str = 'abs',
                 init_cfg=None):
        super().__init__(init_cfg)
        if l1 not in L1_KINDS:
            raise ValueError(f'l1 must be one of {L1_KINDS}, got {l1!r}')
        self.l1 = l1
        self.loss_weight = loss_weight
        self.automask = automask
        self.avg_reprojection = avg_reprojection
        self.use_ssim = use_ssim
        self.ssim_weight = ssim_weight
        self.identity_first = identity_first
        self.noise_scale = noise_scale

    def error(self, pred: Tensor, target: Tensor) -> Tensor:
        return reprojection_error(pred, target, self.ssim_weight,
                                  self.use_ssim, self.l1)

    def identity_error(self, ctx, f, s: int) -> Tensor:
        """Error of the unwarped source f against the target at scale s,
        computed once per image pair and resolution: with
        ``multiscale='full'`` every scale compares the same full-resolution
        images (cached in ``ctx.state['identity_errors']``; no gradient
        flows through it)."""
        key = (f, ctx.source_scale(s), self.ssim_weight, self.use_ssim,
               self.l1)
        cache = ctx.state.setdefault('identity_errors', {})
        if key not in cache:
            cache[key] = self.error(ctx.source(f, s), ctx.target(s))
        return cache[key]

    def scale_errors(self, ctx, s: int) -> Tuple[Optional[Tensor], Tensor]:
        """Identity (or None) and reprojection errors at scale s."""
        target = ctx.target(s)
        reproj = torch.cat(
            [self.error(ctx.warped[f, s], target) for f in ctx.source_ids], 1)
        identity = None
        if self.automask:
            identity = torch.cat(
                [self.identity_error(ctx, f, s) for f in ctx.source_ids], 1)
        if self.avg_reprojection:
            reproj = reproj.mean(1, keepdim=True)
            if identity is not None:
                identity = identity.mean(1, keepdim=True)
        return identity, reproj

    def forward(self, ctx) -> Dict[str, Tensor]:
        total = 0
        automasks, minima = ctx.state.setdefault('automask', {}), \
            ctx.state.setdefault('min_reproj', {})
        for s in ctx.scales:
            identity, reproj = self.scale_errors(ctx, s)
            noise = ctx.inputs.get('automask_noise', {}).get(s)
            to_optimise, _, won = automask_min(identity, reproj, noise,
                                               self.identity_first,
                                               self.noise_scale)
            if identity is not None:
                for override in ctx.photometric_overrides:
                    to_optimise = override(ctx, s, to_optimise, reproj, won)
            automasks[s] = won.detach()
            minima[s] = to_optimise.detach()
            total = total + to_optimise.mean()
        return {'loss_photometric': self.loss_weight * total / len(ctx.scales)}

    def visuals(self, ctx) -> Dict[str, Tuple[Tensor, str]]:
        """Scale-0 auto-mask and minimum error of the last forward."""
        pictures = {}
        if 0 in ctx.state.get('automask', {}):
            pictures['automask'] = (ctx.state['automask'][0], 'mask')
        if 0 in ctx.state.get('min_reproj', {}):
            pictures['min_reproj'] = (ctx.state['min_reproj'][0], 'map')
        return pictures
