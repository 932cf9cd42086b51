from .autoencoders import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .data_preprocessor import DepthDataPreprocessor
from .decoders import *  # noqa: F401,F403
from .estimators import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .pose_nets import *  # noqa: F401,F403
from .views import *  # noqa: F401,F403

__all__ = ['DepthDataPreprocessor']
