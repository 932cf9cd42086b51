from .featdepth_pose_net import FeatDepthPoseNet
from .lite_mono_pose_decoder import LiteMonoPoseDecoder
from .packnet_pose_net import PackNetPoseNet
from .pose_cnn import PoseCNN
from .pose_decoder import PoseDecoder
from .pose_net import PoseCNNNet, ResnetPoseNet

__all__ = [
    'PoseCNN', 'PoseDecoder', 'PoseCNNNet', 'ResnetPoseNet',
    'LiteMonoPoseDecoder', 'FeatDepthPoseNet', 'PackNetPoseNet'
]
