"""FUMET's training schedules (pure Python): the per-epoch camera-height
pseudo-label (h*) rule and the logarithmic loss-weight ramps.

Used by the metric-scale loss plugins (:mod:`depthseg.models.losses.
metric_scale`) and the engine hooks; quirk numbers (Qxx) refer to the FUMET
method spec.
"""
import math
from typing import Optional, Tuple

__all__ = ['h_star_update', 'log_ramp_rates']


def h_star_update(h_star: Optional[float], h_epoch: float, epoch: int,
                  first_update_epoch: Optional[int],
                  has_initial: bool) -> Optional[float]:
    """One camera-setting group's h* after epoch ``epoch`` (0-based).

    Weighted running mean h_new = (h_old·(e'−1)e'/2 + e'·Ĥ)/(e'(e'+1)/2)
    (epoch k has weight k; QUIRK Q7 kept: with F > 1 earlier epochs act as
    zeros).

    * ``first_update_epoch`` (F) None: h* never changes.
    * Without an initial height: h* is created (= 0) at epoch F and updated
      from then on with e' = epoch (+1 when F == 0).
    * With an initial height: h* exists from the start; updated for
      epoch ≥ F with e' = epoch (+1 when F == 0: Q8 fix, no 0/0).
    * Ĥ NaN (Q6b fix): h* keeps its previous value; if it would only have
      been created now it stays non-existent and creation is retried at the
      next epoch with an estimate (the original never recovers from this).

    Args:
        h_star: current h* (None while it does not exist).
        h_epoch: this epoch's estimate Ĥ (NaN if none).
        epoch: 0-based epoch index.
        first_update_epoch: F, or None.
        has_initial: whether an initial camera height was given.

    Returns:
        The new h*, or None while it does not exist.
    """
    if first_update_epoch is None:
        return h_star
    F_ = first_update_epoch
    if epoch < F_:
        return h_star
    e = epoch + 1 if F_ == 0 else epoch
    h_epoch = float(h_epoch)
    if math.isnan(h_epoch):
        return h_star
    if h_star is None:
        if has_initial:
            return None
        h_star = 0.0
    h_old = float(h_star)
    return (h_old * (e - 1) * e / 2 + e * h_epoch) / (e * (e + 1) / 2)


def log_ramp_rates(epoch: int, keep_epochs: int = 1, limit_epoch: int = 20,
                   min_rate: float = 0.005) -> Tuple[float, float]:
    """Loss-weight rates (r_up, r_down) for epoch ``epoch``.

    q = epoch // keep_epochs, Q = limit_epoch // keep_epochs; for q < Q:
    r_up = ln(q+1)/ln(Q+1), r_down = 1 − r_up; otherwise (1, min_rate).
    r_up multiplies the fine (camera-height) loss, r_down the rough one.
    """
    q = epoch // keep_epochs
    Q = limit_epoch // keep_epochs
    if q < Q:
        r_up = math.log(q + 1) / math.log(Q + 1)
        return r_up, 1 - r_up
    return 1.0, min_rate
