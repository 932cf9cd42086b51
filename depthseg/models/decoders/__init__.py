from .depth_decoder import DepthDecoder
from .featdepth_decoder import CRPBlock, FeatDepthDecoder
from .grid_decoder import GridDecoder
from .hr_depth_decoder import HRDepthDecoder
from .lite_mono_decoder import LiteMonoDecoder
from .pass_through_decoder import PassThroughDecoder
from .vadepth_decoder import VADepthDecoder

__all__ = [
    'DepthDecoder', 'FeatDepthDecoder', 'CRPBlock', 'HRDepthDecoder',
    'LiteMonoDecoder', 'VADepthDecoder', 'GridDecoder', 'PassThroughDecoder'
]
