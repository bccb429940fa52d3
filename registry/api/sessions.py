"""Sessions that outlive a page: a random token in a cookie, its hash in the store.

A log-in (``start_session``) makes a 256-bit random token; the browser keeps it in an
``HttpOnly`` cookie (``registry.ui.routes``) and the store keeps only its SHA-256, so a
stolen backup or database read gives no usable cookie. Every page run resolves the cookie
again (``resume_session``): the session must be open, not idle past
``IAP_REGISTRY_SESSION_IDLE_MINUTES`` (default 120), not older than
``IAP_REGISTRY_SESSION_MAX_HOURS`` (default 12), and the user enabled with the sign-in epoch
the session began with (a new password or disabling moves it on); the role is read anew
each time. Log-out ends the session in the store, so its cookie gives nothing afterwards.

Single sign-on (OpenID Connect through Streamlit's ``st.login``) keeps its own signed
identity cookie; ``sso_session`` ties each such sign-in (provider, subject, issue time and
nonce of its ID token) to a session row here, so log-out, timeouts and disabling apply to
it the same way. Which claim names the user (``IAP_REGISTRY_SSO_CLAIM``: ``email``, the
default, or ``sub``) and how a new identity gets a role (``IAP_REGISTRY_SSO_ROLES``, a
mapping an administrator writes, e.g. ``groups:iap-managers=manager``; otherwise the new
account waits, disabled, for an administrator) are settings: a role is never read from a
claim without that mapping.

SHA-256 rather than argon2 for the token: it is 256 random bits, not a password, so a slow
hash adds nothing but time on every page run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.api.accounts import Accounts
from registry.auth import Actor, valid_username
from registry.errors import NotAllowed, SessionEnded, UsageError
from registry.i18n import tr
from registry.schema.codes import code_codes

__all__ = ["SessionSettings", "AccountSessions", "session_settings", "token_hash"]

_LOG = logging.getLogger("registry.sessions")
TOKEN_BYTES = 32  # 256 bits
_TOUCH_EVERY = dt.timedelta(seconds=60)  # last use written at most this often per session


@dataclass(frozen=True)
class SessionSettings:
    """How long sessions last and how single sign-on maps identities (from the
    environment, see ``session_settings``)."""

    idle: dt.timedelta
    lifetime: dt.timedelta
    sso_claim: str
    sso_roles: tuple[tuple[str, str, str], ...]  # (claim, value, role)


def _float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def parse_role_map(text: str) -> tuple[tuple[str, str, str], ...]:
    """Parse ``IAP_REGISTRY_SSO_ROLES``: comma-separated ``claim:value=role`` rules.

    Examples
    --------
    >>> parse_role_map("groups:iap-managers=manager, hd:corfo.cl=coordinator")
    (('groups', 'iap-managers', 'manager'), ('hd', 'corfo.cl', 'coordinator'))
    >>> parse_role_map("groups:x=root")
    Traceback (most recent call last):
    ...
    registry.errors.UsageError: ...
    """
    rules = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        found = re.fullmatch(r"([\w.-]+):([^=]+)=(\w+)", part)
        if not found or found.group(3) not in code_codes("role"):
            raise UsageError(tr("sso_roles_bad", value=part[:80]))
        rules.append((found.group(1), found.group(2).strip(), found.group(3)))
    return tuple(rules)


def session_settings() -> SessionSettings:
    """The session settings of this process's environment."""
    claim = (os.environ.get("IAP_REGISTRY_SSO_CLAIM") or "email").strip()
    return SessionSettings(
        idle=dt.timedelta(minutes=_float("IAP_REGISTRY_SESSION_IDLE_MINUTES", 120)),
        lifetime=dt.timedelta(hours=_float("IAP_REGISTRY_SESSION_MAX_HOURS", 12)),
        sso_claim=claim if claim in ("email", "sub") else "email",
        sso_roles=parse_role_map(os.environ.get("IAP_REGISTRY_SSO_ROLES") or ""),
    )


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which the store knows a session token.

    Examples
    --------
    >>> len(token_hash("x")), token_hash("x") == token_hash("x")
    (64, True)
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sso_key(claims: Mapping[str, Any], provider: str) -> str:
    """The session key of one single sign-on: provider, subject, and the issue time and
    nonce of its ID token."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise NotAllowed(tr("sso_no_identity"))
    parts = (provider, subject, str(claims.get("iat") or ""), str(claims.get("nonce") or ""))
    return token_hash("\x1f".join(parts))


class AccountSessions(Accounts):
    """Start, resume and end sessions (local log-in and single sign-on)."""

    def start_session(self, actor: Actor, kind: str = "local") -> str:
        """Start a session for ``actor`` (as ``login`` returned it) and return its token:
        the only copy, for the browser's cookie."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self._open_session(token_hash(token), actor, kind)
        return token

    def _open_session(self, key: str, actor: Actor, kind: str) -> None:
        settings = session_settings()
        expires = _iso(dt.datetime.now(dt.UTC) + settings.lifetime)
        self._reg._ready().add_session(key, actor.username, kind, actor.epoch or 0, expires)
        _LOG.info("session started for %s (%s)", actor.username, kind)

    def resume_session(self, token: str) -> Actor:
        """The user of the session whose cookie holds ``token``, as the store has them now
        (current role); ``NotAllowed`` when there is no such open session, it was idle too
        long or is past its lifetime, or the user was disabled or changed password since."""
        return self._resume(token_hash(token))

    def _resume(self, key: str) -> Actor:
        store = self._reg._ready()
        row = store.get_session(key)
        now = dt.datetime.now(dt.UTC)
        settings = session_settings()
        if row is None or row["ended_at"]:
            raise SessionEnded(tr("session_ended"))
        last = _parse(row["last_seen"])
        if now > _parse(row["expires_at"]) or now - last > settings.idle:
            store.end_sessions(token_hash=key)
            raise SessionEnded(tr("session_expired"), expired=True)
        actor = self.resume(Actor(row["username"], "", int(row["auth_epoch"])))
        if now - last > _TOUCH_EVERY:
            store.touch_session(key)
        return actor

    def end_session(self, token: str) -> None:
        """Log out: end the session whose cookie holds ``token`` (nothing if none)."""
        ended = self._reg._ready().end_sessions(token_hash=token_hash(token))
        if ended:
            _LOG.info("session ended by log-out")

    def change_password(
        self, actor: Actor, current: str, new: str, source: str = "", token: str | None = None
    ) -> Actor:
        """Change ``actor``'s own password, ``current`` checked as a log-in is (with its
        lock-out: an open session alone is not enough to take the account). Every session
        of the user ends but the one whose cookie holds ``token`` (where they changed it).
        Returns the actor with the new epoch."""
        self.login(actor.username, current, source=source)
        keep = token_hash(token) if token else None
        self.set_password(actor.username, new, actor, keep_session=keep)
        return self._reg.actor(actor.username)

    # -- single sign-on ------------------------------------------------------------------
    def sso_session(self, claims: Mapping[str, Any], provider: str) -> tuple[Actor, bool]:
        """The user of a single sign-on identity (``st.user``'s claims), starting its
        session here on its first page run.

        The session's key is the hash of the provider, subject, issue time and nonce of
        the ID token: each sign-in is its own session, and one that ended (log-out,
        timeout, a disabled user) cannot start again from the same identity cookie.
        A new identity becomes a user named by the configured claim, with the role the
        administrator's mapping gives it, or disabled, waiting for approval
        (``NotAllowed`` with ``sso_pending``). Returns the actor, and whether this call
        started the session (the sign-in just happened).
        """
        store = self._reg._ready()
        settings = session_settings()
        key = _sso_key(claims, provider)
        if store.get_session(key) is not None:
            return self._resume(key), False
        identity = f"{provider}:{claims['sub']}"
        user = store.user_by_identity(identity)
        if user is None:
            user = self._sso_user(claims, identity, settings)
        if user["disabled"]:
            raise NotAllowed(tr("sso_pending", user=user["username"]))
        actor = Actor(user["username"], user["role"], int(user.get("auth_epoch") or 0))
        self._open_session(key, actor, "sso")
        return self._resume(key), True

    def end_sso_session(self, claims: Mapping[str, Any], provider: str) -> None:
        """Log out of a single sign-on session (see ``sso_session``): it cannot start
        again from the same identity cookie."""
        self._reg._ready().end_sessions(token_hash=_sso_key(claims, provider))

    def _sso_user(
        self, claims: Mapping[str, Any], identity: str, settings: SessionSettings
    ) -> dict[str, Any]:
        """Create the user of a new single sign-on identity (see ``sso_session``)."""
        store = self._reg._ready()
        if settings.sso_claim == "email":
            name = str(claims.get("email") or "").strip().lower()
            if claims.get("email_verified") is False:
                raise NotAllowed(tr("sso_email_unverified"))
        else:
            name = str(claims.get("sub") or "").strip()
        if not valid_username(name):
            raise NotAllowed(tr("sso_no_identity"))
        role = None
        for claim, value, mapped in settings.sso_roles:
            have = claims.get(claim)
            values = have if isinstance(have, list) else [have]
            if value in [str(v) for v in values if v is not None]:
                role = mapped
                break
        email = str(claims.get("email") or "").strip() or None
        existing = store.get_user(name)
        if existing is not None:
            # a local account of the same name is linked only by an administrator
            raise NotAllowed(tr("sso_name_taken", user=name))
        store.add_user(
            name,
            role or "coordinator",
            None,
            email=email,
            identity=identity,
            disabled=role is None,
        )
        _LOG.info("single sign-on identity added as %s (%s)", name, role or "pending")
        user = store.get_user(name)
        assert user is not None
        return user
