"""The one place where depthseg reads checkpoints, pickles and npz files.

Pickle-based files (``.pth``/``.ckpt``/``.pkl``, object arrays in ``.npz``)
can run arbitrary code while they load. Every depthseg entry point reads
them through this module, with one policy:

* By default a restricted unpickler admits only a fixed list of globals
  (:data:`ALLOWED_GLOBALS`): tensors and storages (torch's own weights-only
  list), plain containers, numpy arrays/scalars/dtypes, mmengine's
  ``HistoryBuffer`` (message hub of resume checkpoints) and the originals'
  option objects (``argparse.Namespace``; yacs ``CfgNode`` is read as an
  :class:`OptionDict` without importing yacs). Anything else is refused with
  :class:`UnsafeFileError`, which names the file, the global and the opt-in.
* Files the user trusts load unrestricted after an explicit opt-in:
  ``--trust-checkpoint`` on the tools, ``trust_checkpoint = True`` in a
  config (both call :func:`set_trust`), or ``trust=True`` in Python.

There is no silent fallback from one to the other.
"""
import _compat_pickle
import argparse
import io
import os.path as osp
import pickle
import types
import warnings
import zipfile
from contextlib import contextmanager
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

#: the command-line flag and the config key that opt in to full unpickling
TRUST_FLAG = '--trust-checkpoint'
TRUST_KEY = 'trust_checkpoint'

_trust = False


def set_trust(enabled: bool) -> None:
    """Process-wide default of ``trust`` (set by the tools from
    ``--trust-checkpoint`` or the config's ``trust_checkpoint``)."""
    global _trust
    _trust = bool(enabled)


def _trusted(trust: Optional[bool]) -> bool:
    return _trust if trust is None else bool(trust)


class UnsafeFileError(pickle.UnpicklingError):
    """A file needs a global outside :data:`ALLOWED_GLOBALS` to load."""

    def __init__(self, path: str, global_name: str):
        self.path, self.global_name = path, global_name
        super().__init__(
            f'{path}: refused to load it: it needs the Python global '
            f"'{global_name}', which depthseg does not admit (unpickling a "
            'file can run code; depthseg loads only tensors, numbers, '
            'strings, containers, numpy arrays and a fixed list of known '
            f'types). If you trust this file and its source, pass '
            f'{TRUST_FLAG} to the tool (or set {TRUST_KEY} = True in the '
            'config; in Python, trust=True).')


class UntrustedProgramError(UnsafeFileError):
    """A TorchScript file was to be loaded without the trust opt-in."""

    def __init__(self, path: str):
        self.path, self.global_name = path, None
        pickle.UnpicklingError.__init__(
            self,
            f'{path}: refused to load it: a TorchScript file is a program '
            '(torch.jit.load runs its code, with access to every torch '
            'operator), so depthseg has no restricted mode for it. If you '
            f'trust this file and its source, pass {TRUST_FLAG} to the tool '
            '(in Python, trust=True), or export an ONNX file instead.')


class _RefusedGlobal(pickle.UnpicklingError):
    """Raised inside the unpickler; re-raised with the file name."""


class OptionDict(dict):
    """Stand-in for the originals' option objects (yacs ``CfgNode``): the
    pickled items, without the class's private ``__dunder__`` state."""

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:
            state = state[0]
        self.update({k: v for k, v in (state or {}).items()
                     if not (k.startswith('__') and k.endswith('__'))})


def to_plain(obj):
    """Option objects (:class:`OptionDict`, ``argparse.Namespace``) and
    nested containers of them -> plain dicts, lists and values."""
    if isinstance(obj, argparse.Namespace):
        obj = vars(obj)
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj)
    return obj


def _history_buffer_getattr(owner, name: str):
    """``getattr`` restricted to the public methods of ``HistoryBuffer``
    (its pickled ``statistics_methods`` refer to them this way)."""
    if owner is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise _RefusedGlobal(f'builtins.getattr({owner!r}, {name!r})')


def _storage_from_bytes(data: bytes):
    """``torch.storage._load_from_bytes`` (tensors inside plain pickles,
    e.g. FUMET's ``cam_height_expect.pkl``), restricted like the rest."""
    return torch.load(io.BytesIO(data), weights_only=False,
                      pickle_module=_restricted_pickle)


def _allowed_globals() -> Dict[str, Any]:
    # torch's weights-only list: tensor/storage rebuild functions, dtypes,
    # OrderedDict, Counter, torch.Size/device, bytes, set, complex
    from torch._weights_only_unpickler import _get_allowed_globals
    allowed = dict(_get_allowed_globals())
    try:
        from numpy._core import multiarray as core
    except ImportError:  # numpy < 2
        from numpy.core import multiarray as core
    for prefix in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        allowed[f'{prefix}._reconstruct'] = core._reconstruct
        allowed[f'{prefix}.scalar'] = core.scalar
    allowed['numpy.ndarray'] = np.ndarray
    allowed['numpy.dtype'] = np.dtype
    for name in dir(np.dtypes):
        cls = getattr(np.dtypes, name)
        if isinstance(cls, type) and issubclass(cls, np.dtype):
            allowed[f'numpy.dtypes.{name}'] = cls
    allowed.update({
        'mmengine.logging.history_buffer.HistoryBuffer': HistoryBuffer,
        'builtins.getattr': _history_buffer_getattr,
        'argparse.Namespace': argparse.Namespace,
        'yacs.config.CfgNode': OptionDict,
        'torch.storage._load_from_bytes': _storage_from_bytes,
    })
    return allowed


#: full name -> object of every global a file may use (anything else is
#: refused); the names a file refers to, the objects are depthseg's.
ALLOWED_GLOBALS = _allowed_globals()


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only
    :data:`ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str):
        # protocol-2 pickles (torch.save's default) use Python 2 names
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full = f'{module}.{name}'
        if full in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[full]
        raise _RefusedGlobal(full)


# what torch.load needs of a pickle module
_restricted_pickle = types.SimpleNamespace(
    Unpickler=RestrictedUnpickler,
    load=lambda f, **kwargs: RestrictedUnpickler(f, **kwargs).load(),
    __name__='depthseg_restricted_pickle')

_warned_trust = set()


def _note_trusted(path: str) -> None:
    if path not in _warned_trust:
        _warned_trust.add(path)
        print_log(f'{path}: loading with full unpickling (trusted by '
                  f'{TRUST_FLAG} / {TRUST_KEY})', logger='current')


def _check_file(path: str, what: str) -> str:
    path = osp.expanduser(str(path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist.')
    return path


def load_checkpoint(path: str, map_location='cpu',
                    trust: Optional[bool] = None) -> Any:
    """``torch.load`` a ``.pth``/``.ckpt`` file through the policy.

    Args:
        path: a local file (zip or legacy torch format).
        map_location: as ``torch.load``; tensors saved on a GPU load on CPU
            with the default.
        trust: full unpickling for a file the user trusts; None takes the
            process-wide setting (:func:`set_trust`).

    Raises:
        UnsafeFileError: the file needs a global outside the allowed list.
    """
    path = _check_file(path, 'checkpoint')
    if _trusted(trust):
        _note_trusted(path)
        return torch.load(path, map_location=map_location,
                          weights_only=False)
    try:
        return torch.load(path, map_location=map_location,
                          weights_only=False, pickle_module=_restricted_pickle)
    except _RefusedGlobal as err:
        raise UnsafeFileError(path, str(err)) from None


def load_torchscript(path: str, map_location='cpu',
                     trust: Optional[bool] = None,
                     extra_files: Optional[Dict[str, str]] = None):
    """``torch.jit.load`` a TorchScript file the user trusts (``trust``:
    see :func:`load_checkpoint`); ``extra_files`` (name -> '') is filled
    with the stored extra files. Raises :class:`UntrustedProgramError`
    otherwise."""
    path = _check_file(path, 'TorchScript file')
    if not _trusted(trust):
        raise UntrustedProgramError(path)
    _note_trusted(path)
    with warnings.catch_warnings():  # recent torch deprecates TorchScript
        warnings.filterwarnings('ignore', '`torch.jit', FutureWarning)
        return torch.jit.load(path, map_location=map_location,
                              _extra_files={} if extra_files is None
                              else extra_files)


def load_pickle(path: str, trust: Optional[bool] = None) -> Any:
    """Read a plain pickle (e.g. FUMET's ``cam_height_expect.pkl``)
    through the policy (see :func:`load_checkpoint`)."""
    path = _check_file(path, 'pickle file')
    with open(path, 'rb') as f:
        if _trusted(trust):
            _note_trusted(path)
            return pickle.load(f)
        try:
            return RestrictedUnpickler(f).load()
        except _RefusedGlobal as err:
            raise UnsafeFileError(path, str(err)) from None


def load_npz(path: str, trust: Optional[bool] = None) -> Dict[str, np.ndarray]:
    """Every array of an ``.npz``/``.npy`` file as a dict (``.npy``: key
    ``'arr_0'``). Object arrays (e.g. the original ``gt_depths.npz``) are read
    through the restricted unpickler, so only numpy values come out."""
    path = _check_file(path, 'array file')
    if _trusted(trust):
        _note_trusted(path)
        if path.endswith('.npy'):
            return {'arr_0': np.load(path, allow_pickle=True)}
        with np.load(path, allow_pickle=True) as z:
            return {k: z[k] for k in z.files}
    if path.endswith('.npy'):
        with open(path, 'rb') as f:
            return {'arr_0': _read_npy(f, path)}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise ValueError(f'{path}: not an .npz archive ({err})') from None
    with archive:
        arrays = {}
        for member in archive.namelist():
            if member.endswith('.npy'):
                with archive.open(member) as f:
                    arrays[member[:-len('.npy')]] = _read_npy(f, path)
        return arrays


def _read_npy(f, path: str) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(f)
    read_header = (fmt.read_array_header_1_0 if version == (1, 0) else
                   fmt.read_array_header_2_0)
    shape, fortran, dtype = read_header(f)
    if not dtype.hasobject:
        count = int(np.prod(shape))
        data = np.frombuffer(f.read(count * dtype.itemsize), dtype=dtype,
                             count=count)
        return data.reshape(shape, order='F' if fortran else 'C').copy()
    try:
        array = RestrictedUnpickler(f).load()
    except _RefusedGlobal as err:
        raise UnsafeFileError(path, str(err)) from None
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(f'{path}: an object array whose pickle is not the '
                         f'array of shape {shape} its header announces')
    return array


def _mmengine_local_loader(filename: str, map_location=None):
    """mmengine's loader for local paths (``load_from``, ``--resume``,
    ``init_cfg=dict(type='Pretrained')``), through the policy."""
    return load_checkpoint(filename, map_location=map_location)


CheckpointLoader.register_scheme(prefixes='', force=True)(
    _mmengine_local_loader)


def add_trust_argument(parser) -> None:
    """Add ``--trust-checkpoint`` to a tool's ``argparse`` parser; the tool
    passes the parsed value to :func:`set_trust`."""
    parser.add_argument(
        TRUST_FLAG, action='store_true',
        help='unpickle checkpoint/pickle files without restriction. Only for '
        'files you trust: a crafted file can run code. By default depthseg '
        'admits tensors, plain data and a fixed list of known types, and '
        'refuses anything else with an error naming the file')


@contextmanager
def refuse_cleanly():
    """For the tools' entry points: a refused file ends the process with
    its message and exit status 1 instead of a traceback."""
    try:
        yield
    except UnsafeFileError as err:
        raise SystemExit(f'error: {err}') from None
