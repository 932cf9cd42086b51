"""The plugin contract: generic modules name no method's data fields, and
plugins reach the run through declared interfaces."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: modules every method shares
GENERIC = [
    'depthseg/datasets/transforms/formatting.py',
    'depthseg/datasets/transforms/transforms.py',
    'depthseg/models/data_preprocessor.py',
    'depthseg/models/losses/photometric.py',
    'depthseg/models/estimators/selfsup_depth_estimator.py',
    'depthseg/models/estimators/context.py',
    'depthseg/engine/runner.py',
    *sorted(str(p.relative_to(ROOT))
            for p in (ROOT / 'depthseg/engine/hooks').glob('*.py')),
]
#: the fields FUMET (car/road masks, h*), BDEdepth (views' data) and
#: Cityscapes (camera setting) add to a batch
METHOD_FIELDS = re.compile(
    r"\broad\b|car_masks|car_heights|car_frame_idx|segms_flat|heights_flat|"
    r"\bn_inst\b|cam_setting|h_star|\['views'\]|\"views\"|'reshuffle'|"
    r"'local'")


@pytest.mark.parametrize('module', GENERIC)
def test_generic_module_names_no_method_field(module):
    text = (ROOT / module).read_text()
    found = sorted({m.group(0) for m in METHOD_FIELDS.finditer(text)})
    assert not found, f'{module} names the method fields {found}'


def test_generic_hooks_import_no_method_plugin():
    """Hooks find the plugins they serve by interface, not by class."""
    for path in (ROOT / 'depthseg/engine/hooks').glob('*.py'):
        text = path.read_text()
        imports = [line for line in text.splitlines()
                   if line.startswith(('import ', 'from '))]
        assert not any('depthseg.models.losses' in line for line in imports), \
            path.name
        assert '__name__ ==' not in text, path.name
