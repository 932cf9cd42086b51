"""Data transforms (registered in ``depthseg.registry.TRANSFORMS``)."""
from .formatting import PackDepthInputs
from .loading import LoadFrames, LoadKittiDepthGT
from .transforms import ColorJitter, RandomFlip, ResizePyramid

__all__ = [
    'LoadFrames', 'LoadKittiDepthGT', 'RandomFlip', 'ResizePyramid',
    'ColorJitter', 'PackDepthInputs'
]
