"""PackNet-SfM's supervised depth loss (SemiSup, packnet spec §2.6, §2.8;
the original's ``losses/supervised_loss.py``).

On inverse depths: ``(1/n) Σ_i f(inv_pred_i, inv_gt_i)`` over n scales,
with the GT inverse depth ``1/clamp(gt, 1e-6)`` (0 where gt ≤ 0)
nearest-resized to each prediction's size, and f one of (the original's
formulas, kept as they are):

* ``l1``: mean |p − g|;
* ``mse``: mean (p − g)²;
* ``berhu``: c = 0.2·max(p − g) (signed max, as the original), d = |p − g|;
  mean of the concatenation [d, d[d > c]²];
* ``silog``: ``10·sqrt(mean(ℓ²) − 0.85·mean(ℓ)²)``, ℓ = ln(10p) − ln(10g);
* ``abs_rel``: mean(|p − g| / p) (divided by the **prediction**, as the
  original).

A ``sparse-`` prefix (the default ``sparse-l1``) masks pixels without GT
(g > 0). The original masks only for that prefix, so ``silog`` on sparse
LiDAR is infinite there and the others pull invalid pixels towards inverse
depth 0; depthseg masks for every method by default (``mask='always'``,
documented difference) and reproduces the original with
``mask='sparse_prefix'``.

SemiSup weighting: the original's total is ``(1 − w)·selfsup + w·sup``
with w = ``supervised_loss_weight`` = 0.9. Here this plugin's term is
``loss_weight·sup`` (default 0.9) and the config multiplies the
self-supervised plugins' ``loss_weight`` by ``1 − w`` (see
``configs/packnet/packnet01_semisup_kitti.py``).
"""
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import Tensor

from depthseg.registry import MODELS
from .plugin import LossPlugin

#: loss functions by method name (without the ``sparse-`` prefix)
METHODS = ('l1', 'mse', 'berhu', 'silog', 'abs_rel')


def berhu(pred: Tensor, gt: Tensor, threshold: float = 0.2) -> Tensor:
    """The original's ``BerHuLoss`` (c from the signed max of pred − gt)."""
    c = threshold * torch.max(pred - gt)
    diff = (pred - gt).abs()
    diff2 = diff[(diff > c).detach()] ** 2
    return torch.cat((diff.reshape(-1), diff2)).mean()


def silog(pred: Tensor, gt: Tensor, ratio: float = 10.,
          ratio2: float = 0.85) -> Tensor:
    """The original's ``SilogLoss``."""
    log_diff = torch.log(pred * ratio) - torch.log(gt * ratio)
    silog1 = torch.mean(log_diff ** 2)
    silog2 = ratio2 * (log_diff.mean() ** 2)
    return torch.sqrt(silog1 - silog2) * ratio


def loss_function(method: str):
    """f(pred, gt) of a method name (``sparse-`` prefix allowed)."""
    name = method[len('sparse-'):] if method.startswith('sparse-') \
        else method
    if name == 'l1':
        return lambda p, g: (p - g).abs().mean()
    if name == 'mse':
        return lambda p, g: ((p - g) ** 2).mean()
    if name == 'berhu':
        return berhu
    if name == 'silog':
        return silog
    if name == 'abs_rel':
        return lambda p, g: torch.mean(torch.abs(p - g) / p)
    raise ValueError(f'SupervisedDepthLoss: unknown supervised_method '
                     f'{method!r}; expected one of {METHODS}, optionally '
                     "with the prefix 'sparse-' (e.g. 'sparse-l1')")


def depth_to_inv(depth: Tensor) -> Tensor:
    """``1/clamp(depth, 1e-6)``, 0 where depth ≤ 0 (``depth2inv``)."""
    inv = 1. / depth.clamp(min=1e-6)
    return torch.where(depth > 0, inv, torch.zeros_like(inv))


def supervised_loss(inv_preds: List[Tensor], gt_depth: Tensor,
                    method: str = 'sparse-l1', mask: str = 'always'
                    ) -> Tensor:
    """``(1/n) Σ_i f(inv_pred_i, inv_gt_i)``; ``gt_depth`` B×1×H×W (or
    B×H×W) metres, 0 = no GT, nearest-resized to each prediction."""
    fn = loss_function(method)
    if gt_depth.dim() == 3:
        gt_depth = gt_depth[:, None]
    gt_inv = depth_to_inv(gt_depth.to(inv_preds[0]))
    masked = mask == 'always' or method.startswith('sparse-')
    total = 0.
    for pred in inv_preds:
        gt = gt_inv
        if gt.shape[-2:] != pred.shape[-2:]:
            gt = F.interpolate(gt_inv, size=pred.shape[-2:], mode='nearest')
        if masked:
            valid = (gt > 0).detach()
            if not bool(valid.any()):  # no GT in the batch: no signal
                total = total + pred.sum() * 0.
                continue
            total = total + fn(pred[valid], gt[valid])
        else:
            total = total + fn(pred, gt)
    return total / len(inv_preds)


@MODELS.register_module()
class SupervisedDepthLoss(LossPlugin):
    """Supervised loss on projected LiDAR / benchmark depth (SemiSup).

    Args:
        supervised_method: ``'sparse-l1'`` (default), ``'l1'``, ``'mse'``,
            ``'berhu'``, ``'silog'``, ``'abs_rel'`` (any with ``sparse-``).
        supervised_num_scales: scales 0..n−1 of ``ctx.disp`` used (4).
        loss_weight: w of ``(1 − w)·selfsup + w·sup`` (0.9); the config
            scales the self-supervised plugins by 1 − w.
        prediction: ``'inv_depth'``: ``ctx.disp[s]`` are inverse depths
            (PackNet's depth nets with ``PassThroughDecoder``);
            ``'disp'``: sigmoid disparities, inverse depth = 1 /
            ``ctx.depth[s]`` (Monodepth2-style nets).
        upsample_depth_maps: nearest-upsample every scale to full
            resolution first (PackNet's model option, True); otherwise the
            GT is nearest-resized to each scale.
        mask: ``'always'`` (default) or ``'sparse_prefix'`` (the
            original: only ``sparse-*`` methods mask).
        gt_key: batch key of the B×H×W GT depth at the network size (0 =
            none), from :class:`~depthseg.datasets.transforms.
            LoadProjectedDepth`.

    Term: ``loss_supervised``.
    """

    default_views = 'original'

    def __init__(self, supervised_method: str = 'sparse-l1',
                 supervised_num_scales: int = 4, loss_weight: float = 0.9,
                 prediction: str = 'inv_depth',
                 upsample_depth_maps: bool = True, mask: str = 'always',
                 gt_key: str = 'sup_depth', weight_schedule=None,
                 init_cfg=None):
        super().__init__(loss_weight, weight_schedule, init_cfg)
        loss_function(supervised_method)  # validates
        if prediction not in ('inv_depth', 'disp'):
            raise ValueError("SupervisedDepthLoss: prediction must be "
                             f"'inv_depth' or 'disp', got {prediction!r}")
        if mask not in ('always', 'sparse_prefix'):
            raise ValueError("SupervisedDepthLoss: mask must be 'always' or "
                             f"'sparse_prefix', got {mask!r}")
        if supervised_num_scales < 1:
            raise ValueError('SupervisedDepthLoss: supervised_num_scales '
                             f'must be >= 1, got {supervised_num_scales}')
        self.method = supervised_method
        self.num_scales = supervised_num_scales
        self.prediction = prediction
        self.upsample_depth_maps = upsample_depth_maps
        self.mask = mask
        self.gt_key = gt_key

    def inv_depths(self, ctx) -> List[Tensor]:
        missing = [s for s in range(self.num_scales) if s not in ctx.disp]
        if missing:
            raise KeyError(f'SupervisedDepthLoss: supervised_num_scales='
                           f'{self.num_scales} but the depth net gave '
                           f'scales {sorted(ctx.disp)}')
        if self.prediction == 'inv_depth':
            inv = [ctx.disp[s] for s in range(self.num_scales)]
        else:
            inv = [1. / ctx.depth[s] for s in range(self.num_scales)]
        if self.upsample_depth_maps:
            size = inv[0].shape[-2:]
            inv = [d if d.shape[-2:] == size else F.interpolate(
                d, size=size, mode='nearest') for d in inv]
        return inv

    def forward(self, ctx) -> Dict[str, Tensor]:
        if self.gt_key not in ctx.inputs:
            raise KeyError(
                f'SupervisedDepthLoss: the batch has no {self.gt_key!r}. '
                "Fix: add dict(type='LoadProjectedDepth', ...) to the "
                'training pipeline.')
        loss = supervised_loss(self.inv_depths(ctx), ctx.inputs[self.gt_key],
                               self.method, self.mask)
        return dict(loss_supervised=self.loss_weight * loss)
