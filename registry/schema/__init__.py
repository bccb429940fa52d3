"""Data model: the field table, code lists and the validated ``Initiative`` model."""

from registry.schema.codes import CODE_LISTS, Code, code_codes, label
from registry.schema.fields import (
    FIELDS,
    FIELDS_BY_NAME,
    SYSTEM_FIELDS,
    FieldSpec,
    data_dictionary,
    public_fields,
)
from registry.schema.model import Initiative, coerce_geometry, validate_record, validate_records

__all__ = [
    "CODE_LISTS",
    "FIELDS",
    "FIELDS_BY_NAME",
    "SYSTEM_FIELDS",
    "Code",
    "FieldSpec",
    "Initiative",
    "code_codes",
    "coerce_geometry",
    "data_dictionary",
    "label",
    "public_fields",
    "validate_record",
    "validate_records",
]
