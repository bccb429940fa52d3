"""Export entries to RFC 7946 GeoJSON, GeoPackage and CSV.

All three are written from the same GeoDataFrame of public fields (restricted fields only
when asked for by an administrator). GeoJSON goes through GDAL with ``RFC7946=YES`` (WGS84,
counter-clockwise exteriors, no ``crs`` member) and 6 decimals, with the UUID as feature
``id``. CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from registry.io.formats import FORMATS, FORMULA_START, guess_format, neutralise_formulas
from registry.schema.fields import FIELDS, SYSTEM_FIELDS, data_dictionary, public_fields

__all__ = [
    "FORMATS",
    "FORMULA_START",
    "RelatedTable",
    "export_frame",
    "neutralise_formulas",
    "public_frame",
    "write_dictionary",
]

_NULLABLE_DTYPES = {"int": "Int64", "bool": "boolean"}
_TYPES = {f.name: f.type for f in (*FIELDS, *SYSTEM_FIELDS)}


def public_frame(frame: gpd.GeoDataFrame, include_restricted: bool = False) -> gpd.GeoDataFrame:
    """The exported columns (public fields only unless ``include_restricted``), typed by the
    field table: whole numbers stay integers (a column with gaps would otherwise be written
    as reals, ``2021.0``) and yes/no fields booleans, empty or not."""
    columns = [c for c in public_fields(include_restricted) if c in frame.columns]
    out = frame[[*columns, frame.geometry.name]].copy()
    for column in columns:
        kind = _TYPES[column]
        if kind in _NULLABLE_DTYPES:
            out[column] = out[column].astype(_NULLABLE_DTYPES[kind])
    return out


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    pyogrio.write_dataframe(
        frame,
        path,
        driver="GeoJSON",
        layer_options={
            "RFC7946": "YES",
            "COORDINATE_PRECISION": "6",
            "ID_FIELD": "id",
            "WRITE_NAME": "NO",
        },
        use_arrow=True,
    )


@dataclass(frozen=True)
class RelatedTable:
    """An attributes table written beside the entries in a GeoPackage export.

    ``references`` maps a column to the ``(table, column)`` it points to; each becomes a
    FOREIGN KEY, which GDAL (3.6+) and QGIS read as a relationship of the file.
    """

    name: str
    frame: pd.DataFrame
    references: dict[str, tuple[str, str]] = field(default_factory=dict)


def _sql_type(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "INTEGER"
    if pd.api.types.is_float_dtype(dtype):
        return "REAL"
    return "TEXT"


def _write_related(path: Path, tables: Sequence[RelatedTable]) -> None:
    """Add ``tables`` to the GeoPackage at ``path`` as attributes tables with foreign keys
    (the keys they point to get unique indexes), in one transaction."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            for t in tables:
                columns = [
                    f'"{c}" {_sql_type(t.frame[c].dtype)}'
                    + (f' REFERENCES "{t.references[c][0]}"("{t.references[c][1]}")'
                       if c in t.references else "")
                    for c in t.frame.columns
                ]  # fmt: skip
                conn.execute(
                    f'CREATE TABLE "{t.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                    + ", ".join(columns)
                    + ")"
                )
                marks = ", ".join("?" for _ in t.frame.columns)
                names = ", ".join(f'"{c}"' for c in t.frame.columns)
                rows = [
                    tuple(None if pd.isna(v) else getattr(v, "item", lambda v=v: v)() for v in row)
                    for row in t.frame.itertuples(index=False)
                ]
                conn.executemany(f'INSERT INTO "{t.name}" ({names}) VALUES ({marks})', rows)
                conn.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                    "VALUES (?, 'attributes', ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                    (t.name, t.name),
                )
            targets = {ref for t in tables for ref in t.references.values()}
            for table, column in sorted(targets):
                conn.execute(
                    f'CREATE UNIQUE INDEX IF NOT EXISTS "uq_{table}_{column}" '
                    f'ON "{table}"("{column}")'
                )
    finally:
        conn.close()


def _write_gpkg(
    frame: gpd.GeoDataFrame, path: Path, lang: str, related: Sequence[RelatedTable] = ()
) -> None:
    pyogrio.write_dataframe(
        frame,
        path,
        layer="initiatives",
        driver="GPKG",
        geometry_type="Unknown",
        dataset_options={"VERSION": "1.2"},
        layer_options={"SPATIAL_INDEX": "YES"},
    )
    pyogrio.write_dataframe(
        pd.DataFrame(data_dictionary(lang)).astype(str),
        path,
        layer="data_dictionary",
        driver="GPKG",
    )
    if related:
        _write_related(path, related)


def _table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The rows as a spreadsheet shows them: the geometry as ``lon``/``lat`` (a point on
    it) and ``wkt``, text that a spreadsheet would run as a formula neutralised."""
    geoms = frame.geometry.values
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    anchors = shapely.point_on_surface(geoms)
    table["lon"] = shapely.get_x(anchors).round(6)
    table["lat"] = shapely.get_y(anchors).round(6)
    table["wkt"] = shapely.to_wkt(geoms, rounding_precision=6, trim=True)
    for column in table.columns:
        if table[column].dtype == object or str(table[column].dtype) in ("str", "string"):
            table[column] = table[column].map(neutralise_formulas)
    return table


def _write_csv(frame: gpd.GeoDataFrame, path: Path) -> None:
    _table(frame).to_csv(path, index=False, encoding="utf-8-sig")


def _write_xlsx(frame: gpd.GeoDataFrame, path: Path, lang: str) -> None:
    """The CSV's rows and columns as an Excel workbook (openpyxl): sheet ``entradas``
    (``entries``), then the data dictionary. Every cell is written as a value, never a
    formula: openpyxl reads a string starting with ``=`` as one, so such text keeps the
    apostrophe of ``neutralise_formulas``, as in the CSV."""
    from openpyxl import Workbook

    table = _table(frame)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("entradas" if lang == "es" else "entries")
    sheet.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    terms = book.create_sheet("diccionario" if lang == "es" else "dictionary")
    dictionary = pd.DataFrame(data_dictionary(lang)).astype(str)
    terms.append(list(dictionary.columns))
    for row in dictionary.itertuples(index=False):
        terms.append([neutralise_formulas(v) for v in row])
    book.save(path)


def _cell(value: object) -> object:
    """A cell as the CSV writes it: missing as empty, numbers and booleans as such, any
    other value as its text (lists, timestamps) exactly as in the CSV."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def export_frame(
    frame: gpd.GeoDataFrame,
    path: str | Path,
    fmt: str | None = None,
    include_restricted: bool = False,
    lang: str = "es",
    related: Sequence[RelatedTable] = (),
) -> Path:
    """Write ``frame`` (as returned by ``Store.list``) to ``path`` in ``fmt``; a
    GeoPackage also holds the ``related`` tables.

    The file is written next to its destination and moved into place, so a failed export
    leaves no half-written file; with the restricted fields it is readable by its owner
    only. Returns the path written.
    """
    target = Path(path)
    fmt = guess_format(target, fmt)
    out = public_frame(frame, include_restricted)
    if out.crs is None:
        out = out.set_crs(4326)
    target.parent.mkdir(parents=True, exist_ok=True)
    # written in a folder only the owner can enter, then moved into place: a failed export
    # leaves nothing half-written, and one with contact data is never readable by others
    folder = Path(tempfile.mkdtemp(prefix=f".{target.stem}.", dir=target.parent))
    try:
        tmp = folder / (target.name if target.suffix else f"{target.name}.{fmt}")
        if fmt == "geojson":
            _write_geojson(out, tmp)
        elif fmt == "gpkg":
            _write_gpkg(out, tmp, lang, related)
        elif fmt == "csv":
            _write_csv(out, tmp)
        elif fmt == "xlsx":
            _write_xlsx(out, tmp, lang)
        else:
            raise ValueError(f"unknown format {fmt}")
        if include_restricted:
            tmp.chmod(0o600)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return target


def write_dictionary(path: str | Path, lang: str = "es") -> Path:
    """Write the data dictionary (one row per field) as CSV."""
    target = Path(path)
    pd.DataFrame(data_dictionary(lang)).to_csv(target, index=False, encoding="utf-8-sig")
    return target
