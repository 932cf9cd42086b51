"""Pack a multi-frame sample into ``inputs`` and a ``DepthDataSample``."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from depthseg.registry import TRANSFORMS
from depthseg.structures import DepthDataSample


def _where(results: dict) -> str:
    return (f"sample_idx {results.get('sample_idx')}, "
            f"{results.get('img_path')}")


def _to_chw(img: np.ndarray) -> torch.Tensor:
    """uint8 H×W×3 array -> uint8 3×H×W tensor."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackDepthInputs(BaseTransform):
    """Pack the pyramid, the jittered frames and the metadata.

    Output::

        inputs = dict(
            color={fid: [uint8 3×H_s×W_s for s]},   # un-augmented pyramid
            color_aug={fid: uint8 3×H×W})           # scale 0, jittered
        data_samples = DepthDataSample(metainfo=...)  # + gt_depth_map

    ``color_aug`` falls back to ``color[fid][0]`` without ColorJitter.
    Metainfo holds ``meta_keys`` present in the results plus ``flip``
    (default False) and, when ``'s'`` is a frame id, ``stereo_T``: float32
    4×4 identity with ``T[0, 3] = side_sign · flip_sign · stereo_baseline``
    (side_sign −1 for the left camera, flip_sign −1 when flipped).
    ``gt_depth`` (H×W) becomes ``gt_depth_map`` (float32 1×H×W).

    FUMET (``LoadCarRoadMasks``), when present: ``inputs['road']`` (bool
    H×W), ``inputs['car_masks']`` (bool n×H×W, n may be 0) and
    ``inputs['car_heights']`` (float32 n). Cityscapes' ``cam_setting`` (and
    ``city``) go to the metainfo with the other ``meta_keys``.

    BDEdepth views (``results['views']``, ``transforms/views.py``):
    ``inputs['views'][name]`` with ``color`` / ``color_aug`` packed like
    the frames' and every other entry as a tensor (``road`` bool).
    """

    def __init__(self,
                 meta_keys=('K', 'img_path', 'ori_shape', 'img_shape',
                            'frame_ids', 'sample_idx', 'ann_file', 'line_no',
                            'folder', 'frame_index', 'side', 'city',
                            'frame_name', 'cam_setting'),
                 stereo_baseline: float = 0.1):
        self.meta_keys = tuple(meta_keys)
        self.stereo_baseline = stereo_baseline

    def transform(self, results: dict) -> dict:
        color = {fid: [_to_chw(level) for level in levels]
                 for fid, levels in results['color'].items()}
        aug = results.get('color_aug')
        color_aug = {fid: _to_chw(aug[fid]) if aug is not None else levels[0]
                     for fid, levels in color.items()}

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

        if 'cam_setting' in metainfo:
            metainfo['cam_setting'] = float(metainfo['cam_setting'])
        sample = DepthDataSample(metainfo=metainfo)
        if 'gt_depth' in results:
            gt = torch.from_numpy(
                np.ascontiguousarray(results['gt_depth'], dtype=np.float32))
            sample.gt_depth_map = PixelData(data=gt[None])
        inputs = dict(color=color, color_aug=color_aug)
        if 'road' in results or 'car_masks' in results:
            missing = [k for k in ('road', 'car_masks', 'car_heights')
                       if k not in results]
            if missing:
                raise KeyError(f'PackDepthInputs: FUMET masks without '
                               f'{missing}; LoadCarRoadMasks sets road, '
                               'car_masks and car_heights together')
            road = np.asarray(results['road'], dtype=bool)
            masks = np.asarray(results['car_masks'], dtype=bool)
            heights = np.asarray(results['car_heights'], dtype=np.float32)
            if (road.ndim != 2 or masks.ndim != 3
                    or masks.shape[1:] != road.shape or heights.ndim != 1
                    or len(heights) != len(masks)):
                raise ValueError(
                    'PackDepthInputs: expected road H×W, car_masks n×H×W '
                    f'and car_heights n, got {road.shape}, {masks.shape} '
                    f'and {heights.shape}')
            ref = 0 if 0 in color else next(iter(color))
            img_size = tuple(color[ref][0].shape[-2:])
            if road.shape != img_size:
                raise ValueError(
                    f'PackDepthInputs: car/road masks of size {road.shape} '
                    f'but network frames of size {img_size} ({_where(results)}'
                    '). Fix: give LoadCarRoadMasks the height / width of '
                    'ResizePyramid.')
            inputs['road'] = torch.from_numpy(np.ascontiguousarray(road))
            inputs['car_masks'] = torch.from_numpy(
                np.ascontiguousarray(masks))
            inputs['car_heights'] = torch.from_numpy(heights.copy())
        if 'views' in results:
            inputs['views'] = {
                name: self._pack_view(view)
                for name, view in results['views'].items()
            }
        return dict(inputs=inputs, data_samples=sample)

    @staticmethod
    def _pack_view(view: dict) -> dict:
        """One view's images (uint8 CHW) and parameters (tensors)."""
        color = {fid: [_to_chw(level) for level in levels]
                 for fid, levels in view['color'].items()}
        aug = view.get('color_aug')
        out = dict(color=color, color_aug={
            fid: _to_chw(aug[fid]) if aug is not None else levels[0]
            for fid, levels in color.items()
        })
        for key, value in view.items():
            if key not in out:
                out[key] = torch.from_numpy(np.ascontiguousarray(value))
        return out
