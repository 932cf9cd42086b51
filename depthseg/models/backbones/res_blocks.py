"""ResNet residual blocks in torchvision's layout (ResNet V1.5: the
bottleneck strides in its 3×3 convolution), shared by the ResNet and HRNet
encoders. Modules are created in torchvision's order, so a seeded random
init draws the same numbers as torchvision's blocks."""
from typing import Optional

from torch import Tensor, nn


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    """3×3 convolution, padding 1, no bias."""
    return nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    """ResNet basic block (keys ``conv1, bn1, conv2, bn2[, downsample]``)."""
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Bottleneck(nn.Module):
    """ResNet bottleneck (keys ``conv1..3, bn1..3[, downsample]``)."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


def make_res_layer(block, inplanes: int, planes: int, blocks: int,
                   stride: int = 1) -> nn.Sequential:
    """``blocks`` residual blocks, the first with stride ``stride`` and a
    1×1 conv + BN shortcut (``downsample``) where the shape changes."""
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * block.expansion, 1, stride,
                      bias=False),
            nn.BatchNorm2d(planes * block.expansion))
    layers = [block(inplanes, planes, stride, downsample)]
    layers += [block(planes * block.expansion, planes)
               for _ in range(1, blocks)]
    return nn.Sequential(*layers)
