"""Read import files (CSV, GeoJSON, GeoPackage) into raw row dicts for validation.

CSV: UTF-8 (with or without BOM) or Windows-1252; comma or semicolon separated; decimal
comma accepted in coordinates; location as ``lon``/``lat`` columns or a ``wkt`` column.
Headers may be field names or their Spanish/English labels. Row numbers are those a
spreadsheet shows (header = row 1); for GeoJSON and GeoPackage, the feature number.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import shapely

from registry.errors import Problem, ValidationFailed
from registry.i18n import tr
from registry.schema.fields import FIELDS, SYSTEM_FIELDS
from registry.schema.model import _fold  # same folding as code matching

__all__ = ["RawRows", "limits", "read_rows"]

_LON = {"lon", "lng", "long", "longitude", "longitud", "x"}
_LAT = {"lat", "latitude", "latitud", "y"}
_WKT = {"wkt", "geometry", "geom", "geometria", "ubicacion"}
_IGNORED = {f.name for f in SYSTEM_FIELDS} | {"fid", "ogc_fid"}
_HEADERS: dict[str, str] = {}
for _spec in FIELDS:
    for _key in (_spec.name, _spec.es, _spec.en):
        _HEADERS.setdefault(_fold(_key), _spec.name)


class RawRows(list[tuple[int, dict[str, Any]]]):
    """(row number, values) pairs, notes about the file (e.g. reprojection) and the
    problems found while reading (bad numbers, half coordinates), to report with the rest."""

    notes: list[str]
    problems: list[Problem]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


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


def _geometry_from_columns(values: dict[str, Any], row: int, problems: list[Problem]) -> None:
    lon, lat, wkt = values.pop("lon", None), values.pop("lat", None), values.pop("wkt", None)
    has_xy = any(v not in (None, "") for v in (lon, lat))
    if has_xy and wkt not in (None, ""):
        problems.append(Problem(row, "geometry", tr("import_both_geoms")))
        return
    if has_xy:
        if lon in (None, "") or lat in (None, ""):
            problems.append(Problem(row, "geometry", tr("import_half_coord")))
            return
        x = _number(str(lon), row, "lon", problems) if isinstance(lon, str) else float(lon)
        y = _number(str(lat), row, "lat", problems) if isinstance(lat, str) else float(lat)
        if x is not None and y is not None:
            if not (math.isfinite(x) and math.isfinite(y)):
                problems.append(Problem(row, "geometry", tr("coord_not_finite")))
            else:
                values["geometry"] = shapely.Point(x, y)
    elif wkt not in (None, ""):
        values["geometry"] = wkt


def _read_csv(path: Path, problems: list[Problem], ignored: set[str]) -> RawRows:
    text = _decode(path.read_bytes())
    if "\x00" in text:  # no spreadsheet writes NUL into a CSV: a binary file, misnamed
        raise ValidationFailed([], tr("import_binary"))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = RawRows()
    rows.notes = []
    try:
        header = [_map_header(h) for h in next(reader)]
    except StopIteration:
        return rows
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            if name not in ignored:
                values[name] = cell
        if len(cells) > len(header):
            problems.append(Problem(number, "-", tr("bad_type", detail=f"{len(cells)} columns")))
        _geometry_from_columns(values, number, problems)
        rows.append((number, values))
    return rows


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Read GeoJSON with Python's JSON parser.

    GDAL's GeoJSON reader decodes escaped surrogate pairs (``\\ud836\\udc00``, as Python's
    ``json.dumps`` writes characters outside the BMP) to U+FFFD; Python's parser does not.
    A legacy ``crs`` member (GeoJSON 2008) is honoured; RFC 7946 files are WGS84.
    """
    try:
        data = json.loads(_decode(path.read_bytes()))
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        if kind not in ("FeatureCollection", "Feature"):
            raise ValidationFailed([], tr("import_not_geojson", kind=str(kind)[:40]))
        features = data["features"] if kind == "FeatureCollection" else [data]
        crs = (data.get("crs") or {}).get("properties", {}).get("name") or "OGC:CRS84"
        frame = gpd.GeoDataFrame.from_features(features, crs=crs)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    return frame


def _read_vector(path: Path, problems: list[Problem], ignored: set[str]) -> RawRows:
    try:
        if path.suffix.lower() == ".gpkg":
            frame = pyogrio.read_dataframe(path)
        else:
            frame = _read_geojson(path)
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
    mapped = {c: _map_header(c) for c in names}
    for number, (_, series) in enumerate(frame.iterrows(), start=1):
        values: dict[str, Any] = {}
        for column in names:
            value = series[column]
            if isinstance(value, float) and math.isnan(value):
                value = None
            if mapped[column] not in ignored:
                values[mapped[column]] = value
        geom = series[frame.geometry.name]
        values["geometry"] = geom if geom is not None else values.get("geometry")
        _geometry_from_columns(values, number, problems)
        rows.append((number, values))
    return rows


def limits() -> tuple[float, int]:
    """The import limits: file size in MB (``IAP_REGISTRY_IMPORT_MAX_MB``, default 100) and
    rows (``IAP_REGISTRY_IMPORT_MAX_ROWS``, default 200,000). Text lengths are limited per
    field by the field table (300 characters for a line, 10,000 for a long text)."""

    def setting(name: str, default: float) -> float:
        text = os.environ.get(name, "").strip()
        try:
            value = float(text) if text else default
        except ValueError:
            return default
        return value if value > 0 else default

    return setting("IAP_REGISTRY_IMPORT_MAX_MB", 100), int(
        setting("IAP_REGISTRY_IMPORT_MAX_ROWS", 200_000)
    )


def read_rows(path: str | Path, keep_system: bool = False) -> RawRows:
    """Return the rows of an import file; raise ``ValidationFailed`` if it cannot be read
    or is beyond the ``limits()``.

    The entries' system columns of an export (``version``, ``owner``, …) are left out
    unless ``keep_system`` (files of other records, whose ``version`` matters).

    Row-level problems are returned in ``rows.problems``, to be reported with the
    validation problems.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    max_mb, max_rows = limits()
    ignored = {"fid", "ogc_fid"} if keep_system else _IGNORED
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    if size > max_mb * 1_000_000:
        raise ValidationFailed(
            [], tr("import_too_big", size=f"{size / 1e6:.1f}", limit=f"{max_mb:g}")
        )
    try:
        if suffix in (".csv", ".txt"):
            rows = _read_csv(path, problems, ignored)
        elif suffix in (".geojson", ".json", ".gpkg"):
            rows = _read_vector(path, problems, ignored)
        else:
            raise ValidationFailed([], tr("import_format"))
    except (OSError, csv.Error) as exc:
        raise ValidationFailed([], tr("import_unreadable", reason=str(exc)[:200])) from None
    rows.problems = problems
    if not rows:
        raise ValidationFailed([], tr("import_no_rows"))
    if len(rows) > max_rows:
        raise ValidationFailed([], tr("import_too_many_rows", n=len(rows), limit=max_rows))
    return rows
