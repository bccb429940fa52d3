"""Read import files (CSV, GeoJSON, GeoPackage) into raw row dicts for validation.

CSV: UTF-8 (with or without BOM) or Windows-1252; comma or semicolon separated; decimal
comma accepted in coordinates; location as ``lon``/``lat`` columns or a ``wkt`` column.
Headers may be field names or their Spanish/English labels. Row numbers are those a
spreadsheet shows (header = row 1); for GeoJSON and GeoPackage, the feature number.

Files are checked against the ``limits()`` while they are read, never after: a CSV is read
as a stream and stops at the first row, column or cell beyond a limit; a GeoJSON file's
features are counted by GDAL's streaming parser before Python parses it; a GeoPackage is
looked at with SQLite first (its layer must be a table, not a view, and hold no more rows
or columns than allowed). So a file built to exhaust memory or time ends in a clear
message in seconds.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import math
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely

from registry.errors import Problem, ValidationFailed
from registry.i18n import number, tr
from registry.io.formats import FORMULA_START
from registry.schema.codes import fold as _fold  # same folding as code matching
from registry.schema.fields import FIELDS, SYSTEM_FIELDS

__all__ = ["Limits", "RawRows", "limits", "read_rows"]

_LON = {"lon", "lng", "long", "longitude", "longitud", "x"}
_LAT = {"lat", "latitude", "latitud", "y"}
_WKT = {"wkt", "geometry", "geom", "geometria", "ubicacion"}
_IGNORED = {f.name for f in SYSTEM_FIELDS if f.name != "version"} | {"fid", "ogc_fid"}
_HEADERS: dict[str, str] = {}
for _spec in FIELDS:
    for _key in (_spec.name, _spec.es, _spec.en):
        _HEADERS.setdefault(_fold(_key), _spec.name)
_ENTRY_COLUMNS = frozenset(
    {f.name for f in (*FIELDS, *SYSTEM_FIELDS)} | {"lon", "lat", "wkt", "fid", "ogc_fid"}
)


class RawRows(list[tuple[int, dict[str, Any]]]):
    """(row number, values) pairs, notes about the file (e.g. reprojection) and the
    problems found while reading (bad numbers, half coordinates, unknown columns), to
    report with the rest."""

    notes: list[str]
    problems: list[Problem]


@dataclass(frozen=True)
class Limits:
    """What an import reads at most (settings; see ``limits``)."""

    megabytes: float
    rows: int
    columns: int = 200
    cell_chars: int = 1_000_000  # a long WKT line of a barrio may be long; nothing more


def limits() -> Limits:
    """The import limits: file size in MB (``IAP_REGISTRY_IMPORT_MAX_MB``, default 100),
    rows (``IAP_REGISTRY_IMPORT_MAX_ROWS``, default 200,000), columns (200) and characters
    in one cell (1,000,000). Text lengths are limited per field by the field table (300
    characters for a line, 10,000 for a long text)."""

    def setting(name: str, default: float) -> float:
        text = os.environ.get(name, "").strip()
        try:
            value = float(text) if text else default
        except ValueError:
            return default
        return value if value > 0 else default

    return Limits(
        setting("IAP_REGISTRY_IMPORT_MAX_MB", 100),
        int(setting("IAP_REGISTRY_IMPORT_MAX_ROWS", 200_000)),
    )


def _too_many_rows(limit: int, n: int | None = None) -> ValidationFailed:
    if n is None:
        return ValidationFailed([], tr("import_too_many_rows_over", limit=number(limit)))
    return ValidationFailed([], tr("import_too_many_rows", n=number(n), limit=number(limit)))


def _too_many_columns(n: int, limit: int) -> ValidationFailed:
    return ValidationFailed([], tr("import_too_many_columns", n=number(n), limit=number(limit)))


def _encoding(path: Path) -> str:
    """``utf-8-sig`` when the whole file decodes as UTF-8 (checked in 1 MB chunks, never held
    whole), else ``cp1252``; a NUL byte anywhere means a binary file, refused."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b"\x00" in chunk:  # no spreadsheet writes NUL into a CSV: a binary file
                raise ValidationFailed([], tr("import_binary"))
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return "utf-8-sig" if utf8 else "cp1252"


def _number(text: str, row: int, field: str, problems: list[Problem]) -> float | None:
    cleaned = text.strip().replace("\u2212", "-")
    if re.fullmatch(r"[+-]?\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        problems.append(Problem(row, field, tr("import_bad_number", value=text[:60])))
        return None
    return value


def _map_header(name: str) -> str:
    key = _fold(name)
    if key in _LON:
        return "lon"
    if key in _LAT:
        return "lat"
    if key in _WKT:
        return "wkt"
    return _HEADERS.get(key, name.strip())


def _header(
    names: list[str],
    columns: Iterable[str] | None,
    problems: list[Problem],
    row: int | None = 1,
) -> list[str | None]:
    """The field each column holds (None: a column to leave out), with a problem (of
    ``row``, the header's) for each unknown or repeated column."""
    mapped: Callable[[str], str]
    if columns is None:
        allowed, mapped = _ENTRY_COLUMNS, _map_header
    else:
        lookup = {_fold(c): c for c in columns}
        allowed = frozenset(lookup.values())

        def mapped(raw: str) -> str:
            return lookup.get(_fold(raw), raw.strip())

    out: list[str | None] = []
    seen: dict[str, str] = {}
    for raw in names:
        text = str(raw).strip()
        name = mapped(text) if text else None
        if name is None:
            out.append(None)
            continue
        if name not in allowed:
            problems.append(Problem(row, text[:80], tr("import_unknown_column")))
            out.append(None)
            continue
        if name in seen:
            problems.append(
                Problem(row, text[:80], tr("import_repeated_column", first=seen[name][:80]))
            )
            out.append(None)
            continue
        seen[name] = text
        out.append(name)
    return out


def _unneutralised(cell: str) -> str:
    """A CSV cell without the apostrophe that our exports put before text a spreadsheet
    would run as a formula (``'=x`` reads ``=x``): exported files import back as they were."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def _geometry_from_columns(values: dict[str, Any], row: int, problems: list[Problem]) -> None:
    """Turn ``lon``/``lat`` or ``wkt`` columns into the row's ``geometry``. Both may be
    given when they agree, as in our CSV exports (lon/lat is then the point on the WKT
    geometry's surface, to 6 decimals); the WKT is the geometry."""
    lon, lat, wkt = values.pop("lon", None), values.pop("lat", None), values.pop("wkt", None)
    has_xy = any(v not in (None, "") for v in (lon, lat))
    point = None
    if has_xy:
        if lon in (None, "") or lat in (None, ""):
            problems.append(Problem(row, "geometry", tr("import_half_coord")))
            return
        x = _number(str(lon), row, "lon", problems) if isinstance(lon, str) else float(lon)
        y = _number(str(lat), row, "lat", problems) if isinstance(lat, str) else float(lat)
        if x is None or y is None:
            return
        if not (math.isfinite(x) and math.isfinite(y)):
            problems.append(Problem(row, "geometry", tr("coord_not_finite")))
            return
        point = shapely.Point(x, y)
    if wkt in (None, ""):
        if point is not None:
            values["geometry"] = point
        return
    if point is not None:
        try:
            anchor = shapely.point_on_surface(shapely.from_wkt(str(wkt)))
        except shapely.errors.ShapelyError:
            anchor = None  # the WKT's own problem is reported by validation
        if anchor is None or anchor.is_empty or anchor.distance(point) > 2e-6:
            problems.append(Problem(row, "geometry", tr("import_both_geoms")))
            return
    values["geometry"] = wkt


def _row(
    header: list[str | None],
    cells: list[str],
    extra: bool,
    ignored: set[str],
    row: int,
    problems: list[Problem],
) -> dict[str, Any]:
    """One data row's values by field (``extra``: it has cells beyond the header's)."""
    if extra:
        problems.append(Problem(row, "-", tr("import_extra_cells", n=len(cells), m=len(header))))
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        if name is not None and name not in ignored:
            values[name] = _unneutralised(cell)
    _geometry_from_columns(values, row, problems)
    return values


def _read_csv(
    path: Path,
    problems: list[Problem],
    ignored: set[str],
    limit: Limits,
    columns: Iterable[str] | None,
) -> RawRows:
    encoding = _encoding(path)
    rows = RawRows()
    rows.notes = []
    csv.field_size_limit(limit.cell_chars)
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(handle, delimiter=delimiter)
        reading = 1  # the row being read, as a spreadsheet numbers it (header = 1)
        try:
            names = next(reader, None)
            if names is None:
                return rows
            if len(names) > limit.columns:
                raise _too_many_columns(len(names), limit.columns)
            header = _header(names, columns, problems)
            reading = 2
            for number_, cells in enumerate(reader, start=2):
                reading = number_ + 1
                if number_ - 1 > limit.rows:
                    raise _too_many_rows(limit.rows)
                if not any(c.strip() for c in cells):
                    continue
                extra = len(cells) > len(header)
                rows.append((number_, _row(header, cells, extra, ignored, number_, problems)))
        except csv.Error as exc:
            where = reading
            if "field larger than field limit" in str(exc):
                raise ValidationFailed(
                    [
                        Problem(
                            where, "-", tr("import_cell_too_long", limit=number(limit.cell_chars))
                        )
                    ],
                    tr("import_failed", n=1),
                ) from None
            raise ValidationFailed(
                [Problem(where, "-", tr("import_unreadable", reason=str(exc)[:200]))],
                tr("import_failed", n=1),
            ) from None
    return rows


def _xlsx_text(value: Any) -> str:
    """A spreadsheet cell as the CSV reader would see it: text as is, whole numbers without
    ``.0``, dates as ISO, empty as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _read_xlsx(
    path: Path,
    problems: list[Problem],
    ignored: set[str],
    limit: Limits,
    columns: Iterable[str] | None,
) -> RawRows:
    """The first sheet of an Excel workbook (openpyxl, streamed), read as a CSV: row 1 is
    the header and rows are numbered as Excel numbers them. Formulas are read as their
    text, never evaluated."""
    from openpyxl import load_workbook

    rows = RawRows()
    rows.notes = []
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 -- zip, XML or format errors: one message
        raise ValidationFailed(
            [Problem(None, "-", tr("import_unreadable", reason=str(exc)[:200]))],
            tr("import_failed", n=1),
        ) from None
    try:
        sheet = book.worksheets[0]
        cells_of = sheet.iter_rows(values_only=True)
        names = next(cells_of, None)
        if names is None:
            return rows
        names = [_xlsx_text(v) for v in names]
        while names and not names[-1].strip():
            names.pop()
        if len(names) > limit.columns:
            raise _too_many_columns(len(names), limit.columns)
        header = _header(names, columns, problems)
        for number_, raw in enumerate(cells_of, start=2):
            if number_ - 1 > limit.rows:
                raise _too_many_rows(limit.rows)
            cells = [_xlsx_text(v) for v in raw]
            if not any(c.strip() for c in cells):
                continue
            if any(len(c) > limit.cell_chars for c in cells):
                raise ValidationFailed(
                    [
                        Problem(
                            number_, "-", tr("import_cell_too_long", limit=number(limit.cell_chars))
                        )
                    ],
                    tr("import_failed", n=1),
                )
            extra = any(c.strip() for c in cells[len(header) :])  # Excel pads rows
            rows.append((number_, _row(header, cells, extra, ignored, number_, problems)))
    finally:
        book.close()
    return rows


def _read_geojson(path: Path, limit: Limits) -> gpd.GeoDataFrame:
    """Read GeoJSON with Python's JSON parser, after GDAL's streaming parser has counted
    its features (a file of more features than allowed is never parsed whole).

    GDAL's GeoJSON reader decodes escaped surrogate pairs (``\\ud836\\udc00``, as Python's
    ``json.dumps`` writes characters outside the BMP) to U+FFFD; Python's parser does not.
    A legacy ``crs`` member (GeoJSON 2008) is honoured; RFC 7946 files are WGS84.
    """
    try:
        counted = pyogrio.read_info(path).get("features")
    except Exception:  # not something GDAL reads as GeoJSON: Python's parser says why
        counted = None
    if counted is not None and counted > limit.rows:
        raise _too_many_rows(limit.rows, counted)
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read().decode("utf-8-sig", errors="replace"))
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        if kind not in ("FeatureCollection", "Feature"):
            raise ValidationFailed([], tr("import_not_geojson", kind=str(kind)[:40]))
        features = data["features"] if kind == "FeatureCollection" else [data]
        if len(features) > limit.rows:
            raise _too_many_rows(limit.rows, len(features))
        crs = (data.get("crs") or {}).get("properties", {}).get("name") or "OGC:CRS84"
        frame = gpd.GeoDataFrame.from_features(features, crs=crs)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        reason = tr("import_too_deep") if isinstance(exc, RecursionError) else str(exc)[:200]
        raise ValidationFailed([], tr("import_unreadable", reason=reason)) from None
    return frame


def _gpkg_layer(path: Path, limit: Limits) -> str:
    """The layer of a GeoPackage to import (``initiatives`` when there is one, else its
    first layer), checked with SQLite before GDAL reads it: a table, not a view, with at
    most the allowed rows and columns."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA trusted_schema = OFF")
            layers = [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM gpkg_contents "
                    "WHERE data_type IN ('features', 'attributes')"
                )
            ]
            if not layers:
                raise ValidationFailed([], tr("import_no_rows"))
            listed = [name for name, _ in pyogrio.list_layers(path)]
            ordered = [n for n in listed if n in layers] + [n for n in layers if n not in listed]
            name = "initiatives" if "initiatives" in layers else ordered[0]
            found = conn.execute(
                "SELECT type, sql FROM sqlite_master WHERE name = ?", (name,)
            ).fetchone()
            if found is None or found[0] != "table" or "VIRTUAL" in (found[1] or "").upper():
                raise ValidationFailed([], tr("import_gpkg_view", layer=name[:80]))
            quoted = '"' + name.replace('"', '""') + '"'
            n_columns = len(conn.execute(f"PRAGMA table_info({quoted})").fetchall())
            if n_columns > limit.columns:
                raise _too_many_columns(n_columns, limit.columns)
            n_rows = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            if n_rows > limit.rows:
                raise _too_many_rows(limit.rows, n_rows)
    except sqlite3.DatabaseError as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    return name


def _read_vector(path: Path, problems: list[Problem], ignored: set[str], limit: Limits) -> RawRows:
    try:
        if path.suffix.lower() == ".gpkg":
            frame = pyogrio.read_dataframe(path, layer=_gpkg_layer(path, limit))
        else:
            frame = _read_geojson(path, limit)
    except ValidationFailed:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    rows = RawRows()
    rows.notes = []
    if (
        frame.crs is not None
        and not frame.crs.equals("EPSG:4326")
        and not frame.crs.equals("OGC:CRS84")
        and not frame.empty
    ):
        rows.notes.append(tr("import_crs", crs=frame.crs.to_string()))
        frame = frame.to_crs(4326)
    names = [c for c in frame.columns if c != frame.geometry.name]
    if len(names) > limit.columns:
        raise _too_many_columns(len(names), limit.columns)
    header = dict(zip(names, _header(names, None, problems, row=None), strict=True))
    for number_, (_, series) in enumerate(frame.iterrows(), start=1):
        values: dict[str, Any] = {}
        for column in names:
            value = series[column]
            if isinstance(value, float) and math.isnan(value):
                value = None
            name = header[column]
            if name is not None and name not in ignored:
                values[name] = value
        geom = series[frame.geometry.name]
        values["geometry"] = geom if geom is not None else values.get("geometry")
        _geometry_from_columns(values, number_, problems)
        rows.append((number_, values))
    return rows


def read_rows(
    path: str | Path, keep_system: bool = False, columns: Iterable[str] | None = None
) -> RawRows:
    """Return the rows of an import file; raise ``ValidationFailed`` if it cannot be read
    or is beyond the ``limits()``.

    ``columns``: the column names a CSV may have (default: the entries' fields, their
    Spanish and English labels, ``lon``/``lat``/``wkt``); any other column is a problem of
    row 1 and its cells are not read. The entries' system columns of an export (``owner``,
    ``created_at``, …) are left out unless ``keep_system`` (files of other records);
    ``version`` is kept.

    Row-level problems are returned in ``rows.problems``, to be reported with the
    validation problems.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    limit = limits()
    ignored = {"fid", "ogc_fid"} if keep_system else _IGNORED
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    if size > limit.megabytes * 1_000_000:
        raise ValidationFailed(
            [], tr("import_too_big", size=f"{size / 1e6:.1f}", limit=f"{limit.megabytes:g}")
        )
    try:
        if suffix in (".csv", ".txt"):
            rows = _read_csv(path, problems, ignored, limit, columns)
        elif suffix == ".xlsx":
            rows = _read_xlsx(path, problems, ignored, limit, columns)
        elif suffix in (".geojson", ".json", ".gpkg"):
            rows = _read_vector(path, problems, ignored, limit)
        else:
            raise ValidationFailed([], tr("import_format"))
    except (OSError, csv.Error) as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    rows.problems = problems
    if not rows and not problems:
        raise ValidationFailed([], tr("import_no_rows"))
    if len(rows) > limit.rows:
        raise _too_many_rows(limit.rows, len(rows))
    return rows
