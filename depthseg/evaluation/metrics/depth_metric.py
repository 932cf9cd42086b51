"""KITTI depth evaluation (Monodepth2 ``evaluate_depth.py``, spec §8.2)."""
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from PIL import Image

from depthseg.evaluation.functional import (DEPTH_METRIC_NAMES, EVAL_CROPS,
                                            EVAL_LOG_BASES, EVAL_MEDIANS,
                                            EVAL_RESIZES,
                                            evaluate_depth_sample,
                                            ratio_stats)
from depthseg.registry import METRICS
from depthseg.utils.safe_load import load_npz
from depthseg.visualization import colorize

EXPORT_TOOL = 'tools/dataset_converters/kitti_export_gt.py'
#: KITTI depth-prediction benchmark image size (W, H).
BENCHMARK_SIZE = (1216, 352)


def save_gt_depths(path: str, depths: Sequence[np.ndarray]) -> None:
    """Save GT maps (of different sizes) compressed and pickle-free: every
    map's float32 values concatenated in ``values`` and their (H, W) in
    ``shapes`` (N×2); :func:`load_gt_depths` splits them again."""
    depths = [np.asarray(d, dtype=np.float32) for d in depths]
    if any(d.ndim != 2 for d in depths):
        raise ValueError('save_gt_depths: every GT map must be H×W')
    shapes = np.array([d.shape for d in depths], dtype=np.int64).reshape(-1, 2)
    values = np.concatenate([d.ravel() for d in depths]) if depths else \
        np.zeros(0, np.float32)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    np.savez_compressed(path, values=values, shapes=shapes)


def load_gt_depths(path: str) -> List[np.ndarray]:
    """The GT maps of ``path``: depthseg's pickle-free ``values`` +
    ``shapes`` layout, or the original ``gt_depths.npz['data']`` (an object
    array, quirk Q6, read by the restricted reader that admits only numpy
    arrays; or N×H×W when all maps share a size)."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Ground-truth file {path} does not exist. Fix: export it with '
            f'python {EXPORT_TOOL} --data-root <KITTI raw root> --split '
            f'<eigen|eigen_benchmark> --out {path}, or point the metric at '
            'another file with --cfg-options test_evaluator.gt_file=<npz>.')
    arrays = load_npz(path)
    if {'values', 'shapes'} <= set(arrays):
        shapes = arrays['shapes']
        ends = np.cumsum(shapes.prod(1))
        if ends[-1:].tolist() not in ([], [arrays['values'].size]):
            raise ValueError(f'{path}: values holds {arrays["values"].size} '
                             f'depths but shapes announce {int(ends[-1])}; '
                             f're-export it with {EXPORT_TOOL}')
        return [v.reshape(s) for v, s in zip(
            np.split(arrays['values'], ends[:-1]), shapes)]
    if 'data' in arrays:
        return list(arrays['data'])
    raise KeyError(f'{path}: expected the arrays values + shapes (depthseg) '
                   f'or data (Monodepth2), found {sorted(arrays)}; export '
                   f'the GT with {EXPORT_TOOL}')


def load_pred_disps(path: str) -> np.ndarray:
    """N×h×w scaled disparities from a ``.npy`` (``--save_pred_disps`` of
    the original) or a ``.npz`` written by ``tools/test.py --out``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Disparity file {path} does not exist.')
    if path.endswith('.npz'):
        with np.load(path) as z:
            key = 'pred_disps' if 'pred_disps' in z.files else z.files[0]
            disps = z[key]
    else:
        disps = np.load(path)
    if disps.ndim == 4 and disps.shape[1] == 1:
        disps = disps[:, 0]
    if disps.ndim != 3:
        raise ValueError(f'{path}: expected N×h×w disparities, got shape '
                         f'{disps.shape}')
    return disps


def write_benchmark_png(disp: np.ndarray, path: str,
                        depth_scale: float = 5.4) -> None:
    """KITTI benchmark submission PNG: cv2-resize to 1216×352, depth =
    ``depth_scale / disp`` clipped to [0, 80], uint16(depth·256)."""
    disp_resized = cv2.resize(disp, BENCHMARK_SIZE)
    depth = np.clip(depth_scale / disp_resized, 0, 80)
    cv2.imwrite(path, np.uint16(depth * 256))


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, dict):  # PixelData.to_dict()
        value = value['data']
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    value = np.asarray(value)
    return value[0] if value.ndim == 3 else value


def _count_split_lines(path: str) -> int:
    with open(path) as f:
        return sum(1 for line in f if line.strip())


@METRICS.register_module()
class DepthMetric(BaseMetric):
    """Per-image KITTI depth metrics, averaged over images (Monodepth2).

    Each sample's scaled disparity (``pred_disp_map``) goes through
    :func:`~depthseg.evaluation.functional.evaluate_depth_sample`. Metrics:
    ``abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3, abs_err`` (means over
    images) and ``ratio_median`` / ``ratio_std`` (median of the per-image
    ratios ``median(gt)/median(pred)`` and ``std(ratios/median)``, also
    reported when the ratios are not applied). Keys get the prefix
    ``depth/`` (``save_best='depth/abs_rel'``).

    Args:
        crop: ``'garg'`` (Eigen split), ``'cityscapes'`` (ManyDepth's
            ``[256:, 192:1856]`` on the GT already cut to the network's
            field of view by ``LoadCityscapesDepthGT``; FUMET quirk Q17) or
            None.
        min_depth, max_depth: GT range (with the crop) and prediction clamp.
        scaling: ``'median'`` (per-image median scaling, mono models),
            ``'none'`` (fixed scale: the sample's ``depth_scale`` metainfo,
            default 1; 5.4 for stereo-trained Monodepth2) or ``'both'``
            (metric models, FUMET: the unscaled metrics under the plain
            names and the median-scaled ones as ``median_<name>``, printed
            as the rows "w/o scaling" and "w/ scaling").
        gt_mask: ``'auto'``, ``'range'`` or ``'positive'`` (see
            ``evaluate_depth_sample``; ``'auto'`` = the original's choice).
        gt_file: exported GT ``.npz`` (``tools/dataset_converters/
            kitti_export_gt.py``) indexed by ``sample_idx``; None takes
            ``gt_depth_map`` of each sample (``LoadKittiDepthGT``).
        pred_disps_file: N×h×w scaled disparities (``.npy`` as the
            original's ``--ext_disp_to_eval``, or an ``--out`` ``.npz``)
            used instead of the model's, indexed by ``sample_idx``; see
            :meth:`evaluate_external` to evaluate them without a model.
        out_file: save the evaluated disparities (N×h×w, sorted by
            ``sample_idx``) to this ``.npz`` under key ``pred_disps``.
        show_dir: write a magma colour map ``{sample_idx:06d}_disp.png`` of
            each disparity into this folder (``colorize``: minimum to 95th
            percentile, as ``test_simple.py``).
        output_dir, format_only: KITTI benchmark submission: write
            ``{sample_idx:010d}.png`` (:func:`write_benchmark_png`) into
            ``output_dir``; with ``format_only`` no metric is computed.
        benchmark_depth_scale: ``depth = benchmark_depth_scale / disp`` of
            the submission PNGs (5.4, hard-coded in the original).
        resize: resize of the disparity to the GT size: ``'bilinear'``
            (cv2, Monodepth2), ``'bilinear_align_corners'`` (BDEdepth's
            KITTI / Cityscapes evaluation), ``'nearest'`` (BDEdepth's
            NYUv2 / Make3D evaluation) or ``'bilinear_depth_align_corners'``
            (PackNet-SfM: the depth 1/disp, not the disparity, resized
            bilinearly with align_corners=True).
        median: ``'numpy'`` or ``'torch'`` (lower middle; BDEdepth) median
            of the scaling ratio.
        log_base: ``'e'``, or ``'10'`` for Make3D's ``rmse_log`` (log10).
        empty_gt: an image without a valid GT pixel: ``'raise'`` (default,
            naming the sample) or ``'exclude'`` (left out of the means;
            PackNet-SfM's evaluation, quirk Q20 fixed).
    """

    default_prefix = 'depth'

    def __init__(self,
                 crop: Optional[str] = 'garg',
                 min_depth: float = 1e-3,
                 max_depth: float = 80.,
                 scaling: str = 'median',
                 gt_mask: str = 'auto',
                 gt_file: Optional[str] = None,
                 pred_disps_file: Optional[str] = None,
                 out_file: Optional[str] = None,
                 show_dir: Optional[str] = None,
                 output_dir: Optional[str] = None,
                 format_only: bool = False,
                 benchmark_depth_scale: float = 5.4,
                 resize: str = 'bilinear',
                 median: str = 'numpy',
                 log_base: str = 'e',
                 empty_gt: str = 'raise',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if crop not in EVAL_CROPS:
            raise ValueError(f'crop must be one of {EVAL_CROPS}, got '
                             f'{crop!r}')
        if scaling not in ('median', 'none', 'both'):
            raise ValueError(f"scaling must be 'median', 'none' or 'both', "
                             f'got {scaling!r}')
        if gt_mask not in ('auto', 'range', 'positive'):
            raise ValueError(f"gt_mask must be 'auto', 'range' or "
                             f"'positive', got {gt_mask!r}")
        if format_only and not output_dir:
            raise ValueError('format_only=True needs output_dir (the folder '
                             'of the benchmark PNGs)')
        if resize not in EVAL_RESIZES:
            raise ValueError(f'resize must be one of {EVAL_RESIZES}, got '
                             f'{resize!r}')
        if median not in EVAL_MEDIANS:
            raise ValueError(f'median must be one of {EVAL_MEDIANS}, got '
                             f'{median!r}')
        if str(log_base) not in EVAL_LOG_BASES:
            raise ValueError(f'log_base must be one of {EVAL_LOG_BASES}, '
                             f'got {log_base!r}')
        if empty_gt not in ('raise', 'exclude'):
            raise ValueError(f"empty_gt must be 'raise' or 'exclude', got "
                             f'{empty_gt!r}')
        self.empty_gt = empty_gt
        self.eval_cfg = dict(crop=crop, min_depth=min_depth,
                             max_depth=max_depth,
                             median_scaling=scaling == 'median',
                             gt_mask=gt_mask, resize=resize, median=median,
                             log_base=str(log_base))
        self.scaling = scaling
        self.gt_file = gt_file
        self.pred_disps_file = pred_disps_file
        self.out_file = out_file
        self.show_dir = show_dir
        self.output_dir = output_dir
        self.format_only = format_only
        self.benchmark_depth_scale = benchmark_depth_scale
        self._gt_depths = None
        self._pred_disps = None

    # ---- inputs ----
    def _check_gt_count(self, needed: int, split: str,
                        split_file: str = '<split file>',
                        exact: bool = False) -> None:
        """At least ``needed`` GT maps; exactly ``needed`` with ``exact``
        (more maps: a GT file of another split, whose map i is not
        sample i)."""
        available = len(self._gt_depths)
        if available < needed or (exact and available != needed):
            more = '' if available < needed else (
                ' (the GT of another split: its maps would be compared '
                'with the wrong images)')
            raise ValueError(
                f'{self.gt_file} holds {available} ground-truth depth maps '
                f'but {split} has {needed} samples{more}. Fix: re-export the '
                f'ground truth for this split: python {EXPORT_TOOL} '
                '--data-root <KITTI raw root> --split <eigen|eigen_benchmark>'
                f' --split-file {split_file} --out {self.gt_file}')

    def _gt(self, sample: dict) -> np.ndarray:
        if self.gt_file is None:
            if 'gt_depth_map' not in sample:
                raise KeyError(
                    'DepthMetric: the sample has no gt_depth_map and no '
                    'gt_file is set. Fix: set test_evaluator.gt_file to an '
                    f'exported GT .npz ({EXPORT_TOOL}) or add '
                    'LoadKittiDepthGT to the test pipeline.')
            return _to_numpy(sample['gt_depth_map'])
        if self._gt_depths is None:
            self._gt_depths = load_gt_depths(self.gt_file)
            split_file = sample.get('ann_file')
            if split_file and osp.isfile(split_file):
                self._check_gt_count(_count_split_lines(split_file),
                                     f'the split {split_file}', split_file,
                                     exact=True)
        idx = sample['sample_idx']
        self._check_gt_count(idx + 1, f'the evaluated split (sample_idx '
                             f'{idx})')
        return self._gt_depths[idx]

    def _pred_disp(self, sample: dict) -> np.ndarray:
        if self.pred_disps_file is None:
            return _to_numpy(sample['pred_disp_map'])
        if self._pred_disps is None:
            self._pred_disps = load_pred_disps(self.pred_disps_file)
        idx = sample['sample_idx']
        if idx >= len(self._pred_disps):
            raise ValueError(
                f'{self.pred_disps_file} holds {len(self._pred_disps)} '
                f'disparities but the evaluated split has sample_idx {idx}. '
                'Fix: predict the disparities for the same split.')
        return self._pred_disps[idx]

    # ---- BaseMetric ----
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Evaluate each sample right away (only scalars are kept, plus the
        disparity when ``out_file`` is set)."""
        for folder in (self.show_dir, self.output_dir):
            if folder:
                os.makedirs(folder, exist_ok=True)
        for sample in data_samples:
            idx = sample['sample_idx']
            disp = self._pred_disp(sample)
            result = dict(sample_idx=idx)
            if self.out_file:
                result['pred_disp'] = disp
            if self.show_dir:
                Image.fromarray(colorize(disp)).save(
                    osp.join(self.show_dir, f'{idx:06d}_disp.png'))
            if self.output_dir:
                write_benchmark_png(
                    disp, osp.join(self.output_dir, f'{idx:010d}.png'),
                    self.benchmark_depth_scale)
            if not self.format_only:
                result.update(self._errors(sample, disp))
            self.results.append(result)

    def _errors(self, sample: dict, disp: np.ndarray) -> Dict[str, float]:
        """Metrics of one sample (both scalings with ``'both'``)."""
        gt = self._gt(sample)
        kwargs = dict(depth_scale=sample.get('depth_scale', 1.0),
                      **self.eval_cfg)
        try:
            errors = evaluate_depth_sample(gt, disp, **kwargs)
            if self.scaling == 'both':
                kwargs['median_scaling'] = True
                median = evaluate_depth_sample(gt, disp, **kwargs)
                errors.update({f'median_{k}': median[k]
                               for k in DEPTH_METRIC_NAMES})
        except ValueError as e:
            if self.empty_gt == 'exclude' and str(e).startswith(
                    'no valid ground-truth pixel'):
                return {}  # left out of the means (compute_metrics)
            raise ValueError(f"sample_idx {sample['sample_idx']}: {e}") \
                from None
        return {k: float(v) for k, v in errors.items()}

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over images and the ratio statistics; prints the table."""
        results = sorted(results, key=lambda r: r['sample_idx'])
        if self.out_file:
            os.makedirs(osp.dirname(osp.abspath(self.out_file)),
                        exist_ok=True)
            np.savez_compressed(
                self.out_file,
                pred_disps=np.stack([r['pred_disp'] for r in results]))
            print_log(f'Saved {len(results)} predicted disparities to '
                      f'{self.out_file}', logger='current')
        if self.format_only:
            print_log(f'Wrote {len(results)} KITTI benchmark PNGs to '
                      f'{self.output_dir} (no ground truth: no metrics)',
                      logger='current')
            return {}
        names = list(DEPTH_METRIC_NAMES)
        if self.scaling == 'both':
            names += [f'median_{k}' for k in DEPTH_METRIC_NAMES]
        evaluated = [r for r in results if 'ratio' in r]
        if len(evaluated) < len(results):  # empty_gt='exclude'
            if not evaluated:
                raise ValueError('DepthMetric: no evaluated image has a '
                                 'valid ground-truth pixel')
            print_log(f'{len(results) - len(evaluated)} images without a '
                      'valid ground-truth pixel were left out of the means',
                      logger='current', level=logging.WARNING)
            results = evaluated
        metrics = {k: float(np.mean([r[k] for r in results])) for k in names}
        med, std = ratio_stats([r['ratio'] for r in results])
        metrics['ratio_median'] = float(med)
        metrics['ratio_std'] = float(std)
        print_log(self.format_table(metrics, len(results)), logger='current')
        return metrics

    def format_table(self, metrics: Dict[str, float], num_images: int) -> str:
        """Monodepth2's printout: ratio line, names row, ``&`` row (two
        rows, without and with median scaling, for ``scaling='both'``)."""
        applied = '' if self.scaling == 'median' else ' (not applied)'
        names = DEPTH_METRIC_NAMES
        rows = [('', '')]
        if self.scaling == 'both':
            rows = [('', '  w/o scaling'), ('median_', '  w/ scaling')]
            applied = ' (w/o scaling row: not applied)'
        return '\n'.join([
            f'Depth evaluation on {num_images} images '
            f"(crop={self.eval_cfg['crop']}, scaling={self.scaling})",
            f' Scaling ratios{applied} | med: {metrics["ratio_median"]:0.3f}'
            f' | std: {metrics["ratio_std"]:0.3f}', '',
            '  ' + ('{:>8} | ' * len(names)).format(*names)
        ] + [('&{: 8.3f}  ' * len(names)).format(
            *[metrics[prefix + k] for k in names]) + '\\\\' + label
             for prefix, label in rows])

    def evaluate_external(self, depth_scale: float = 1.0) -> Dict[str, float]:
        """Evaluate ``pred_disps_file`` against ``gt_file`` (or only write
        the benchmark PNGs with ``format_only``) without a model or dataset;
        sample ``i`` is disparity ``i`` with ``depth_scale``."""
        if self.pred_disps_file is None:
            raise ValueError('evaluate_external needs pred_disps_file')
        if self.gt_file is None and not self.format_only:
            raise ValueError(
                'evaluate_external needs gt_file (an exported GT .npz, '
                f'{EXPORT_TOOL}): the per-sample ground truth of a pipeline '
                'is not available without the dataset.')
        self._pred_disps = load_pred_disps(self.pred_disps_file)
        num = len(self._pred_disps)
        if self.gt_file is not None and not self.format_only:
            self._gt_depths = load_gt_depths(self.gt_file)
            self._check_gt_count(
                num, f'the disparity file {self.pred_disps_file}',
                exact=True)
        for idx in range(num):
            self.process(None, [dict(sample_idx=idx,
                                     depth_scale=depth_scale)])
        return self.evaluate(num)
