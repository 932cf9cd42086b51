"""Datasets (registered in ``depthseg.registry.DATASETS``) and transforms."""
from .kitti import KITTI_K, KittiOdomDataset, KittiRawDataset
from .kitti_utils import (generate_depth_map, load_velodyne_points,
                          read_calib_file, sub2ind)
from .synthetic import SynthRoadDataset, ensure_synthroad
from .transforms import *  # noqa: F401,F403

__all__ = [
    'KittiRawDataset', 'KittiOdomDataset', 'SynthRoadDataset',
    'ensure_synthroad', 'KITTI_K', 'read_calib_file',
    'sub2ind', 'generate_depth_map', 'load_velodyne_points',
    'LoadFrames', 'LoadKittiDepthGT', 'RandomFlip', 'ResizePyramid',
    'ColorJitter', 'PackDepthInputs'
]
