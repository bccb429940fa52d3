"""Keep Streamlit's session ids out of the server's log.

A Streamlit session id is all it takes to act as that session (a browser that presents it
reconnects to it), yet Streamlit writes it in warnings at the default log level ("Session
with id ... is already connected") and the server's access log holds it in upload URLs
(``/_stcore/upload_file/<session id>/<file id>``). ``redact_session_ids`` installs a log
record factory that rewrites, in the records of Streamlit's, Uvicorn's and the WebSocket
library's loggers, every UUID (the form of session and file ids) as its first four
characters and ``…``. A record factory rather than a filter: Streamlit gives each module
a logger of its own that does not propagate, and makes more as modules load.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

__all__ = ["redact", "redact_session_ids"]

_UUID = re.compile(
    r"\b([0-9a-fA-F]{4})[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_PREFIXES = ("streamlit", "uvicorn", "websockets", "starlette", "tornado")
_LOCK = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every UUID cut to its first four characters.

    Examples
    --------
    >>> redact("Session with id 3f2a9c1e-5b7d-4e0f-9a8b-1c2d3e4f5a6b is already connected")
    'Session with id 3f2a… is already connected'
    """
    return _UUID.sub(r"\1…", text)


def redact_session_ids() -> None:
    """Install the redacting record factory once per process (idempotent)."""
    global _installed
    with _LOCK:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if record.name.startswith(_PREFIXES):
                try:
                    message = record.getMessage()
                except Exception:  # a malformed record: leave it to the handler
                    return record
                cleaned = redact(message)
                if cleaned != message:
                    record.msg, record.args = cleaned, None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
