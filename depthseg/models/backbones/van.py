"""Visual Attention Network encoder (Guo et al. 2022) for VADepth (spec §5).

Plain-torch re-implementation of the ``VAN`` classifier used by VADepth and
FUMET (file ``networks/van.py`` in the original VADepth / FUMET
repositories, registered there as the timm model ``van_small``); timm is
not needed.
"""
import math
from functools import partial
from typing import List, Optional

import torch
from torch import Tensor, nn

from depthseg.models.utils.layers import DropPath
from depthseg.registry import MODELS
from .base_encoder import PretrainedEncoder

# size -> (embed dims, MLP ratios, blocks per stage)
VAN_ARCHS = {
    'tiny': ([32, 64, 160, 256], [8, 8, 4, 4], [3, 3, 5, 2]),
    'small': ([64, 128, 320, 512], [8, 8, 4, 4], [2, 2, 4, 2]),
    'base': ([64, 128, 320, 512], [8, 8, 4, 4], [3, 3, 12, 3]),
    'large': ([64, 128, 320, 512], [8, 8, 4, 4], [3, 5, 27, 3]),
}
# ImageNet weights released by the VAN authors (what FUMET reads from disk)
VAN_WEIGHTS = {
    'tiny': 'van_tiny_754.pth.tar',
    'small': 'van_small_811.pth.tar',
    'base': 'van_base_828.pth.tar',
    'large': 'van_large_839.pth.tar',
}
VAN_URL = ('https://huggingface.co/Visual-Attention-Network/'
           'VAN-{}-original/resolve/main/{}')


def _init_van_module(m: nn.Module):
    """VAN's init: trunc-normal linear weights, unit/zero LayerNorms, conv
    weights N(0, 2 / fan_out) with fan_out = k·k·out / groups, zero
    biases."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.)
    elif isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
        fan_out //= m.groups
        m.weight.data.normal_(0, math.sqrt(2. / fan_out))
        if m.bias is not None:
            m.bias.data.zero_()


class DWConv(nn.Module):
    """Depth-wise 3×3 convolution with bias (``dwconv``)."""

    def __init__(self, dim: int = 768):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, bias=True, groups=dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.dwconv(x)


class Mlp(nn.Module):
    """1×1 conv (``fc1``) → depth-wise 3×3 (``dwconv``) → GELU → 1×1 conv
    (``fc2``), with dropout."""

    def __init__(self, in_features: int, hidden_features: int = None,
                 out_features: int = None, drop: float = 0.):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Conv2d(in_features, hidden_features, 1)
        self.dwconv = DWConv(hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden_features, out_features, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        x = self.drop(self.act(self.dwconv(self.fc1(x))))
        return self.drop(self.fc2(x))


class AttentionModule(nn.Module):
    """Large-kernel attention (LKA): depth-wise 5×5 (``conv0``), depth-wise
    7×7 dilation 3 (``conv_spatial``), 1×1 (``conv1``); the result gates the
    input multiplicatively."""

    def __init__(self, dim: int):
        super().__init__()
        self.conv0 = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.conv_spatial = nn.Conv2d(dim, dim, 7, stride=1, padding=9,
                                      groups=dim, dilation=3)
        self.conv1 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x * self.conv1(self.conv_spatial(self.conv0(x)))


class SpatialAttention(nn.Module):
    """1×1 (``proj_1``) → GELU → LKA (``spatial_gating_unit``) → 1×1
    (``proj_2``), residual."""

    def __init__(self, d_model: int):
        super().__init__()
        self.proj_1 = nn.Conv2d(d_model, d_model, 1)
        self.activation = nn.GELU()
        self.spatial_gating_unit = AttentionModule(d_model)
        self.proj_2 = nn.Conv2d(d_model, d_model, 1)

    def forward(self, x: Tensor) -> Tensor:
        y = self.spatial_gating_unit(self.activation(self.proj_1(x)))
        return self.proj_2(y) + x


class Block(nn.Module):
    """VAN block: BN (``norm1``) → attention, BN (``norm2``) → MLP, each
    residual, scaled per channel (``layer_scale_1/2``, init 0.01) and
    stochastic-depth dropped."""

    def __init__(self, dim: int, mlp_ratio: float = 4., drop: float = 0.,
                 drop_path: float = 0.):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(dim)
        self.attn = SpatialAttention(dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0. \
            else nn.Identity()
        self.norm2 = nn.BatchNorm2d(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        self.layer_scale_1 = nn.Parameter(1e-2 * torch.ones(dim))
        self.layer_scale_2 = nn.Parameter(1e-2 * torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        s1 = self.layer_scale_1[:, None, None]
        s2 = self.layer_scale_2[:, None, None]
        x = x + self.drop_path(s1 * self.attn(self.norm1(x)))
        return x + self.drop_path(s2 * self.mlp(self.norm2(x)))


class OverlapPatchEmbed(nn.Module):
    """Strided convolution (``proj``, kernel ``patch_size``, 'same'
    padding) + BN (``norm``); returns the map and its H, W."""

    def __init__(self, patch_size: int = 7, stride: int = 4,
                 in_chans: int = 3, embed_dim: int = 768):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride,
                              patch_size // 2)
        self.norm = nn.BatchNorm2d(embed_dim)

    def forward(self, x: Tensor):
        x = self.proj(x)
        _, _, H, W = x.shape
        return self.norm(x), H, W


class VAN(nn.Module):
    """VAN backbone without classification head: per stage i (1..4)
    ``patch_embed{i}``, ``block{i}`` (ModuleList of :class:`Block`) and
    ``norm{i}`` (LayerNorm over channels, eps 1e-6)."""

    def __init__(self, in_chans: int = 3, embed_dims=(64, 128, 256, 512),
                 mlp_ratios=(4, 4, 4, 4), drop_rate: float = 0.,
                 drop_path_rate: float = 0., depths=(3, 4, 6, 3),
                 num_stages: int = 4):
        super().__init__()
        self.depths = list(depths)
        self.num_stages = num_stages
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        cur = 0
        for i in range(num_stages):
            patch_embed = OverlapPatchEmbed(
                patch_size=7 if i == 0 else 3, stride=4 if i == 0 else 2,
                in_chans=in_chans if i == 0 else embed_dims[i - 1],
                embed_dim=embed_dims[i])
            block = nn.ModuleList(
                Block(embed_dims[i], mlp_ratios[i], drop_rate, rates[cur + j])
                for j in range(depths[i]))
            cur += depths[i]
            setattr(self, f'patch_embed{i + 1}', patch_embed)
            setattr(self, f'block{i + 1}', block)
            setattr(self, f'norm{i + 1}', norm_layer(embed_dims[i]))
        self.apply(_init_van_module)

    def forward(self, x: Tensor) -> List[Tensor]:
        """B×C×H×W -> the B×dim_i×H/s_i×W/s_i map of every stage (strides
        4, 8, 16, 32), each after its LayerNorm."""
        features = []
        for i in range(self.num_stages):
            x, H, W = getattr(self, f'patch_embed{i + 1}')(x)
            for blk in getattr(self, f'block{i + 1}'):
                x = blk(x)
            x = getattr(self, f'norm{i + 1}')(x.flatten(2).transpose(1, 2))
            x = x.reshape(x.shape[0], H, W, -1).permute(0, 3, 1,
                                                        2).contiguous()
            features.append(x)
        return features


@MODELS.register_module()
class VANEncoder(PretrainedEncoder):
    """VADepth's VAN encoder returning 4 feature maps.

    Args:
        size: ``'tiny'``, ``'small'`` (VADepth/FUMET), ``'base'`` or
            ``'large'``.
        pretrained: path to the VAN authors' ImageNet checkpoint (for
            ``'small'``: ``van_small_811.pth.tar``, from
            ``VAN_URL.format('Small', VAN_WEIGHTS['small'])``), or None
            (random init). The original reads it from a hard-coded absolute
            path (FUMET QUIRK Q18); here it is a config field. Loaded by
            :meth:`init_weights`: the file's ``state_dict`` entry (or the file
            itself), without the classifier ``head.*``; keys and shapes must
            then match exactly.
        drop_path_rate: stochastic-depth rate (0.1 in VADepth/FUMET).
        drop_rate: MLP dropout.
        init_cfg: mmengine init config; exclusive with ``pretrained``.

    Output: features at H/4, H/8, H/16, H/32 with ``num_ch_enc`` channels
    ([64, 128, 320, 512] for small). Input in [0, 1], normalised internally
    as (img - 0.45) / 0.225.

    State-dict layout: the VAN is the attribute ``encoder`` with timm/VAN
    names, as ``VANEncoder`` in file ``networks/van_encoder.py`` of the
    original VADepth and FUMET repositories (``encoder.patch_embed1.proj``,
    ``encoder.patch_embed1.norm``, ``encoder.block1.0.{norm1,attn.proj_1,
    attn.spatial_gating_unit.{conv0,conv_spatial,conv1},attn.proj_2,norm2,
    mlp.fc1,mlp.dwconv.dwconv,mlp.fc2,layer_scale_1,layer_scale_2}``,
    ``encoder.norm1``, …); no classifier head.
    """

    def __init__(self, size: str = 'small',
                 pretrained: Optional[str] = None,
                 drop_path_rate: float = 0.1, drop_rate: float = 0.,
                 init_cfg=None):
        super().__init__(pretrained, init_cfg)
        if size not in VAN_ARCHS:
            raise ValueError(f'VANEncoder: size must be one of '
                             f'{list(VAN_ARCHS)}, got {size!r}')
        dims, mlp_ratios, depths = VAN_ARCHS[size]
        self.size = size
        self.num_ch_enc = list(dims)
        self.encoder = VAN(embed_dims=dims, mlp_ratios=mlp_ratios,
                           depths=depths, drop_rate=drop_rate,
                           drop_path_rate=drop_path_rate)

    def load_pretrained(self, path: str):
        """Load VAN ImageNet weights into ``encoder`` (see class doc).

        Raises FileNotFoundError (naming the file, where to get it and how
        to train without it) or RuntimeError listing mismatched keys.
        """
        name = VAN_WEIGHTS[self.size]
        url = VAN_URL.format(self.size.capitalize(), name)
        path = self.pretrained_file(
            path, f'Download the VAN-{self.size} ImageNet weights ({name}, '
            f'{url}) and set model.depth_encoder.pretrained to its local '
            'path, or train from scratch with '
            'model.depth_encoder.pretrained=None.')
        ckpt = self.read_pretrained(path)
        state = ckpt.get('state_dict', ckpt)
        state = {k: v for k, v in state.items() if not k.startswith('head.')}
        self.load_checked(self.encoder, state, f'VANEncoder({self.size!r})',
                          repr(path), f"the VAN authors' {name}",
                          fill_bn_counters=True)

    def forward(self, img: Tensor) -> List[Tensor]:
        """img: B×3×H×W in [0, 1] -> 4 features at H/4 … H/32."""
        return self.encoder((img - 0.45) / 0.225)
