"""Access to the parity fixtures in ``../shared/fixtures`` (tests only)."""
import os
from pathlib import Path

import numpy as np

FIXTURE_DIR = Path(os.environ.get(
    'DEPTHSEG_FIXTURES',
    Path(__file__).resolve().parents[2].parent / 'shared' / 'fixtures'))


def load_fixture(name: str, prefix: str = ''):
    """Load ``<name>.npz`` and return ``(inputs, outputs)`` for ``prefix``.

    Keys are ``<fixture>__in__<arg>`` / ``<fixture>__out__<name>``; with a
    prefix only that fixture's entries are returned, without it. Skips the
    calling test when the fixture folder is absent.
    """
    import pytest
    path = FIXTURE_DIR / f'{name}.npz'
    if not FIXTURE_DIR.is_dir():
        pytest.skip(f'fixture folder {FIXTURE_DIR} is absent')
    z = np.load(path)
    if not prefix:
        return z
    ins = {k.split('__in__')[1]: z[k] for k in z.files
           if k.startswith(prefix + '__in__')}
    outs = {k.split('__out__')[1]: z[k] for k in z.files
            if k.startswith(prefix + '__out__')}
    assert ins or outs, f'no fixture {prefix!r} in {path}'
    return ins, outs
