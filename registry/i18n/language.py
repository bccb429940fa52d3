"""The active language: per context (a session's thread or task), else
``IAP_REGISTRY_LANG``, else Spanish. Its own module so that the formats and the catalogue
lookup both read it without importing each other."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["LANGUAGES", "current_language", "set_language", "use_language"]

LANGUAGES = ("es", "en")

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
