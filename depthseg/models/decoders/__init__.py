from .depth_decoder import DepthDecoder
from .hr_depth_decoder import HRDepthDecoder
from .lite_mono_decoder import LiteMonoDecoder
from .vadepth_decoder import VADepthDecoder

__all__ = [
    'DepthDecoder', 'HRDepthDecoder', 'LiteMonoDecoder', 'VADepthDecoder'
]
