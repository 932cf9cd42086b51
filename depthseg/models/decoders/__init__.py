from .depth_decoder import DepthDecoder

__all__ = ['DepthDecoder']
