"""Monodepth2 ResNet encoder (spec §3.1) on a ResNet in torchvision's
layout (keys, init and ImageNet files; torchvision itself is not imported,
which keeps ~1.5 s of its import out of every start-up)."""
import os
from typing import List, Optional

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from depthseg.registry import MODELS
from .base_encoder import PretrainedEncoder
from .res_blocks import BasicBlock, Bottleneck, make_res_layer

_TV_URL = 'https://download.pytorch.org/models/'
# depth -> (block, blocks per stage, torchvision V1 ImageNet weights)
RESNET_ARCHS = {
    18: (BasicBlock, (2, 2, 2, 2), _TV_URL + 'resnet18-f37072fd.pth'),
    34: (BasicBlock, (3, 4, 6, 3), _TV_URL + 'resnet34-b627a593.pth'),
    50: (Bottleneck, (3, 4, 6, 3), _TV_URL + 'resnet50-0676ba61.pth'),
    101: (Bottleneck, (3, 4, 23, 3), _TV_URL + 'resnet101-63fe2227.pth'),
    152: (Bottleneck, (3, 8, 36, 3), _TV_URL + 'resnet152-394f9c45.pth'),
}
MULTI_IMAGE_DEPTHS = (18, 50)


def resnet_num_ch_enc(depth: int) -> List[int]:
    """Channels of the 5 encoder features: [64, 64, 128, 256, 512] for
    ResNet18/34, entries 1..4 ×4 for deeper ResNets."""
    if depth not in RESNET_ARCHS:
        raise ValueError(f'ResNet depth must be one of {list(RESNET_ARCHS)}, '
                         f'got {depth}')
    scale = 4 if depth > 34 else 1
    return [64] + [c * scale for c in (64, 128, 256, 512)]


class ResNetMultiImageInput(nn.Module):
    """torchvision's ResNet (same keys, modules and seeded random init,
    ``fc`` included) whose conv1 takes ``num_input_images`` RGB images
    stacked on channels (3n inputs); a replaced conv1 is kaiming-initialised
    (fan_out, relu) like the other convolutions. Has no forward: the
    encoder runs its stages."""

    def __init__(self, block, layers, num_input_images: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        inplanes = 64
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512),
                                                 layers)):
            self.add_module(f'layer{i + 1}', make_res_layer(
                block, inplanes, planes, blocks, stride=1 if i == 0 else 2))
            inplanes = planes * block.expansion
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, 1000)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out',
                                        nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if num_input_images == 1:
            return
        self.conv1 = nn.Conv2d(3 * num_input_images, 64, kernel_size=7,
                               stride=2, padding=3, bias=False)
        nn.init.kaiming_normal_(self.conv1.weight, mode='fan_out',
                                nonlinearity='relu')


@MODELS.register_module()
class ResnetEncoder(PretrainedEncoder):
    """Monodepth2 ResNet encoder returning 5 feature maps.

    Args:
        depth: 18, 34, 50, 101 or 152.
        num_input_images: images stacked on channels (2 for the pose
            encoder); more than 1 only for depths 18 and 50.
        pretrained: ``'imagenet'`` (torchvision V1 ImageNet weights, fetched
            through the torch hub cache), a path to a torchvision-style
            ResNet state dict, or None (random init). Loaded by
            :meth:`init_weights`; with more than one input image the 3-channel
            ``conv1.weight`` is tiled n times along the input channels and
            divided by n. Without :meth:`init_weights` the model keeps its
            random init.
        norm_eval: keep every BatchNorm in eval mode (frozen running
            statistics) while the module is in training mode.
        init_cfg: mmengine init config; exclusive with ``pretrained``.

    The ResNet is the attribute ``encoder`` (keys
    ``encoder.conv1.weight``, …, including the unused, frozen ``encoder.fc``).
    """

    def __init__(self, depth: int = 18, num_input_images: int = 1,
                 pretrained: Optional[str] = 'imagenet',
                 norm_eval: bool = False, init_cfg=None):
        super().__init__(pretrained, init_cfg)
        self.num_ch_enc = resnet_num_ch_enc(depth)
        if num_input_images > 1 and depth not in MULTI_IMAGE_DEPTHS:
            raise ValueError(f'ResnetEncoder: num_input_images > 1 needs a '
                             f'depth in {MULTI_IMAGE_DEPTHS}, got {depth}')
        self.depth = depth
        self.num_input_images = num_input_images
        self.norm_eval = norm_eval
        block, layers, _ = RESNET_ARCHS[depth]
        self.encoder = ResNetMultiImageInput(block, layers, num_input_images)
        # kept for checkpoint compatibility, never used: frozen so that
        # optimisers and DDP do not wait for its gradients
        self.encoder.fc.requires_grad_(False)

    def load_pretrained(self, pretrained: str):
        """Load ImageNet (``'imagenet'``) or file weights into ``encoder``.

        Raises RuntimeError if the weights cannot be fetched or do not match
        the architecture (keys and shapes are listed).
        """
        if pretrained == 'imagenet':
            state, source = self._fetch_imagenet(), 'the ImageNet download'
        else:
            path = self.pretrained_file(
                pretrained, "Use pretrained='imagenet', a torchvision ResNet "
                'state dict file, or pretrained=None (random init).')
            state = self.read_pretrained(path)
            source = f'file {path!r}'
        weight = state.get('conv1.weight')
        n = self.num_input_images
        if n > 1 and weight is not None and weight.shape[1] == 3:
            state['conv1.weight'] = torch.cat([weight] * n, 1) / n
        self.load_checked(
            self.encoder, state,
            f'ResnetEncoder(depth={self.depth}, num_input_images='
            f'{self.num_input_images})', source,
            f'a torchvision ResNet{self.depth} state dict',
            fill_bn_counters=True)

    def _fetch_imagenet(self) -> dict:
        """torchvision V1 ImageNet state dict (hub cache, else download)."""
        url = RESNET_ARCHS[self.depth][2]
        try:
            name = os.path.basename(url)
            path = os.path.join(torch.hub.get_dir(), 'checkpoints', name)
            if not os.path.isfile(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                torch.hub.download_url_to_file(
                    url, path,
                    hash_prefix=torch.hub.HASH_REGEX.search(name).group(1))
            return self.read_pretrained(path)
        except OSError as err:  # includes URLError and socket errors
            cache = os.path.join(torch.hub.get_dir(), 'checkpoints')
            name = os.path.basename(url)
            raise RuntimeError(
                f'ResnetEncoder: could not fetch the ImageNet weights of '
                f'ResNet{self.depth} from {url} ({err}). Fix: put the file '
                f'{name} into {cache}/ (default ~/.cache/torch/hub/'
                f'checkpoints/), or train from scratch with pretrained=None, '
                f"or point to a local copy with pretrained='/path/to/"
                f"{name}' in the config, e.g. --cfg-options "
                f'model.depth_encoder.pretrained=None') from err

    def train(self, mode: bool = True):
        """Set train/eval mode; with ``norm_eval`` BatchNorms stay in eval."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, img: Tensor) -> List[Tensor]:
        """img: B×3n×H×W in [0, 1] -> 5 features at H/2, H/4, H/8, H/16, H/32
        with ``num_ch_enc`` channels; normalised as (img - 0.45) / 0.225."""
        enc = self.encoder
        x = (img - 0.45) / 0.225
        f0 = enc.relu(enc.bn1(enc.conv1(x)))
        f1 = enc.layer1(enc.maxpool(f0))
        f2 = enc.layer2(f1)
        f3 = enc.layer3(f2)
        f4 = enc.layer4(f3)
        return [f0, f1, f2, f3, f4]
