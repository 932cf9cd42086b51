"""Procedurally rendered driving videos written in the KITTI raw layout.

Importing this package registers :class:`SynthRoadDataset` (a
``KittiRawDataset`` that generates its tree on first use).
"""
from .renderer import ROAD_LABEL, SynthRoadScene
from .writer import (INFO_FILE, SEGM_DIRNAME, SynthRoadDataset,
                     ensure_synthroad, write_synthroad)

__all__ = [
    'SynthRoadScene', 'ROAD_LABEL', 'write_synthroad', 'ensure_synthroad',
    'SynthRoadDataset', 'INFO_FILE', 'SEGM_DIRNAME'
]
