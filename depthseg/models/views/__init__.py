"""Views (BDEdepth): augmented targets, their geometry and the map back."""
from .base import BaseView, ViewOutput
from .patch_reshuffle import PatchReshuffleView, reshuffle, restore_reshuffled
from .resize_crop import (ResizeCropView, conjugate_pose, crop_rectification,
                          crop_window)

__all__ = [
    'BaseView', 'ViewOutput', 'PatchReshuffleView', 'ResizeCropView',
    'reshuffle', 'restore_reshuffled', 'crop_rectification',
    'conjugate_pose', 'crop_window'
]
