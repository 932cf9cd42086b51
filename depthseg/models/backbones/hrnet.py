"""HRNet-W18 depth encoder with a full-resolution context branch (BDEdepth
spec §6.2, key table §11.2).

``HighResolutionNet`` is the HRNet-W18-C classification backbone without its
classification head (no ``incre_modules``, ``downsamp_modules``,
``final_layer`` or ``classifier``); attribute names follow the
HRNet-Image-Classification code, so the ImageNet file and BDEdepth's
``ckpt["encoder"]`` load after adding / removing a prefix only.
"""
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from depthseg.registry import MODELS
from depthseg.utils.checkpoint import strip_ddp_prefix
from .base_encoder import PretrainedEncoder
from .res_blocks import BasicBlock, Bottleneck, conv3x3, make_res_layer

#: HRNet-W18 stage configuration: (num_modules, num_blocks, num_channels).
HRNET_W18_STAGES = {
    2: (1, (4, 4), (18, 36)),
    3: (4, (4, 4, 4), (18, 36, 72)),
    4: (3, (4, 4, 4, 4), (18, 36, 72, 144)),
}
#: Keys of the ImageNet classification checkpoint that the backbone does not
#: use (classification head); any other extra or missing key is an error.
HRNET_HEAD_PREFIXES = ('incre_modules.', 'downsamp_modules.', 'final_layer.',
                       'classifier.')
HRNET_IMAGENET_FILE = 'HRNet_W18_C_cosinelr_cutmix_300epoch.pth.tar'


class HighResolutionModule(nn.Module):
    """Parallel branches of BasicBlocks and the multi-resolution fusion.

    ``fuse_layers[i][j]``: None for j == i; 1×1 conv + BN (then a bilinear,
    align_corners=True resize to branch i) for j > i; (i − j) stride-2 3×3
    convs for j < i (intermediate ones C_j with BN + ReLU, the last C_i with
    BN only). Each fused output is ``relu(sum_j ...)``.
    """

    def __init__(self, num_blocks: Sequence[int],
                 num_channels: Sequence[int], multi_scale_output: bool = True):
        super().__init__()
        self.num_branches = len(num_channels)
        self.num_inchannels = list(num_channels)
        self.multi_scale_output = multi_scale_output
        self.branches = nn.ModuleList([
            make_res_layer(BasicBlock, c, c, n)
            for c, n in zip(num_channels, num_blocks)
        ])
        self.fuse_layers = self._make_fuse_layers()
        self.relu = nn.ReLU(inplace=False)

    def _make_fuse_layers(self) -> nn.ModuleList:
        ch = self.num_inchannels
        n = self.num_branches
        fuse_layers = []
        for i in range(n if self.multi_scale_output else 1):
            fuse_layer = []
            for j in range(n):
                if j > i:
                    fuse_layer.append(nn.Sequential(
                        nn.Conv2d(ch[j], ch[i], 1, bias=False),
                        nn.BatchNorm2d(ch[i])))
                elif j == i:
                    fuse_layer.append(None)
                else:
                    convs = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        out = ch[i] if last else ch[j]
                        layers = [conv3x3(ch[j], out, 2),
                                  nn.BatchNorm2d(out)]
                        if not last:
                            layers.append(nn.ReLU(inplace=False))
                        convs.append(nn.Sequential(*layers))
                    fuse_layer.append(nn.Sequential(*convs))
            fuse_layers.append(nn.ModuleList(fuse_layer))
        return nn.ModuleList(fuse_layers)

    def forward(self, x: List[Tensor]) -> List[Tensor]:
        x = [branch(xi) for branch, xi in zip(self.branches, x)]
        x_fuse = []
        for i, fuse_layer in enumerate(self.fuse_layers):
            y = None
            for j in range(self.num_branches):
                if j == i:
                    z = x[j]
                elif j > i:
                    z = F.interpolate(fuse_layer[j](x[j]),
                                      size=x[i].shape[-2:], mode='bilinear',
                                      align_corners=True)
                else:
                    z = fuse_layer[j](x[j])
                y = z if y is None else y + z
            x_fuse.append(self.relu(y))
        return x_fuse


class HighResolutionNet(nn.Module):
    """HRNet-W18-C backbone without the classification head.

    Forward: ``[stem1 (64, H/2), b0 (18, H/4), b1 (36, H/8), b2 (72, H/16),
    b3 (144, H/32)]``, where stem1 is relu(bn1(conv1(x))).
    """

    def __init__(self, stages: Dict[int, tuple] = HRNET_W18_STAGES):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = make_res_layer(Bottleneck, 64, 64, 4)
        pre = [256]
        for s in (2, 3, 4):
            num_modules, num_blocks, channels = stages[s]
            setattr(self, f'transition{s - 1}',
                    self._make_transition(pre, list(channels)))
            setattr(self, f'stage{s}', nn.Sequential(*[
                HighResolutionModule(num_blocks, channels)
                for _ in range(num_modules)
            ]))
            pre = list(channels)
        self.num_ch_enc = [64] + pre
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out',
                                        nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    @staticmethod
    def _make_transition(pre: List[int], cur: List[int]) -> nn.ModuleList:
        layers = []
        for i, c in enumerate(cur):
            if i < len(pre):
                if c != pre[i]:
                    layers.append(nn.Sequential(
                        conv3x3(pre[i], c), nn.BatchNorm2d(c),
                        nn.ReLU(inplace=True)))
                else:
                    layers.append(None)
            else:
                convs = []
                for k in range(i + 1 - len(pre)):
                    out = c if k == i - len(pre) else pre[-1]
                    convs.append(nn.Sequential(
                        conv3x3(pre[-1], out, 2), nn.BatchNorm2d(out),
                        nn.ReLU(inplace=True)))
                layers.append(nn.Sequential(*convs))
        return nn.ModuleList(layers)

    def forward(self, x: Tensor) -> List[Tensor]:
        x = self.relu(self.bn1(self.conv1(x)))
        stem1 = x
        x = self.relu(self.bn2(self.conv2(x)))
        y_list = [self.layer1(x)]
        for s in (2, 3, 4):
            transition = getattr(self, f'transition{s - 1}')
            x_list = []
            for i, t in enumerate(transition):
                if t is None:
                    x_list.append(y_list[i])
                else:
                    x_list.append(t(y_list[-1]))
            y_list = getattr(self, f'stage{s}')(x_list)
        return [stem1] + y_list


def hrnet_imagenet_state(state: Any, path: str) -> Dict[str, Tensor]:
    """The backbone part of the HRNet-W18-C ImageNet checkpoint ``state``
    read from ``path``.

    Accepts a plain state dict or ``{'state_dict' | 'model': ...}``, strips a
    ``module.`` prefix and drops the classification-head keys
    (:data:`HRNET_HEAD_PREFIXES`).
    """
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise RuntimeError(f'HRNetEncoder: {path!r} holds no state dict')
    return {key: value for key, value in strip_ddp_prefix(state).items()
            if not key.startswith(HRNET_HEAD_PREFIXES)}


@MODELS.register_module()
class HRNetEncoder(PretrainedEncoder):
    """BDEdepth HRNet18 depth encoder (spec §6.2).

    ``encoder`` is the HRNet-W18 backbone; ``context_conv`` (3×3, stride 1,
    no bias) and ``context_bn`` form the full-resolution context branch.
    Forward: x = (img − 0.45)/0.225, ``[relu(context_bn(context_conv(x)))] +
    encoder(x)`` = 6 features ``[64@H, 64@H/2, 18@H/4, 36@H/8, 72@H/16,
    144@H/32]``. ``num_ch_enc = [64, 18, 36, 72, 144]`` (5 entries; the grid
    decoder prepends the context channels).

    Args:
        pretrained: path of the HRNet-W18-C ImageNet checkpoint
            (``HRNet_W18_C_cosinelr_cutmix_300epoch.pth.tar``) or None.
            Loaded strictly by :meth:`init_weights` (only the classification
            head keys are ignored; quirk Q8 fixed).
        norm_eval: keep BatchNorms in eval mode while training.

    The context weight is a clone of ``encoder.conv1.weight`` and the context
    BN's affine parameters clones of ``encoder.bn1`` (running statistics
    fresh, quirk Q14), both at construction and after loading ``pretrained``.
    """

    def __init__(self, pretrained: Optional[str] = None,
                 norm_eval: bool = False, init_cfg=None):
        super().__init__(pretrained, init_cfg)
        if pretrained == 'imagenet':
            raise ValueError(
                "HRNetEncoder: pretrained='imagenet' is not downloadable; "
                f'give the local path of {HRNET_IMAGENET_FILE} '
                '(HRNet-Image-Classification) or None.')
        self.norm_eval = norm_eval
        self.encoder = HighResolutionNet()
        self.num_ch_enc = self.encoder.num_ch_enc
        self.context_conv = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.context_bn = nn.BatchNorm2d(64)
        self._clone_context()

    def _clone_context(self) -> None:
        with torch.no_grad():
            self.context_conv.weight.copy_(self.encoder.conv1.weight)
            self.context_bn.weight.copy_(self.encoder.bn1.weight)
            self.context_bn.bias.copy_(self.encoder.bn1.bias)

    def load_pretrained(self, path: str) -> None:
        path = self.pretrained_file(
            path, f'Fix: download {HRNET_IMAGENET_FILE} '
            '(HRNet-Image-Classification, HRNet-W18-C with cut-mix) and set '
            f"model.depth_encoder.pretrained='/path/to/{HRNET_IMAGENET_FILE}'"
            ' in the config, or train from scratch with pretrained=None.')
        state = hrnet_imagenet_state(self.read_pretrained(path), path)
        self.load_checked(self.encoder, state, 'HRNetEncoder',
                          f'file {path!r}',
                          f'HRNet-W18-C, {HRNET_IMAGENET_FILE}')
        self._clone_context()

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, img: Tensor) -> List[Tensor]:
        x = (img - 0.45) / 0.225
        context = F.relu(self.context_bn(self.context_conv(x)))
        return [context] + self.encoder(x)
