"""Small requests first: a page of thousands of features must not starve everyone else.

Threads of one server process share Python's interpreter lock, and building or serialising
a 10,000-feature page holds it in long stretches (``json.dumps`` of 10 MB is one C call of
about 0.1 s). So a large page is built and serialised in slices, and between slices it
waits, at most ``MAX_WAIT`` seconds, while small requests are running in this process:
they go first, the large page still advances by a slice at least every ``MAX_WAIT``.
Written here because no library schedules threads by priority inside one process; a
separate pool of processes for large pages would cost a copy of every snapshot.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

__all__ = ["LARGE", "MAX_WAIT", "SLICE", "Priority", "sliced"]

LARGE = 1000  # a page of more features than this is a large one
SLICE = 500  # features built or serialised between two pauses
MAX_WAIT = 0.02  # seconds a large page waits at most for small requests, per slice


class Priority:
    """Counts the small requests running in this process and lets large pages wait for
    them. Safe to share between threads."""

    def __init__(self, max_wait: float = MAX_WAIT):
        self.max_wait = max_wait
        self._small = 0
        self._idle = threading.Condition()

    @contextlib.contextmanager
    def small(self) -> Iterator[None]:
        """Mark the calling thread's request as a small one while it runs."""
        with self._idle:
            self._small += 1
        try:
            yield
        finally:
            with self._idle:
                self._small -= 1
                if not self._small:
                    self._idle.notify_all()

    def pause(self) -> None:
        """Between two slices of a large page: let running small requests finish first
        (waiting at most ``max_wait``)."""
        with self._idle:
            if self._small:
                self._idle.wait(self.max_wait)

    @property
    def running(self) -> int:
        """Small requests running now."""
        return self._small


def sliced(count: int, pause: Callable[[], None] | None) -> Iterator[slice]:
    """Slices of ``count`` items of at most ``SLICE``, calling ``pause`` between two (not
    before the first): one slice in all when ``pause`` is None."""
    if pause is None:
        yield slice(0, count)
        return
    for start in range(0, count, SLICE):
        if start:
            pause()
        yield slice(start, min(start + SLICE, count))
