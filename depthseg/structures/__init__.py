from .depth_data_sample import DepthDataSample
from .fields import (
    FIELD_KINDS,
    KINDS,
    FieldKind,
    declare_fields,
    declared_fields,
    field_kind,
)

__all__ = [
    'DepthDataSample', 'FIELD_KINDS', 'KINDS', 'FieldKind', 'declare_fields',
    'declared_fields', 'field_kind'
]
