"""Datasets (registered in ``depthseg.registry.DATASETS``) and transforms."""
from .kitti import KITTI_K, KittiOdomDataset, KittiRawDataset
from .kitti_utils import (generate_depth_map, load_velodyne_points,
                          read_calib_file, sub2ind)
from .transforms import *  # noqa: F401,F403

__all__ = [
    'KittiRawDataset', 'KittiOdomDataset', 'KITTI_K', 'read_calib_file',
    'sub2ind', 'generate_depth_map', 'load_velodyne_points',
    'LoadFrames', 'LoadKittiDepthGT', 'RandomFlip', 'ResizePyramid',
    'ColorJitter', 'PackDepthInputs'
]
