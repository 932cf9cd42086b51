"""The import graph of ``depthseg``: every module imports, no cycles, no
back-edges between layers.

The graph is built from the source (``ast``), not from ``sys.modules``:

* Nodes are the modules found by ``pkgutil.walk_packages``; a package is
  the node of its ``__init__.py``.
* Every ``import`` / ``from … import`` counts wherever it is: at module
  level, inside functions and methods, under ``if`` / ``try``. A lazy
  import only hides a cycle (it still fails when the import order
  changes) and still couples the modules.
* ``import a.b.c`` (also ``as x``) is an edge to module ``a.b.c``, not to
  its parents ``a`` and ``a.b``. Python runs their ``__init__`` first, but
  counting that would make every package whose ``__init__`` re-exports its
  submodules (parent -> child edges) a cycle with each of its children.
* ``from a.b import c`` is an edge to module ``a.b.c`` when that is a
  module (a submodule import), else to ``a.b`` (a name defined in module
  ``a.b`` or in package ``a.b``'s ``__init__``). So a re-exporting package
  ``__init__`` has an edge to each submodule it imports, and whoever
  imports a name from the package depends on the ``__init__``.
* Relative imports are resolved against the importing module's package
  (``from . import x`` in ``pkg/__init__.py`` is ``pkg.x``); a name that
  is not a module resolves to its longest prefix that is one. Imports of
  anything outside ``depthseg`` are ignored.

Layer rules (:data:`FORBIDDEN`): only ``depthseg.testing`` imports
``depthseg.testing`` (in particular ``depthseg.datasets`` never does), and
``depthseg.models`` never imports ``depthseg.evaluation`` (flip
post-processing, shared by both, lives in ``depthseg.models.utils``).
"""
import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Dict, List, Optional, Set

import depthseg

#: (importer prefix, imported prefix, why) pairs that must not occur; a
#: prefix matches the module and everything below it. An importer prefix
#: starting with '!' matches every module outside that prefix.
FORBIDDEN = [
    ('!depthseg.testing', 'depthseg.testing',
     'test utilities sit on top: library code (datasets above all) must '
     'not depend on them'),
    ('depthseg.models', 'depthseg.evaluation',
     'evaluation builds on the models, not the other way round'),
]


def _modules() -> Dict[str, Path]:
    """Module name -> source file of every module of depthseg."""
    found = {'depthseg': Path(depthseg.__file__)}
    for info in pkgutil.walk_packages(depthseg.__path__, 'depthseg.'):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin, info.name
        found[info.name] = Path(spec.origin)
    return found


MODULES = _modules()


def _resolve(name: str) -> Optional[str]:
    """The longest prefix of ``name`` that is a depthseg module."""
    while name and name not in MODULES:
        name = name.rpartition('.')[0]
    return name or None


def _edges(module: str) -> Set[str]:
    """The depthseg modules ``module`` imports (rules: module docstring)."""
    path = MODULES[module]
    is_package = path.name == '__init__.py'
    package = module if is_package else module.rpartition('.')[0]
    tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'depthseg':
                    targets.add(_resolve(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition('.')[0]
                full = f'{base}.{node.module}' if node.module else base
            else:
                full = node.module or ''
            if full.split('.')[0] != 'depthseg':
                continue
            for alias in node.names:
                sub = f'{full}.{alias.name}'
                targets.add(sub if sub in MODULES else _resolve(full))
    targets.discard(None)
    targets.discard(module)
    return targets


GRAPH = {module: _edges(module) for module in MODULES}


def _strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _cycle_through(start: str, members: Set[str],
                   graph: Dict[str, Set[str]]) -> List[str]:
    """A shortest import cycle start -> … -> start inside ``members``."""
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path[::-1] + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    raise AssertionError(f'no cycle through {start}')


def _matches(module: str, prefix: str) -> bool:
    if prefix.startswith('!'):
        return not _matches(module, prefix[1:])
    return module == prefix or module.startswith(prefix + '.')


def test_every_module_imports():
    failed = []
    for module in MODULES:
        try:
            importlib.import_module(module)
        except Exception as err:  # noqa: BLE001 - report every failure
            failed.append(f'{module}: {type(err).__name__}: {err}')
    assert not failed, '\n'.join(failed)


def test_graph_rules():
    """The edge rules of the module docstring on modules that exist."""
    assert len(MODULES) > 50
    assert 'depthseg.models.losses' in GRAPH['depthseg.models']
    assert ('depthseg.models.losses.functional'
            in GRAPH['depthseg.models.losses.photometric'])
    assert 'depthseg.models' not in GRAPH['depthseg.models.losses']


def test_cycle_report():
    """The helpers find a cycle and its path (e.g. the former lazy
    ``feature_losses`` <-> ``photometric`` import)."""
    graph = {'a': {'b'}, 'b': {'c', 'd'}, 'c': {'a'}, 'd': set(),
             'e': {'a'}}
    assert _strongly_connected(graph) == [['a', 'b', 'c']]
    assert _cycle_through('a', {'a', 'b', 'c'}, graph) == ['a', 'b', 'c',
                                                           'a']
    assert _strongly_connected({'a': {'b'}, 'b': set()}) == []


def test_no_import_cycles():
    cycles = []
    for comp in _strongly_connected(GRAPH):
        path = _cycle_through(comp[0], set(comp), GRAPH)
        cycles.append(' -> '.join(path) +
                      f'  (strongly connected: {", ".join(comp)})')
    assert not cycles, 'import cycles:\n' + '\n'.join(cycles)


def test_no_back_edges():
    bad = []
    for module, targets in sorted(GRAPH.items()):
        for target in sorted(targets):
            for importer, imported, why in FORBIDDEN:
                if _matches(module, importer) and _matches(target, imported):
                    bad.append(f'{module} -> {target}: {why}')
    assert not bad, 'forbidden imports:\n' + '\n'.join(bad)
