"""Suite-wide fixtures."""
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _drop_checkpoints(request):
    """Delete the checkpoints (``*.pth``, ``*.onnx``: hundreds of MB each) a
    test wrote under its ``tmp_path`` once it is over; the suite wrote 17 GB
    of them per run. The folders stay, so pytest never hands a later test a
    reused folder name."""
    yield
    path = request.node.funcargs.get('tmp_path')
    if path is None:
        return
    for pattern in ('*.pth', '*.onnx'):
        for file in Path(path).rglob(pattern):
            file.unlink()
