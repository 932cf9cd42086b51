"""Per-sample annotations and predictions for depth estimation."""
from mmengine.structures import BaseDataElement, PixelData


class DepthDataSample(BaseDataElement):
    """One training / evaluation sample.

    Fields (each a :class:`PixelData` whose ``data`` is a 1×H×W tensor):
        gt_depth_map: ground-truth depth in metres at native resolution,
            0 where unknown.
        pred_disp_map: predicted sigmoid disparity at network resolution.
        pred_depth_map: predicted depth (metres or relative units) at
            network resolution.

    Metainfo keys set by the pipeline: ``K`` (4×4 normalised intrinsics,
    float32), ``img_path``, ``ori_shape`` (native H, W), ``img_shape``
    (network H, W), ``flip``, ``frame_ids``, ``sample_idx`` and, for stereo
    training, ``stereo_T`` (4×4).
    """

    def _set_pixel(self, name, value):
        self.set_field(value, name, dtype=PixelData)

    @property
    def gt_depth_map(self) -> PixelData:
        return self._gt_depth_map

    @gt_depth_map.setter
    def gt_depth_map(self, value: PixelData):
        self._set_pixel('_gt_depth_map', value)

    @gt_depth_map.deleter
    def gt_depth_map(self):
        del self._gt_depth_map

    @property
    def pred_disp_map(self) -> PixelData:
        return self._pred_disp_map

    @pred_disp_map.setter
    def pred_disp_map(self, value: PixelData):
        self._set_pixel('_pred_disp_map', value)

    @pred_disp_map.deleter
    def pred_disp_map(self):
        del self._pred_disp_map

    @property
    def pred_depth_map(self) -> PixelData:
        return self._pred_depth_map

    @pred_depth_map.setter
    def pred_depth_map(self, value: PixelData):
        self._set_pixel('_pred_depth_map', value)

    @pred_depth_map.deleter
    def pred_depth_map(self):
        del self._pred_depth_map
