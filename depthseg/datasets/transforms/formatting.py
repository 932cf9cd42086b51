"""Pack a multi-frame sample into ``inputs`` and a ``DepthDataSample``."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData

from depthseg.registry import TRANSFORMS
from depthseg.structures import DepthDataSample


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
    """

    def __init__(self,
                 meta_keys=('K', 'img_path', 'ori_shape', 'img_shape',
                            'frame_ids', 'sample_idx', 'ann_file', 'line_no',
                            'folder', 'frame_index', 'side'),
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

        sample = DepthDataSample(metainfo=metainfo)
        if 'gt_depth' in results:
            gt = torch.from_numpy(
                np.ascontiguousarray(results['gt_depth'], dtype=np.float32))
            sample.gt_depth_map = PixelData(data=gt[None])
        return dict(inputs=dict(color=color, color_aug=color_aug),
                    data_samples=sample)
