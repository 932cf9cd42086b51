"""Structural dissimilarity used by the photometric losses."""
import torch.nn.functional as F
from torch import Tensor


def ssim_loss(x: Tensor, y: Tensor, C1: float = 0.01**2,
              C2: float = 0.03**2) -> Tensor:
    """Per-pixel, per-channel ``clamp((1 - SSIM) / 2, 0, 1)``.

    x, y: B×C×H×W. Statistics are 3×3 means over reflection-padded inputs
    (the edge sample is not repeated), so the output is B×C×H×W.
    """
    x = F.pad(x, (1, 1, 1, 1), mode='reflect')
    y = F.pad(y, (1, 1, 1, 1), mode='reflect')
    mu_x = F.avg_pool2d(x, 3, 1)
    mu_y = F.avg_pool2d(y, 3, 1)
    sigma_x = F.avg_pool2d(x * x, 3, 1) - mu_x**2
    sigma_y = F.avg_pool2d(y * y, 3, 1) - mu_y**2
    sigma_xy = F.avg_pool2d(x * y, 3, 1) - mu_x * mu_y
    n = (2 * mu_x * mu_y + C1) * (2 * sigma_xy + C2)
    d = (mu_x**2 + mu_y**2 + C1) * (sigma_x + sigma_y + C2)
    return ((1 - n / d) / 2).clamp(0, 1)
