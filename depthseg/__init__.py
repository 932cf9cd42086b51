"""depthseg: self-supervised monocular depth estimation on mmengine."""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__

MMENGINE_MIN, MMENGINE_MAX = '0.10.4', '1.0.0'
MMCV_MIN, MMCV_MAX = '2.0.0', '2.3.0'


def _check(name, version, low, high):
    ok = digit_version(low) <= digit_version(version) < digit_version(high)
    assert ok, (f'{name}=={version} is installed, but depthseg needs '
                f'{low} <= {name} < {high}. Fix: pip install '
                f'"{name if name != "mmcv" else "mmcv-lite"}>={low},<{high}"')


_check('mmengine', mmengine.__version__, MMENGINE_MIN, MMENGINE_MAX)
_check('mmcv', mmcv.__version__, MMCV_MIN, MMCV_MAX)

# every checkpoint/pickle read goes through the restricted loader, also
# mmengine's (load_from, --resume, Pretrained init_cfg)
from .utils import safe_load  # noqa: E402,F401

__all__ = ['__version__']
