"""The embedded default store: one GeoPackage file that QGIS and GDAL open as is.

GDAL (through pyogrio) creates the layers, so the metadata tables, the R-tree spatial index
and its triggers are GDAL's own. Writes then go through SQLAlchemy Core on sqlite3 with the
spatial SQL functions those triggers need (``gpkg_binary.register_functions``), in WAL mode,
one ``BEGIN IMMEDIATE`` transaction per write, with a busy timeout.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from registry.errors import StorageError
from registry.geo.locate import admin1_codes
from registry.i18n import tr
from registry.store.clock import utc_now
from registry.store.gpkg_binary import decode_many, encode, encode_many, register_functions
from registry.store.sql import SqlStore, insert_many
from registry.store.tables import (
    ADMIN1_FILL_WHERE,
    GEOM_COLUMN,
    SCHEMA_VERSION,
    history,
    indicator_values,
    initiatives,
    login_failures,
    meta,
    monitoring,
    users,
)

__all__ = ["BULK_ROWS", "BUSY_TIMEOUT_MS", "GeoPackageStore"]

BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536  # page cache per connection, used as needed (bulk imports: 100k rows)
_LAYER = str(initiatives.name)
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE = sqlite.dialect()
_RTREE = f"rtree_{_LAYER}_{GEOM_COLUMN}"
# GDAL's triggers that run per inserted row; bulk inserts do their work once
_INSERT_TRIGGERS = (
    f"{_RTREE}_insert",
    f"trigger_insert_feature_count_{_LAYER}",
    f"trigger_insert_feature_count_{history.name}",
)
BULK_ROWS = 1_000  # batches of at least this many new entries are bulk-loaded


def _rtree_box(geom: Any) -> tuple[float, float, float, float]:
    """The R-tree row of a geometry, in the column order GDAL's trigger writes."""
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _empty_frame(table: Any) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for column in table.c:
        if column.name in ("fid", GEOM_COLUMN):
            continue
        if isinstance(column.type, Boolean):
            dtype = "boolean"
        elif isinstance(column.type, Integer):
            dtype = "Int64"
        elif isinstance(column.type, Float):
            dtype = "float64"
        else:
            dtype = "str"
        cols[column.name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(cols)


def _engine(path: Path, begin: str) -> Engine:
    """An engine on the GeoPackage at ``path`` whose transactions start with ``begin``.

    Each use opens a connection of its own and closes it (``NullPool``), though opening one
    costs about a millisecond: GDAL (pyogrio) reads the same file in this process through a
    SQLite library of its own, and a file's POSIX locks belong to the process, so whenever
    GDAL closes the file the kernel drops the locks our open connections hold on it
    (https://www.sqlite.org/howtocorrupt.html, 2.2). Connections kept open in a pool
    failed with "disk I/O error" after a GDAL read (``tests/test_admin1.py``); kept short,
    none is open long enough to be caught out.
    """
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        register_functions(dbapi_conn)
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _attribute_table(table: Any) -> tuple[str, ...]:
    """SQL that adds ``table`` to a GeoPackage as an attributes table (with GDAL's layout:
    ``fid`` key, registered in ``gpkg_contents``; GDAL counts its rows itself) and indexes
    its ``id`` and ``initiative_id``."""
    types = {Boolean: "BOOLEAN", Integer: "INTEGER", Float: "REAL"}
    columns = ", ".join(
        f"{c.name} {next((v for k, v in types.items() if isinstance(c.type, k)), 'TEXT')}"
        + ("" if c.nullable else " NOT NULL")
        for c in table.c
        if c.name != "fid"
    )
    name = str(table.name)
    return (
        f"CREATE TABLE IF NOT EXISTS {name} "
        f"(fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {columns})",
        f"CREATE UNIQUE INDEX IF NOT EXISTS idx_{name}_id ON {name}(id)",
        f"CREATE INDEX IF NOT EXISTS idx_{name}_initiative ON {name}(initiative_id)",
        f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
            VALUES ('{name}', 'attributes', '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))""",
    )


_MONITORING_SQL = (
    *(s for t in monitoring.values() for s in _attribute_table(t)),
    # one value per indicator and period (deleted values aside), even between two writers
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_monitoring_values_period "
    "ON monitoring_values(indicator_id, period) WHERE NOT deleted",
)

_LOGIN_FAILURES_SQL = (
    f"""CREATE TABLE IF NOT EXISTS {login_failures.name} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, username TEXT NOT NULL,
        source TEXT NOT NULL, failures INTEGER NOT NULL, last_failed_at TEXT NOT NULL,
        locked_until TEXT)""",
    f"CREATE UNIQUE INDEX IF NOT EXISTS idx_login_failures_key "
    f"ON {login_failures.name}(username, source)",
)


def _fill_admin1(conn: sqlite3.Connection) -> None:
    """Migration 6: the admin-1 code of entries outside Chile, from their point (codes
    could not be stored before the other countries' boundaries were installed)."""
    rows = conn.execute(
        f"SELECT fid, country, {GEOM_COLUMN} FROM {_LAYER} WHERE {ADMIN1_FILL_WHERE}"
    ).fetchall()
    if not rows:
        return
    codes = admin1_codes([r[1] for r in rows], decode_many([r[2] for r in rows]))
    conn.executemany(
        f"UPDATE {_LAYER} SET region_code = ? WHERE fid = ?",
        [(code, r[0]) for code, r in zip(codes, rows, strict=True) if code],
    )


# official boundaries: an attribute table (the polygons as WKB), registered as such
_ADMIN_UNITS_SQL = (
    """CREATE TABLE IF NOT EXISTS admin_units (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, country TEXT NOT NULL,
        level INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,
        imported_at TEXT NOT NULL, imported_by TEXT NOT NULL, geom_wkb BLOB NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS idx_admin_units_key ON admin_units(country, level)",
    """INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
        VALUES ('admin_units', 'attributes', 'admin_units',
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))""",
)

# sessions (token hashes only) and e-mail waiting to be sent: attribute tables
_SESSIONS_SQL = (
    """CREATE TABLE IF NOT EXISTS sessions (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, token_hash TEXT NOT NULL,
        username TEXT NOT NULL, kind TEXT NOT NULL, auth_epoch INTEGER NOT NULL,
        created_at TEXT NOT NULL, last_seen TEXT NOT NULL, expires_at TEXT NOT NULL,
        ended_at TEXT)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_sessions_token ON sessions(token_hash)",
    "CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions(username)",
    """CREATE TABLE IF NOT EXISTS outbox (
        fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, created_at TEXT NOT NULL,
        recipient TEXT NOT NULL, username TEXT NOT NULL, subject TEXT NOT NULL,
        body TEXT NOT NULL, attempts INTEGER NOT NULL, next_try_at TEXT NOT NULL,
        last_error TEXT, sent_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS idx_outbox_due ON outbox(sent_at, next_try_at)",
    *(
        f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
            VALUES ('{name}', 'attributes', '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"""
        for name in ("sessions", "outbox")
    ),
)


def _add_user_columns(conn: sqlite3.Connection) -> None:
    """Migration 8: the users' e-mail, notification choice, language, single sign-on
    identity and last log-in (each added unless there: SQLite has no ``IF NOT EXISTS`` for
    columns)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    for name, kind in (
        ("email", "TEXT"),
        ("notify", "BOOLEAN NOT NULL DEFAULT 1"),
        ("lang", "TEXT"),
        ("identity", "TEXT"),
        ("last_login_at", "TEXT"),
    ):
        if name not in have:
            conn.execute(f"ALTER TABLE users ADD COLUMN {name} {kind}")


# (schema version reached, statements); each step checks the version inside its write
# transaction, so two processes opening an old file migrate it once. A step may be a
# function of the connection where SQL alone cannot do it.
_MIGRATIONS: tuple[tuple[int, tuple[Any, ...]], ...] = (
    (
        2,
        (
            """CREATE TABLE IF NOT EXISTS indicator_values (
                fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
                region_code TEXT NOT NULL, year INTEGER, period TEXT NOT NULL,
                indicator TEXT NOT NULL, value REAL NOT NULL, unit TEXT NOT NULL,
                source_url TEXT NOT NULL, notes TEXT,
                imported_at TEXT NOT NULL, imported_by TEXT NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS idx_indicator_values_indicator "
            "ON indicator_values(indicator)",
            """INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
                VALUES ('indicator_values', 'attributes', 'indicator_values',
                        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))""",
            # no cached count: GDAL then counts the rows itself
            "DELETE FROM gpkg_ogr_contents WHERE table_name = 'indicator_values'",
        ),
    ),
    (
        3,
        (
            f"ALTER TABLE {_LAYER} ADD COLUMN editors TEXT",
            f"ALTER TABLE {_LAYER} ADD COLUMN review_note TEXT",
            "ALTER TABLE users ADD COLUMN last_failed_at TEXT",
        ),
    ),
    (4, _MONITORING_SQL),
    (
        5,
        (
            "ALTER TABLE users ADD COLUMN auth_epoch INTEGER NOT NULL DEFAULT 0",
            *_LOGIN_FAILURES_SQL,
        ),
    ),
    (6, (_fill_admin1,)),
    (7, _ADMIN_UNITS_SQL),
    (
        8,
        (
            _add_user_columns,
            *_SESSIONS_SQL,
        ),
    ),
)


class GeoPackageStore(SqlStore):
    """Registry stored in a GeoPackage file (``path``)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.url = str(self.path)
        self._write = _engine(self.path, "BEGIN IMMEDIATE")
        self._read = _engine(self.path, "BEGIN")

    # -- schema --------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        """Whether the file is a registry: False when it does not exist or is not one (not a
        SQLite file, or one without a registry's tables); ``StorageError`` when it is a
        SQLite file that cannot be read (damaged, or in WAL mode on a read-only disk)."""
        if not self.path.exists():
            return False
        with self.path.open("rb") as handle:
            if handle.read(16) != _SQLITE_HEADER:
                return False  # empty, or not a SQLite file at all
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
                names = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return False
            if "malformed" in str(exc) or "corrupt" in str(exc):
                raise StorageError(tr("db_damaged", path=self.path, reason=str(exc))) from exc
            # e.g. a registry in WAL mode on a read-only disk: it is one, it cannot be opened
            raise StorageError(tr("db_unopenable", path=self.path, reason=str(exc))) from exc
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a header, then garbage
            raise StorageError(tr("db_damaged", path=self.path, reason=str(exc))) from exc
        return {_LAYER, history.name, users.name, meta.name} <= names

    def check(self) -> None:
        """Raise ``StorageError`` when the file is damaged: SQLite's ``quick_check`` (every
        page and b-tree, without cross-checking indexes) on a read-only connection. A
        damaged file can read as empty through GDAL, so every process checks before its
        first read or write."""
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
                found = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise StorageError(tr("db_damaged", path=self.path, reason=str(exc))) from exc
        if found != ["ok"]:
            reason = "; ".join(f.replace("\n", " ") for f in found)[:300]
            raise StorageError(tr("db_damaged", path=self.path, reason=reason))

    def init(self) -> None:
        """Create the registry file (layers through GDAL), or bring an existing one up to
        the current schema."""
        if self.is_initialized():
            self.migrate()
            return
        if self.path.exists():
            raise StorageError(tr("not_a_registry", path=self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.stem + ".creating.gpkg")
        tmp.unlink(missing_ok=True)
        frame = gpd.GeoDataFrame(_empty_frame(initiatives), geometry=gpd.GeoSeries([], crs=4326))
        frame = frame.rename_geometry(GEOM_COLUMN)
        pyogrio.write_dataframe(
            frame,
            tmp,
            layer=_LAYER,
            driver="GPKG",
            geometry_type="Unknown",
            layer_options={
                "FID": "fid",
                "SPATIAL_INDEX": "YES",
                "GEOMETRY_NAME": GEOM_COLUMN,
                "DESCRIPTION": "Productive-articulation initiatives and barrios",
            },
            dataset_options={"VERSION": "1.2"},
        )
        for table in (history, users, meta, indicator_values):
            pyogrio.write_dataframe(
                _empty_frame(table),
                tmp,
                layer=str(table.name),
                driver="GPKG",
                layer_options={"FID": "fid"},
            )
        with sqlite3.connect(tmp) as conn:
            for statement in (
                *_MONITORING_SQL,
                *_LOGIN_FAILURES_SQL,
                *_ADMIN_UNITS_SQL,
                *_SESSIONS_SQL,
            ):
                conn.execute(statement)
            conn.executescript(
                f"""
                CREATE UNIQUE INDEX idx_initiatives_id ON {_LAYER}(id);
                CREATE INDEX idx_initiatives_external_id ON {_LAYER}(external_id);
                CREATE INDEX idx_initiatives_sector_region ON {_LAYER}(sector, region_code);
                CREATE INDEX idx_history_record ON history(record_id, version);
                CREATE UNIQUE INDEX idx_users_username ON users(username);
                CREATE UNIQUE INDEX idx_meta_key ON registry_meta(meta_key);
                CREATE INDEX idx_indicator_values_indicator ON indicator_values(indicator);
                INSERT INTO registry_meta(meta_key, meta_value) VALUES
                    ('schema_version', '{SCHEMA_VERSION}'), ('data_version', '0'),
                    ('created_at', '{utc_now()}');
                """
            )
            conn.execute("PRAGMA journal_mode = WAL")
        # users' password hashes, contact data and history: readable by the owner only
        # (SQLite gives its -wal and -shm files the same permissions)
        tmp.chmod(0o600)
        os.replace(tmp, self.path)

    def migrate(self) -> None:
        """Bring a registry made by an earlier version up to ``SCHEMA_VERSION``.

        Each step runs in one transaction with the schema version it reaches, so a
        migration interrupted half-way leaves the file at the previous version.
        """
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        register_functions(conn)  # the GeoPackage's triggers call ST_* functions
        try:
            if self._schema_version(conn) >= SCHEMA_VERSION:
                return  # the usual case: a plain read, no write lock
            for target, script in _MIGRATIONS:
                conn.execute("BEGIN IMMEDIATE")
                if self._schema_version(conn) >= target:
                    conn.execute("ROLLBACK")
                    continue
                for statement in script:
                    if callable(statement):
                        statement(conn)
                    else:
                        conn.execute(statement)
                conn.execute(
                    "UPDATE registry_meta SET meta_value = ? WHERE meta_key = 'schema_version'",
                    (str(target),),
                )
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    @staticmethod
    def _schema_version(conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "SELECT meta_value FROM registry_meta WHERE meta_key = 'schema_version'"
        ).fetchone()
        return int(row[0])

    # -- geometry codec and bookkeeping -------------------------------------------------
    def _encode_geom(self, geom: Any) -> bytes | None:
        return encode(geom)

    def _encode_geoms(self, geoms: builtins.list[Any]) -> builtins.list[Any]:
        return encode_many(geoms)

    def _decode_geoms(self, values: list[Any]) -> np.ndarray:
        try:
            return decode_many(values)
        except (shapely.errors.GEOSException, ValueError) as exc:
            raise StorageError(tr("db_damaged", path=self.path, reason=str(exc)[:200])) from exc

    def _frame(self, query: Select[Any]) -> gpd.GeoDataFrame:
        """Read ``query`` through GDAL into Arrow columns (pyogrio), 4x faster than rows.

        GDAL runs the statement on SQLite itself, so it is rendered with its values inlined
        (SQLAlchemy quotes them). A value holding a NUL character cannot pass through GDAL's
        C strings; such a query takes the generic row path instead.
        """
        sql = str(query.compile(dialect=_SQLITE, compile_kwargs={"literal_binds": True}))
        if "\x00" in sql:
            return super()._frame(query)
        try:
            frame = pyogrio.read_dataframe(self.path, sql=sql, use_arrow=True)
        except (
            shapely.errors.GEOSException,
            UnicodeDecodeError,
            pyogrio.errors.DataSourceError,
        ) as exc:
            raise StorageError(tr("db_damaged", path=self.path, reason=str(exc)[:200])) from exc
        if not isinstance(frame, gpd.GeoDataFrame):  # no geometry asked for
            return frame
        if frame.crs is None:
            frame = frame.set_crs(4326)
        return frame

    def _after_write(self, conn: Connection, written: builtins.list[Any] | None = None) -> None:
        """Keep ``gpkg_contents`` current: last change, and an extent that covers the data.

        The extent is informative in GeoPackage; a single write only grows it to cover what
        it stored (a full R-tree scan per write cost 30 ms at 100,000 entries), and a
        batch recomputes it exactly.
        """
        now = utc_now()
        rtree = _RTREE
        if written is None:
            conn.execute(
                text(
                    f"""UPDATE gpkg_contents SET last_change = :now,
                      min_x = (SELECT min(minx) FROM {rtree}),
                      max_x = (SELECT max(maxx) FROM {rtree}),
                      min_y = (SELECT min(miny) FROM {rtree}),
                      max_y = (SELECT max(maxy) FROM {rtree})
                    WHERE table_name = '{_LAYER}'"""
                ),
                {"now": now},
            )
        else:
            geoms = [g for g in written if g is not None and not g.is_empty]
            if geoms:
                x0, y0, x1, y1 = shapely.total_bounds(geoms)
                conn.execute(
                    text(
                        f"""UPDATE gpkg_contents SET last_change = :now,
                          min_x = min(coalesce(min_x, :x0), :x0),
                          max_x = max(coalesce(max_x, :x1), :x1),
                          min_y = min(coalesce(min_y, :y0), :y0),
                          max_y = max(coalesce(max_y, :y1), :y1)
                        WHERE table_name = '{_LAYER}'"""
                    ),
                    {"now": now, "x0": x0, "y0": y0, "x1": x1, "y1": y1},
                )
            else:
                conn.execute(
                    text(
                        f"UPDATE gpkg_contents SET last_change = :now WHERE table_name = '{_LAYER}'"
                    ),
                    {"now": now},
                )
        conn.execute(
            text("UPDATE gpkg_contents SET last_change = :now WHERE table_name = 'history'"),
            {"now": now},
        )

    def _insert_rows(
        self,
        conn: Connection,
        rows: builtins.list[dict[str, Any]],
        history_rows: builtins.list[dict[str, Any]],
        geoms: builtins.list[Any],
    ) -> None:
        """Big batches: GDAL's per-row insert triggers (R-tree entry, feature counts) are
        set aside and their work done once for the batch, in the same transaction, which
        then restores them; a 100,000-row import saves a third of its insert time."""
        if len(rows) < BULK_ROWS:
            super()._insert_rows(conn, rows, history_rows, geoms)
            return
        names = ", ".join(f"'{n}'" for n in _INSERT_TRIGGERS)
        saved = conn.execute(
            text(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})"
            )
        ).all()
        if len(saved) != len(_INSERT_TRIGGERS):  # a file laid out differently: row by row
            super()._insert_rows(conn, rows, history_rows, geoms)
            return
        for name, _ in saved:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        first = conn.execute(
            text(
                f"""SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{_LAYER}'), 0),
                    coalesce((SELECT max(fid) FROM {_LAYER}), 0)) + 1"""
            )
        ).scalar_one()
        for i, row in enumerate(rows):  # the rows are this batch's own
            row["fid"] = first + i
        insert_many(conn, initiatives, rows)
        insert_many(conn, history, history_rows)
        boxes = [
            (first + i, *_rtree_box(g))
            for i, g in enumerate(geoms)
            if g is not None and not g.is_empty
        ]
        if boxes:
            conn.exec_driver_sql(f"INSERT INTO {_RTREE} VALUES (?, ?, ?, ?, ?)", boxes)
        for table, added in ((_LAYER, len(rows)), (str(history.name), len(history_rows))):
            conn.execute(
                text(
                    "UPDATE gpkg_ogr_contents SET feature_count = feature_count + :n "
                    "WHERE lower(table_name) = lower(:t)"
                ),
                {"n": added, "t": table},
            )
        for _, sql in saved:
            conn.exec_driver_sql(sql)

    def _storage_error(self, exc: OperationalError) -> Exception:
        message = str(exc.orig).lower()
        if "locked" in message or "busy" in message:
            return StorageError(tr("db_locked"))
        if any(w in message for w in ("readonly", "read-only", "disk", "full", "unable to open")):
            return StorageError(tr("db_readonly", reason=str(exc.orig)))
        return exc

    # -- backup --------------------------------------------------------------------------
    def backup(self, dest: str) -> None:
        """Write a consistent snapshot of the registry to ``dest`` while others may write,
        readable by its owner only, without the sessions, and check it (``integrity_check``) before it takes the
        name ``dest``: a copy that fails is removed and ``StorageError`` says why."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        src = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            dst = sqlite3.connect(tmp)
            with dst:
                src.backup(dst)
            # sessions stay behind: a restored copy must not revive one (and secure_delete
            # leaves no trace of their hashes in free pages)
            dst.execute("PRAGMA secure_delete = ON")
            with dst:
                if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'sessions'").fetchone():
                    dst.execute("DELETE FROM sessions")
            dst.execute("PRAGMA journal_mode = DELETE")
            found = [r[0] for r in dst.execute("PRAGMA integrity_check(5)")]
            dst.close()
        except sqlite3.DatabaseError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(tr("db_damaged", path=self.path, reason=str(exc)[:200])) from exc
        finally:
            src.close()
        if found != ["ok"]:
            tmp.unlink(missing_ok=True)
            reason = "; ".join(found)[:300]
            raise StorageError(tr("backup_damaged", path=target, reason=reason))
        os.replace(tmp, target)
