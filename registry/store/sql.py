"""Backend-independent store logic on SQLAlchemy Core.

``SqlStore`` implements the ``Store`` protocol once: optimistic locking
(``UPDATE ... WHERE id = :id AND version = :v``), the append-only history written in the same
transaction, soft deletion, revert and all-or-nothing batches. A backend subclass supplies
the engines, the geometry codec and the schema creation.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import operator
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.sql.elements import ColumnElement

from registry.errors import AlreadyExists, Conflict, NotFound, UsageError
from registry.i18n import tr
from registry.store.base import BatchResult, Filters
from registry.store.clock import utc_now
from registry.store.monitoring import MonitoringStore
from registry.store.sessions import SessionStore
from registry.store.tables import (
    GEOM_COLUMN,
    LIST_SEP,
    USER_FIELD_NAMES,
    admin_units,
    fold,
    history,
    indicator_values,
    initiatives,
    login_failures,
    meta,
    monitoring,
    outbox,
    record_from_json,
    record_to_row,
    records_json,
    records_to_rows,
    row_to_record,
    same_value,
    sessions,
    users,
)

if TYPE_CHECKING:
    from registry.stats import Tally

__all__ = ["SqlStore", "insert_many"]

# what a copy moves
_COPIED = (initiatives, history, users, meta, indicator_values, admin_units, *monitoring.values())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: Filters | None, include_deleted: bool) -> list[ColumnElement[bool]]:
    t = initiatives.c
    clauses: list[ColumnElement[bool]] = []
    if not include_deleted:
        clauses.append(or_(t.deleted.is_(None), t.deleted == False))  # noqa: E712
    if filters is None:
        return clauses
    simple = {
        "country": t.country,
        "region": t.region_code,
        "comuna": t.comuna_code,
        "kind": t.kind,
        "initiative_type": t.initiative_type,
        "sector": t.sector,
        "program": t.program,
        "stage": t.stage,
        "status": t.status,
    }
    for name, column in simple.items():
        values = getattr(filters, name)
        if values:
            clauses.append(column.in_(list(values)))
    for name, primary, others in (
        ("focus", t.strategic_focus, t.strategic_focus_other),
        ("funding", t.funding_source, t.funding_source_other),
    ):
        values = getattr(filters, name)
        if values:
            wrapped = LIST_SEP + func.coalesce(others, "") + LIST_SEP
            clauses.append(
                or_(
                    primary.in_(list(values)),
                    *(
                        wrapped.like(f"%{LIST_SEP}{_like_escape(v)}{LIST_SEP}%", escape="\\")
                        for v in values
                    ),
                )
            )
    if filters.q:
        for word in fold(filters.q).split():
            clauses.append(t.search_text.like(f"%{_like_escape(word)}%", escape="\\"))
    if filters.start_year_min is not None:
        clauses.append(t.start_year >= filters.start_year_min)
    if filters.start_year_max is not None:
        clauses.append(t.start_year <= filters.start_year_max)
    if filters.readable_by is not None:
        readable = [t.status == "published"]
        if filters.readable_by:
            user = filters.readable_by
            editors = LIST_SEP + func.coalesce(t.editors, "") + LIST_SEP
            readable += [
                t.owner == user,
                editors.like(f"%{LIST_SEP}{_like_escape(user)}{LIST_SEP}%", escape="\\"),
            ]
        clauses.append(or_(*readable))
    return clauses


def _list_query(
    filters: Filters | None,
    include_deleted: bool,
    names: Sequence[str] | None = None,
    geometry: bool = True,
    ordered: bool = True,
) -> Select[Any]:
    readable = [c for c in initiatives.c if c.name not in ("fid", "search_text")]
    if not geometry:
        readable = [c for c in readable if c.name != GEOM_COLUMN]
    if names is None:
        columns = readable
    else:
        wanted = {GEOM_COLUMN, *names} if geometry else set(names)
        unknown = wanted - {c.name for c in readable}
        if unknown:
            raise ValueError(f"unknown columns: {sorted(unknown)}")
        columns = [c for c in readable if c.name in wanted]
    query = select(*columns).where(and_(True, *_where(filters, include_deleted)))
    return query.order_by(initiatives.c.name, initiatives.c.id) if ordered else query


def insert_many(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (same keys, values the driver takes as they are) with one
    ``executemany``, skipping SQLAlchemy's per-row parameter processing (a third of a bulk
    import's insert time)."""
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(rows[0]))
    if compiled.positional:
        order = compiled.positiontup or []
        values = operator.itemgetter(*order) if len(order) > 1 else lambda r: (r[order[0]],)
        conn.exec_driver_sql(str(compiled), list(map(values, rows)))
    else:
        conn.exec_driver_sql(str(compiled), rows)


class SqlStore(SessionStore, MonitoringStore):
    """Shared implementation; subclasses set ``url``, engines and the geometry codec."""

    url: str
    _write: Engine  # engine whose transactions take the write lock at BEGIN
    _read: Engine

    # -- backend hooks -------------------------------------------------------------------
    def _encode_geom(self, geom: Any) -> Any:
        raise NotImplementedError

    def _encode_geoms(self, geoms: builtins.list[Any]) -> builtins.list[Any]:
        """``_encode_geom`` of each geometry (backends may convert them as one array)."""
        return [self._encode_geom(g) for g in geoms]

    def _decode_geoms(self, values: list[Any]) -> np.ndarray:
        raise NotImplementedError

    def _after_write(self, conn: Connection, written: builtins.list[Any] | None = None) -> None:
        """Backend bookkeeping inside the write transaction (e.g. GeoPackage extents).

        ``written``: the geometries this transaction stored (the extent only needs to grow to
        cover them); ``None`` when it cannot say (recompute the extent in full)."""

    def _storage_error(self, exc: OperationalError) -> Exception:
        """Translate a driver error into a ``StorageError`` for the user (or re-raise)."""
        return exc

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One write transaction; rolled back whole on any error."""
        try:
            with self._write.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise self._storage_error(exc) from exc

    # -- reads ---------------------------------------------------------------------------
    def data_version(self) -> int:
        with self._read.connect() as conn:
            value = conn.execute(
                select(meta.c.meta_value).where(meta.c.meta_key == "data_version")
            ).scalar()
        return int(value or 0)

    def _records(
        self, conn: Connection, clauses: list[ColumnElement[bool]]
    ) -> list[dict[str, Any]]:
        rows = conn.execute(select(initiatives).where(and_(True, *clauses))).mappings().all()
        geoms = self._decode_geoms([r[GEOM_COLUMN] for r in rows])
        return [row_to_record(dict(r), g) for r, g in zip(rows, geoms, strict=True)]

    def get(self, record_id: str, include_deleted: bool = True) -> dict[str, Any]:
        with self._read.connect() as conn:
            found = self._records(conn, [initiatives.c.id == str(record_id)])
        if not found or (found[0]["deleted"] and not include_deleted):
            raise NotFound(tr("not_found", id=record_id))
        return found[0]

    def get_many(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        with self._read.connect() as conn:
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                for rec in self._records(conn, [initiatives.c.id.in_(chunk)]):
                    out[rec["id"]] = rec
        return out

    def find_ids(self, external_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        c = initiatives.c
        with self._read.connect() as conn:
            for start in range(0, len(external_ids), 500):
                chunk = external_ids[start : start + 500]
                for ext, rid in conn.execute(
                    select(c.external_id, c.id).where(c.external_id.in_(chunk))
                ):
                    out[ext] = rid
        return out

    def list(
        self,
        filters: Filters | None = None,
        include_deleted: bool = False,
        columns: Sequence[str] | None = None,
        geometry: bool = True,
        ordered: bool = True,
    ) -> gpd.GeoDataFrame:
        """Return the matching entries as a GeoDataFrame (EPSG:4326), ordered by name
        (unless not ``ordered``: for counts, where sorting is the largest part of the
        database's work); only ``columns`` (and the geometry) when given; without
        ``geometry``, a plain DataFrame of the attributes (nothing decoded that is not
        used)."""
        return self._frame(_list_query(filters, include_deleted, columns, geometry, ordered))

    def tally(self, filters: Filters | None, by: Sequence[str]) -> Tally:
        """Count the entries matching ``filters`` by each field in ``by``, with their firms
        and regions (``registry.stats.Tally``): here from the few columns it needs, read in
        no order; a backend that counts faster itself overrides this."""
        from registry.stats import tally

        needed = sorted({*by, "region_code", "kind", "n_firms", "n_businesses"})
        return tally(self.list(filters, columns=needed, geometry=False, ordered=False), by)

    def _conditions(self, filters: Filters | None) -> builtins.list[ColumnElement[bool]]:
        """The conditions on ``initiatives`` that select the live entries ``filters`` match."""
        return _where(filters, False)

    def _frame(self, query: Select[Any]) -> gpd.GeoDataFrame:
        """Run ``query`` (the geometry column among its columns) into a GeoDataFrame.

        Backends with a faster columnar reader override this."""
        with self._read.connect() as conn:
            result = conn.execute(query)
            names = list(result.keys())
            rows = [tuple(r) for r in result.fetchall()]
        if GEOM_COLUMN not in names:
            return pd.DataFrame.from_records(rows, columns=names)  # type: ignore[return-value]
        at = names.index(GEOM_COLUMN)
        # geometries are taken from the rows as they are (pandas would turn a missing one
        # among text values into NaN)
        geoms: Any = self._decode_geoms([r[at] for r in rows]) if rows else []
        frame = pd.DataFrame.from_records(
            [r[:at] + r[at + 1 :] for r in rows], columns=names[:at] + names[at + 1 :]
        )
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))

    def history(self, record_id: str) -> builtins.list[dict[str, Any]]:
        h = history.c
        with self._read.connect() as conn:
            rows = (
                conn.execute(
                    select(history).where(h.record_id == str(record_id)).order_by(h.version, h.fid)
                )
                .mappings()
                .all()
            )
        if not rows:
            self.get(record_id)  # raises NotFound
        return [
            {
                "version": r["version"],
                "operation": r["operation"],
                "actor": r["actor"],
                "at": r["at"],
                "before": json.loads(r["before_json"]) if r["before_json"] else None,
                "after": json.loads(r["after_json"]) if r["after_json"] else None,
            }
            for r in rows
        ]

    # -- writes --------------------------------------------------------------------------
    def _bump_data_version(self, conn: Connection) -> None:
        updated = conn.execute(
            meta.update()
            .where(meta.c.meta_key == "data_version")
            .values(meta_value=func.cast(func.cast(meta.c.meta_value, Integer) + 1, String))
        )
        if updated.rowcount == 0:
            conn.execute(meta.insert().values(meta_key="data_version", meta_value="1"))

    def _finish(self, conn: Connection, written: builtins.list[Any] | None = None) -> None:
        self._bump_data_version(conn)
        self._after_write(conn, written)

    def _history_row(
        self,
        record_id: str,
        version: int,
        op: str,
        actor: str,
        at: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> dict[str, Any]:
        before_json, after_json = records_json([before, after])
        return {
            "record_id": record_id,
            "version": version,
            "operation": op,
            "actor": actor,
            "at": at,
            "before_json": before_json,
            "after_json": after_json,
        }

    def _new_record(self, model: Any, actor: str, owner: str | None, at: str) -> dict[str, Any]:
        from registry.schema.model import plain  # loaded by the validation that made ``model``

        record = plain(model)
        record["id"] = record.get("id") or str(uuid.uuid4())
        record.update(
            version=1,
            owner=owner or actor,
            created_at=at,
            created_by=actor,
            updated_at=at,
            updated_by=actor,
            deleted=False,
        )
        return record

    def _insert(
        self, conn: Connection, records: builtins.list[dict[str, Any]], actor: str, at: str
    ) -> None:
        if not records:
            return
        # in id order, the indexes on the (random) UUIDs grow at their end: a 100,000-row
        # import inserts 3x faster than in file order
        records = sorted(records, key=lambda r: str(r["id"]))
        history_rows = [
            {
                "record_id": r["id"],
                "version": 1,
                "operation": "create",
                "actor": actor,
                "at": at,
                "before_json": None,
                "after_json": text,
            }
            for r, text in zip(records, records_json(records), strict=True)
        ]
        self._insert_rows(
            conn,
            records_to_rows(records, self._encode_geoms),
            history_rows,
            [r.get("geometry") for r in records],
        )

    def _insert_rows(
        self,
        conn: Connection,
        rows: builtins.list[dict[str, Any]],
        history_rows: builtins.list[dict[str, Any]],
        geoms: builtins.list[Any],
    ) -> None:
        """Insert new entries' rows and their history rows (backends may load big batches
        their own faster way; ``geoms`` are the rows' geometries)."""
        insert_many(conn, initiatives, rows)
        insert_many(conn, history, history_rows)

    def _current(self, conn: Connection, record_id: str) -> dict[str, Any]:
        found = self._records(conn, [initiatives.c.id == str(record_id)])
        if not found:
            raise NotFound(tr("not_found", id=record_id))
        return found[0]

    def _replace(
        self,
        conn: Connection,
        record_id: str,
        values: dict[str, Any],
        expected_version: int,
        actor: str,
        op: str,
        at: str,
        deleted: bool = False,
    ) -> dict[str, Any]:
        expected_version = int(expected_version)  # e.g. a numpy integer read from a frame
        before = self._current(conn, record_id)
        if before["version"] != expected_version:
            raise Conflict(record_id, expected_version, before)
        after = dict(before)
        after.update({k: values[k] for k in (*USER_FIELD_NAMES, "geometry") if k in values})
        after.update(
            id=before["id"],
            version=before["version"] + 1,
            updated_at=at,
            updated_by=actor,
            deleted=deleted,
        )
        row = record_to_row(after, self._encode_geom)
        for fixed in ("id", "owner", "created_at", "created_by"):
            row.pop(fixed)
        c = initiatives.c
        result = conn.execute(
            initiatives.update()
            .where(c.id == str(record_id), c.version == expected_version)
            .values(**row)
        )
        if result.rowcount != 1:  # changed between our read and write (other backends)
            raise Conflict(record_id, expected_version, self._current(conn, record_id))
        conn.execute(
            history.insert(),
            [self._history_row(record_id, after["version"], op, actor, at, before, after)],
        )
        return after

    def create(self, model: Any, actor: str, owner: str | None = None) -> dict[str, Any]:
        at = utc_now()
        record = self._new_record(model, actor, owner, at)
        try:
            with self._transaction() as conn:
                self._insert(conn, [record], actor, at)
                self._finish(conn, [record.get("geometry")])
        except IntegrityError:  # the unique index on ``id``: a create with an id in use
            found = self.get_many([str(record["id"])])
            if not found:
                raise
            raise AlreadyExists(str(record["id"]), found[str(record["id"])]) from None
        return record

    def update(
        self, record_id: str, model: Any, expected_version: int, actor: str
    ) -> dict[str, Any]:
        at = utc_now()
        with self._transaction() as conn:
            before = self._current(conn, record_id)
            if before["deleted"]:
                raise NotFound(tr("deleted", id=record_id))
            after = self._replace(
                conn, record_id, model.model_dump(), expected_version, actor, "update", at
            )
            self._finish(conn, [after.get("geometry")])
        return after

    def delete(self, record_id: str, expected_version: int, actor: str) -> dict[str, Any]:
        at = utc_now()
        with self._transaction() as conn:
            before = self._current(conn, record_id)
            if before["deleted"]:
                raise NotFound(tr("deleted", id=record_id))
            after = self._replace(
                conn, record_id, {}, expected_version, actor, "delete", at, deleted=True
            )
            self._finish(conn, [])  # the extent may stay larger than the data: allowed
        return after

    def revert(
        self, record_id: str, to_version: int, actor: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        at = utc_now()
        with self._transaction() as conn:
            snap = conn.execute(
                select(history.c.after_json).where(
                    history.c.record_id == str(record_id), history.c.version == to_version
                )
            ).scalar()
            current = self._current(conn, record_id)
            if snap is None:
                raise NotFound(tr("version_not_found", id=record_id, version=to_version))
            target = record_from_json(json.loads(snap))
            expected = current["version"] if expected_version is None else expected_version
            after = self._replace(
                conn,
                record_id,
                target,
                expected,
                actor,
                "revert",
                at,
                deleted=bool(target.get("deleted")),
            )
            self._finish(conn, [after.get("geometry")])
        return after

    def apply_batch(
        self, creates: builtins.list[Any], updates: builtins.list[tuple[str, Any, int]], actor: str
    ) -> BatchResult:
        from registry.schema.model import plain

        at = utc_now()
        records = [self._new_record(m, actor, None, at) for m in creates]
        updated, unchanged = [], []
        with self._transaction() as conn:
            self._insert(conn, records, actor, at)
            for record_id, model, expected in updates:
                values = plain(model)
                current = self._current(conn, record_id)
                if current["version"] != expected:
                    raise Conflict(record_id, expected, current)
                if not current["deleted"] and all(
                    same_value(current.get(k), values.get(k))
                    for k in (*USER_FIELD_NAMES, "geometry")
                    if k != "id"
                ):
                    unchanged.append(record_id)
                    continue
                self._replace(conn, record_id, values, expected, actor, "update", at)
                updated.append(record_id)
            if records or updated:
                self._finish(conn)
        return BatchResult([r["id"] for r in records], updated, unchanged)

    # -- whole registries (copy between stores) -------------------------------------------
    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read transaction that sees one consistent state for all its queries."""
        with self._read.begin() as conn:
            yield conn

    def dump(self) -> dict[str, builtins.list[dict[str, Any]]]:
        """Every row of every registry table, in insertion order, from one snapshot
        (entries' geometries as shapely objects)."""
        out: dict[str, builtins.list[dict[str, Any]]] = {}
        with self._snapshot() as conn:
            for table in _COPIED:
                columns = [c for c in table.c if c.name != "fid"]
                rows = conn.execute(select(*columns).order_by(table.c.fid)).mappings().all()
                out[str(table.name)] = [dict(r) for r in rows]
        geoms = self._decode_geoms([r[GEOM_COLUMN] for r in out[str(initiatives.name)]])
        for row, geom in zip(out[str(initiatives.name)], geoms, strict=True):
            row[GEOM_COLUMN] = geom
        return out

    def load(self, tables: dict[str, builtins.list[dict[str, Any]]], replace: bool = False) -> None:
        """Write ``dump()``'s rows into this registry in one transaction: into an empty
        registry, or in place of everything with ``replace``. The schema version stays
        this registry's; the data version moves past both."""
        with self._transaction() as conn:
            present = conn.execute(select(func.count()).select_from(initiatives)).scalar()
            present = (present or 0) + (
                conn.execute(select(func.count()).select_from(users)).scalar() or 0
            )
            if present and not replace:
                raise UsageError(tr("copy_target_not_empty", url=self.url))
            mine = {k: v for k, v in conn.execute(select(meta.c.meta_key, meta.c.meta_value)).all()}
            for table in (*_COPIED, login_failures, sessions, outbox):
                conn.execute(table.delete())
            for table in _COPIED:
                rows = tables.get(str(table.name)) or []
                if table is initiatives:
                    rows = [{**r, GEOM_COLUMN: self._encode_geom(r[GEOM_COLUMN])} for r in rows]
                if table is meta:
                    rows = [r for r in rows if r["meta_key"] not in ("schema_version",)]
                    rows.append(
                        {"meta_key": "schema_version", "meta_value": mine["schema_version"]}
                    )
                    theirs = {r["meta_key"]: r["meta_value"] for r in rows}
                    version = max(int(theirs.get("data_version") or 0), int(mine["data_version"]))
                    rows = [r for r in rows if r["meta_key"] != "data_version"]
                    rows.append({"meta_key": "data_version", "meta_value": str(version)})
                if rows:
                    insert_many(conn, table, rows)
            self._finish(conn)

    # -- imported indicator series -------------------------------------------------------
    def indicator_rows(self) -> pd.DataFrame:
        """Return the imported indicator rows (with ``imported_at`` and ``imported_by``)."""
        columns = [c.name for c in indicator_values.c if c.name != "fid"]
        try:
            with self._read.connect() as conn:
                rows = conn.execute(
                    select(*(indicator_values.c[c] for c in columns)).order_by(
                        indicator_values.c.fid
                    )
                ).all()
        except OperationalError as exc:
            if "no such table" in str(exc.orig):  # a registry from before schema 2
                return pd.DataFrame(columns=columns)
            raise
        return pd.DataFrame(rows, columns=columns)

    def replace_indicator_series(
        self, rows: builtins.list[dict[str, Any]], actor: str
    ) -> builtins.list[str]:
        """Replace every series named in ``rows`` by ``rows``, in one transaction.

        Returns the names of the series that existed before (now replaced).
        """
        names = sorted({r["indicator"] for r in rows})
        at = utc_now()
        with self._transaction() as conn:
            existing = conn.execute(
                select(indicator_values.c.indicator)
                .where(indicator_values.c.indicator.in_(names))
                .distinct()
            ).scalars()
            replaced = sorted(existing)
            conn.execute(indicator_values.delete().where(indicator_values.c.indicator.in_(names)))
            conn.execute(
                indicator_values.insert(),
                [{**r, "imported_at": at, "imported_by": actor} for r in rows],
            )
            self._finish(conn, [])  # no geometry written
        return replaced

    def remove_indicator_series(self, name: str, actor: str) -> int:
        """Delete the imported series ``name``; return how many rows it had."""
        with self._transaction() as conn:
            result = conn.execute(
                indicator_values.delete().where(indicator_values.c.indicator == name)
            )
            if result.rowcount:
                self._finish(conn, [])
        return int(result.rowcount or 0)

    # -- official boundaries ---------------------------------------------------------------
    def official_units(self) -> pd.DataFrame:
        """The official units imported in place of the bundled boundaries (columns
        ``country, level, code, name, source, imported_at, imported_by, geom_wkb``)."""
        columns = [c.name for c in admin_units.c if c.name != "fid"]
        try:
            with self._read.connect() as conn:
                rows = conn.execute(
                    select(*(admin_units.c[c] for c in columns)).order_by(admin_units.c.fid)
                ).all()
        except (OperationalError, ProgrammingError) as exc:
            if "admin_units" in str(exc.orig):  # a registry from before schema 7
                return pd.DataFrame(columns=columns)
            raise
        return pd.DataFrame(rows, columns=columns)

    def official_units_stamp(self) -> str:
        """Changes whenever the official units do: their count and latest import time
        (``0|`` when there are none)."""
        try:
            with self._read.connect() as conn:
                count, last = conn.execute(
                    select(func.count(), func.max(admin_units.c.imported_at))
                ).one()
        except (OperationalError, ProgrammingError) as exc:
            if "admin_units" in str(exc.orig):
                return "0|"
            raise
        return f"{count}|{last or ''}"

    def replace_official_units(
        self,
        country: str,
        level: int,
        rows: builtins.list[dict[str, Any]],
        actor: str,
        assign: Any,
    ) -> tuple[builtins.list[dict[str, Any]], int]:
        """Store ``rows`` as ``country``'s official units of ``level`` (in place of any
        imported before) and give the country's entries the codes ``assign(countries,
        geometries)`` finds for them (a list of ``(region, comuna)`` or None), all in one
        transaction. Returns the entries whose codes changed or that no unit holds
        (``id, name, before, after``; ``after`` None for those, which keep their codes),
        and how many entries were looked at."""
        at = utc_now()
        with self._transaction() as conn:
            conn.execute(
                admin_units.delete().where(
                    (admin_units.c.country == country) & (admin_units.c.level == level)
                )
            )
            conn.execute(
                admin_units.insert(),
                [{**r, "imported_at": at, "imported_by": actor} for r in rows],
            )
            found = conn.execute(
                select(
                    initiatives.c.id,
                    initiatives.c.name,
                    initiatives.c.region_code,
                    initiatives.c.comuna_code,
                    initiatives.c[GEOM_COLUMN],
                    initiatives.c.location_precision,
                ).where(
                    (initiatives.c.country == country)
                    & initiatives.c[GEOM_COLUMN].is_not(None)
                    & initiatives.c.location_precision.not_in(("country", "multi_country"))
                )
            ).all()
            geoms = self._decode_geoms([r[4] for r in found])
            codes = assign([country] * len(found), geoms)
            changes: builtins.list[dict[str, Any]] = []
            updates: builtins.list[dict[str, Any]] = []
            for r, code in zip(found, codes, strict=True):
                before = (r[2], r[3])
                if code is None:
                    changes.append({"id": r[0], "name": r[1], "before": before, "after": None})
                    continue
                region, comuna = code
                comuna = None if r[5] == "region" else comuna  # located to its region only
                if (region, comuna) != before:
                    changes.append(
                        {"id": r[0], "name": r[1], "before": before, "after": (region, comuna)}
                    )
                    updates.append({"rid": r[0], "region": region, "comuna": comuna})
            if updates:
                conn.execute(
                    initiatives.update()
                    .where(initiatives.c.id == bindparam("rid"))
                    .values(region_code=bindparam("region"), comuna_code=bindparam("comuna")),
                    updates,
                )
            self._finish(conn, [])
        return changes, len(found)

    # -- users ---------------------------------------------------------------------------
    def _lock_users(self, conn: Connection) -> None:
        """Make this write transaction the only one changing users until it ends (SQLite's
        ``BEGIN IMMEDIATE`` already is; PostgreSQL locks the table)."""

    def _admins(self, conn: Connection) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(users)
                .where(users.c.role == "admin", or_(users.c.disabled.is_(None), ~users.c.disabled))
            ).scalar()
            or 0
        )

    def add_user(self, username: str, role: str, password_hash: str | None, **extra: Any) -> None:
        """Add a user (``extra``: ``email``, ``identity``, ``disabled``); a name already
        taken, in any case, raises ``UsageError``."""
        at = utc_now()
        with self._transaction() as conn:
            self._lock_users(conn)
            taken = conn.execute(
                select(users.c.username).where(func.lower(users.c.username) == username.lower())
            ).first()
            if taken is not None:
                raise UsageError(tr("user_exists", user=username))
            conn.execute(
                users.insert().values(
                    username=username,
                    role=role,
                    password_hash=password_hash,
                    failed_logins=0,
                    created_at=at,
                    updated_at=at,
                    auth_epoch=0,
                    **{"disabled": False, "notify": True, **extra},
                )
            )

    def get_user(self, username: str) -> dict[str, Any] | None:
        """The user named ``username``, ignoring case (an exact match first)."""
        with self._read.connect() as conn:
            rows = (
                conn.execute(select(users).where(func.lower(users.c.username) == username.lower()))
                .mappings()
                .all()
            )
        exact = [r for r in rows if r["username"] == username]
        found = exact or rows
        return dict(found[0]) if found else None

    def update_user(
        self,
        username: str,
        new_epoch: bool = False,
        keep_session: str | None = None,
        **values: Any,
    ) -> None:
        """Change ``username``'s columns; ``new_epoch`` moves the sign-in epoch on (ending the
        user's sessions, but the one whose token hash is ``keep_session``). A change that would leave no enabled administrator where there was
        one raises ``UsageError`` and changes nothing."""
        with self._transaction() as conn:
            self._lock_users(conn)
            admins = self._admins(conn)
            if new_epoch:
                values["auth_epoch"] = func.coalesce(users.c.auth_epoch, 0) + 1
                conn.execute(  # the sessions end here too, not only by their old epoch
                    sessions.update()
                    .where(
                        sessions.c.username == username,
                        sessions.c.ended_at.is_(None),
                        sessions.c.token_hash != (keep_session or ""),
                    )
                    .values(ended_at=utc_now())
                )
            conn.execute(
                users.update()
                .where(users.c.username == username)
                .values(updated_at=utc_now(), **values)
            )
            if new_epoch and keep_session:
                epoch = select(users.c.auth_epoch).where(users.c.username == username)
                conn.execute(
                    sessions.update()
                    .where(
                        sessions.c.token_hash == keep_session,
                        sessions.c.username == username,
                        sessions.c.ended_at.is_(None),
                    )
                    .values(auth_epoch=epoch.scalar_subquery())
                )
            if admins and not self._admins(conn):
                raise UsageError(tr("last_admin", user=username))

    def list_users(self) -> builtins.list[dict[str, Any]]:
        """Every user (never a password hash), with ``locked``: whether some source is
        locked out of the account now."""
        now = utc_now()
        with self._read.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.username)).mappings().all()
            locked = set(
                conn.execute(
                    select(login_failures.c.username).where(login_failures.c.locked_until > now)
                ).scalars()
            )
        hidden = ("password_hash", "fid", "failed_logins", "last_failed_at", "auth_epoch")
        return [
            {
                **{k: v for k, v in r.items() if k not in hidden},
                "locked": r["username"].lower() in locked,
            }
            for r in rows
        ]

    def count_users(self) -> int:
        with self._read.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar() or 0)

    # -- failed log-ins -------------------------------------------------------------------
    def count_login_attempt(
        self, username: str, source: str, lock_until: Any
    ) -> tuple[bool, str | None, int]:
        """Count a log-in attempt of ``username`` (any name, known or not) from ``source``
        before its password is checked, under a row lock, so that parallel attempts are all
        counted: returns ``(allowed, locked_until, failures)``.

        A source locked out of the account now is not counted and not allowed. Otherwise
        its failures in a row go up by one and ``lock_until(failures)`` (an ISO time or
        None) says until when the account is locked for it if this attempt fails; a correct
        password then calls ``clear_login_failures``."""
        key = username.lower()
        now = utc_now()
        lf = login_failures.c
        with self._transaction() as conn:
            # rows of attempts long past and not locked are forgotten
            cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            )
            conn.execute(
                login_failures.delete().where(
                    lf.last_failed_at < cutoff,
                    or_(lf.locked_until.is_(None), lf.locked_until < now),
                )
            )
            insert: Any = sqlite.insert
            if conn.dialect.name == "postgresql":  # imported here: not on a GeoPackage
                from sqlalchemy.dialects import postgresql

                insert = postgresql.insert
            conn.execute(
                insert(login_failures)
                .values(username=key, source=source, failures=0, last_failed_at=now)
                .on_conflict_do_nothing(index_elements=["username", "source"])
            )
            row = conn.execute(
                select(lf.failures, lf.locked_until)
                .where(lf.username == key, lf.source == source)
                .with_for_update()
            ).one()
            if row.locked_until is not None and row.locked_until > now:
                return False, row.locked_until, int(row.failures)
            failures = int(row.failures) + 1
            until = lock_until(failures)
            conn.execute(
                login_failures.update()
                .where(lf.username == key, lf.source == source)
                .values(failures=failures, last_failed_at=now, locked_until=until)
            )
        return True, until, failures

    def clear_login_failures(self, username: str, source: str | None = None) -> None:
        """Forget ``username``'s failed log-ins from ``source`` (every source when None)."""
        lf = login_failures.c
        clauses = [lf.username == username.lower()]
        if source is not None:
            clauses.append(lf.source == source)
        with self._transaction() as conn:
            conn.execute(login_failures.delete().where(*clauses))
