"""Accounts: users, passwords and log-in with lock-out."""

from __future__ import annotations

import builtins
import datetime as dt
import functools
from typing import Any

from registry.api.base import RegistryBase
from registry.auth import (
    LOCKOUT_MINUTES,
    MAX_FAILED_LOGINS,
    Actor,
    hash_password,
    require,
    verify_password,
)
from registry.errors import NotAllowed, NotFound, UsageError
from registry.i18n import tr
from registry.schema.codes import code_codes

__all__ = ["AccountsMixin"]


def _utc(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


class AccountsMixin(RegistryBase):
    """Users (argon2id hashes, never returned), log-in with lock-out, roles."""

    # -- users ---------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str | None, actor: Actor) -> None:
        """Create a user (argon2id hash of ``password``)."""
        store = self._ready()
        require(actor, "manage_users")
        if role not in code_codes("role"):
            raise UsageError(tr("unknown_code", value=role, allowed=", ".join(code_codes("role"))))
        if store.get_user(username) is not None:
            raise UsageError(tr("user_exists", user=username))
        hashed = None
        if password is not None:
            try:
                hashed = hash_password(password)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        store.add_user(username, role, hashed)

    def set_password(self, username: str, password: str, actor: Actor) -> None:
        """Change a user's password (admins, or the user themself)."""
        store = self._ready()
        if actor.username != username:
            require(actor, "manage_users")
        if store.get_user(username) is None:
            raise NotFound(tr("unknown_user", user=username))
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        store.update_user(username, password_hash=hashed, failed_logins=0)

    def list_users(self) -> builtins.list[dict[str, Any]]:
        """Return users (never their password hashes)."""
        return self._ready().list_users()

    def login(self, username: str, password: str) -> Actor:
        """Return the ``Actor`` of a user whose password matches, or raise ``NotAllowed``.

        After ``MAX_FAILED_LOGINS`` failures in a row the account is locked for
        ``LOCKOUT_MINUTES`` from the last failure (an administrator can unlock it sooner).
        The message does not tell a wrong password from an unknown or disabled user.
        """
        store = self._ready()
        user = store.get_user(username)
        now = dt.datetime.now(dt.UTC)
        if user is None or user["disabled"] or not user["password_hash"]:
            verify_password(_dummy_hash(), password)  # take as long as a real check
            raise NotAllowed(tr("login_failed"))
        last = _utc(user.get("last_failed_at"))
        recent = last is not None and now - last < dt.timedelta(minutes=LOCKOUT_MINUTES)
        failed = int(user["failed_logins"] or 0) if recent else 0
        if failed >= MAX_FAILED_LOGINS and last is not None:
            left = LOCKOUT_MINUTES - int((now - last).total_seconds() // 60)
            raise NotAllowed(tr("login_locked", minutes=left))
        if not verify_password(user["password_hash"], password):
            failed += 1
            store.update_user(username, failed_logins=failed, last_failed_at=now.isoformat())
            if failed >= MAX_FAILED_LOGINS:
                raise NotAllowed(tr("login_locked", minutes=LOCKOUT_MINUTES))
            raise NotAllowed(tr("login_failed"))
        if user["failed_logins"]:
            store.update_user(username, failed_logins=0, last_failed_at=None)
        return Actor(username, user["role"])

    def update_user(
        self,
        username: str,
        actor: Actor,
        role: str | None = None,
        disabled: bool | None = None,
        unlock: bool = False,
    ) -> None:
        """Change a user's role, disable or enable them, or lift a lock-out (admins)."""
        store = self._ready()
        require(actor, "manage_users")
        if store.get_user(username) is None:
            raise NotFound(tr("unknown_user", user=username))
        values: dict[str, Any] = {}
        if role is not None:
            if role not in code_codes("role"):
                allowed = ", ".join(code_codes("role"))
                raise UsageError(tr("unknown_code", value=role, allowed=allowed))
            values["role"] = role
        if disabled is not None:
            values["disabled"] = disabled
        if unlock:
            values.update(failed_logins=0, last_failed_at=None)
        if values:
            store.update_user(username, **values)
