"""The stores' clock: every timestamp a store writes, in one format.

A module of its own so that the store's parts (``sql``, ``monitoring``, ``sessions``) all
import it and none of them imports another for it.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["utc_now"]


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with microseconds and ``Z``.

    Examples
    --------
    >>> stamp = utc_now()
    >>> len(stamp), stamp[10], stamp[-1]
    (27, 'T', 'Z')
    """
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
