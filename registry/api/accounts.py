"""Accounts: users, passwords, log-in with lock-out per account and source, and sessions
that follow the store (a changed role applies at the next action; a new password or
disabling a user ends their sessions)."""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import re
from typing import Any

from registry.api.base import RegistryBase
from registry.auth import (
    Actor,
    hash_password,
    lock_minutes,
    require,
    valid_username,
    verify_password,
)
from registry.errors import LoginRefused, NotFound, SessionEnded, UsageError
from registry.i18n import tr
from registry.schema.codes import code_codes

__all__ = ["Accounts"]


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-password-of-anyone")


_EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _minutes_left(until: str) -> int:
    left = dt.datetime.fromisoformat(until.replace("Z", "+00:00")) - dt.datetime.now(dt.UTC)
    return max(1, -(-int(left.total_seconds()) // 60))


class Accounts:
    """Users (argon2id hashes, never returned), log-in with lock-out, roles."""

    def __init__(self, registry: RegistryBase):
        self._reg = registry  # the store, the acting user and the reads

    # -- users ---------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str | None, actor: Actor) -> None:
        """Create a user (argon2id hash of ``password``).

        The name must be a valid username (``auth.valid_username``), not taken in any case;
        the first user of a registry must be an administrator (else nobody could manage
        users).
        """
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        require(actor, "manage_users")
        if not valid_username(username):
            raise UsageError(tr("bad_username", value=username[:80]))
        if role not in code_codes("role"):
            raise UsageError(tr("unknown_code", value=role, allowed=", ".join(code_codes("role"))))
        if role != "admin" and store.count_users() == 0:
            raise UsageError(tr("first_user_admin"))
        hashed = None
        if password is not None:
            try:
                hashed = hash_password(password)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        store.add_user(username, role, hashed)

    def _user(self, username: str) -> dict[str, Any]:
        user = self._reg._ready().get_user(username)
        if user is None:
            raise NotFound(tr("unknown_user", user=username))
        return user

    def set_password(
        self, username: str, password: str, actor: Actor, keep_session: str | None = None
    ) -> None:
        """Change a user's password (admins, or the user themself); the user's sessions end
        (their new log-in starts a new one), but the one whose token hash is
        ``keep_session`` (the user's own, when they change it themself)."""
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        if actor.username != username:
            require(actor, "manage_users")
        user = self._user(username)
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        store.update_user(
            user["username"], new_epoch=True, keep_session=keep_session, password_hash=hashed
        )
        store.clear_login_failures(user["username"])

    def set_contact(
        self, actor: Actor, email: str | None, notify: bool, lang: str | None = None
    ) -> None:
        """Set ``actor``'s own e-mail address for notifications, whether they want them,
        and their language (``UsageError`` for an address that is not one)."""
        actor = self._reg._acting(actor)
        if email is not None and not _EMAIL.fullmatch(email):
            raise UsageError(tr("bad_email"))
        values: dict[str, Any] = {"email": email, "notify": notify}
        if lang in ("es", "en"):
            values["lang"] = lang
        self._reg._ready().update_user(actor.username, **values)

    def list_users(self) -> builtins.list[dict[str, Any]]:
        """Return users (never their password hashes), each with ``locked``."""
        return self._reg._ready().list_users()

    def login(self, username: str, password: str, source: str = "") -> Actor:
        """Return the ``Actor`` of a user whose password matches, or raise ``NotAllowed``.

        Attempts are counted per account and ``source`` (the client's address) before the
        password is checked, so parallel attempts cannot slip past the count:
        ``MAX_FAILED_LOGINS`` failures in a row lock the account for that source, for a time
        that doubles with each further failure (``auth.lock_minutes``), until a correct
        password from there, an administrator's unlock or the lock's end. Unknown and
        disabled users get the same answers, in the same time, as a wrong password.
        The returned actor carries the user's sign-in epoch (see ``resume``).
        """
        store = self._reg._ready()

        def until(failures: int) -> str | None:
            minutes = lock_minutes(failures)
            now = dt.datetime.now(dt.UTC)
            return _iso(now + dt.timedelta(minutes=minutes)) if minutes else None

        allowed, locked_until, _ = store.count_login_attempt(username, source or "-", until)
        if not allowed:
            assert locked_until is not None
            minutes = _minutes_left(locked_until)
            raise LoginRefused(tr("login_locked", minutes=minutes), minutes)
        user = store.get_user(username)
        usable = user is not None and not user["disabled"] and bool(user["password_hash"])
        if not usable:
            verify_password(_dummy_hash(), password)  # take as long as a real check
        if not usable or not verify_password(user["password_hash"], password):  # type: ignore[index]
            if locked_until is not None:
                minutes = _minutes_left(locked_until)
                raise LoginRefused(tr("login_locked", minutes=minutes), minutes)
            raise LoginRefused(tr("login_failed"))
        assert user is not None
        store.clear_login_failures(username, source or "-")
        return Actor(user["username"], user["role"], int(user.get("auth_epoch") or 0))

    def resume(self, actor: Actor) -> Actor:
        """Return the session ``actor`` as the store has it now (current role), or raise
        ``NotAllowed`` when the session has ended: the user is gone or disabled, or their
        sign-in epoch moved on (a new password, disabled since) or the actor never came
        from ``login``."""
        user = self._reg._ready().get_user(actor.username) if actor.username else None
        if (
            user is None
            or user["disabled"]
            or actor.epoch is None
            or int(user.get("auth_epoch") or 0) != actor.epoch
        ):
            raise SessionEnded(tr("session_ended"))
        return Actor(user["username"], user["role"], actor.epoch)

    def update_user(
        self,
        username: str,
        actor: Actor,
        role: str | None = None,
        disabled: bool | None = None,
        unlock: bool = False,
    ) -> None:
        """Change a user's role, disable or enable them, or lift a lock-out (admins).

        Disabling ends the user's sessions. A change that would leave the registry without
        an enabled administrator is refused.
        """
        store = self._reg._ready()
        actor = self._reg._acting(actor)
        require(actor, "manage_users")
        user = self._user(username)
        values: dict[str, Any] = {}
        if role is not None:
            if role not in code_codes("role"):
                allowed = ", ".join(code_codes("role"))
                raise UsageError(tr("unknown_code", value=role, allowed=allowed))
            values["role"] = role
        ends_sessions = False
        if disabled is not None:
            values["disabled"] = disabled
            ends_sessions = bool(disabled) and not user["disabled"]
        if values:
            store.update_user(user["username"], new_epoch=ends_sessions, **values)
        if unlock:
            store.clear_login_failures(user["username"])
