"""Data transforms (registered in ``depthseg.registry.TRANSFORMS``)."""
from .car_road import (ROAD_LABEL, LoadCarRoadMasks, expand_segms,
                       kitti_car_road_path, read_car_road_npz)
from .cityscapes import (CanonicalAlign, LoadCityscapesDepthGT,
                         LoadCityscapesRaw, LoadCityscapesStrip)
from .cross_eval import LoadMake3D, LoadNYUv2H5
from .formatting import PackDepthInputs
from .kitti_intrinsics import LoadKittiIntrinsics
from .loading import LoadFrames, LoadKittiDepthGT
from .oxts import LoadOxtsPoses
from .proj_depth import LoadProjectedDepth
from .transforms import ColorJitter, RandomFlip, ResizePyramid
from .undistort import UndistortCrop
from .views import PatchReshuffle, ResizeCrop, crop_grid, patch_reshuffle

__all__ = [
    'LoadFrames', 'LoadKittiDepthGT', 'RandomFlip', 'ResizePyramid',
    'ColorJitter', 'PackDepthInputs', 'LoadCarRoadMasks', 'ROAD_LABEL',
    'expand_segms', 'kitti_car_road_path', 'read_car_road_npz',
    'LoadCityscapesStrip', 'LoadCityscapesRaw', 'CanonicalAlign',
    'LoadCityscapesDepthGT', 'PatchReshuffle', 'ResizeCrop', 'crop_grid',
    'patch_reshuffle', 'LoadNYUv2H5', 'LoadMake3D', 'LoadOxtsPoses',
    'LoadProjectedDepth', 'LoadKittiIntrinsics', 'UndistortCrop'
]
