"""Numbers and dates in the reader's language (Babel's CLDR data).

Spanish uses Chile's conventions (``1.234,5``; ``24-11-2026``), English the international
ones (``1,234.5``; ``Nov 24, 2026``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_group_symbol

from registry.i18n.language import current_language

__all__ = ["date_text", "number", "registry_timezone", "timestamp_text"]

LOCALES = {"es": "es_CL", "en": "en"}


def _locale(lang: str | None) -> str:
    return LOCALES.get(lang or current_language(), "es_CL")


@functools.cache
def _group_symbol(locale: str) -> str:
    return str(get_group_symbol(locale=locale))


def number(value: Any, lang: str | None = None, decimals: int | None = None) -> str:
    """Return ``value`` written in ``lang``; ``decimals`` fixes the digits after the mark.

    Missing values (None, NaN) give an empty string.

    Examples
    --------
    >>> number(1234567.891, "es", 1)
    '1.234.567,9'
    >>> number(1234567.891, "en", 1)
    '1,234,567.9'
    >>> number(81, "es")
    '81'
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, int | np.integer) and not decimals:
        return f"{int(value):,}".replace(",", _group_symbol(_locale(lang)))  # 30x faster
    if decimals is None:
        pattern = "#,##0.###"
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return str(format_decimal(value, format=pattern, locale=_locale(lang)))


def _parse(value: Any) -> dt.datetime | dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value)
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def date_text(value: Any, lang: str | None = None) -> str:
    """Return a date (or ISO text) as a date in ``lang``; text that is no date is returned as is.

    Examples
    --------
    >>> date_text("2026-11-24", "es"), date_text("2026-11-24", "en")
    ('24-11-2026', 'Nov 24, 2026')
    """
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    day = parsed.date() if isinstance(parsed, dt.datetime) else parsed
    return str(format_date(day, "medium", locale=_locale(lang)))


def registry_timezone() -> ZoneInfo:
    """The registry's time zone for showing times (``IAP_REGISTRY_TZ``, default
    ``America/Santiago``; an unknown name falls back to it). Times are stored in UTC."""
    name = os.environ.get("IAP_REGISTRY_TZ", "").strip() or "America/Santiago"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/Santiago")


def timestamp_text(value: Any, lang: str | None = None) -> str:
    """Return a timestamp (or ISO text; naive values are UTC) as date and time in ``lang``,
    in the registry's time zone (``registry_timezone``), with its UTC offset.

    Examples
    --------
    >>> timestamp_text("2026-11-24T13:05:00Z", "es")
    '24-11-2026, 10:05 GMT-03:00'
    >>> timestamp_text("2026-11-24T13:05:00Z", "en")
    'Nov 24, 2026, 10:05 AM GMT-03:00'
    """
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if not isinstance(parsed, dt.datetime):
        return date_text(parsed, lang)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    locale = _locale(lang)
    pattern = "dd-MM-yyyy, HH:mm ZZZZ" if locale == "es_CL" else "MMM d, yyyy, h:mm a ZZZZ"
    return str(format_datetime(parsed, pattern, tzinfo=registry_timezone(), locale=locale))
