"""Regional context of an entry: where it is, how its region's productivity stands and moves,
and what else the registry holds there. A pure function of the entry, the entries and the
indicator table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from registry.geo.boundaries import has_boundaries
from registry.i18n import tr
from registry.schema.codes import label
from registry.stats import firms

__all__ = ["HEADLINE_SERIES", "regional_context"]

#: Series shown in a region's context, in this order, when they have a value for it.
HEADLINE_SERIES = (
    "gdp_real_ref2018_per_employed",
    "va_per_employed_real",
    "gdp_real_chained_ref2018",
    "gdp_real_growth_pct",
    "employed_thousands_annual_avg",
)
#: Series whose level is comparable with the national one (rates, not totals).
_COMPARABLE = {"gdp_real_ref2018_per_employed", "va_per_employed_real", "gdp_real_growth_pct"}
_YEARLY = ("", "annual_average")


def _figure(series: pd.DataFrame, region: str) -> dict[str, Any] | None:
    rows = series[
        (series["region_code"] == region) & series["year"].notna() & series["period"].isin(_YEARLY)
    ].sort_values("year")
    if rows.empty:
        return None
    last = rows.iloc[-1]
    year = int(last["year"])
    out: dict[str, Any] = {
        "indicator": str(last["indicator"]),
        "year": year,
        "value": float(last["value"]),
        "unit": str(last["unit"]),
        "origin": str(last.get("origin", "")),
        "source_url": str(last["source_url"]),
        "national_value": None,
        "ratio_to_national": None,
        "previous_year": None,
        "previous_value": None,
        "change_pct": None,
        "trend": None,
    }
    national = series[
        (series["region_code"] == "00")
        & (series["year"] == year)
        & (series["period"] == last["period"])
    ]
    if len(national) and region != "00" and out["indicator"] in _COMPARABLE:
        out["national_value"] = float(national["value"].iloc[0])
        if out["national_value"]:
            out["ratio_to_national"] = out["value"] / out["national_value"]
    if len(rows) > 1:
        prev = rows.iloc[-2]
        out["previous_year"] = int(prev["year"])
        out["previous_value"] = float(prev["value"])
        if out["previous_value"]:
            out["change_pct"] = (out["value"] / out["previous_value"] - 1.0) * 100.0
    change = out["change_pct"]
    if out["indicator"].endswith("_growth_pct"):
        change = out["value"]  # the series is itself a growth rate
    if change is not None:
        out["trend"] = "up" if change > 0 else "down" if change < 0 else "flat"
    return out


def _tally(rows: pd.DataFrame) -> dict[str, int]:
    return {
        "entries": len(rows),
        "initiatives": int((rows["kind"] == "iap").sum()),
        "barrios": int((rows["kind"] == "barrio_comercial").sum()),
        **firms(rows),
    }


def regional_context(
    record: dict[str, Any],
    entries: pd.DataFrame,
    indicators: pd.DataFrame,
    region_names: dict[str, str],
    comuna_names: dict[str, str],
) -> dict[str, Any]:
    """Return the regional context of ``record``.

    Parameters
    ----------
    record : dict
        The entry.
    entries : pandas.DataFrame
        The entries to count (as ``Registry.list`` returns them).
    indicators : pandas.DataFrame
        The indicator table, derived rows included.
    region_names, comuna_names : dict
        Names by code.

    Returns
    -------
    dict
        ``region_code, region_name, comuna_code, comuna_name``; ``productivity``: for each
        of ``HEADLINE_SERIES`` with a value for the region, its latest yearly figure with
        the national value of that year, the ratio to it, the previous figure, the change
        and its ``trend`` (``up``/``down``/``flat``); ``in_region`` and ``in_comuna``:
        entries, initiatives, barrios and reported firms there (the entry included);
        ``note`` when there is no regional context (no region, or no boundaries installed
        for the entry's country) or no productivity series for the region (as outside
        Chile).
    """
    region = record.get("region_code") or None
    comuna = record.get("comuna_code") or None
    country = record.get("country")
    out: dict[str, Any] = {
        "region_code": region,
        "region_name": region_names.get(region) if region else None,
        "comuna_code": comuna,
        "comuna_name": comuna_names.get(comuna) if comuna else None,
        "productivity": [],
        "in_region": None,
        "in_comuna": None,
        "note": None,
    }
    if not has_boundaries(country):
        out["note"] = tr("no_boundaries", country=label("country", country) if country else "?")
        return out
    if region is None:
        out["note"] = tr("no_region")
        return out
    for name in HEADLINE_SERIES:
        figure = _figure(indicators[indicators["indicator"] == name], region)
        if figure is not None:
            out["productivity"].append(figure)
    if not out["productivity"]:  # e.g. outside Chile: nothing is loaded, nothing invented
        out["note"] = tr("no_series_for_region", region=out["region_name"] or region)
    out["in_region"] = _tally(entries[entries["region_code"] == region])
    if comuna:
        out["in_comuna"] = _tally(entries[entries["comuna_code"] == comuna])
    return out
