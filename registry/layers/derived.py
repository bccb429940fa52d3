"""Derived regional indicators, computed from the stored series and traceable to them.

Every derived row says it is derived (``origin = "derived"``), names its inputs (``inputs``:
``indicator[region,year,period]`` of each value used) and carries their sources. A derived
value exists only where all its inputs exist: gaps stay gaps.

- ``employed_thousands_annual_avg``: mean of the four calendar quarters (EFM, AMJ, JAS, OND)
  of ``employed_thousands``, for region-years that have all four.
- ``gdp_real_ref2018_per_employed``: labour productivity, ``gdp_real_chained_ref2018``
  (billions of chained 2018 pesos) / ``employed_thousands_annual_avg`` (thousands), i.e.
  millions of chained 2018 pesos per employed person.

``growth`` and ``convergence`` compare a series between two chosen years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from registry.errors import UsageError
from registry.i18n import tr
from registry.layers.indicators import CALENDAR_QUARTERS, COLUMNS, REGION_CODES

__all__ = [
    "DERIVED",
    "QUADRANTS",
    "DerivedSpec",
    "convergence",
    "growth",
    "with_derived",
]


@dataclass(frozen=True)
class DerivedSpec:
    """What a derived indicator is made of."""

    name: str
    inputs: tuple[str, ...]
    formula: str
    unit: str


DERIVED = {
    spec.name: spec
    for spec in (
        DerivedSpec(
            "employed_thousands_annual_avg",
            ("employed_thousands",),
            "mean of employed_thousands in EFM, AMJ, JAS and OND of the year "
            "(only where all four calendar quarters exist)",
            "thousand persons (ocupados, 15+), annual average of the 4 calendar quarters",
        ),
        DerivedSpec(
            "gdp_real_ref2018_per_employed",
            ("gdp_real_chained_ref2018", "employed_thousands_annual_avg"),
            "gdp_real_chained_ref2018 / employed_thousands_annual_avg (same region and year)",
            "million chained 2018 CLP per employed person",
        ),
    )
}

QUADRANTS = ("high_declining", "high_growing", "low_declining", "low_growing")
QUADRANT_RULE = (
    "high: initial value >= national value of the initial year, else low; "
    "declining: change < 0, else growing"
)


def _ref(indicator: str, region: str, year: Any, period: str) -> str:
    return f"{indicator}[{region},{year},{period}]" if period else f"{indicator}[{region},{year}]"


def _annual_employment(table: pd.DataFrame) -> pd.DataFrame:
    spec = DERIVED["employed_thousands_annual_avg"]
    rows = table[
        (table["indicator"] == "employed_thousands")
        & table["period"].isin(CALENDAR_QUARTERS)
        & table["year"].notna()
    ]
    out = []
    for (region, year), grp in rows.groupby(["region_code", "year"], sort=True):
        if set(grp["period"]) != set(CALENDAR_QUARTERS):
            continue  # incomplete year: no annual average
        grp = grp.set_index("period").loc[list(CALENDAR_QUARTERS)]
        out.append(
            {
                "region_code": region,
                "year": int(year),
                "period": "annual_average",
                "indicator": spec.name,
                "value": float(grp["value"].mean()),
                "unit": spec.unit,
                "source_url": " ".join(sorted(set(grp["source_url"]))),
                "notes": f"derived: {spec.formula}",
                "inputs": "; ".join(
                    _ref("employed_thousands", region, int(year), p) for p in CALENDAR_QUARTERS
                ),
            }
        )
    return pd.DataFrame(out, columns=[*COLUMNS, "inputs"])


def _productivity(table: pd.DataFrame, employment: pd.DataFrame) -> pd.DataFrame:
    spec = DERIVED["gdp_real_ref2018_per_employed"]
    gdp = table[(table["indicator"] == "gdp_real_chained_ref2018") & (table["period"] == "")]
    merged = gdp.merge(employment, on=["region_code", "year"], suffixes=("_gdp", "_emp"))
    out = [
        {
            "region_code": r.region_code,
            "year": int(r.year),
            "period": "",
            "indicator": spec.name,
            "value": float(r.value_gdp) / float(r.value_emp),
            "unit": spec.unit,
            "source_url": " ".join(sorted({r.source_url_gdp, *r.source_url_emp.split()})),
            "notes": f"derived: {spec.formula}",
            "inputs": "; ".join(
                (
                    _ref("gdp_real_chained_ref2018", r.region_code, int(r.year), ""),
                    _ref(spec.inputs[1], r.region_code, int(r.year), "annual_average"),
                )
            ),
        }
        for r in merged.itertuples()
    ]
    return pd.DataFrame(out, columns=[*COLUMNS, "inputs"])


def with_derived(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` plus the derived rows (``origin = "derived"``, with ``inputs``).

    Parameters
    ----------
    table : pandas.DataFrame
        Stored indicator rows (``COLUMNS`` and ``origin``).
    """
    base = table.copy()
    base["inputs"] = None
    employment = _annual_employment(base)
    productivity = _productivity(base, employment)
    derived = pd.concat([employment, productivity], ignore_index=True)
    derived["origin"] = "derived"
    if derived.empty:
        return base
    out = pd.concat([base, derived], ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    return out


def _pick(table: pd.DataFrame, indicator: str, year: int, period: str | None) -> pd.DataFrame:
    series = table[table["indicator"] == indicator]
    if series.empty:
        raise UsageError(tr("ind_unknown", name=indicator))
    rows = series[series["year"] == year]
    if period is not None:
        rows = rows[rows["period"] == period]
    if rows.empty:
        years = ", ".join(str(int(y)) for y in sorted(series["year"].dropna().unique()))
        raise UsageError(tr("ind_no_year", name=indicator, year=year, years=years))
    periods = sorted(set(rows["period"]))
    if len(periods) > 1:
        raise UsageError(
            tr(
                "ind_ambiguous_period",
                name=indicator,
                year=year,
                periods=", ".join(p or "-" for p in periods),
            )
        )
    return rows.set_index("region_code")


def growth(
    table: pd.DataFrame, indicator: str, start: int, end: int, period: str | None = None
) -> pd.DataFrame:
    """Change of ``indicator`` per region between two years.

    Parameters
    ----------
    table : pandas.DataFrame
        Indicator table (stored and derived rows).
    indicator : str
        Series name.
    start, end : int
        Initial and final years.
    period : str, optional
        Period to compare when the series has several per year (e.g. ``OND``).

    Returns
    -------
    pandas.DataFrame
        One row per region present in both years (``00`` included when present):
        ``region_code, initial, final, change_pct, cagr_pct``. ``attrs["missing"]`` lists
        regions present in only one of the two years; ``attrs["inputs"]`` the rows used.
    """
    if start == end:
        raise UsageError(tr("ind_same_year"))
    first = _pick(table, indicator, start, period)
    last = _pick(table, indicator, end, period)
    common = sorted(set(first.index) & set(last.index))
    out = pd.DataFrame(
        {
            "region_code": common,
            "initial": first.loc[common, "value"].to_numpy(dtype=float),
            "final": last.loc[common, "value"].to_numpy(dtype=float),
        }
    )
    ratio = out["final"] / out["initial"]
    out["change_pct"] = (ratio - 1.0) * 100.0
    out["cagr_pct"] = (np.sign(ratio) * np.abs(ratio) ** (1.0 / (end - start)) - 1.0) * 100.0
    out.attrs["missing"] = sorted(set(first.index) ^ set(last.index))
    out.attrs["period"] = (first["period"].iloc[0], last["period"].iloc[0])
    out.attrs["units"] = sorted(set(first["unit"]) | set(last["unit"]))
    out.attrs["sources"] = sorted(
        {u for s in (*first["source_url"], *last["source_url"]) for u in str(s).split()}
    )
    return out


def convergence(
    table: pd.DataFrame, indicator: str, start: int, end: int, period: str | None = None
) -> dict[str, Any]:
    """The convergence view: each region's initial level against its change.

    A region is ``high`` when its initial value is at least the national value (region
    ``00``) of the initial year, ``low`` otherwise; ``declining`` when its change is
    negative, ``growing`` otherwise (``QUADRANT_RULE``).

    Returns
    -------
    dict
        ``indicator, from, to, period, units, national`` (initial, final, change_pct),
        ``rule``, ``regions`` (list of ``region_code, initial, final, change_pct,
        quadrant``), ``missing`` (regions without both values) and ``sources``.

    Raises
    ------
    UsageError
        Unknown series, a year without data, an ambiguous period, or no national value for
        the initial year.
    """
    change = growth(table, indicator, start, end, period)
    national = change[change["region_code"] == "00"]
    if national.empty:
        raise UsageError(tr("ind_no_national", name=indicator, year=start))
    level = float(national["initial"].iloc[0])
    regions = change[change["region_code"] != "00"].copy()
    high = np.where(regions["initial"] >= level, "high", "low")
    trend = np.where(regions["change_pct"] < 0, "declining", "growing")
    regions["quadrant"] = [f"{h}_{t}" for h, t in zip(high, trend, strict=True)]
    row = national.iloc[0]
    return {
        "indicator": indicator,
        "from": start,
        "to": end,
        "period": [p or None for p in change.attrs["period"]],
        "units": change.attrs["units"],
        "national": {
            "initial": float(row["initial"]),
            "final": float(row["final"]),
            "change_pct": float(row["change_pct"]),
        },
        "rule": QUADRANT_RULE,
        "regions": [
            {
                "region_code": r.region_code,
                "initial": float(r.initial),
                "final": float(r.final),
                "change_pct": float(r.change_pct),
                "quadrant": r.quadrant,
            }
            for r in regions.itertuples()
        ],
        "missing": [r for r in REGION_CODES[1:] if r not in set(regions["region_code"])],
        "sources": change.attrs["sources"],
    }
