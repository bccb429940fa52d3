"""Storage of monitoring records (goals, indicators, values, review log) for ``SqlStore``.

Each record is a row of ``monitoring_<kind>s`` with a UUID ``id``, the ``initiative_id`` it
belongs to and a ``version``. Writes work as for entries: one transaction, optimistic
locking on the version, a ``history`` row per change (keyed by the record's id), soft
deletion, and a new data version.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select, union_all
from sqlalchemy.exc import IntegrityError

from registry.errors import Conflict, NotFound, StorageError
from registry.i18n import tr
from registry.store.clock import utc_now
from registry.store.tables import history, monitoring

__all__ = ["MonitoringStore"]

_FIXED = ("id", "initiative_id", "created_at", "created_by")


_READ_ALL_ABOVE = 5_000  # more ids than this: read the whole table once, filter in Python


def _record(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in dict(row).items() if k != "fid"}
    out["deleted"] = bool(out.get("deleted"))
    return out


class MonitoringStore:
    """Monitoring reads and writes; mixed into ``SqlStore`` (uses its engines and hooks)."""

    _read: Any
    _write: Any

    # provided by SqlStore
    def _transaction(self) -> Any: ...
    def _finish(self, conn: Connection, written: builtins.list[Any] | None = None) -> None: ...

    _history_row: Callable[..., dict[str, Any]]

    def monitoring_rows(
        self,
        kind: str,
        initiative_ids: Sequence[str] | None = None,
        include_deleted: bool = False,
        record_ids: Sequence[str] | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Return the ``kind`` records (of ``initiative_ids``, and with ``record_ids``, when
        given), oldest first."""
        table = monitoring[kind]
        clauses: builtins.list[Any] = []
        if not include_deleted:
            clauses.append(table.c.deleted == False)  # noqa: E712
        column, wanted = None, None
        if record_ids is not None:
            column, wanted = table.c.id, [str(i) for i in record_ids]
            if initiative_ids is not None:
                keep = {str(i) for i in initiative_ids}
                rows = self.monitoring_rows(kind, None, include_deleted, record_ids)
                return [r for r in rows if r["initiative_id"] in keep]
        elif initiative_ids is not None:
            column, wanted = table.c.initiative_id, [str(i) for i in initiative_ids]
        with self._read.connect() as conn:
            if column is None or wanted is None or len(wanted) > _READ_ALL_ABOVE:
                query = select(table).where(and_(True, *clauses)).order_by(table.c.fid)
                rows = [_record(r) for r in conn.execute(query).mappings()]
                if column is None or wanted is None:
                    return rows
                keep = set(wanted)  # most of the table: one scan, filtered here
                return [r for r in rows if r[column.name] in keep]
            found: builtins.list[tuple[int, dict[str, Any]]] = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(table).where(column.in_(chunk), *clauses)
                found += [(r["fid"], _record(r)) for r in conn.execute(query).mappings()]
        found.sort(key=lambda pair: pair[0])  # insertion order, across the chunks
        return [record for _, record in found]

    def monitoring_get(self, kind: str, record_id: str) -> dict[str, Any]:
        """Return one ``kind`` record (deleted ones too); raise ``NotFound``."""
        with self._read.connect() as conn:
            return self._monitoring_current(conn, kind, record_id)

    def _monitoring_current(self, conn: Connection, kind: str, record_id: str) -> dict[str, Any]:
        table = monitoring[kind]
        row = conn.execute(select(table).where(table.c.id == str(record_id))).mappings().first()
        if row is None:
            raise NotFound(tr("not_found", id=record_id))
        return _record(row)

    def monitoring_activity(self, initiative_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Return, per initiative (of ``initiative_ids`` when given: up to 500 are looked up
        by index, more read the whole table), when its monitoring records last changed (ISO
        UTC)."""
        few = initiative_ids is not None and len(initiative_ids) <= 500
        parts = [
            select(t.c.initiative_id, func.max(t.c.updated_at).label("at"))
            .where(
                t.c.initiative_id.in_([str(i) for i in initiative_ids or []]) if few else and_(True)
            )
            .group_by(t.c.initiative_id)
            for t in monitoring.values()
        ]
        merged = union_all(*parts).subquery()
        query = select(merged.c.initiative_id, func.max(merged.c.at)).group_by(
            merged.c.initiative_id
        )
        with self._read.connect() as conn:
            return {str(i): str(at) for i, at in conn.execute(query) if at}

    def monitoring_write(
        self,
        kind: str,
        creates: Iterable[dict[str, Any]] = (),
        updates: Iterable[tuple[str, dict[str, Any], int]] = (),
        deletes: Iterable[tuple[str, int]] = (),
        actor: str = "",
        first: Iterable[
            tuple[str, Iterable[tuple[str, dict[str, Any], int]], Iterable[tuple[str, int]]]
        ] = (),
    ) -> builtins.list[dict[str, Any]]:
        """Create, change and delete ``kind`` records in one transaction.

        ``creates`` hold ``initiative_id`` and the kind's fields; ``updates`` are
        ``(id, values, version read)`` and ``deletes`` ``(id, version read)``: a stale
        version raises ``Conflict`` and nothing is written. ``first`` holds
        ``(kind, updates, deletes)`` of records that go with these, written first in the
        same transaction (an indicator's values deleted with it, the indicators of a
        deleted goal unlinked). Returns the ``kind`` records written, as stored.
        """
        at = utc_now()
        log: builtins.list[dict[str, Any]] = []
        try:
            with self._transaction() as conn:
                for other, other_updates, other_deletes in first:
                    self._monitoring_apply(
                        conn, other, (), other_updates, other_deletes, actor, at, log
                    )
                written = self._monitoring_apply(
                    conn, kind, creates, updates, deletes, actor, at, log
                )
                if log:
                    conn.execute(history.insert(), log)
                    self._finish(conn, [])  # no geometry written
        except IntegrityError as exc:  # the unique (indicator, period) of a value, in a race
            raise StorageError(tr("monitoring_period_race")) from exc
        return written

    def _monitoring_apply(
        self,
        conn: Connection,
        kind: str,
        creates: Iterable[dict[str, Any]],
        updates: Iterable[tuple[str, dict[str, Any], int]],
        deletes: Iterable[tuple[str, int]],
        actor: str,
        at: str,
        log: builtins.list[dict[str, Any]],
    ) -> builtins.list[dict[str, Any]]:
        """Write ``kind`` records on ``conn``; their history rows go to ``log``."""
        table = monitoring[kind]
        columns = [c.name for c in table.c if c.name != "fid"]
        written: builtins.list[dict[str, Any]] = []
        for values in creates:
            record = {name: values.get(name) for name in columns}
            record.update(
                id=values.get("id") or str(uuid.uuid4()),
                version=1,
                created_at=at,
                created_by=actor,
                updated_at=at,
                updated_by=actor,
                deleted=False,
            )
            log.append(self._history_row(record["id"], 1, "create", actor, at, None, record))
            written.append(record)
        if written:  # one statement for the batch (an import of many values)
            conn.execute(table.insert(), written)
        changes = [(i, v, e, False) for i, v, e in updates]
        changes += [(i, {}, e, True) for i, e in deletes]
        for record_id, values, expected, deleting in changes:
            expected = int(expected)
            before = self._monitoring_current(conn, kind, record_id)
            if before["deleted"]:
                raise NotFound(tr("deleted", id=record_id))
            if before["version"] != expected:
                raise Conflict(record_id, expected, before)
            after = {**before, **{k: v for k, v in values.items() if k not in _FIXED}}
            after.update(version=expected + 1, updated_at=at, updated_by=actor, deleted=deleting)
            result = conn.execute(
                table.update()
                .where(table.c.id == str(record_id), table.c.version == expected)
                .values(**{k: v for k, v in after.items() if k not in _FIXED})
            )
            if result.rowcount != 1:  # another writer got there first
                raise Conflict(record_id, expected, self._monitoring_current(conn, kind, record_id))
            op = "delete" if deleting else "update"
            log.append(self._history_row(record_id, after["version"], op, actor, at, before, after))
            written.append(after)
        return written
