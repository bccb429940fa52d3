"""Users, roles and permissions: who may do what, and who may read which fields.

Roles: ``coordinator`` (edits the entries they own; cannot publish), ``manager`` (reviews,
publishes and edits any entry), ``admin`` (everything, including users and restricted fields).
Passwords are hashed with argon2id; a hash is never printed or exported.

Restricted fields (contact, editors, review note, owner and the usernames of who created
and changed an entry) are read by those who may edit the entry (its owner and named
editors), managers and administrators; everyone else reads an entry, its history and its
exports without them (``reads_restricted``, ``redacted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from registry.errors import NotAllowed
from registry.i18n import tr
from registry.schema.fields import FIELDS, SYSTEM_FIELDS, USERNAME

__all__ = [
    "LOCKOUT_MINUTES",
    "MAX_FAILED_LOGINS",
    "MAX_LOCKOUT_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "RESTRICTED_FIELDS",
    "VISITOR",
    "Actor",
    "can",
    "can_view",
    "hash_password",
    "lock_minutes",
    "readable_by",
    "reads_restricted",
    "redacted",
    "require",
    "valid_username",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5  # failed logins in a row, from one source, that lock the account there
LOCKOUT_MINUTES = 15  # ... for this long; each further failure after a lock doubles it ...
MAX_LOCKOUT_MINUTES = 24 * 60  # ... up to a day (an administrator can unlock sooner)
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
_COORDINATOR_STATUSES = {"draft", "submitted"}
RESTRICTED_FIELDS = tuple(f.name for f in (*FIELDS, *SYSTEM_FIELDS) if f.restricted)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a username and a role (``visitor`` for someone not logged in).

    ``epoch`` is the user's sign-in epoch when a session began (``Registry.login``): a new
    password or disabling the user moves it on, which ends that session. None for actors
    named on the command line.
    """

    username: str
    role: str
    epoch: int | None = None


VISITOR = Actor("", "visitor")


def valid_username(name: str) -> bool:
    """Whether ``name`` is a valid username: ASCII letters, digits and ``. _ @ -``, starting
    with a letter or digit, at most 64 characters (compared ignoring case).

    Examples
    --------
    >>> valid_username("ana.perez@corfo"), valid_username("ana "), valid_username("аna")
    (True, False, False)
    """
    return bool(USERNAME.fullmatch(name)) and name.isascii()


def lock_minutes(failures: int) -> int:
    """How long ``failures`` failed log-ins in a row from one source lock the account there:
    none below ``MAX_FAILED_LOGINS``, then ``LOCKOUT_MINUTES``, doubling with each further
    failure, at most ``MAX_LOCKOUT_MINUTES``.

    Examples
    --------
    >>> [lock_minutes(n) for n in (4, 5, 6, 7)]
    [0, 15, 30, 60]
    """
    if failures < MAX_FAILED_LOGINS:
        return 0
    return min(LOCKOUT_MINUTES * 2 ** min(failures - MAX_FAILED_LOGINS, 16), MAX_LOCKOUT_MINUTES)


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` (raise ValueError if it is too short)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(tr("password_short", n=MIN_PASSWORD_LENGTH))
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return True when ``password`` matches ``password_hash``."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _is_editor(actor: Actor, record: dict[str, Any]) -> bool:
    return record.get("owner") == actor.username or actor.username in (record.get("editors") or [])


def can_view(actor: Actor | None, record: dict[str, Any]) -> bool:
    """Return whether ``actor`` (None: the local operator) may see ``record``.

    Published entries are public; others are seen by their owner and editors, managers and
    administrators.

    Examples
    --------
    >>> can_view(VISITOR, {"status": "draft", "owner": "ana"})
    False
    >>> can_view(Actor("ana", "coordinator"), {"status": "draft", "owner": "ana"})
    True
    """
    if actor is None or actor.role in ("manager", "admin") or record.get("status") == "published":
        return True
    return actor.role == "coordinator" and _is_editor(actor, record)


def reads_restricted(actor: Actor | None, record: dict[str, Any]) -> bool:
    """Return whether ``actor`` (None: the local operator) may read the restricted fields of
    ``record``: its owner and named editors, managers and administrators.

    Examples
    --------
    >>> reads_restricted(Actor("bob", "coordinator"), {"owner": "ana", "editors": ["bob"]})
    True
    >>> reads_restricted(VISITOR, {"owner": "ana", "status": "published"})
    False
    """
    if actor is None or actor.role in ("manager", "admin"):
        return True
    return actor.role == "coordinator" and _is_editor(actor, record)


def redacted(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` without its restricted fields' values (lists empty, others None).

    Examples
    --------
    >>> redacted({"name": "x", "contact_email": "a@b.cl", "editors": ["bob"]})
    {'name': 'x', 'contact_email': None, 'editors': []}
    """
    out = dict(record)
    for name in RESTRICTED_FIELDS:
        if name in out:
            out[name] = [] if isinstance(out[name], list) else None
    return out


def readable_by(actor: Actor | None) -> str | None:
    """Return the ``Filters.readable_by`` value that restricts reads to what ``actor`` sees."""
    if actor is None or actor.role in ("manager", "admin"):
        return None
    return actor.username if actor.role == "coordinator" else ""


def can(
    actor: Actor, action: str, record: dict[str, Any] | None = None, new_status: str | None = None
) -> bool:
    """Return whether ``actor`` may do ``action`` (on ``record``, setting ``new_status``).

    Actions: ``create``, ``update``, ``delete``, ``revert``, ``review`` (publish, reject,
    write the review note), ``set_editors``, ``manage_users``, ``export_restricted``,
    ``manage_indicators`` (import or remove indicator series), ``manage_boundaries``
    (import official boundaries; administrators only: it re-assigns entries' codes),
    ``monitor`` (record goals, indicators, values and reviews of an entry, and read its
    review log).

    Coordinators create entries as drafts or submissions and change the entries they own or
    are named editor of (a rejected entry too, to mend and submit it again), never archived
    ones; only the owner deletes or names editors.

    Examples
    --------
    >>> can(Actor("ana", "coordinator"), "update", {"owner": "ana", "status": "draft"})
    True
    >>> can(Actor("ana", "coordinator"), "update", {"owner": "bob", "status": "draft"})
    False
    >>> can(Actor("ana", "coordinator"), "update", {"owner": "bob", "editors": ["ana"]})
    True
    >>> can(Actor("ana", "coordinator"), "create", new_status="published")
    False
    >>> can(Actor("ana", "coordinator"), "monitor", {"owner": "bob", "status": "published"})
    False
    """
    if actor.role == "admin":
        return True
    if action in ("manage_users", "export_restricted", "manage_boundaries"):
        return False
    if actor.role == "manager":
        return action in (
            "create",
            "update",
            "delete",
            "revert",
            "review",
            "set_editors",
            "manage_indicators",
            "monitor",
        )
    if actor.role != "coordinator" or action in ("manage_indicators", "review", "revert"):
        return False
    if new_status is not None and new_status not in _COORDINATOR_STATUSES:
        if record is None or new_status != record.get("status"):
            return False
    if action == "create":
        return True
    if record is None or record.get("status") == "archived":
        return False
    if action in ("delete", "set_editors"):
        return record.get("owner") == actor.username
    return _is_editor(actor, record)


_ACTION_TEXT = {
    "es": {
        "create": "crear entradas",
        "update": "modificar esta entrada",
        "delete": "eliminar esta entrada",
        "revert": "restaurar esta entrada",
        "review": "revisar (publicar o rechazar) esta entrada",
        "set_editors": "cambiar los editores de esta entrada",
        "manage_users": "administrar usuarios",
        "export_restricted": "exportar campos restringidos",
        "manage_indicators": "importar o eliminar series de indicadores",
        "manage_boundaries": "importar límites administrativos oficiales",
        "monitor": "registrar el seguimiento (metas, indicadores, valores, revisiones) de esta entrada",
    },
    "en": {
        "create": "create entries",
        "update": "change this entry",
        "delete": "delete this entry",
        "revert": "restore this entry",
        "review": "review (publish or reject) this entry",
        "set_editors": "change the editors of this entry",
        "manage_users": "manage users",
        "export_restricted": "export restricted fields",
        "manage_indicators": "import or remove indicator series",
        "manage_boundaries": "import official administrative boundaries",
        "monitor": "record the monitoring (goals, indicators, values, reviews) of this entry",
    },
}


def require(
    actor: Actor, action: str, record: dict[str, Any] | None = None, new_status: str | None = None
) -> None:
    """Raise ``NotAllowed`` unless ``can(actor, action, record, new_status)``."""
    if not can(actor, action, record, new_status):
        from registry.i18n import current_language

        text = _ACTION_TEXT[current_language()][action]
        if new_status and action in ("create", "update"):
            text += f" (status={new_status})"
        raise NotAllowed(tr("not_allowed", actor=actor.username, role=actor.role, action=text))
