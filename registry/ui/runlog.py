"""A server-side log of the app's script runs, one JSON line each (off by default).

With ``IAP_REGISTRY_RUN_LOG`` naming a file, every run of the script appends
``{"at", "page", "wall_s", "cpu_s", "end"}``: when it started (UTC), the page it ran, its
wall time, the CPU time of the thread that ran it, and how it ended (``done``, ``rerun``,
``stop`` or the exception's name). Streamlit runs each session's script in a thread of its
own, so ``cpu_s`` is the run's own work (``time.thread_time``), whatever the other sessions
do, while ``wall_s`` includes waiting for the processor. A fragment's own reruns (the map
and its details: ``@timed("map fragment")``) are lines of their own; inside a whole run they
are part of it, not logged twice. Nothing identifies the session or the user. ``bench.app_sessions`` reads it; an operator can too, to see what runs cost.

Written here rather than taken from Streamlit: it has no per-run timing of its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

__all__ = ["RUN_LOG_ENV", "timed", "timed_run"]

RUN_LOG_ENV = "IAP_REGISTRY_RUN_LOG"
_LOCK = threading.Lock()
_INSIDE = threading.local()  # a run being timed in this thread (a fragment within a page)
_P = ParamSpec("_P")
_R = TypeVar("_R")
# how Streamlit ends a run early: a rerun or ``st.stop`` (by class name: internal classes)
_ENDS = {"RerunException": "rerun", "StopException": "stop"}


@contextmanager
def timed_run(page: dict[str, Any]) -> Iterator[None]:
    """Time the script run inside the block; ``page["path"]`` names the page once known.

    Does nothing (not even a clock read) unless ``IAP_REGISTRY_RUN_LOG`` is set.
    """
    path = os.environ.get(RUN_LOG_ENV)
    if not path or getattr(_INSIDE, "on", False):
        yield
        return
    _INSIDE.on = True
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    wall, cpu = time.perf_counter(), time.thread_time()
    end = "done"
    try:
        yield
    except BaseException as exc:
        end = _ENDS.get(type(exc).__name__, type(exc).__name__)
        raise
    finally:
        _INSIDE.on = False
        line = {
            "at": at,
            "page": page.get("path"),
            "wall_s": round(time.perf_counter() - wall, 4),
            "cpu_s": round(time.thread_time() - cpu, 4),
            "end": end,
        }
        try:
            with _LOCK, open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        except OSError:
            pass  # the log is a measurement: never a reason for a run to fail


def timed(page: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a fragment so that its own reruns are timed as ``page`` (see the module)."""

    def decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with timed_run({"path": page}):
                return fn(*args, **kwargs)

        return call

    return decorate
