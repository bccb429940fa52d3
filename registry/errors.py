"""Errors that carry a message for the user (in the user's language) and a CLI exit status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.i18n import tr

__all__ = [
    "AlreadyExists",
    "Conflict",
    "LoginRefused",
    "NotAllowed",
    "NotFound",
    "Problem",
    "RegistryError",
    "SessionEnded",
    "StorageError",
    "UsageError",
    "ValidationFailed",
]


class RegistryError(Exception):
    """Base error: ``user_msg`` is shown to the user, never a traceback."""

    exit_code = 1

    def __init__(self, user_msg: str):
        super().__init__(user_msg)
        self.user_msg = user_msg


@dataclass(frozen=True)
class Problem:
    """One validation problem: the 1-based data row (None for a single record), field, reason."""

    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{tr('row_word')} {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


MAX_REPORTED = 1_000  # problems kept and shown of one failed validation


class ValidationFailed(RegistryError):
    """Input was invalid; nothing was written.

    ``problems`` holds the first ``MAX_REPORTED`` problems found (in the order given),
    ``total`` how many there were: a file with 100,000 bad cells is refused with a report
    a person can read, not 100,000 lines.
    """

    exit_code = 1

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.total = len(problems)
        self.problems = problems[:MAX_REPORTED]
        head = summary or "; ".join(str(p) for p in problems[:5])
        super().__init__(head)

    def report(self) -> str:
        """Return the row-numbered report, one problem per line (the first
        ``MAX_REPORTED``, then how many more)."""
        lines = [self.user_msg, *(f"  - {p}" for p in self.problems)]
        if self.total > len(self.problems):
            from registry.i18n import number

            more = number(self.total - len(self.problems))
            lines.append(
                "  " + tr("import_problems_more", n=more, shown=number(len(self.problems)))
            )
        return "\n".join(lines)


class UsageError(RegistryError):
    exit_code = 2


class Conflict(RegistryError):
    """The record changed since the caller read it (optimistic locking)."""

    exit_code = 3

    def __init__(self, record_id: str, expected: int, current: dict[str, Any]):
        self.record_id = record_id
        self.expected = expected
        self.current = current
        super().__init__(
            tr(
                "conflict",
                id=record_id,
                current=current.get("version"),
                expected=expected,
                by=current.get("updated_by") or "?",
                at=current.get("updated_at") or "?",
            )
        )


class AlreadyExists(RegistryError):
    """A create named an id the store already has; nothing was written.

    ``current`` is the stored entry, for the caller to tell a create sent twice from a
    clash; ``user_msg`` does not show it (it may belong to someone else)."""

    exit_code = 3

    def __init__(self, record_id: str, current: dict[str, Any]):
        self.record_id = record_id
        self.current = current
        super().__init__(tr("already_exists", id=record_id))


class NotFound(RegistryError):
    exit_code = 4


class NotAllowed(RegistryError):
    exit_code = 5


class SessionEnded(NotAllowed):
    """A session that no longer gives its rights: ``expired`` (idle too long or past its
    lifetime) or ended (log-out, a new password, the user disabled)."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


class LoginRefused(NotAllowed):
    """A log-in refused: a wrong user name or password, or (``minutes`` > 0) an account
    locked from this source for that long."""

    def __init__(self, message: str, minutes: int = 0):
        super().__init__(message)
        self.minutes = minutes


class StorageError(RegistryError):
    """The storage could not complete a write (locked, read-only, disk full); nothing changed."""

    exit_code = 1
