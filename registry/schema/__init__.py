"""Data model: the field table, code lists and the validated ``Initiative`` model.

The model (pydantic, shapely) is imported on first use of one of its names, so that what needs
only the field table and code lists (the CLI's parser, ``--help``) starts without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.schema.codes import CODE_LISTS, Code, code_codes, label
from registry.schema.fields import (
    FIELDS,
    FIELDS_BY_NAME,
    SYSTEM_FIELDS,
    FieldSpec,
    data_dictionary,
    public_fields,
)

if TYPE_CHECKING:
    from registry.schema.model import (
        Initiative,
        coerce_geometry,
        validate_record,
        validate_records,
    )

_MODEL_NAMES = frozenset({"Initiative", "coerce_geometry", "validate_record", "validate_records"})

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


def __getattr__(name: str) -> Any:
    if name in _MODEL_NAMES:
        from registry.schema import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
