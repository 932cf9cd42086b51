"""Import the command-line tools (``tools/*.py``, not a package) in tests."""
import importlib.util
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_tool(path: str, name: str = None) -> ModuleType:
    """Import ``REPO_ROOT/path`` (e.g. ``'tools/infer.py'``) as a module
    named ``name`` (default: the file's stem)."""
    path = REPO_ROOT / path
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
