"""Datasets (registered in ``depthseg.registry.DATASETS``) and transforms."""
from .cityscapes import (CITYSCAPES_CANONICAL, CityscapesPreprocessedDataset,
                         CityscapesTestDataset, canonical_align_box,
                         city_cam_setting, cityscapes_eval_box,
                         cityscapes_gt_window)
from .cross_eval import Make3DTestDataset, NYUv2TestDataset
from .ddad import DDADDataset, LoadDDADDepth
from .kitti import KITTI_K, KittiOdomDataset, KittiRawDataset
from .kitti_utils import (generate_depth_map, load_velodyne_points,
                          read_calib_file, sub2ind)
from .nyuv2 import (NYU_DISTORTION, NYU_INTRINSICS, NYUv2TrainDataset,
                    nyu_K)
from .samplers import ResumableSampler
from .synthetic import SynthRoadDataset, ensure_synthroad
from .transforms import *  # noqa: F401,F403
from .video import (VideoFramesDataset, extract_video_frames, hfov_K,
                    normalised_K, read_intrinsics)

__all__ = [
    'KittiRawDataset', 'KittiOdomDataset', 'SynthRoadDataset',
    'ensure_synthroad', 'KITTI_K', 'read_calib_file',
    'sub2ind', 'generate_depth_map', 'load_velodyne_points',
    'LoadFrames', 'LoadKittiDepthGT', 'RandomFlip', 'ResizePyramid',
    'ColorJitter', 'PackDepthInputs', 'CityscapesPreprocessedDataset',
    'CityscapesTestDataset', 'CITYSCAPES_CANONICAL', 'canonical_align_box',
    'city_cam_setting', 'cityscapes_gt_window', 'cityscapes_eval_box',
    'LoadCarRoadMasks', 'ROAD_LABEL', 'expand_segms', 'kitti_car_road_path',
    'read_car_road_npz', 'LoadCityscapesStrip', 'LoadCityscapesRaw',
    'CanonicalAlign', 'LoadCityscapesDepthGT', 'ResumableSampler',
    'NYUv2TestDataset', 'Make3DTestDataset', 'DDADDataset', 'LoadDDADDepth',
    'NYUv2TrainDataset', 'NYU_INTRINSICS', 'NYU_DISTORTION', 'nyu_K',
    'UndistortCrop', 'VideoFramesDataset', 'extract_video_frames',
    'read_intrinsics', 'normalised_K', 'hfov_K'
]
