"""Lite-Mono encoder (Zhang et al., CVPR 2023) as used by FUMET (spec §5)."""
import math
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from depthseg.models.utils.layers import DropPath
from depthseg.registry import MODELS
from .base_encoder import PretrainedEncoder

# model -> (channels, blocks per stage, {(height, width): dilations})
LITE_MONO_ARCHS = {
    'lite-mono': ([48, 80, 128], [4, 4, 10], {
        (192, 640): [[1, 2, 3], [1, 2, 3], [1, 2, 3, 1, 2, 3, 2, 4, 6]],
        (320, 1024): [[1, 2, 5], [1, 2, 5], [1, 2, 5, 1, 2, 5, 2, 4, 10]],
    }),
    'lite-mono-small': ([48, 80, 128], [4, 4, 7], {
        (192, 640): [[1, 2, 3], [1, 2, 3], [1, 2, 3, 2, 4, 6]],
        (320, 1024): [[1, 2, 5], [1, 2, 5], [1, 2, 5, 2, 4, 10]],
    }),
    'lite-mono-tiny': ([32, 64, 128], [4, 4, 7], {
        (192, 640): [[1, 2, 3], [1, 2, 3], [1, 2, 3, 2, 4, 6]],
        (320, 1024): [[1, 2, 5], [1, 2, 5], [1, 2, 5, 2, 4, 10]],
    }),
    'lite-mono-8m': ([64, 128, 224], [4, 4, 10], {
        (192, 640): [[1, 2, 3], [1, 2, 3], [1, 2, 3, 1, 2, 3, 2, 4, 6]],
        (320, 1024): [[1, 2, 3], [1, 2, 3], [1, 2, 3, 1, 2, 3, 2, 4, 6]],
    }),
}


class LayerNorm(nn.Module):
    """LayerNorm over the last dim (``channels_last``) or dim 1
    (``channels_first``); parameters ``weight`` and ``bias``."""

    def __init__(self, normalized_shape: int, eps: float = 1e-6,
                 data_format: str = 'channels_last'):
        super().__init__()
        if data_format not in ('channels_last', 'channels_first'):
            raise ValueError(f'unknown data_format {data_format!r}')
        self.weight = nn.Parameter(torch.ones(normalized_shape))
        self.bias = nn.Parameter(torch.zeros(normalized_shape))
        self.eps = eps
        self.data_format = data_format
        self.normalized_shape = (normalized_shape, )

    def forward(self, x: Tensor) -> Tensor:
        if self.data_format == 'channels_last':
            return F.layer_norm(x, self.normalized_shape, self.weight,
                                self.bias, self.eps)
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class PositionalEncodingFourier(nn.Module):
    """DETR/XCiT sine positional encoding of an H×W grid, projected to
    ``dim`` channels by ``token_projection`` (1×1 conv)."""

    def __init__(self, hidden_dim: int = 32, dim: int = 768,
                 temperature: float = 10000):
        super().__init__()
        self.token_projection = nn.Conv2d(hidden_dim * 2, dim, 1)
        self.scale = 2 * math.pi
        self.temperature = temperature
        self.hidden_dim = hidden_dim
        self.dim = dim

    def forward(self, B: int, H: int, W: int) -> Tensor:
        device = self.token_projection.weight.device
        ones = torch.ones(B, H, W, device=device)
        eps = 1e-6
        y = ones.cumsum(1)
        x = ones.cumsum(2)
        y = y / (y[:, -1:, :] + eps) * self.scale
        x = x / (x[:, :, -1:] + eps) * self.scale
        dim_t = torch.arange(self.hidden_dim, dtype=torch.float32,
                             device=device)
        dim_t = self.temperature**(2 * (dim_t // 2) / self.hidden_dim)
        pos_x = x[..., None] / dim_t
        pos_y = y[..., None] / dim_t
        pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()),
                            dim=4).flatten(3)
        pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()),
                            dim=4).flatten(3)
        pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
        return self.token_projection(pos)


class XCA(nn.Module):
    """Cross-covariance attention (XCiT): attention over channels with
    L2-normalised queries/keys and a learnt per-head ``temperature``."""

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = False,
                 attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor) -> Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads)
        # each B × heads × C/heads × N
        q, k, v = qkv.permute(2, 0, 3, 4, 1)
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1)) * self.temperature
        attn = self.attn_drop(attn.softmax(dim=-1))
        x = (attn @ v).permute(0, 3, 1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class BNGELU(nn.Module):
    """BatchNorm (``bn``) then GELU (``act``)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=1e-5)
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(x))


class Conv(nn.Module):
    """Convolution (``conv``, no bias by default), optionally followed by
    ``bn_gelu``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int, padding: int = 0, dilation=(1, 1),
                 groups: int = 1, bn_act: bool = False, bias: bool = False):
        super().__init__()
        self.bn_act = bn_act
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding, dilation, groups, bias)
        if bn_act:
            self.bn_gelu = BNGELU(out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        return self.bn_gelu(x) if self.bn_act else x


class CDilated(nn.Module):
    """Dilated convolution with 'same' padding (``conv``, no bias)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, dilation: int = 1, groups: int = 1,
                 bias: bool = False):
        super().__init__()
        padding = (kernel_size - 1) // 2 * dilation
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              padding, dilation, groups, bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class DilatedConv(nn.Module):
    """One block of the consecutive dilated convolutions (CDC) module:
    depth-wise dilated 3×3 conv + BN, then an inverted-bottleneck MLP
    (``pwconv1`` → GELU → ``pwconv2``) scaled by ``gamma``, residual.

    ``norm`` is built but unused, as in the original (frozen here).
    """

    def __init__(self, dim: int, k: int = 3, dilation: int = 1,
                 stride: int = 1, drop_path: float = 0.,
                 layer_scale_init_value: float = 1e-6, expan_ratio: int = 6):
        super().__init__()
        self.ddwconv = CDilated(dim, dim, k, stride, dilation, groups=dim)
        self.bn1 = nn.BatchNorm2d(dim)
        self.norm = LayerNorm(dim, eps=1e-6)
        self.norm.requires_grad_(False)
        self.pwconv1 = nn.Linear(dim, expan_ratio * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(expan_ratio * dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones(dim)) \
            if layer_scale_init_value > 0 else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. \
            else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        x = self.bn1(self.ddwconv(x)).permute(0, 2, 3, 1)
        x = self.pwconv2(self.act(self.pwconv1(x)))
        if self.gamma is not None:
            x = self.gamma * x
        return shortcut + self.drop_path(x.permute(0, 3, 1, 2))


class LGFI(nn.Module):
    """Local-global features interaction: (positional encoding +) XCA on
    the flattened map, then an inverted-bottleneck MLP, both residual and
    layer-scaled (``gamma_xca``, ``gamma``)."""

    def __init__(self, dim: int, drop_path: float = 0.,
                 layer_scale_init_value: float = 1e-6, expan_ratio: int = 6,
                 use_pos_emb: bool = True, num_heads: int = 6,
                 qkv_bias: bool = True, attn_drop: float = 0.,
                 drop: float = 0.):
        super().__init__()
        self.dim = dim
        self.pos_embd = PositionalEncodingFourier(dim=dim) if use_pos_emb \
            else None
        self.norm_xca = LayerNorm(dim, eps=1e-6)
        self.gamma_xca = nn.Parameter(
            layer_scale_init_value * torch.ones(dim)) \
            if layer_scale_init_value > 0 else None
        self.xca = XCA(dim, num_heads=num_heads, qkv_bias=qkv_bias,
                       attn_drop=attn_drop, proj_drop=drop)
        self.norm = LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, expan_ratio * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(expan_ratio * dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones(dim)) \
            if layer_scale_init_value > 0 else None
        self.drop_path = DropPath(drop_path) if drop_path > 0. \
            else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x
        B, C, H, W = x.shape
        x = x.reshape(B, C, H * W).permute(0, 2, 1)
        if self.pos_embd is not None:
            pos = self.pos_embd(B, H, W).reshape(B, -1, x.shape[1])
            x = x + pos.permute(0, 2, 1)
        attn = self.xca(self.norm_xca(x))
        # the original has no branch without gamma_xca (layer scale > 0)
        x = x + (self.gamma_xca * attn if self.gamma_xca is not None
                 else attn)
        x = x.reshape(B, H, W, C)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        if self.gamma is not None:
            x = self.gamma * x
        return shortcut + self.drop_path(x.permute(0, 3, 1, 2))


class AvgPool(nn.Module):
    """``ratio`` stride-2 3×3 average pools (input downsampling by
    2^ratio); ``pool`` has no parameters."""

    def __init__(self, ratio: int):
        super().__init__()
        self.pool = nn.ModuleList(
            nn.AvgPool2d(3, stride=2, padding=1) for _ in range(ratio))

    def forward(self, x: Tensor) -> Tensor:
        for pool in self.pool:
            x = pool(x)
        return x


@MODELS.register_module()
class LiteMono(PretrainedEncoder):
    """Lite-Mono encoder: 3 stages of CDC blocks ending in an LGFI block.

    Args:
        model: ``'lite-mono'`` (FUMET), ``'lite-mono-small'``,
            ``'lite-mono-tiny'`` or ``'lite-mono-8m'``.
        height, width: the network input size; it selects the dilation
            table, which exists only for 192×640 and 320×1024 (any other size
            raises ValueError at construction).
        in_chans: input channels.
        global_block: LGFI blocks at the end of each stage.
        drop_path_rate: stochastic-depth rate, linearly increasing over all
            blocks (0 → rate); 0.2 in FUMET.
        layer_scale_init_value, expan_ratio, heads, use_pos_embd_xca: block
            settings (defaults as the original).
        pretrained: path to Lite-Mono ImageNet weights (the authors'
            ``lite-mono-pretrain.pth``) or None. Loaded by
            :meth:`init_weights` as FUMET's ``--litemono_pretrain_path``: the
            ``model`` entry of the file (or the file itself), keys the
            encoder has and not starting with ``norm``; other keys keep
            their init.
        init_cfg: mmengine init config; exclusive with ``pretrained``.

    Output: 3 features at H/4, H/8, H/16 with ``num_ch_enc`` = ``dims``
    channels ([48, 80, 128] for ``'lite-mono'``); the stem's H/2 map is not
    returned, as in the original. Input in [0, 1], normalised internally as
    (img - 0.45) / 0.225.

    State-dict layout: as ``LiteMono`` in file ``networks/depth_encoder.py``
    of the original Lite-Mono repository (``networks/litemono_encoder.py``
    in FUMET), keys at the top level so the authors' ``encoder.pth`` loads
    as is (after dropping its ``height``/``width`` entries):
    ``downsample_layers.{0.{0,1,2},1.0,2.0}.conv.weight`` (+ ``bn_gelu.bn``
    for the stem), ``stem2.0.conv.weight``, ``stages.{i}.{j}.*``
    (DilatedConv: ``ddwconv.conv``, ``bn1``, ``norm``, ``pwconv1``,
    ``pwconv2``, ``gamma``; LGFI: ``pos_embd.token_projection`` (stage 0),
    ``norm_xca``, ``gamma_xca``, ``xca.{temperature,qkv,proj}``, ``norm``,
    ``pwconv1``, ``pwconv2``, ``gamma``). ``input_downsample`` has no
    parameters. The unused ``norm`` of each DilatedConv is frozen.
    """

    def __init__(self, model: str = 'lite-mono', height: int = 192,
                 width: int = 640, in_chans: int = 3,
                 global_block: Sequence[int] = (1, 1, 1),
                 drop_path_rate: float = 0.2,
                 layer_scale_init_value: float = 1e-6, expan_ratio: int = 6,
                 heads: Sequence[int] = (8, 8, 8),
                 use_pos_embd_xca: Sequence[bool] = (True, False, False),
                 pretrained: Optional[str] = None, init_cfg=None):
        super().__init__(pretrained, init_cfg)
        if model not in LITE_MONO_ARCHS:
            raise ValueError(f'LiteMono: model must be one of '
                             f'{list(LITE_MONO_ARCHS)}, got {model!r}')
        dims, depths, dilation_table = LITE_MONO_ARCHS[model]
        if (height, width) not in dilation_table:
            sizes = ', '.join(f'{h}x{w}' for h, w in dilation_table)
            raise ValueError(
                f'LiteMono({model!r}): no dilation table for input size '
                f'{height}x{width} (height x width); supported sizes: '
                f'{sizes}. Set model.depth_encoder.height and '
                f'model.depth_encoder.width to one of them (and resize the '
                f'data to the same size, e.g. the ResizePyramid height/width '
                f'of the pipelines).')
        self.model = model
        self.height, self.width = height, width
        self.dims = list(dims)
        self.depth = list(depths)
        self.dilation = dilation_table[(height, width)]
        self.num_ch_enc = list(dims)

        self.downsample_layers = nn.ModuleList()
        self.downsample_layers.append(nn.Sequential(
            Conv(in_chans, dims[0], 3, 2, 1, bn_act=True),
            Conv(dims[0], dims[0], 3, 1, 1, bn_act=True),
            Conv(dims[0], dims[0], 3, 1, 1, bn_act=True)))
        self.stem2 = nn.Sequential(Conv(dims[0] + 3, dims[0], 3, 2, 1))
        # the original also builds AvgPool(4), never used
        self.input_downsample = nn.ModuleList(
            AvgPool(i) for i in range(1, 5))
        for i in range(2):
            self.downsample_layers.append(nn.Sequential(
                Conv(dims[i] * 2 + 3, dims[i + 1], 3, 2, 1)))

        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        cur = 0
        for i in range(3):
            blocks = []
            for j in range(depths[i]):
                if j > depths[i] - global_block[i] - 1:
                    blocks.append(LGFI(
                        dims[i], drop_path=rates[cur + j],
                        expan_ratio=expan_ratio,
                        use_pos_emb=use_pos_embd_xca[i], num_heads=heads[i],
                        layer_scale_init_value=layer_scale_init_value))
                else:
                    blocks.append(DilatedConv(
                        dims[i], k=3, dilation=self.dilation[i][j],
                        drop_path=rates[cur + j],
                        layer_scale_init_value=layer_scale_init_value,
                        expan_ratio=expan_ratio))
            self.stages.append(nn.Sequential(*blocks))
            cur += depths[i]
        self.apply(self._init_module)

    @staticmethod
    def _init_module(m: nn.Module):
        """The original's init: kaiming-normal (fan_out) conv/linear
        weights, unit/zero norms."""
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode='fan_out',
                                    nonlinearity='relu')
        elif isinstance(m, (LayerNorm, nn.LayerNorm, nn.BatchNorm2d)):
            nn.init.constant_(m.weight, 1.)
            nn.init.constant_(m.bias, 0.)

    def load_pretrained(self, path: str):
        """Load Lite-Mono ImageNet weights as FUMET does (see class doc).

        Raises FileNotFoundError for a missing file and RuntimeError when
        no tensor of the file fits the encoder.
        """
        path = self.pretrained_file(
            path, 'Download the Lite-Mono ImageNet weights '
            '(lite-mono-pretrain.pth, see the Lite-Mono README) there, set '
            'model.depth_encoder.pretrained to its path, or train from '
            'scratch with model.depth_encoder.pretrained=None.')
        ckpt = self.read_pretrained(path)
        state = ckpt.get('model', ckpt) if isinstance(ckpt, dict) else ckpt
        own = self.state_dict()
        load = {
            k: v for k, v in state.items()
            if k in own and not k.startswith('norm')
            and tuple(v.shape) == tuple(own[k].shape)
        }
        if not load:
            raise RuntimeError(
                f'LiteMono({self.model!r}): no tensor of {path!r} fits the '
                f'encoder (expected Lite-Mono ImageNet weights under the '
                f"'model' key)")
        self.load_state_dict(load, strict=False)

    def forward(self, img: Tensor) -> List[Tensor]:
        """img: B×3×H×W in [0, 1] -> features at H/4, H/8, H/16 with
        ``num_ch_enc`` channels."""
        x = (img - 0.45) / 0.225
        x_down = [self.input_downsample[i](x) for i in range(3)]
        x = self.downsample_layers[0](x)
        x = self.stem2(torch.cat((x, x_down[0]), dim=1))
        skips = [x]
        features = []
        for i in range(3):
            if i > 0:
                x = self.downsample_layers[i](
                    torch.cat(skips + [x_down[i]], dim=1))
                skips = [x]
            x = self.stages[i](x)
            skips.append(x)
            features.append(x)
        return features
