"""Access to the parity fixtures in ``../shared/fixtures`` (tests only)."""
import os
from pathlib import Path

import numpy as np

#: The fixture folder: ``$DEPTHSEG_FIXTURES``, else ``shared/fixtures``
#: beside the clone (``<clone>/../shared/fixtures``).
DEFAULT_FIXTURE_DIR = (Path(__file__).resolve().parents[2].parent / 'shared' /
                       'fixtures')
FIXTURE_DIR = Path(os.environ.get('DEPTHSEG_FIXTURES', DEFAULT_FIXTURE_DIR))


def fixture_dir() -> Path:
    """The fixture folder; fails the calling test when it is absent.

    A missing folder is a test failure, never a skip: CI must not pass
    without the parity checks.
    """
    if not FIXTURE_DIR.is_dir():
        import pytest
        source = ('$DEPTHSEG_FIXTURES' if 'DEPTHSEG_FIXTURES' in os.environ
                  else 'the default, ../shared/fixtures beside the clone')
        pytest.fail(
            f'parity fixture folder {FIXTURE_DIR} (from {source}) is absent: '
            'set DEPTHSEG_FIXTURES to the folder holding the *.npz fixtures, '
            f'or put the shared folder beside the clone '
            f'({DEFAULT_FIXTURE_DIR.parent})', pytrace=False)
    return FIXTURE_DIR


def load_fixture(name: str, prefix: str = ''):
    """Load ``<name>.npz`` and return ``(inputs, outputs)`` for ``prefix``.

    Keys are ``<fixture>__in__<arg>`` / ``<fixture>__out__<name>``; with a
    prefix only that fixture's entries are returned, without it the whole
    file. Fails the calling test when the fixture folder is absent
    (:func:`fixture_dir`).
    """
    path = fixture_dir() / f'{name}.npz'
    z = np.load(path)
    if not prefix:
        return z
    ins = {k.split('__in__')[1]: z[k] for k in z.files
           if k.startswith(prefix + '__in__')}
    outs = {k.split('__out__')[1]: z[k] for k in z.files
            if k.startswith(prefix + '__out__')}
    assert ins or outs, f'no fixture {prefix!r} in {path}'
    return ins, outs
