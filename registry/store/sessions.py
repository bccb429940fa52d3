"""Signed-in sessions and e-mail waiting to be sent, in either store (SQL through SQLAlchemy
Core; mixed into ``SqlStore``).

A session row holds the SHA-256 of its token, never the token: the cookie's value cannot be
read back from the store, a backup or a copy (neither table is copied). Neither table moves
the data version: signing in or sending mail changes no entry, so no cache is dropped.
"""

from __future__ import annotations

import builtins
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from registry.store.clock import utc_now
from registry.store.tables import outbox, sessions, users

__all__ = ["SessionStore"]


class SessionStore:
    """Sessions (by token hash) and the mail outbox; see the module docstring."""

    _read: Engine

    def _transaction(self) -> AbstractContextManager[Connection]:  # SqlStore's
        raise NotImplementedError

    # -- sessions ------------------------------------------------------------------------
    def add_session(
        self, token_hash: str, username: str, kind: str, epoch: int, expires_at: str
    ) -> None:
        """Record a new session of ``username`` (its token's hash), and forget sessions
        past their absolute end; the user's last log-in becomes now."""
        now = utc_now()
        with self._transaction() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            conn.execute(
                sessions.insert().values(
                    token_hash=token_hash,
                    username=username,
                    kind=kind,
                    auth_epoch=epoch,
                    created_at=now,
                    last_seen=now,
                    expires_at=expires_at,
                )
            )
            conn.execute(
                users.update().where(users.c.username == username).values(last_login_at=now)
            )

    def get_session(self, token_hash: str) -> dict[str, Any] | None:
        """The session whose token has ``token_hash`` (ended or not), or None."""
        with self._read.connect() as conn:
            row = (
                conn.execute(select(sessions).where(sessions.c.token_hash == token_hash))
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def touch_session(self, token_hash: str) -> None:
        """Note that the session was used now (its idle time starts again)."""
        with self._transaction() as conn:
            conn.execute(
                sessions.update()
                .where(sessions.c.token_hash == token_hash, sessions.c.ended_at.is_(None))
                .values(last_seen=utc_now())
            )

    def end_sessions(self, token_hash: str | None = None, username: str | None = None) -> int:
        """End one session (``token_hash``) or every open session of ``username``.
        Returns how many ended."""
        where: list[Any] = [sessions.c.ended_at.is_(None)]
        if token_hash is not None:
            where.append(sessions.c.token_hash == token_hash)
        if username is not None:
            where.append(sessions.c.username == username)
        with self._transaction() as conn:
            ended = conn.execute(sessions.update().where(*where).values(ended_at=utc_now()))
        return int(ended.rowcount or 0)

    def user_by_identity(self, identity: str) -> dict[str, Any] | None:
        """The user linked to the single sign-on ``identity``, or None."""
        with self._read.connect() as conn:
            row = conn.execute(select(users).where(users.c.identity == identity)).mappings().first()
        return dict(row) if row else None

    # -- mail ----------------------------------------------------------------------------
    def queue_mail(self, messages: builtins.list[dict[str, str]]) -> None:
        """Queue ``messages`` (``recipient``, ``username``, ``subject``, ``body``) to be
        sent now, in one transaction."""
        if not messages:
            return
        now = utc_now()
        with self._transaction() as conn:
            conn.execute(
                outbox.insert(),
                [{**m, "created_at": now, "attempts": 0, "next_try_at": now} for m in messages],
            )

    def due_mail(self, limit: int = 50, hold: str | None = None) -> builtins.list[dict[str, Any]]:
        """Claim the messages not yet sent whose next try is due, oldest first: each is
        held until ``hold`` (a time; default five minutes on) by a conditional update, so
        that two senders (two app processes) never both send one."""
        now = utc_now()
        if hold is None:
            import datetime as dt

            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
            hold = later.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._read.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    select(outbox)
                    .where(outbox.c.sent_at.is_(None), outbox.c.next_try_at <= now)
                    .order_by(outbox.c.fid)
                    .limit(limit)
                ).mappings()
            ]
        claimed = []
        with self._transaction() as conn:
            for row in rows:
                taken = conn.execute(
                    outbox.update()
                    .where(outbox.c.fid == row["fid"], outbox.c.next_try_at == row["next_try_at"])
                    .values(next_try_at=hold)
                )
                if taken.rowcount == 1:
                    claimed.append(row)
        return claimed

    def mark_mail(
        self, fid: int, sent: bool, error: str | None = None, next_try_at: str | None = None
    ) -> None:
        """Record a try of message ``fid``: sent, or failed with ``error`` (tried again at
        ``next_try_at``; None gives up)."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1}
        if sent:
            values |= {"sent_at": utc_now(), "last_error": None}
        else:
            values |= {"last_error": (error or "")[:500], "next_try_at": next_try_at or "~"}
        with self._transaction() as conn:
            conn.execute(outbox.update().where(outbox.c.fid == fid).values(**values))

    def mail_rows(self, unsent_only: bool = False) -> builtins.list[dict[str, Any]]:
        """The outbox, newest first (without bodies): what an administrator reads."""
        columns = [c for c in outbox.c if c.name != "body"]
        query = select(*columns).order_by(outbox.c.fid.desc())
        if unsent_only:
            query = query.where(outbox.c.sent_at.is_(None))
        with self._read.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def mail_pending(self) -> int:
        """How many messages are not sent yet."""
        with self._read.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            ).scalar()
        return int(found or 0)
