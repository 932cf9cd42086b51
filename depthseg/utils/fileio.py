"""Crash-safe local file writes for checkpoints.

A plain ``open(path, 'wb')`` truncates the target first, so a crash (OOM
kill, pre-emption, full disk) in the middle of ``torch.save`` leaves a
truncated ``epoch_N.pth`` that a later ``--resume`` fails to load. The
``'atomic_local'`` backend writes to a temporary file in the same directory,
fsyncs it and renames it onto the target with ``os.replace``, which is atomic
on POSIX and Windows: readers see either the old or the new file, never a
partial one.

Select it with ``CheckpointHook(backend_args=dict(backend='atomic_local'))``;
mmengine's ``save_checkpoint`` then writes through :meth:`put`.
"""
import io
import os
import os.path as osp
import re
import uuid
from pathlib import Path
from typing import List, Union

import torch
from mmengine.fileio import LocalBackend, register_backend

# the temporary files of atomic_write: .<name>.<12 hex>.tmp
_TEMP_NAME = re.compile(r'\..+\.[0-9a-f]{12}\.tmp')


def atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that it is replaced all at once.

    A crash before the final rename leaves the previous ``filepath``
    untouched; at worst a hidden ``.<name>.<id>.tmp`` file remains next to it.
    """
    filepath = osp.abspath(str(filepath))
    dirname = osp.dirname(filepath)
    os.makedirs(dirname, exist_ok=True)
    tmp = osp.join(dirname,
                   f'.{osp.basename(filepath)}.{uuid.uuid4().hex[:12]}.tmp')
    try:
        # 'xb' honours the umask, unlike tempfile.mkstemp's 0600
        with open(tmp, 'xb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(dirname)


def remove_stale_temp_files(dirname: str) -> List[str]:
    """Delete the ``.<name>.<12 hex>.tmp`` files that writes killed before
    their rename left in ``dirname`` (not recursive); returns their paths.

    Call it only when no :func:`atomic_write` into ``dirname`` is running.
    """
    if not osp.isdir(dirname):
        return []
    removed = []
    for name in sorted(os.listdir(dirname)):
        path = osp.join(dirname, name)
        if _TEMP_NAME.fullmatch(name) and osp.isfile(path):
            os.remove(path)
            removed.append(path)
    return removed


def _fsync_dir(dirname: str) -> None:
    """Make the rename durable (POSIX only; a no-op elsewhere)."""
    if not hasattr(os, 'O_DIRECTORY'):
        return
    fd = os.open(dirname, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Atomically write bytes ``obj`` to ``filepath``."""
        atomic_write(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Atomically write text ``obj`` to ``filepath``."""
        atomic_write(obj.encode(encoding), filepath)


register_backend('atomic_local', AtomicLocalBackend, force=True)


def save_converted_checkpoint(state_dict: dict, meta: dict,
                              filepath: Union[str, Path]) -> None:
    """Write ``{'state_dict', 'meta'}`` atomically (never a truncated
    file); it loads with ``torch.load(..., weights_only=True)`` when the
    values are tensors and plain Python data (the model converters)."""
    buffer = io.BytesIO()
    torch.save({'state_dict': state_dict, 'meta': meta}, buffer)
    atomic_write(buffer.getvalue(), filepath)
