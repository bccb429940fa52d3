"""User-facing text in Spanish (default) and English: one catalogue, looked up by key.

The catalogue lives in gettext files under ``registry/i18n/locale/`` (see ``catalog``), read
through one function, ``tr``. The language is, in order: the ``lang`` argument, the
language set for the current context with ``use_language`` (the app sets it per session),
then ``IAP_REGISTRY_LANG`` (``es`` or ``en``), then Spanish.
"""

from __future__ import annotations

from registry.i18n.catalog import messages
from registry.i18n.formats import date_text, number, timestamp_text
from registry.i18n.language import LANGUAGES, current_language, set_language, use_language

__all__ = [
    "LANGUAGES",
    "current_language",
    "date_text",
    "has",
    "number",
    "set_language",
    "timestamp_text",
    "tr",
    "use_language",
]

_MESSAGES: dict[str, dict[str, str]] = messages()


def has(key: str) -> bool:
    """Return whether ``key`` is in the catalogue."""
    return key in _MESSAGES


def tr(key: str, lang: str | None = None, **values: object) -> str:
    """Return the message ``key`` in ``lang`` (default: the active language).

    Examples
    --------
    >>> tr("required", lang="en")
    'is required'
    >>> tr("out_of_range", lang="es", value=5, lo=1, hi=3)
    'fuera de rango: 5 (permitido 1–3)'
    """
    entry = _MESSAGES[key]
    text = entry.get(lang or current_language()) or entry["es"]
    return text.format(**values) if values else text
