from .deploy import DeployedDepthModel, export_model
from .inference import (
    config_intrinsics,
    inference_depth,
    init_model,
    model_intrinsics,
)

__all__ = [
    'init_model', 'inference_depth', 'config_intrinsics', 'model_intrinsics',
    'DeployedDepthModel', 'export_model'
]
