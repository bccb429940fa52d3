"""User-facing text in Spanish (default) and English: one catalogue, looked up by key.

The catalogue lives in gettext files under ``registry/i18n/locale/`` (see ``catalog``), read
through one function, ``tr``. The language is, in order: the ``lang`` argument, the
language set for the current context with ``use_language`` (the app sets it per session),
then ``IAP_REGISTRY_LANG`` (``es`` or ``en``), then Spanish.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from registry.i18n.catalog import messages
from registry.i18n.formats import date_text, number, timestamp_text

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

LANGUAGES = ("es", "en")

_MESSAGES: dict[str, dict[str, str]] = messages()

_LANG: ContextVar[str | None] = ContextVar("iap_registry_lang", default=None)


def current_language() -> str:
    """Return the active language code (``es`` or ``en``)."""
    lang = _LANG.get() or os.environ.get("IAP_REGISTRY_LANG", "es")
    lang = lang.lower()[:2]
    return lang if lang in LANGUAGES else "es"


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Make ``lang`` the active language inside the ``with`` block (this context only)."""
    token = _LANG.set(lang if lang in LANGUAGES else "es")
    try:
        yield
    finally:
        _LANG.reset(token)


def set_language(lang: str) -> None:
    """Make ``lang`` the active language of the current context (a thread or task)."""
    _LANG.set(lang if lang in LANGUAGES else "es")


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
