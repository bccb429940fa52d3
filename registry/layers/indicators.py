"""Regional indicators: one long table of sourced values, validated, with its coverage.

A row is one value of one indicator for one region (``00`` = Chile) in one year and period:

``region_code, year, period, indicator, value, unit, source_url, notes``

``period`` is empty for a yearly figure, ``annual_average`` for a published annual mean, or
an INE moving-quarter code (``DEF`` ... ``NDE``; ``year`` is the year of its central month,
so ``DEF 2021`` is Dec 2020 - Feb 2021). A *series* is all rows of one ``indicator``.

The bundled series live in ``geodata/regional_indicators.csv``. An analyst can add or
replace series with ``iap-registry indicators import``; those are kept in the registry's
store and take the place of a bundled series of the same name. Derived series
(``registry.layers.derived``) are computed from these, never stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from registry.errors import Problem, ValidationFailed
from registry.i18n import tr
from registry.paths import cache_dir

__all__ = [
    "CALENDAR_QUARTERS",
    "COLUMNS",
    "MOVING_QUARTERS",
    "PERIODS",
    "REGION_CODES",
    "REGION_GROUPS",
    "bundled_indicators",
    "coverage",
    "read_indicator_file",
    "validate_indicator_rows",
]

COLUMNS = ("region_code", "year", "period", "indicator", "value", "unit", "source_url", "notes")
REQUIRED = ("region_code", "year", "period", "indicator", "value", "unit", "source_url")
_IGNORED_COLUMNS = {"region_name"}  # present in the source files; names come from the DPA
#: ``00`` is Chile as a whole; ``01``-``16`` are the regions (CUT codes).
REGION_CODES = tuple(f"{i:02d}" for i in range(17))
#: Groups of regions a series may be given for: ``08+16`` is Biobío as it was before Ñuble
#: was split from it in 2018 (OECD's TL2 ``CL08``), for comparisons that start earlier.
REGION_GROUPS = {"08+16": ("08", "16")}
MOVING_QUARTERS = (
    "DEF",
    "EFM",
    "FMA",
    "MAM",
    "AMJ",
    "MJJ",
    "JJA",
    "JAS",
    "ASO",
    "SON",
    "OND",
    "NDE",
)
#: The moving quarters that are calendar quarters (Q1-Q4).
CALENDAR_QUARTERS = ("EFM", "AMJ", "JAS", "OND")
PERIODS = ("", "annual_average", *MOVING_QUARTERS)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,63}")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_MAX_TEXT = 2000

BUNDLED_FILE = "regional_indicators.csv"


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(text: str) -> float | None:
    cleaned = text.replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def validate_indicator_rows(
    rows: list[dict[str, Any]],
    first_row: int = 2,
    reserved: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Validate raw indicator rows and return them as a typed table.

    Parameters
    ----------
    rows : list of dict
        One dict per row, keyed by column name (values as text or numbers).
    first_row : int
        The row number of ``rows[0]`` in the user's file (2 for a CSV with a header).
    reserved : frozenset of str
        Indicator names that may not be used (the derived ones).

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``: ``year`` as nullable ``Int64``, ``value`` as float.

    Raises
    ------
    ValidationFailed
        With every problem, row-numbered, when any row is invalid (all or nothing).
    """
    problems: list[Problem] = []
    if not rows:
        raise ValidationFailed([Problem(None, "-", tr("ind_empty_file"))], tr("ind_empty_file"))
    columns = set().union(*(r.keys() for r in rows))
    for column in REQUIRED:
        if column not in columns:
            problems.append(
                Problem(
                    1, column, tr("ind_missing_column", column=column, required=", ".join(REQUIRED))
                )
            )
    for column in sorted(columns - set(COLUMNS) - _IGNORED_COLUMNS):
        problems.append(
            Problem(1, column, tr("ind_unknown_column", column=column, allowed=", ".join(COLUMNS)))
        )
    if problems:
        raise ValidationFailed(problems, tr("ind_rejected", n=len(problems)))

    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, Any, str, str], int] = {}
    for offset, raw in enumerate(rows):
        row = first_row + offset
        bad = len(problems)
        region = _text(raw.get("region_code"))
        if region.isdigit() and len(region) == 1:
            region = "0" + region
        if region not in REGION_CODES and region not in REGION_GROUPS:
            problems.append(
                Problem(row, "region_code", tr("ind_unknown_region", value=region[:40]))
            )
        year_text = _text(raw.get("year"))
        year: int | None = None
        if year_text:
            number = _number(year_text)
            if number is None or number != int(number) or not 1900 <= number <= 2100:
                problems.append(Problem(row, "year", tr("ind_bad_year", value=year_text[:40])))
            else:
                year = int(number)
        period = _text(raw.get("period"))
        period = period.upper() if period.upper() in MOVING_QUARTERS else period.lower()
        if period not in PERIODS:
            problems.append(
                Problem(
                    row,
                    "period",
                    tr("ind_bad_period", value=period[:40], allowed=", ".join(PERIODS[1:])),
                )
            )
        name = _text(raw.get("indicator"))
        if not _NAME.fullmatch(name):
            problems.append(Problem(row, "indicator", tr("ind_bad_name", value=name[:80])))
        elif name in reserved:
            problems.append(Problem(row, "indicator", tr("ind_reserved_name", value=name)))
        value_text = _text(raw.get("value"))
        value = _number(value_text)
        if value is None:
            problems.append(Problem(row, "value", tr("ind_bad_value", value=value_text[:40])))
        unit = _text(raw.get("unit"))
        if not unit:
            problems.append(Problem(row, "unit", tr("required")))
        url = _text(raw.get("source_url"))
        if not _URL.fullmatch(url) or len(url) > _MAX_TEXT:
            problems.append(Problem(row, "source_url", tr("ind_bad_url", value=url[:80])))
        notes = _text(raw.get("notes"))
        for field, text in (("unit", unit), ("notes", notes)):
            if len(text) > _MAX_TEXT:
                problems.append(Problem(row, field, tr("too_long", n=len(text), max=_MAX_TEXT)))
            if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
                problems.append(Problem(row, field, tr("control_chars")))
        if len(problems) > bad:
            continue
        key = (region, year, period, name)
        if key in seen:
            shown = f"{name}, {region}, {year if year is not None else '-'}, {period or '-'}"
            problems.append(
                Problem(row, "indicator", tr("ind_duplicate", what=shown, first=seen[key]))
            )
            continue
        seen[key] = row
        out.append(
            {
                "region_code": region,
                "year": year,
                "period": period,
                "indicator": name,
                "value": value,
                "unit": unit,
                "source_url": url,
                "notes": notes,
            }
        )
    if problems:
        raise ValidationFailed(problems, tr("ind_rejected", n=len(problems)))
    return _typed(pd.DataFrame(out, columns=list(COLUMNS)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["year"] = frame["year"].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    for column in ("region_code", "period", "indicator", "unit", "source_url", "notes"):
        frame[column] = frame[column].fillna("").astype(object)
    return frame


def read_indicator_file(path: str | Path, reserved: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Read and validate an indicators CSV (UTF-8 or Windows-1252, ``,`` or ``;``).

    Raises
    ------
    ValidationFailed
        With row-numbered problems (the header is row 1); nothing is returned in part.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            detail = f"{len(cells)} / {len(header)} columns"
            problems.append(Problem(number, "-", tr("bad_type", detail=detail)))
        rows.append(dict(zip(header, cells, strict=False)))
    if problems:
        raise ValidationFailed(problems, tr("ind_rejected", n=len(problems)))
    return validate_indicator_rows(rows, first_row=2, reserved=reserved)


def _validated_key(data: bytes) -> str:
    """What a validated table depends on: the file's bytes, the rules (this module's
    source) and the pandas that stores it."""
    digest = hashlib.sha256(data)
    digest.update(Path(__file__).read_bytes())
    digest.update(pd.__version__.encode())
    return digest.hexdigest()[:32]


@lru_cache(maxsize=4)
def _bundled(path: str, _mtime: float) -> pd.DataFrame:
    """The bundled file validated, once per content: a table validated before (by any
    process) is read back from the cache directory as Parquet; a cache that cannot be read
    or written is only slower, never wrong."""
    data = Path(path).read_bytes()
    cached = cache_dir() / f"indicators-{_validated_key(data)}.parquet"
    try:
        return _typed(pd.read_parquet(cached))
    except (OSError, ValueError, pa.ArrowException):
        pass
    table = read_indicator_file(path)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, cached)  # readers see the whole file or none
    except OSError:
        pass
    return table


def bundled_indicators(geodata: Path) -> pd.DataFrame:
    """Return the bundled indicator table from ``geodata/regional_indicators.csv``.

    Validated once per content of the file (kept in ``cache_dir()``), read once per
    process."""
    path = geodata / BUNDLED_FILE
    return _bundled(str(path), path.stat().st_mtime).copy()


def _ranges(years: list[int]) -> str:
    """Compact year list: ``[2013, 2014, 2015, 2017]`` -> ``"2013-2015, 2017"``."""
    if not years:
        return ""
    out: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def coverage(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Describe each series: what it covers and what is missing.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table (``COLUMNS`` plus, optionally, ``origin`` and ``inputs``).

    Returns
    -------
    list of dict
        Per indicator: ``indicator, origin`` (of its stored rows, else ``derived`` or
        ``estimated``), ``origins`` (all), ``estimated`` (``{region: years}`` of the values
        estimated or projected), ``unit(s), rows, years, periods, regions``
        (codes present), ``national`` (bool), ``missing`` (``{region: [years]}`` for every
        region ``01``-``16`` lacking a year the series has (not for a ``scope = national``
        series, which has only ``00``), ``00`` included only when the
        series has some national value, else ``"all"``) and ``sources``.
    """
    out = []
    regions = [c for c in REGION_CODES if c != "00"]
    for name, grp in table.groupby("indicator", sort=True):
        years = sorted(int(y) for y in grp["year"].dropna().unique())
        present = {
            (r, int(y)) for r, y in zip(grp["region_code"], grp["year"], strict=True) if pd.notna(y)
        }
        has_national = "00" in set(grp["region_code"])
        national_only = set(grp["region_code"]) == {"00"}
        expect = ([] if national_only else regions) + (["00"] if has_national else [])
        missing: dict[str, str] = {
            r: _ranges([y for y in years if (r, y) not in present])
            for r in expect
            if any((r, y) not in present for y in years)
        }
        if not has_national:
            missing["00"] = "all"
        origins = set(grp["origin"]) if "origin" in grp else set()
        flagged = (
            grp[grp["estimated"].fillna(False).astype(bool)] if "estimated" in grp else grp[:0]
        )
        out.append(
            {
                "indicator": name,
                # a series is what its stored rows are; derived or estimated when it has none
                "origin": next(
                    (o for o in ("imported", "bundled", "derived", "estimated") if o in origins), ""
                ),
                "origins": sorted(origins),
                "estimated": {
                    str(r): _ranges(sorted(int(y) for y in g["year"].dropna()))
                    for r, g in flagged.groupby("region_code", sort=True)
                },
                "scope": "national" if national_only else "regional",
                "units": sorted(set(grp["unit"])),
                "rows": len(grp),
                "years": _ranges(years),
                "year_not_stated": int(grp["year"].isna().sum()),
                "periods": sorted(set(grp["period"])),
                "regions": sorted(set(grp["region_code"])),
                "national": has_national,
                "missing": missing,
                "sources": sorted({u for s in grp["source_url"] for u in str(s).split()}),
            }
        )
    return out
