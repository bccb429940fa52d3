"""Users, roles and permissions.

Roles: ``coordinator`` (edits the entries they own; cannot publish), ``manager`` (reviews,
publishes and edits any entry), ``admin`` (everything, including users and restricted fields).
Passwords are hashed with argon2id; a hash is never printed or exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from registry.errors import NotAllowed
from registry.i18n import tr

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Actor",
    "can",
    "hash_password",
    "require",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's recommended parameters
_COORDINATOR_STATUSES = {"draft", "submitted"}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a username and a role."""

    username: str
    role: str


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


def can(
    actor: Actor, action: str, record: dict[str, Any] | None = None, new_status: str | None = None
) -> bool:
    """Return whether ``actor`` may do ``action`` (on ``record``, setting ``new_status``).

    Actions: ``create``, ``update``, ``delete``, ``revert``, ``manage_users``,
    ``export_restricted``, ``manage_indicators`` (import or remove indicator series).

    Examples
    --------
    >>> can(Actor("ana", "coordinator"), "update", {"owner": "ana", "status": "draft"})
    True
    >>> can(Actor("ana", "coordinator"), "update", {"owner": "bob", "status": "draft"})
    False
    >>> can(Actor("ana", "coordinator"), "create", new_status="published")
    False
    """
    if actor.role == "admin":
        return True
    if action in ("manage_users", "export_restricted"):
        return False
    if actor.role == "manager":
        return action in ("create", "update", "delete", "revert", "manage_indicators")
    if actor.role != "coordinator" or action == "manage_indicators":
        return False
    if new_status is not None and new_status not in _COORDINATOR_STATUSES:
        if record is None or new_status != record.get("status"):
            return False
    if action == "create":
        return True
    if record is None or record.get("owner") != actor.username:
        return False
    return record.get("status") not in ("archived", "rejected")


_ACTION_TEXT = {
    "es": {
        "create": "crear entradas",
        "update": "modificar esta entrada",
        "delete": "eliminar esta entrada",
        "revert": "restaurar esta entrada",
        "manage_users": "administrar usuarios",
        "export_restricted": "exportar campos restringidos",
        "manage_indicators": "importar o eliminar series de indicadores",
    },
    "en": {
        "create": "create entries",
        "update": "change this entry",
        "delete": "delete this entry",
        "revert": "restore this entry",
        "manage_users": "manage users",
        "export_restricted": "export restricted fields",
        "manage_indicators": "import or remove indicator series",
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
