"""Derived regional indicators, computed from the stored series and traceable to them.

Every derived row says how it came to be (``origin``: ``derived`` for arithmetic on
sourced values, ``estimated`` where a method stands in for a value no source gives), names
its inputs (``inputs``: ``indicator[region,year,period]`` of each value used) and carries
their sources. A derived value exists only where all its inputs exist: gaps stay gaps. A
value computed from an estimated one is itself estimated.

Annual averages (``employed_thousands_annual_avg``, ``labour_force_thousands_annual_avg``)
are the mean of the four calendar quarters (EFM, AMJ, JAS, OND), only where all four exist.

The group ``08+16`` (Biobío with Ñuble, as Biobío was before 2018) is added to the series
that add up (GDP at current prices and in chained volumes, employment, labour force) as the
sum of its two regions, so that comparisons starting before 2018 can use the group.

Before 2013, the first year of the BCCh reference-2018 regional accounts, GDP is
**estimated** (``BACKCAST``): chained volumes move back from the 2013 level with each
region's real growth in OECD's regional accounts (constant 2015 PPP dollars; OECD has the 15
regions before 2018, so Biobío only as ``08+16``); GDP at current prices moves back from
its 2013 level with the same real growth and Chile's GDP deflator. Chile (``00``) moves
back with the sum of OECD's 15 regions.

The productivity measures (``MEASURES``) divide a GDP series by annual employment or labour
force; the article's measure converts each year's current pesos to dollars at that year's
market rate and deflates them with the US GDP deflator to dollars of 2018.

``growth`` and ``convergence`` compare a series between two chosen years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from registry.errors import UsageError
from registry.i18n import tr
from registry.layers.indicators import CALENDAR_QUARTERS, COLUMNS, REGION_CODES, REGION_GROUPS

__all__ = [
    "BACKCAST",
    "DERIVED",
    "MEASURES",
    "QUADRANTS",
    "DerivedSpec",
    "convergence",
    "growth",
    "needs_group",
    "with_derived",
]

#: the group compared in place of its regions when a comparison asks for it
GROUP = "08+16"


@dataclass(frozen=True)
class DerivedSpec:
    """What a derived indicator is made of."""

    name: str
    inputs: tuple[str, ...]
    formula: str
    unit: str


_AVERAGE = "mean({0}[EFM, AMJ, JAS, OND])"
DERIVED = {
    spec.name: spec
    for spec in (
        DerivedSpec(
            "employed_thousands_annual_avg",
            ("ene_employed_thousands",),
            _AVERAGE.format("ene_employed_thousands"),
            "thousand persons (ocupados, 15+), annual average of the 4 calendar quarters",
        ),
        DerivedSpec(
            "labour_force_thousands_annual_avg",
            ("ene_labour_force_thousands",),
            _AVERAGE.format("ene_labour_force_thousands"),
            "thousand persons (fuerza de trabajo, 15+), annual average of the 4 calendar quarters",
        ),
        DerivedSpec(
            "gdp_real_ref2018_per_employed",
            ("gdp_real_chained_ref2018", "employed_thousands_annual_avg"),
            "gdp_real_chained_ref2018 / employed_thousands_annual_avg",
            "million chained 2018 CLP per employed person",
        ),
        DerivedSpec(
            "gdp_real_ref2018_usd_per_employed",
            (
                "gdp_real_chained_ref2018",
                "employed_thousands_annual_avg",
                "exchange_rate_clp_per_usd",
            ),
            "gdp_real_chained_ref2018 x 1e9 / exchange_rate_clp_per_usd[2018] / "
            "(employed_thousands_annual_avg x 1e3)",
            "US dollars per employed person (chained 2018 prices, 2018 exchange rate)",
        ),
        DerivedSpec(
            "gdp_usd2018_per_employed",
            (
                "gdp_nominal_ref2018",
                "exchange_rate_clp_per_usd",
                "us_gdp_deflator_2017_100",
                "employed_thousands_annual_avg",
            ),
            "gdp_nominal_ref2018 x 1e9 / exchange_rate_clp_per_usd[year] x "
            "us_gdp_deflator_2017_100[2018] / us_gdp_deflator_2017_100[year] / "
            "(employed_thousands_annual_avg x 1e3)",
            "constant 2018 US dollars per employed person (market exchange rate of each year, "
            "US GDP deflator)",
        ),
        DerivedSpec(
            "gdp_real_ref2018_per_labour_force",
            ("gdp_real_chained_ref2018", "labour_force_thousands_annual_avg"),
            "gdp_real_chained_ref2018 / labour_force_thousands_annual_avg",
            "million chained 2018 CLP per labour-force participant",
        ),
    )
}
#: the productivity measures, the article's first
MEASURES = (
    "gdp_usd2018_per_employed",
    "gdp_real_ref2018_usd_per_employed",
    "gdp_real_ref2018_per_employed",
    "gdp_real_ref2018_per_labour_force",
)
#: series the ``08+16`` group is added to, as the sum of its regions
_ADDITIVE = {
    "gdp_nominal_ref2018": "sum of the two regions",
    "gdp_real_chained_ref2018": (
        "sum of the two regions (approximate: chained volumes add up exactly only in 2018)"
    ),
    "employed_thousands_annual_avg": "sum of the two regions",
    "labour_force_thousands_annual_avg": "sum of the two regions",
}
_OECD = "gdp_real_oecd_musd_ppp2015"
_DEFLATOR = "cl_gdp_deflator_2018_100"
#: back-casts: estimated series -> the method in words
BACKCAST = {
    "gdp_real_chained_ref2018": (
        "the region's first BCCh level (2013) x its real growth in OECD regional "
        f"GDP ({_OECD}[year] / {_OECD}[2013]); Chile: the sum of OECD's 15 regions"
    ),
    "gdp_nominal_ref2018": (
        "the region's first BCCh level (2013) x its real growth in OECD regional "
        f"GDP ({_OECD}[year] / {_OECD}[2013]) x Chile's GDP deflator ({_DEFLATOR}[year] / "
        f"{_DEFLATOR}[2013]): the region's own prices are assumed to move as the country's"
    ),
}
#: first year estimated (employment, which every measure needs, starts in 2010)
BACKCAST_FROM = 2010

QUADRANTS = ("high_declining", "high_growing", "low_declining", "low_growing")
QUADRANT_RULE = (
    "high: initial value >= national value of the initial year, else low; "
    "declining: change < 0, else growing"
)

_KEY = ["region_code", "year"]
_PART_COLUMNS = [*_KEY, "value", "source_url", "inputs", "estimated"]


def _ref(indicator: str, region: str, year: Any, period: str) -> str:
    return f"{indicator}[{region},{year}{',' + period if period else ''}]"


def _urls(*columns: pd.Series) -> list[str]:
    return [
        " ".join(sorted({u for c in cells for u in str(c).split()}))
        for cells in zip(*columns, strict=True)
    ]


def _annual(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The yearly rows of series ``name`` as parts: region, year, value, sources, inputs,
    estimated (an empty frame when the series has none)."""
    rows = table[
        (table["indicator"] == name)
        & table["year"].notna()
        & table["period"].isin(("", "annual_average"))
    ]
    out = pd.DataFrame(
        {
            "region_code": rows["region_code"].astype(str),
            "year": rows["year"].astype(int),
            "value": rows["value"].astype(float),
            "source_url": rows["source_url"].astype(str),
            "estimated": rows["estimated"].astype(bool),
        }
    )
    period = rows["period"].astype(str)
    out["inputs"] = [
        _ref(name, r, y, p) for r, y, p in zip(out["region_code"], out["year"], period, strict=True)
    ]
    return out.reset_index(drop=True)[_PART_COLUMNS]


def _rows(
    spec_name: str, parts: pd.DataFrame, unit: str, notes: str, backcast: bool
) -> pd.DataFrame:
    """Rows of the indicator table from parts; ``notes`` says how they were computed (a
    back-cast's method, or the formula of a value computed from others)."""
    out = parts.copy()
    out["indicator"] = spec_name
    out["period"] = "annual_average" if spec_name.endswith("_annual_avg") else ""
    out["unit"] = unit
    estimated = "estimated: " if backcast else "estimated inputs; "
    out["notes"] = np.where(out["estimated"], estimated + notes, "derived: " + notes)
    out["origin"] = np.where(out["estimated"], "estimated", "derived")
    return out[[*COLUMNS, "inputs", "origin", "estimated"]]


def _average(table: pd.DataFrame, spec: DerivedSpec) -> pd.DataFrame:
    source = spec.inputs[0]
    rows = table[
        (table["indicator"] == source)
        & table["period"].isin(CALENDAR_QUARTERS)
        & table["year"].notna()
    ]
    if rows.empty:
        return pd.DataFrame(columns=_PART_COLUMNS)
    rows = rows.assign(year=rows["year"].astype(int))
    grouped = rows.groupby(_KEY, sort=True)
    parts = grouped.agg(
        value=("value", "mean"),
        quarters=("period", "nunique"),
        source_url=("source_url", lambda s: " ".join(sorted({u for x in s for u in x.split()}))),
        estimated=("estimated", "any"),
    ).reset_index()
    parts = parts[parts["quarters"] == len(CALENDAR_QUARTERS)]
    parts["inputs"] = [
        "; ".join(_ref(source, r, y, p) for p in CALENDAR_QUARTERS)
        for r, y in zip(parts["region_code"], parts["year"], strict=True)
    ]
    return parts[_PART_COLUMNS]


def _group(parts: pd.DataFrame) -> pd.DataFrame:
    """The ``08+16`` rows of an additive series: the sum where both regions have a value."""
    members = REGION_GROUPS[GROUP]
    rows = parts[parts["region_code"].isin(members)]
    if rows.empty or (parts["region_code"] == GROUP).any():
        return pd.DataFrame(columns=_PART_COLUMNS)
    both = rows.groupby("year").filter(lambda g: set(g["region_code"]) == set(members))
    if both.empty:
        return pd.DataFrame(columns=_PART_COLUMNS)
    out = (
        both.groupby("year", sort=True)
        .agg(
            value=("value", "sum"),
            source_url=(
                "source_url",
                lambda s: " ".join(sorted({u for x in s for u in x.split()})),
            ),
            estimated=("estimated", "any"),
            inputs=("inputs", lambda s: "; ".join(s)),
        )
        .reset_index()
    )
    out["region_code"] = GROUP
    return out[_PART_COLUMNS]


def _backcast(
    level: pd.DataFrame, oecd: pd.DataFrame, deflator: pd.DataFrame | None, name: str
) -> pd.DataFrame:
    """Estimated yearly values of ``level`` before its first year (see ``BACKCAST``)."""
    if level.empty or oecd.empty:
        return pd.DataFrame(columns=_PART_COLUMNS)
    regions = oecd[~oecd["region_code"].isin(("00",))]
    # Chile moves with the sum of OECD's regions, in the years all 15 are there
    counts = regions.groupby("year")["region_code"].nunique()
    full = counts[counts == counts.max()].index
    total = (
        regions[regions["year"].isin(full)]
        .groupby("year", as_index=False)
        .agg(
            value=("value", "sum"),
            source_url=("source_url", "first"),
            estimated=("estimated", "any"),
        )
        .assign(region_code="00", inputs=f"{_OECD}[sum of the regions]")
    )
    growth = pd.concat([regions, total], ignore_index=True)
    out = []
    for region, own in level.groupby("region_code"):
        anchor = own.loc[own["year"].idxmin()]
        base_year = int(anchor["year"])
        path = growth[growth["region_code"] == region].set_index("year")
        if base_year not in path.index:
            continue
        for year in range(BACKCAST_FROM, base_year):
            if year not in path.index:
                continue
            factor = float(path.at[year, "value"]) / float(path.at[base_year, "value"])
            inputs = [
                _ref(name, region, base_year, ""),
                f"{_OECD}[{region},{year}]",
                f"{_OECD}[{region},{base_year}]",
            ]
            sources = {anchor["source_url"], path.at[year, "source_url"]}
            if deflator is not None:
                prices = deflator.set_index("year")
                if year not in prices.index or base_year not in prices.index:
                    continue
                factor *= float(prices.at[year, "value"]) / float(prices.at[base_year, "value"])
                inputs += [f"{_DEFLATOR}[00,{year}]", f"{_DEFLATOR}[00,{base_year}]"]
                sources.add(prices.at[year, "source_url"])
            out.append(
                {
                    "region_code": region,
                    "year": year,
                    "value": float(anchor["value"]) * factor,
                    "source_url": " ".join(sorted({u for s in sources for u in str(s).split()})),
                    "inputs": "; ".join(inputs),
                    "estimated": True,
                }
            )
    return pd.DataFrame(out, columns=_PART_COLUMNS)


def _ratio(
    top: pd.DataFrame,
    bottom: pd.DataFrame,
    scale: float | pd.Series = 1.0,
) -> pd.DataFrame:
    """``top / bottom * scale`` per region and year (``scale`` may be per year)."""
    merged = top.merge(bottom, on=_KEY, suffixes=("_t", "_b"))
    if isinstance(scale, pd.DataFrame):
        merged = merged.merge(scale, on="year")
        factor = merged["factor"].to_numpy(dtype=float)
        extra_inputs = merged["factor_inputs"]
        extra_urls = merged["factor_url"]
        extra_estimated = merged["factor_estimated"].astype(bool)
    else:
        factor = float(scale)
        extra_inputs = pd.Series("", index=merged.index)
        extra_urls = pd.Series("", index=merged.index)
        extra_estimated = pd.Series(False, index=merged.index)
    out = pd.DataFrame(
        {
            "region_code": merged["region_code"],
            "year": merged["year"].astype(int),
            "value": merged["value_t"].to_numpy(float) / merged["value_b"].to_numpy(float) * factor,
            "source_url": _urls(merged["source_url_t"], merged["source_url_b"], extra_urls),
            "inputs": [
                "; ".join(x for x in parts if x)
                for parts in zip(merged["inputs_t"], merged["inputs_b"], extra_inputs, strict=True)
            ],
            "estimated": merged["estimated_t"] | merged["estimated_b"] | extra_estimated,
        }
    )
    return out[_PART_COLUMNS]


def _usd_factor(
    fx: pd.DataFrame, deflator: pd.DataFrame | None, years: list[int], base: int = 2018
) -> pd.DataFrame:
    """Per year of ``years``: pesos -> US dollars of ``base``.

    With ``deflator``: ``1 / fx[year] x deflator[base] / deflator[year]`` (each year's market
    rate, then US prices); without: ``1 / fx[base]`` for every year (one rate). Years
    lacking an input are left out.
    """
    rate = fx[fx["region_code"] == "00"].set_index("year")
    prices = None if deflator is None else deflator[deflator["region_code"] == "00"]
    prices = None if prices is None else prices.set_index("year")
    rows = []
    for year in years:
        at = year if prices is not None else base
        if at not in rate.index or (prices is not None and {base, year} - set(prices.index)):
            continue
        # billion pesos / thousand persons = million pesos per person
        factor = 1e6 / float(rate.at[at, "value"])
        inputs = [f"exchange_rate_clp_per_usd[00,{at},annual_average]"]
        urls = [str(rate.at[at, "source_url"])]
        estimated = bool(rate.at[at, "estimated"])
        if prices is not None:
            factor *= float(prices.at[base, "value"]) / float(prices.at[year, "value"])
            inputs += [
                f"us_gdp_deflator_2017_100[00,{base}]",
                f"us_gdp_deflator_2017_100[00,{year}]",
            ]
            urls.append(str(prices.at[year, "source_url"]))
            estimated = estimated or bool(
                prices.at[year, "estimated"] or prices.at[base, "estimated"]
            )
        rows.append(
            {
                "year": year,
                "factor": factor,
                "factor_inputs": "; ".join(inputs),
                "factor_url": " ".join(urls),
                "factor_estimated": estimated,
            }
        )
    return pd.DataFrame(
        rows, columns=["year", "factor", "factor_inputs", "factor_url", "factor_estimated"]
    )


def with_derived(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` plus the derived and estimated rows.

    Parameters
    ----------
    table : pandas.DataFrame
        Stored indicator rows (``COLUMNS`` and ``origin``).

    Returns
    -------
    pandas.DataFrame
        ``COLUMNS``, ``origin`` (``derived`` or ``estimated`` for the added rows),
        ``inputs`` (the rows each added value was computed from) and ``estimated``
        (True for back-casts, values computed from them, and source rows marked as
        projections).
    """
    base = table.copy()
    base["inputs"] = None
    base["estimated"] = base["notes"].fillna("").str.startswith("PROJECTION")
    added: list[pd.DataFrame] = []

    def add(
        name: str, parts: pd.DataFrame, notes: str | None = None, backcast: bool = False
    ) -> None:
        if len(parts):
            spec = DERIVED.get(name)
            unit = spec.unit if spec else str(base.loc[base["indicator"] == name, "unit"].iloc[0])
            notes = notes or (spec.formula if spec else "")
            added.append(_rows(name, parts, unit, notes, backcast))

    series: dict[str, pd.DataFrame] = {}
    for name in ("employed_thousands_annual_avg", "labour_force_thousands_annual_avg"):
        series[name] = _average(base, DERIVED[name])
        add(name, series[name])
    for name in ("gdp_nominal_ref2018", "gdp_real_chained_ref2018"):
        series[name] = _annual(base, name)
    for name, method in _ADDITIVE.items():
        group = _group(series[name])
        add(name, group, f"{GROUP} (Biobío + Ñuble): {method}")
        series[name] = pd.concat([series[name], group], ignore_index=True)
    oecd = _annual(base, _OECD)
    deflator = _annual(base, _DEFLATOR)
    for name in ("gdp_real_chained_ref2018", "gdp_nominal_ref2018"):
        prices = deflator[deflator["region_code"] == "00"] if "nominal" in name else None
        if prices is not None and prices.empty:
            continue
        estimated = _backcast(series[name], oecd, prices, name)
        add(name, estimated, BACKCAST[name], backcast=True)
        series[name] = pd.concat([series[name], estimated], ignore_index=True)

    employed = series["employed_thousands_annual_avg"]
    real, nominal = series["gdp_real_chained_ref2018"], series["gdp_nominal_ref2018"]
    fx = _annual(base, "exchange_rate_clp_per_usd")
    us = _annual(base, "us_gdp_deflator_2017_100")
    add("gdp_real_ref2018_per_employed", _ratio(real, employed))
    years = sorted(set(real["year"]) | set(nominal["year"]))
    add("gdp_real_ref2018_usd_per_employed", _ratio(real, employed, _usd_factor(fx, None, years)))
    add("gdp_usd2018_per_employed", _ratio(nominal, employed, _usd_factor(fx, us, years)))
    add(
        "gdp_real_ref2018_per_labour_force",
        _ratio(real, series["labour_force_thousands_annual_avg"]),
    )
    derived = pd.concat([a for a in added if len(a)], ignore_index=True) if added else None
    if derived is None or derived.empty:
        return base
    out = pd.concat([base, derived], ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["estimated"] = out["estimated"].astype(bool)
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


def _methods(indicator: str) -> list[str]:
    """The estimation methods ``indicator`` may carry: its own back-cast, or its inputs'."""
    seen, todo, out = set(), [indicator], []
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in BACKCAST:
            out.append(f"{name}, {BACKCAST_FROM} to the year before its first: {BACKCAST[name]}")
        if name in DERIVED:
            todo.extend(DERIVED[name].inputs)
    return out


def needs_group(table: pd.DataFrame, indicator: str, year: int) -> bool:
    """Whether a comparison of ``indicator`` from ``year`` needs Biobío and Ñuble as one:
    the series has the group that year but not both regions apart (as before 2013)."""
    rows = table.loc[(table["indicator"] == indicator) & (table["year"] == year), "region_code"]
    present = set(rows)
    return GROUP in present and not set(REGION_GROUPS[GROUP]) <= present


def _regions(frame: pd.DataFrame, group: bool) -> pd.DataFrame:
    """Keep ``08+16`` in place of Biobío and Ñuble (``group``), or them in its place."""
    drop = REGION_GROUPS[GROUP] if group else (GROUP,)
    return frame[~frame.index.isin(drop)]


def growth(
    table: pd.DataFrame,
    indicator: str,
    start: int,
    end: int,
    period: str | None = None,
    group: bool = False,
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
    group : bool
        Compare Biobío and Ñuble as one (``08+16``), as for years before 2018.

    Returns
    -------
    pandas.DataFrame
        One row per region present in both years (``00`` included when present):
        ``region_code, initial, final, change_pct, cagr_pct, initial_estimated,
        final_estimated``. ``attrs["missing"]`` lists regions present in only one of the
        two years; ``attrs["inputs"]`` the rows used.
    """
    if start == end:
        raise UsageError(tr("ind_same_year"))
    first = _regions(_pick(table, indicator, start, period), group)
    last = _regions(_pick(table, indicator, end, period), group)
    common = sorted(set(first.index) & set(last.index))
    flags = "estimated" in first.columns

    def estimated(rows: pd.DataFrame) -> np.ndarray:
        if not flags:
            return np.zeros(len(common), dtype=bool)
        return rows.loc[common, "estimated"].fillna(False).to_numpy(dtype=bool)

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
    out["initial_estimated"] = estimated(first)
    out["final_estimated"] = estimated(last)
    out.attrs["missing"] = sorted(set(first.index) ^ set(last.index))
    out.attrs["period"] = (first["period"].iloc[0], last["period"].iloc[0])
    out.attrs["units"] = sorted(set(first["unit"]) | set(last["unit"]))
    out.attrs["sources"] = sorted(
        {u for s in (*first["source_url"], *last["source_url"]) for u in str(s).split()}
    )
    out.attrs["any_estimated"] = bool(
        out["initial_estimated"].any() or out["final_estimated"].any()
    )
    return out


def convergence(
    table: pd.DataFrame,
    indicator: str,
    start: int,
    end: int,
    period: str | None = None,
    group: bool = False,
) -> dict[str, Any]:
    """The convergence view: each region's initial level against its change.

    A region is ``high`` when its initial value is at least the national value (region
    ``00``) of the initial year, ``low`` otherwise; ``declining`` when its change is
    negative, ``growing`` otherwise (``QUADRANT_RULE``).

    Parameters
    ----------
    table, indicator, start, end, period, group
        As for ``growth``.

    Returns
    -------
    dict
        ``indicator, from, to, period, units, grouped, national`` (initial, final,
        change_pct, estimated), ``rule``, ``regions`` (list of ``region_code, initial,
        final, change_pct, quadrant, initial_estimated, final_estimated``), ``missing``
        (regions without both values), ``estimated`` (the methods of the estimated values
        used), ``formula`` (for a derived series) and ``sources``.

    Raises
    ------
    UsageError
        Unknown series, a year without data, an ambiguous period, or no national value for
        the initial year.
    """
    change = growth(table, indicator, start, end, period, group)
    national = change[change["region_code"] == "00"]
    if national.empty:
        raise UsageError(tr("ind_no_national", name=indicator, year=start))
    level = float(national["initial"].iloc[0])
    regions = change[change["region_code"] != "00"].copy()
    high = np.where(regions["initial"] >= level, "high", "low")
    trend = np.where(regions["change_pct"] < 0, "declining", "growing")
    regions["quadrant"] = [f"{h}_{t}" for h, t in zip(high, trend, strict=True)]
    row = national.iloc[0]
    expected = [c for c in REGION_CODES[1:] if not (group and c in REGION_GROUPS[GROUP])]
    if group:
        expected.insert(7, GROUP)
    spec = DERIVED.get(indicator)
    return {
        "indicator": indicator,
        "from": start,
        "to": end,
        "period": [p or None for p in change.attrs["period"]],
        "units": change.attrs["units"],
        "grouped": group,
        "national": {
            "initial": float(row["initial"]),
            "final": float(row["final"]),
            "change_pct": float(row["change_pct"]),
            "initial_estimated": bool(row["initial_estimated"]),
            "final_estimated": bool(row["final_estimated"]),
        },
        "rule": QUADRANT_RULE,
        "regions": [
            {
                "region_code": r.region_code,
                "initial": float(r.initial),
                "final": float(r.final),
                "change_pct": float(r.change_pct),
                "quadrant": r.quadrant,
                "initial_estimated": bool(r.initial_estimated),
                "final_estimated": bool(r.final_estimated),
            }
            for r in regions.itertuples()
        ],
        "missing": [r for r in expected if r not in set(regions["region_code"])],
        "estimated": _methods(indicator) if change.attrs["any_estimated"] else [],
        "formula": spec.formula if spec else None,
        "sources": change.attrs["sources"],
    }
