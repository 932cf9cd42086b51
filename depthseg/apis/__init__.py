from .inference import inference_depth, init_model

__all__ = ['init_model', 'inference_depth']
