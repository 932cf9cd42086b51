"""Data fields and their kinds: the contract between the transforms that add
a per-sample field and the generic data path.

Generic code (``RandomFlip``, ``ColorJitter``, ``PackDepthInputs``,
``DepthDataPreprocessor``; ``ResizeCrop`` for its crop) never names a
method's field: it acts on the *kind* each field is declared with in
``results['field_kinds']`` (field name -> :class:`FieldKind`, or a short
spec, see :func:`field_kind`). Kinds:

``pixel``
    H×W map at the network image size (scale 0), e.g. a road mask. Flipped
    with the frames; cut like the frames by crops that derive new images
    (resized with ``resize``: ``'nearest'`` (masks, labels), ``'bilinear'``
    or ``'area'``); packed as a tensor (dtype kept, size checked against
    the frames); batched by stacking, B×H×W.
``instances``
    N×H×W masks, N may be 0 (e.g. object instances). Flipped; packed like
    ``pixel``; batched by concatenation, ΣN×H×W under ``batch_key``, with
    ``count_key`` (int64 B, instances per sample) and ``index_key`` (int64
    ΣN, the sample of each instance, ``repeat_interleave(arange(B),
    counts)``).
``instance_values``
    One value (or row) per instance of the ``instances`` field ``of``.
    Never flipped; packed as a tensor (length checked); concatenated
    alongside, ΣN(×…) under ``batch_key``.
``scalar``
    One number per sample. Packed into the sample's metainfo (``float``);
    batched into ``inputs`` as float32 B.
``array``
    Fixed-shape per-sample array (a vector, a sampling grid, ...) that the
    geometric transforms leave alone. Packed as a tensor (dtype kept),
    stacked along a new batch dimension.
``subsamples``
    ``{name: sub-sample}``: derived samples (e.g. augmented copies) each
    with a ``color`` pyramid ({frame_id: [uint8 H_s×W_s×3]}) and fields
    declared in its own ``field_kinds``. ``ColorJitter`` adds their
    ``color_aug``; they are packed and batched like the sample itself
    (``scalar`` is not allowed inside: use ``array``). Add them after
    ``RandomFlip`` (which does not recurse into them).
``passthrough``
    Anything else: packed unchanged, collated by the dataloader, handed to
    the model unchanged (not moved to the device).

Undeclared entries of the results are not packed (they stay metadata for
``PackDepthInputs(meta_keys=...)``). The packer copies the declarations to
``inputs['field_kinds']`` so that the data preprocessor knows them; it
drops that entry from the model's batch.

How a method adds a data field
------------------------------
A loading transform states what it adds as a class attribute and registers
it when it adds the fields::

    @TRANSFORMS.register_module()
    class LoadMyMasks(BaseTransform):
        adds = dict(sky=('pixel', 'nearest'),
                    blobs=dict(kind='instances', batch_key='blobs_flat',
                               count_key='n_blobs',
                               index_key='blob_frame_idx'),
                    blob_sizes=dict(kind='instance_values', of='blobs'))

        def transform(self, results):
            results['sky'] = ...        # bool H×W at the network size
            results['blobs'] = ...      # bool n×H×W
            results['blob_sizes'] = ... # float32 n
            return declare_fields(results, self.adds, source=self)

A dataset that puts a field in its data infos declares it there
(``field_kinds=dict(cam_height='scalar')``). Flip, crop, packing, batching
and device transfer then follow from the kinds; the model reads
``inputs['sky']``, ``inputs['blobs_flat']``, ``inputs['n_blobs']``, ... The
transform itself keeps the arrays' dtypes right (they are kept) and, for
``pixel`` / ``instances``, their size equal to the frames' (the packer
raises naming ``source`` otherwise).
"""
from dataclasses import dataclass, replace
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

#: Key of the declarations in the results, a sub-sample and packed inputs.
FIELD_KINDS = 'field_kinds'

KINDS = ('pixel', 'instances', 'instance_values', 'scalar', 'array',
         'subsamples', 'passthrough')
#: Kinds that are H×W images along their last two axes (flip, crop, size).
SPATIAL_KINDS = ('pixel', 'instances')
RESIZE_MODES = {
    'nearest': Image.Resampling.NEAREST,
    'bilinear': Image.Resampling.BILINEAR,
    'area': Image.Resampling.BOX,
}


@dataclass(frozen=True)
class FieldKind:
    """How the data path treats one field (see the module docstring).

    Args:
        kind: one of :data:`KINDS`.
        resize: ``pixel`` only: resampling when a crop derives new images
            (``'nearest'``, ``'bilinear'``, ``'area'``).
        batch_key: name in the model's batch (default: the field name).
        count_key / index_key: ``instances`` only: names of the per-sample
            counts and of the per-instance sample index in the batch
            (default ``<name>_count`` / ``<name>_sample_idx``).
        of: ``instance_values`` only: the ``instances`` field they belong
            to.
        source: who added the field (a transform's class name), for
            error messages.
    """
    kind: str
    resize: str = 'nearest'
    batch_key: Optional[str] = None
    count_key: Optional[str] = None
    index_key: Optional[str] = None
    of: Optional[str] = None
    source: Optional[str] = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f'unknown field kind {self.kind!r}; expected '
                             f'one of {KINDS}')
        if self.resize not in RESIZE_MODES:
            raise ValueError(f'unknown resize mode {self.resize!r}; '
                             f'expected one of {tuple(RESIZE_MODES)}')
        if (self.kind == 'instance_values') != (self.of is not None):
            raise ValueError("'of' (the instances field) is required for, "
                             "and only for, kind 'instance_values'; got "
                             f'kind {self.kind!r}, of={self.of!r}')


FieldSpec = Union[FieldKind, str, Sequence, Mapping]


def field_kind(spec: FieldSpec) -> FieldKind:
    """Normalise a declaration: a :class:`FieldKind`, a kind (``'pixel'``),
    ``(kind, resize)`` (``('pixel', 'nearest')``) or a dict of
    :class:`FieldKind` arguments."""
    if isinstance(spec, FieldKind):
        return spec
    if isinstance(spec, str):
        return FieldKind(spec)
    if isinstance(spec, Mapping):
        return FieldKind(**spec)
    if isinstance(spec, Sequence) and 1 <= len(spec) <= 2:
        return FieldKind(*spec)
    raise TypeError(f'cannot read a field kind from {spec!r}; expected a '
                    "FieldKind, 'kind', ('pixel', resize) or a dict")


def declare_fields(results: dict, fields: Mapping[str, FieldSpec],
                   source=None) -> dict:
    """Add ``fields`` (name -> spec) to ``results['field_kinds']``.

    ``source`` (a transform, or its name) is recorded for error messages.
    The declarations dict is copied, never updated in place. Returns
    ``results``.
    """
    if source is not None and not isinstance(source, str):
        source = type(source).__name__
    kinds = declared_fields(results)
    for name, spec in fields.items():
        fk = field_kind(spec)
        if source is not None and fk.source is None:
            fk = replace(fk, source=source)
        kinds[name] = fk
    results[FIELD_KINDS] = kinds
    return results


def declared_fields(results: Mapping,
                    kinds: Union[str, Tuple[str, ...], None] = None
                    ) -> Dict[str, FieldKind]:
    """The (normalised) declarations of ``results``, optionally only those
    of the given kind(s); a new dict."""
    fields = {name: field_kind(spec)
              for name, spec in (results.get(FIELD_KINDS) or {}).items()}
    if kinds is None:
        return fields
    kinds = (kinds, ) if isinstance(kinds, str) else tuple(kinds)
    return {name: fk for name, fk in fields.items() if fk.kind in kinds}


def flip_field(value, fk: FieldKind):
    """Left-right flip of a field's value (only spatial kinds change)."""
    if fk.kind not in SPATIAL_KINDS:
        return value
    return np.ascontiguousarray(np.asarray(value)[..., ::-1])


def resize_pixel(value: np.ndarray, size: Tuple[int, int],
                 mode: str = 'nearest') -> np.ndarray:
    """PIL resize of an H×W map to ``size`` = (H, W), dtype kept (bool maps
    via uint8, other dtypes via float32 unless 8-bit)."""
    value = np.asarray(value)
    dtype = value.dtype
    if dtype == np.bool_ or dtype == np.uint8:
        img = Image.fromarray(value.astype(np.uint8))
    else:
        img = Image.fromarray(value.astype(np.float32))
    img = img.resize((size[1], size[0]), RESIZE_MODES[mode])
    out = np.array(img)
    if dtype == np.bool_:
        return out.astype(bool)
    return out.astype(dtype, copy=False)
