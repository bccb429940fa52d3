"""Regional context of an entry: where it is, how its region's productivity stands and moves,
and what else the registry holds there. A pure function of the entry, the entries and the
indicator table."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from registry.errors import UsageError
from registry.geo.boundaries import has_boundaries
from registry.i18n import number, tr
from registry.layers.derived import GROUP, MEASURES, growth
from registry.layers.indicators import REGION_GROUPS
from registry.schema.codes import label
from registry.stats import firms

__all__ = [
    "HEADLINE_SERIES",
    "measure_change",
    "measure_text",
    "region_figures",
    "regional_context",
]

#: Series shown in a region's context, in this order, when they have a value for it.
HEADLINE_SERIES = (
    "gdp_usd2018_per_employed",
    "gdp_real_ref2018_per_employed",
    "va_per_employed_real",
    "gdp_real_chained_ref2018",
    "gdp_real_growth_pct",
    "employed_thousands_annual_avg",
)
#: Series whose level is comparable with the national one (rates, not totals).
_COMPARABLE = {*MEASURES, "va_per_employed_real", "gdp_real_growth_pct"}
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
        "estimated": bool(last.get("estimated", False)),
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


def measure_change(
    indicators: pd.DataFrame, region: str, measure: str, start: int, end: int
) -> dict[str, Any] | None:
    """``measure`` for ``region`` and Chile in ``start`` and ``end`` and its change.

    Where the region has no value in ``start`` and belongs to a group that has (Biobío or
    Ñuble before 2018), the group's figures are given (``area``). None when neither has
    both years or Chile has none.
    """
    out = None
    for group in (False, True):
        try:
            change = growth(indicators, measure, start, end, group=group)
        except UsageError:
            return None
        area = GROUP if group and region in REGION_GROUPS[GROUP] else region
        rows = change.set_index("region_code")
        if area in rows.index and "00" in rows.index:
            own, chile = rows.loc[area], rows.loc["00"]
            out = {
                "indicator": measure,
                "unit": change.attrs["units"][0] if change.attrs["units"] else "",
                "from": start,
                "to": end,
                "area": area,
                **_figures(own),
                "national": _figures(chile),
            }
            break
        if region not in REGION_GROUPS[GROUP]:
            break
    return out


def _figures(row: pd.Series) -> dict[str, Any]:
    return {
        **{k: float(row[k]) for k in ("initial", "final", "change_pct")},
        **{k: bool(row[k]) for k in ("initial_estimated", "final_estimated")},
    }


def measure_text(m: dict[str, Any], region_name: str | None, lang: str | None = None) -> str:
    """One line: the chosen measure's level in both years and change, for the entry's region
    (or its group) and Chile; ``*`` marks an estimated value."""

    def level(row: dict[str, Any], key: str) -> str:
        return number(row[key], lang, 2) + ("*" if row[f"{key}_estimated"] else "")

    def change(row: dict[str, Any]) -> str:
        return ("+" if row["change_pct"] > 0 else "") + number(row["change_pct"], lang, 1) + " %"

    area = (
        tr("region_group_08_16", lang=lang) if m["area"] == "08+16" else (region_name or m["area"])
    )
    nat = m["national"]
    text = tr(
        "ctx_measure",
        lang=lang,
        start=m["from"],
        end=m["to"],
        area=area,
        initial=level(m, "initial"),
        final=level(m, "final"),
        change=change(m),
        n_initial=level(nat, "initial"),
        n_final=level(nat, "final"),
        n_change=change(nat),
    )
    if m["initial_estimated"] or m["final_estimated"]:
        text += " " + tr("ctx_estimated_mark", lang=lang)
    return text


def region_figures(
    indicators: pd.DataFrame, region: str, measure: tuple[str, int, int] | None = None
) -> dict[str, Any]:
    """The productivity part of a region's context: for each of ``HEADLINE_SERIES`` with a
    value for ``region``, its latest yearly figure (``productivity``, see
    ``regional_context``), and the chosen ``measure``'s change (``measure_change``; by
    default the first of ``MEASURES`` from 2010 to its latest year), or None.

    The same for every entry of the region: ``Registry.context`` keeps it per data version.
    """
    productivity = []
    for name in HEADLINE_SERIES:
        figure = _figure(indicators[indicators["indicator"] == name], region)
        if figure is not None:
            productivity.append(figure)
    if measure is None:
        years = indicators.loc[indicators["indicator"] == MEASURES[0], "year"].dropna()
        measure = (MEASURES[0], 2010, int(years.max())) if len(years) else None
    change = None
    if measure is not None and productivity:
        change = measure_change(indicators, region, *measure)
    return {"productivity": productivity, "measure": change}


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
    measure: tuple[str, int, int] | None = None,
    figures: dict[str, Any] | None = None,
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
    measure : tuple, optional
        ``(indicator, start, end)``: the productivity measure and the years to compare
        (``measure_change``); by default the first of ``MEASURES`` from 2010 to its
        latest year.
    figures : dict, optional
        ``region_figures(indicators, region, measure)`` for the entry's region, when the
        caller has it already (it is the same for every entry of a region).

    Returns
    -------
    dict
        ``region_code, region_name, comuna_code, comuna_name``; ``productivity``: for each
        of ``HEADLINE_SERIES`` with a value for the region, its latest yearly figure with
        the national value of that year, the ratio to it, the previous figure, the change
        and its ``trend`` (``up``/``down``/``flat``); ``measure``: the chosen measure's
        level in both years and change, for the region and Chile (``measure_change``), or
        None; ``in_region`` and ``in_comuna``:
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
        "measure": None,
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
    figures = region_figures(indicators, region, measure) if figures is None else figures
    out["productivity"] = [dict(f) for f in figures["productivity"]]
    out["measure"] = copy.deepcopy(figures["measure"])
    if not out["productivity"]:  # e.g. outside Chile: nothing is loaded, nothing invented
        out["note"] = tr("no_series_for_region", region=out["region_name"] or region)
    out["in_region"] = _tally(entries[entries["region_code"] == region])
    if comuna:
        out["in_comuna"] = _tally(entries[entries["comuna_code"] == comuna])
    return out
