"""Stored values as a reader sees them: codes as labels, places by name, dates and numbers
in the reader's language. Shared by the app and the command line's human output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from registry.i18n import date_text, number, timestamp_text, tr
from registry.schema.codes import label
from registry.schema.fields import FIELDS_BY_NAME, SYSTEM_FIELDS

__all__ = ["field_label", "field_text"]

_SPECS = {**{f.name: f for f in SYSTEM_FIELDS}, **FIELDS_BY_NAME}


def field_label(name: str, lang: str) -> str:
    """The label of field ``name`` in ``lang`` (the name itself for a field not in the table).

    Examples
    --------
    >>> field_label("sector", "en")
    'Sector'
    """
    spec = _SPECS.get(name)
    if spec is None:
        return name
    return spec.es if lang == "es" else spec.en


def field_text(
    name: str,
    value: Any,
    lang: str,
    places: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The stored ``value`` of field ``name`` as text for a reader in ``lang``.

    Parameters
    ----------
    name
        Field name (``FIELDS_BY_NAME``), or a system field such as ``updated_at``.
    value
        The stored value: a code, a list of codes, a number, a date, text.
    lang
        ``es`` or ``en``.
    places
        Names by code for ``region_code`` and ``comuna_code`` (``{"region_code": {...},
        "comuna_code": {...}}``); a code with no name is shown as it is.

    Examples
    --------
    >>> field_text("status", "submitted", "es")
    'Enviada a revisión'
    >>> field_text("region_code", "05", "es", {"region_code": {"05": "Valparaíso"}})
    'Valparaíso (05)'
    >>> field_text("n_firms", 1200, "es")
    '1.200'
    """
    spec = _SPECS.get(name)
    if value is None or value == [] or (isinstance(value, float) and pd.isna(value)):
        return ""
    if name in ("region_code", "comuna_code"):
        names = (places or {}).get(name, {})
        return f"{names[str(value)]} ({value})" if str(value) in names else str(value)
    if spec is not None and spec.code_list:
        if isinstance(value, list):
            return ", ".join(label(spec.code_list, v, lang) for v in value)
        return label(spec.code_list, value, lang)
    if isinstance(value, bool):
        return tr("ui_yes" if value else "ui_no", lang=lang)
    if spec is not None and spec.type == "date":
        return date_text(value, lang)
    if name in ("created_at", "updated_at", "submitted_at", "published_at"):
        return timestamp_text(value, lang)
    if spec is not None and spec.type == "int" and not name.endswith("year"):
        return number(value, lang)
    if isinstance(value, float):
        return number(value, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
