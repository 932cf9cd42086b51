"""Loss math shared by the loss plugins (pure tensor functions).

* :func:`ssim_loss`: per-pixel structural dissimilarity;
* :func:`charbonnier`: the robust L1 ``sqrt(d² + eps)``;
* :func:`reprojection_error`: ``w·SSIM + (1-w)·L1`` photometric error
  (Monodepth2's, or FeatDepth's with the Charbonnier L1);
* :func:`edge_aware_terms`: first- (S1) and second-order (S2) edge-aware
  gradient terms of a map against an image (FeatDepth, spec
  ``featdepth.md`` §2.6);
* :func:`edge_aware_smoothness` / :func:`mean_normalise`: Monodepth2's
  first-order disparity smoothness.

The loss plugins (``photometric``, ``smoothness``, ``feature_losses``,
``feature_metric``, ``packnet_functional``) import from here; this module
imports no other depthseg module.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _box3(maps: Tensor) -> Tensor:
    """3×3 means of every channel of B×K×H×W (valid positions) as one
    depthwise convolution with weights 1/9."""
    weight = maps.new_full((maps.shape[1], 1, 3, 3), 1 / 9)
    return F.conv2d(maps, weight, groups=maps.shape[1])


def ssim_loss(x: Tensor, y: Tensor, C1: float = 0.01**2,
              C2: float = 0.03**2, fused: bool = True) -> Tensor:
    """Per-pixel, per-channel ``clamp((1 - SSIM) / 2, 0, 1)``.

    x, y: B×C×H×W. Statistics are 3×3 means over reflection-padded inputs
    (the edge sample is not repeated), so the output is B×C×H×W.

    ``fused=True`` computes the five local means (of x, y, x², y², xy) with
    one depthwise convolution over the stacked maps (about a third of the
    time of five ``avg_pool2d`` calls, forward and backward; the sums run
    in another order: float32 results differ by ~1e-7); ``fused=False`` is
    the original's form with five ``avg_pool2d`` calls.
    """
    x = F.pad(x, (1, 1, 1, 1), mode='reflect')
    y = F.pad(y, (1, 1, 1, 1), mode='reflect')
    if fused:
        mu_x, mu_y, xx, yy, xy = _box3(
            torch.cat([x, y, x * x, y * y, x * y], 1)).chunk(5, 1)
        sigma_x, sigma_y = xx - mu_x**2, yy - mu_y**2
        sigma_xy = xy - mu_x * mu_y
    else:
        mu_x = F.avg_pool2d(x, 3, 1)
        mu_y = F.avg_pool2d(y, 3, 1)
        sigma_x = F.avg_pool2d(x * x, 3, 1) - mu_x**2
        sigma_y = F.avg_pool2d(y * y, 3, 1) - mu_y**2
        sigma_xy = F.avg_pool2d(x * y, 3, 1) - mu_x * mu_y
    n = (2 * mu_x * mu_y + C1) * (2 * sigma_xy + C2)
    d = (mu_x**2 + mu_y**2 + C1) * (sigma_x + sigma_y + C2)
    return ((1 - n / d) / 2).clamp(0, 1)


def charbonnier(pred: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """Elementwise ``sqrt((target − pred)² + eps)`` (FeatDepth's
    ``robust_l1``; a zero difference gives ``sqrt(eps)`` = 1e-3, quirk Q30).
    """
    return torch.sqrt((target - pred)**2 + eps)


#: Values of the ``l1`` argument of :func:`reprojection_error`.
L1_KINDS = ('abs', 'charbonnier')


def reprojection_error(pred: Tensor, target: Tensor, ssim_weight: float = 0.85,
                       use_ssim: bool = True, l1: str = 'abs',
                       C1: float = 0.01**2, C2: float = 0.03**2) -> Tensor:
    """``w·mean_c SSIM + (1-w)·mean_c ρ(target, pred)`` -> B×1×H×W.

    ρ is ``|target − pred|`` (``l1='abs'``, Monodepth2) or the Charbonnier
    ``sqrt((target − pred)² + 1e-6)`` (``'charbonnier'``, FeatDepth);
    ``C1``, ``C2``: the SSIM constants (:func:`ssim_loss`; PackNet-SfM
    configures them).
    """
    if l1 == 'abs':
        l1 = (target - pred).abs().mean(1, keepdim=True)
    elif l1 == 'charbonnier':
        l1 = charbonnier(pred, target).mean(1, keepdim=True)
    else:
        raise ValueError(f'l1 must be one of {L1_KINDS}, got {l1!r}')
    if not use_ssim:
        return l1
    ssim = ssim_loss(pred, target, C1, C2).mean(1, keepdim=True)
    return ssim_weight * ssim + (1 - ssim_weight) * l1


def _resize_area(img: Tensor, size) -> Tensor:
    """B×C×H×W -> B×C×h×w with area interpolation (box means for integer
    factors); identity when the size already matches."""
    if tuple(img.shape[-2:]) == tuple(size):
        return img
    return F.interpolate(img, size=tuple(size), mode='area')


def _mean(x: Tensor) -> Tensor:
    """Mean over every element; 0 for an empty tensor (maps smaller than 2
    or 3 pixels in a direction; the original gives NaN, quirk Q29)."""
    return x.mean() if x.numel() else x.sum()


def _dx(x: Tensor) -> Tensor:
    return x[..., :, 1:] - x[..., :, :-1]


def _dy(x: Tensor) -> Tensor:
    return x[..., 1:, :] - x[..., :-1, :]


def edge_aware_terms(x: Tensor, img: Tensor,
                     alpha: float = 1.0) -> Tuple[Tensor, Tensor]:
    """First- and second-order edge-aware terms of a map (spec §2.6).

    The image is area-resized to x's size. With forward differences and the
    weight ``w(G) = exp(−alpha·mean_c|G|)`` (broadcast over x's channels):

    * ``S1 = mean(|∂x x|·w(∂x I)) + mean(|∂y x|·w(∂y I))``
    * ``S2`` = the same over ∂xx, ∂xy, ∂yx, ∂yy (∂xy ≡ ∂yx, so the mixed
      term counts twice, quirk Q28).

    Each mean runs over its own tensor; an empty one (a map under 3 pixels
    in a direction) contributes 0.

    Args:
        x: B×C×h×w map (disparity or features).
        img: B×3×H×W image (any size; area-resized to h×w).
        alpha: edge weight coefficient (1 for features, 0.5 for depth).

    Returns:
        (S1, S2): scalars.
    """
    if x.dim() != 4 or img.dim() != 4 or x.shape[0] != img.shape[0]:
        raise ValueError(f'edge_aware_terms needs B×C×h×w maps with the '
                         f'same batch, got {tuple(x.shape)} and '
                         f'{tuple(img.shape)}')
    img = _resize_area(img, x.shape[-2:])

    def weight(g: Tensor) -> Tensor:
        return torch.exp(-alpha * g.abs().mean(1, keepdim=True))

    x_dx, x_dy = _dx(x), _dy(x)
    i_dx, i_dy = _dx(img), _dy(img)
    s1 = (_mean(x_dx.abs() * weight(i_dx)) +
          _mean(x_dy.abs() * weight(i_dy)))
    pairs = ((_dx(x_dx), _dx(i_dx)), (_dy(x_dx), _dy(i_dx)),
             (_dx(x_dy), _dx(i_dy)), (_dy(x_dy), _dy(i_dy)))
    s2 = sum(_mean(d.abs() * weight(g)) for d, g in pairs)
    return s1, s2


def edge_aware_smoothness(disp: Tensor, img: Tensor,
                          alpha: float = 1.0) -> Tensor:
    """First-order edge-aware smoothness, summed over the directions
    ∂ = ∂x, ∂y: ``mean(|∂d|·exp(−a·mean_c|∂I|))``.

    disp: B×1×H×W, img: B×3×H×W (same size). Forward differences; the two
    means are taken separately. Mean-normalisation is the caller's job.
    """
    if disp.shape[-2:] != img.shape[-2:]:
        raise ValueError(f'smoothness: disparity {tuple(disp.shape)} and '
                         f'image {tuple(img.shape)} sizes differ')
    grad_disp_x = (disp[:, :, :, :-1] - disp[:, :, :, 1:]).abs()
    grad_disp_y = (disp[:, :, :-1, :] - disp[:, :, 1:, :]).abs()
    grad_img_x = (img[:, :, :, :-1] - img[:, :, :, 1:]).abs().mean(
        1, keepdim=True)
    grad_img_y = (img[:, :, :-1, :] - img[:, :, 1:, :]).abs().mean(
        1, keepdim=True)
    if alpha != 1.0:
        grad_img_x, grad_img_y = alpha * grad_img_x, alpha * grad_img_y
    return ((grad_disp_x * torch.exp(-grad_img_x)).mean() +
            (grad_disp_y * torch.exp(-grad_img_y)).mean())


def mean_normalise(disp: Tensor, eps: float = 1e-7,
                   min_mean: Optional[float] = None) -> Tensor:
    """Divide each disparity map by its spatial mean (B×1×H×W):
    ``disp / (mean + eps)``, or with ``min_mean`` given
    ``disp / clamp(mean, min_mean)`` (PackNet-SfM's
    ``inv_depths_normalize``, 1e-6)."""
    mean = disp.mean((2, 3), keepdim=True)
    if min_mean is not None:
        return disp / mean.clamp(min=min_mean)
    return disp / (mean + eps)
