"""Table definitions (SQLAlchemy Core) and conversions between records and rows.

Derived from the field table; shared by every SQL backend. A *record* is a plain dict with
Python values (``datetime.date``, lists of codes, shapely geometry); a *row* is what a
column holds (ISO text, ``a|b`` code lists, a backend-specific geometry value).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import orjson
import shapely
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from registry.schema.fields import FIELDS, SYSTEM_FIELDS, FieldSpec
from registry.schema.monitoring import (
    KINDS,
    MONITORING_FIELDS,
    MONITORING_SYSTEM_FIELDS,
    monitoring_table,
)

__all__ = [
    "GEOM_COLUMN",
    "admin_units",
    "LIST_SEP",
    "SEARCH_FIELDS",
    "USER_FIELD_NAMES",
    "history",
    "indicator_values",
    "initiatives",
    "login_failures",
    "monitoring",
    "meta",
    "metadata",
    "record_from_json",
    "record_to_json",
    "record_to_row",
    "records_json",
    "records_to_rows",
    "row_to_record",
    "same_value",
    "search_text",
    "sessions",
    "outbox",
    "users",
]

GEOM_COLUMN = "geom"
LIST_SEP = "|"
SCHEMA_VERSION = 8  # 2: indicator_values; 3: editors, review_note, users.last_failed_at;
# 4: monitoring tables; 5: users.auth_epoch, login_failures; 6: admin-1 codes outside Chile;
# 7: admin_units (official boundaries imported in place of the bundled ones);
# 8: sessions, outbox; users.email, notify, lang, identity, last_login_at
USER_FIELD_NAMES = tuple(f.name for f in FIELDS if f.name != "geometry")
#: Entries whose admin-1 code migration 6 fills from their point: outside Chile, not
#: located only to a country, with a point and no code yet.
ADMIN1_FILL_WHERE = (
    "region_code IS NULL AND country IS NOT NULL AND country <> 'CL' "
    "AND location_precision NOT IN ('country', 'multi_country') "
    f"AND {GEOM_COLUMN} IS NOT NULL"
)
SEARCH_FIELDS = (
    "name",
    "external_id",
    "lead_organization",
    "locality",
    "sector_detail",
    "program_detail",
    "strategic_focus_detail",
    "goals_strategy",
    "cohort",
    "limits_description",
    "notes",
)


def _column(spec: FieldSpec) -> Column:
    sa_type: Any = {"int": Integer, "bool": Boolean, "longtext": Text, "number": Float}.get(
        spec.type, String
    )
    return Column(spec.name, sa_type, nullable=True)


metadata = MetaData()

initiatives = Table(
    "initiatives",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column(GEOM_COLUMN, LargeBinary),
    *(_column(f) for f in FIELDS if f.name != "geometry"),
    *(_column(f) for f in SYSTEM_FIELDS),
    Column("search_text", Text),
)

history = Table(
    "history",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String, nullable=False),
    Column("version", Integer, nullable=False),
    Column("operation", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("at", String, nullable=False),
    Column("before_json", Text),
    Column("after_json", Text),
)

users = Table(
    "users",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("username", String, nullable=False),
    Column("role", String, nullable=False),
    Column("password_hash", String),
    Column("disabled", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("last_failed_at", String),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    # moves on with a new password or when the user is disabled: ends their sessions
    Column("auth_epoch", Integer, nullable=False, server_default="0"),
    # where notifications go, and whether the user wants them
    Column("email", String),
    Column("notify", Boolean, nullable=False, server_default="1"),
    Column("lang", String),  # the language of the user's mail ("es" when not set)
    # the single sign-on identity linked to this user ("provider:claim value")
    Column("identity", String),
    Column("last_login_at", String),
)

# Signed-in sessions: only the SHA-256 of each session's token (the cookie's value is never
# stored), the user's sign-in epoch when it began, its last use and its absolute end. An
# ended session keeps its row (``ended_at``) until it would have expired, so that a single
# sign-on identity cookie of a logged-out session cannot start it again.
sessions = Table(
    "sessions",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String, nullable=False),
    Column("username", String, nullable=False),
    Column("kind", String, nullable=False),  # "local" or "sso"
    Column("auth_epoch", Integer, nullable=False),
    Column("created_at", String, nullable=False),
    Column("last_seen", String, nullable=False),
    Column("expires_at", String, nullable=False),
    Column("ended_at", String),
)

# E-mail waiting to be sent (or sent): written after the change it tells of has committed;
# a sender delivers and retries them (``registry.notify``).
outbox = Table(
    "outbox",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("created_at", String, nullable=False),
    Column("recipient", String, nullable=False),
    Column("username", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_try_at", String, nullable=False),
    Column("last_error", String),
    Column("sent_at", String),
)

# Failed log-ins in a row per account (lower-cased name, known or not) and source (the
# client's address); read and written under a row lock, so parallel attempts all count.
login_failures = Table(
    "login_failures",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("username", String, nullable=False),
    Column("source", String, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", String, nullable=False),
    Column("locked_until", String),
)

indicator_values = Table(
    "indicator_values",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("region_code", String, nullable=False),
    Column("year", Integer),
    Column("period", String, nullable=False),
    Column("indicator", String, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String, nullable=False),
    Column("source_url", String, nullable=False),
    Column("notes", Text),
    Column("imported_at", String, nullable=False),
    Column("imported_by", String, nullable=False),
)

# One table per monitoring kind (registry.schema.monitoring), keyed by a UUID ``id`` and
# versioned like entries; every write leaves its rows in ``history`` under that id.
monitoring: dict[str, Table] = {
    kind: Table(
        monitoring_table(kind),
        metadata,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        *(_column(f) for f in MONITORING_SYSTEM_FIELDS if f.name not in ("version", "deleted")),
        Column("version", Integer, nullable=False),
        Column("deleted", Boolean, nullable=False),
        *(_column(f) for f in MONITORING_FIELDS[kind]),
    )
    for kind in KINDS
}

# Official boundaries an administrator imported (``Registry.import_boundaries``): one row per
# unit, its polygon as WKB (EPSG:4326); a country's level replaced whole by each import.
admin_units = Table(
    "admin_units",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("country", String, nullable=False),
    Column("level", Integer, nullable=False),
    Column("code", String, nullable=False),
    Column("name", String, nullable=False),
    Column("source", String, nullable=False),
    Column("imported_at", String, nullable=False),
    Column("imported_by", String, nullable=False),
    Column("geom_wkb", LargeBinary, nullable=False),
)

meta = Table(
    "registry_meta",
    metadata,
    Column("fid", Integer, primary_key=True, autoincrement=True),
    Column("meta_key", String, nullable=False),
    Column("meta_value", String),
)


class _WithoutCombining(dict[int, int | None]):
    """``str.translate`` table that drops combining marks, filled as characters are seen."""

    def __missing__(self, char: int) -> int | None:
        kept = None if unicodedata.combining(chr(char)) else char
        self[char] = kept
        return kept


_WITHOUT_COMBINING = _WithoutCombining()


def fold(text: str) -> str:
    """Lower-case, accent-free text for searching: ``fold("Ñuñoa")`` is ``"nunoa"``."""
    return unicodedata.normalize("NFKD", text).translate(_WITHOUT_COMBINING).lower()


def search_text(record: dict[str, Any]) -> str:
    """Return the folded text that ``--q`` searches."""
    return fold(" ".join(str(record[f]) for f in SEARCH_FIELDS if record.get(f)))


# (field, how its column holds it): "list" joined by LIST_SEP, "date" as ISO text, else as is
_COLUMNS = tuple(
    (spec.name, "list" if spec.is_list else spec.type)
    for spec in (*FIELDS, *SYSTEM_FIELDS)
    if spec.name != "geometry"
)


_NAMES = tuple(name for name, _ in _COLUMNS)
_LIST_COLUMNS = tuple(name for name, kind in _COLUMNS if kind == "list")
_DATE_COLUMNS = tuple(name for name, kind in _COLUMNS if kind == "date")


def _row(record: dict[str, Any], geometry: Any) -> dict[str, Any]:
    row = dict(zip(_NAMES, map(record.get, _NAMES), strict=True))
    for name in _LIST_COLUMNS:
        value = row[name]
        if value is not None:
            row[name] = LIST_SEP.join(value) if value else None
    for name in _DATE_COLUMNS:
        value = row[name]
        if value is not None:
            row[name] = value.isoformat()
    row[GEOM_COLUMN] = geometry
    row["search_text"] = search_text(record)
    return row


def record_to_row(record: dict[str, Any], encode_geom: Any) -> dict[str, Any]:
    """Return the column values of ``record``; ``encode_geom`` converts the geometry."""
    return _row(record, encode_geom(record.get("geometry")))


def records_to_rows(
    records: list[dict[str, Any]], encode_geoms: Callable[[list[Any]], list[Any]]
) -> list[dict[str, Any]]:
    """``record_to_row`` for many records, their geometries converted at once by
    ``encode_geoms``."""
    geometries = encode_geoms([r.get("geometry") for r in records])
    return [_row(r, g) for r, g in zip(records, geometries, strict=True)]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# keys may be column names, SQLAlchemy's ``quoted_name`` (a str subclass) included
_KEYS = orjson.OPT_NON_STR_KEYS


def records_json(records: Sequence[dict[str, Any] | None]) -> list[str | None]:
    """The JSON text of each ``record_to_json(record)`` (None stays None), as history keeps
    it; the geometries are written as GeoJSON all at once (GEOS writes the shortest text
    that reads back to the same double) and the records by orjson, ten times json's speed
    on a bulk import's history."""
    geoms = np.empty(len(records), dtype=object)
    geoms[:] = [None if r is None else r.get("geometry") for r in records]
    texts = shapely.to_geojson(geoms)
    out: list[str | None] = []
    for record, geometry in zip(records, texts, strict=True):
        if record is None:
            out.append(None)
            continue
        if "geometry" in record:
            record = record.copy()
            record["geometry"] = None if geometry is None else orjson.Fragment(geometry)
        out.append(orjson.dumps(record, default=_json_default, option=_KEYS).decode())
    return out


def row_to_record(row: dict[str, Any], geometry: Any) -> dict[str, Any]:
    """Return the record of a row (``geometry`` already decoded)."""
    record: dict[str, Any] = {}
    for spec in (*FIELDS, *SYSTEM_FIELDS):
        if spec.name == "geometry":
            record["geometry"] = geometry
            continue
        value = row.get(spec.name)
        if spec.is_list:
            value = value.split(LIST_SEP) if value else []
        elif spec.type == "date" and value is not None:
            value = dt.date.fromisoformat(value)
        elif spec.type == "bool" and value is not None:
            value = bool(value)
        record[spec.name] = value
    return record


def record_to_json(record: dict[str, Any]) -> dict[str, Any]:
    """Return a JSON-ready copy of ``record`` (GeoJSON geometry, ISO dates)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "geometry":
            out[key] = None if value is None else shapely.geometry.mapping(value)
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def record_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """Inverse of ``record_to_json``."""
    out = dict(data)
    geom = out.get("geometry")
    out["geometry"] = None if geom is None else shapely.geometry.shape(geom)
    if out.get("last_verified"):
        out["last_verified"] = dt.date.fromisoformat(out["last_verified"])
    return out


def same_value(a: Any, b: Any) -> bool:
    """Whether two values of one field are the same (geometries to 1e-9 degrees)."""
    if hasattr(a, "equals_exact") and hasattr(b, "equals_exact"):
        return bool(a.equals_exact(b, 1e-9))
    return bool(a == b)
