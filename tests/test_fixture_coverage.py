"""Every parity fixture in the fixture folder is used by some test.

A fixture is the ``<name>`` of the keys ``<name>__in__<arg>`` and
``<name>__out__<output>`` of a ``<file>.npz`` (fixtures README). Each one
must be named, as a string literal, by a test file that also names its
``<file>`` (e.g. ``load_fixture('fumet', 'compute_errors')``), so a new
fixture or a new file nobody reads fails here. Whether each test compares
every *output* of its fixture is checked by reading the tests.
"""
import ast
from pathlib import Path

from depthseg.testing import fixture_dir

TESTS = Path(__file__).resolve().parent


def string_literals(path: Path) -> set:
    """The plain string constants of a Python file (f-string fragments
    excluded: a name built at run time does not count), plus the fixture
    names of full keys among them (``'<name>__in__<arg>'``)."""
    tree = ast.parse(path.read_text(), str(path))
    fstring_parts = {
        id(part)
        for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    literals = {
        node.value
        for node in ast.walk(tree) if isinstance(node, ast.Constant)
        and isinstance(node.value, str) and id(node) not in fstring_parts
    }
    return literals | {
        lit.split('__')[0]
        for lit in literals if '__in__' in lit or '__out__' in lit
    }


def fixture_names(path: Path) -> list:
    """The fixture names of an npz in key order; every key must follow the
    ``<name>__in__<arg>`` / ``<name>__out__<output>`` convention."""
    import numpy as np
    names, odd = [], []
    for key in np.load(path).files:
        parts = key.split('__')
        if len(parts) < 3 or parts[1] not in ('in', 'out'):
            odd.append(key)
        elif parts[0] not in names:
            names.append(parts[0])
    assert not odd, f'{path.name}: keys outside the convention: {odd}'
    return names


def test_every_fixture_is_used():
    files = sorted(fixture_dir().glob('*.npz'))
    assert files, f'no *.npz in {fixture_dir()}'
    literals = {
        p: string_literals(p)
        for p in sorted(TESTS.rglob('*.py')) if p != Path(__file__).resolve()
    }
    unused = {}
    for npz in files:
        users = [lit for lit in literals.values()
                 if npz.stem in lit or npz.name in lit]
        missing = [name for name in fixture_names(npz)
                   if not any(name in lit for lit in users)]
        if missing:
            unused[npz.name] = missing
    assert not unused, (
        'fixtures no test names (as a string literal, in a test file that '
        f'also names the npz): {unused}')
