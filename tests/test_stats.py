"""Statistics and regional context, checked against independent counts of exported files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.api import Registry
from registry.auth import VISITOR
from registry.cli import main
from registry.paths import geodata_dir
from registry.stats import DEFAULT_BY, counts, per_region
from registry.store import Filters
from tests.conftest import ADMIN, iap_values


def exported(reg: Registry, tmp_path: Path, filters: Filters | None = None) -> list[dict[str, Any]]:
    path = tmp_path / "view.geojson"
    reg.export(path, filters=filters)
    return [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


def independent(props: list[dict[str, Any]], field: str) -> dict[str | None, int]:
    return dict(Counter(p.get(field) or None for p in props))


@pytest.mark.parametrize(
    "filters",
    [
        None,
        Filters(kind=("iap",)),
        Filters(sector=("retail_commerce",), region=("08",)),
        Filters(country=("CL",), q="barrio"),
    ],
)
def test_stats_equal_counts_of_the_exported_geojson(
    seeded: Registry, tmp_path: Path, filters: Filters | None
) -> None:
    props = exported(seeded, tmp_path, filters)
    result = seeded.stats(filters)
    assert result["entries"] == len(props) > 0
    for field in DEFAULT_BY:
        got = {row["value"]: row["count"] for row in result["by"][field]}
        assert got == independent(props, field), field
        shares = [row["share"] for row in result["by"][field]]
        assert sum(shares) == pytest.approx(1.0)
    firms = [p["n_firms"] for p in props if p.get("n_firms") is not None]
    assert result["firms"] == sum(firms) and result["firms_reported_by"] == len(firms)
    shops = [p["n_businesses"] for p in props if p.get("n_businesses") is not None]
    assert result["businesses"] == sum(shops) and result["businesses_reported_by"] == len(shops)


def _employment_2024() -> dict[str, float]:
    """INE's employed persons (ENE, calendar quarters): the mean of 2024's four."""
    quarters: dict[str, list[float]] = {}
    with (geodata_dir() / "regional_indicators.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if (
                r["indicator"] == "ene_employed_thousands"
                and r["year"] == "2024"
                and r["period"] in ("EFM", "AMJ", "JAS", "OND")
            ):
                quarters.setdefault(r["region_code"], []).append(float(r["value"]))
    return {k: sum(v) / 4 for k, v in quarters.items() if len(v) == 4}


def test_per_region_counts_normalised_by_employment(seeded: Registry, tmp_path: Path) -> None:
    props = exported(seeded, tmp_path)
    by_region = independent(props, "region_code")
    employment = _employment_2024()
    rows = {r["region_code"]: r for r in seeded.stats()["per_region"]}
    chile = {f"{i:02d}" for i in range(1, 17)}
    assert set(rows) >= chile  # every region of Chile, even with none
    # elsewhere the units with entries, counted, with no employment figure and no rate
    abroad = {code for code in by_region if code and code not in chile}
    assert set(rows) - chile == abroad and abroad >= {"CO-ANT", "BR-MG"}
    for code in abroad:
        assert rows[code]["entries"] == by_region[code]
        assert rows[code]["employed_thousands"] is None
        assert rows[code]["entries_per_100k_employed"] is None
    for code, row in ((c, r) for c, r in rows.items() if c in chile):
        n = by_region.get(code, 0)
        assert row["entries"] == n
        assert row["employment_year"] == 2024
        assert row["employed_thousands"] == pytest.approx(employment[code])
        assert row["entries_per_100k_employed"] == pytest.approx(
            n / (employment[code] * 1000) * 1e5
        )
        kinds = Counter(p["kind"] for p in props if p.get("region_code") == code)
        assert (row["initiatives"], row["barrios"]) == (kinds["iap"], kinds["barrio_comercial"])


def test_cli_stats_json_and_text(capsys: pytest.CaptureFixture[str], seeded: Registry) -> None:
    code = main(["--db", seeded.store.url, "stats", "--by", "sector", "--kind", "iap", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out == json.loads(
        json.dumps(seeded.stats(Filters(kind=("iap",)), ("sector",)), default=str)
    )
    code = main(["--db", seeded.store.url, "stats", "--by", "focus"])
    text = capsys.readouterr().out
    assert code == 0 and "[strategic_focus]" in text and "entrada(s)" in text
    code = main(["--db", seeded.store.url, "stats", "--by", "colour"])
    assert code == 2 and "no se puede agrupar" in capsys.readouterr().err


def test_the_counts_around_an_entry_follow_each_write_and_who_looks(seeded: Registry) -> None:
    """An entry's context counts its region's entries as the viewer may see them, after
    every write (they are kept per data version and viewer: a click reads no region)."""
    north = "POINT (-70.40 -23.65)"  # Antofagasta, comuna 02101
    entry = seeded.create(iap_values(n_firms=5, geometry=north), ADMIN)
    before = {who: seeded.context(entry["id"], viewer=who) for who in (VISITOR, ADMIN)}
    assert before[VISITOR]["in_region"] == before[ADMIN]["in_region"]
    seeded.create(iap_values(n_firms=7, geometry=north, status="draft"), ADMIN)
    seen = seeded.context(entry["id"], viewer=VISITOR)
    assert seen["in_region"] == before[VISITOR]["in_region"]  # a draft: not the visitor's
    admin = seeded.context(entry["id"], viewer=ADMIN)
    assert admin["in_region"]["entries"] == before[ADMIN]["in_region"]["entries"] + 1
    assert admin["in_comuna"]["firms"] == before[ADMIN]["in_comuna"]["firms"] + 7
    seeded.update(entry["id"], {"n_firms": 50}, 1, ADMIN)
    seen = seeded.context(entry["id"], viewer=VISITOR)
    assert seen["in_comuna"]["firms"] == before[VISITOR]["in_comuna"]["firms"] + 45


def test_regional_context_of_an_entry(seeded: Registry, tmp_path: Path) -> None:
    created = seeded.create(iap_values(n_firms=12, geometry="POINT (-70.40 -23.65)"), ADMIN)
    ctx = seeded.context(created["id"])
    assert (ctx["region_code"], ctx["region_name"]) == ("02", "Antofagasta")
    assert (ctx["comuna_code"], ctx["comuna_name"]) == ("02101", "Antofagasta")
    props = exported(seeded, tmp_path)
    in_region = [p for p in props if p.get("region_code") == "02"]
    in_comuna = [p for p in props if p.get("comuna_code") == "02101"]
    assert ctx["in_region"]["entries"] == len(in_region)
    assert ctx["in_comuna"]["entries"] == len(in_comuna)
    assert ctx["in_region"]["barrios"] == sum(p["kind"] == "barrio_comercial" for p in in_region)
    assert ctx["in_comuna"]["firms"] == sum(p.get("n_firms") or 0 for p in in_comuna) >= 12

    figures = {f["indicator"]: f for f in ctx["productivity"]}
    table = seeded.indicators()
    prod = table[
        (table["indicator"] == "gdp_real_ref2018_per_employed") & (table["region_code"] == "02")
    ]
    latest = figures["gdp_real_ref2018_per_employed"]
    assert latest["year"] == 2023 and latest["origin"] == "derived"
    v22, v23 = (float(prod[prod["year"] == y]["value"].iloc[0]) for y in (2022, 2023))
    assert latest["value"] == v23 and latest["change_pct"] == pytest.approx((v23 / v22 - 1) * 100)
    assert latest["trend"] == ("down" if v23 < v22 else "up")
    national = table[
        (table["indicator"] == "gdp_real_ref2018_per_employed")
        & (table["region_code"] == "00")
        & (table["year"] == 2023)
    ]
    assert latest["national_value"] == float(national["value"].iloc[0])

    # the chosen measure (by default the article's, 2010 to its latest year), region and Chile
    def article(region: str, year: int) -> float:
        rows = table[
            (table["indicator"] == "gdp_usd2018_per_employed")
            & (table["region_code"] == region)
            & (table["year"] == year)
        ]
        return float(rows["value"].iloc[0])

    measure = ctx["measure"]
    assert (measure["indicator"], measure["from"], measure["to"]) == (
        "gdp_usd2018_per_employed", 2010, 2023,
    )  # fmt: skip
    assert measure["area"] == "02" and measure["initial_estimated"] is True
    assert measure["initial"] == article("02", 2010) and measure["final"] == article("02", 2023)
    assert measure["change_pct"] == pytest.approx(
        (article("02", 2023) / article("02", 2010) - 1) * 100
    )
    assert measure["national"]["final"] == article("00", 2023)
    # an entry in Ñuble, compared from 2010: Biobío + Ñuble, as the region was then
    nuble = seeded.create(iap_values(geometry="POINT (-72.10 -36.61)"), ADMIN)
    ctx = seeded.context(nuble["id"], measure=("gdp_real_ref2018_per_employed", 2010, 2023))
    assert ctx["region_code"] == "16" and ctx["measure"]["area"] == "08+16"
    ctx = seeded.context(nuble["id"], measure=("gdp_real_ref2018_per_employed", 2018, 2023))
    assert ctx["measure"]["area"] == "16" and ctx["measure"]["initial_estimated"] is False
    va = figures["va_per_employed_real"]
    assert (va["year"], va["value"], va["national_value"]) == (2017, 49.9, 16.3)
    assert va["ratio_to_national"] == pytest.approx(49.9 / 16.3)
    assert figures["gdp_real_chained_ref2018"]["year"] == 2023


def test_context_outside_chile_names_the_unit_and_says_no_series_is_loaded(
    capsys: pytest.CaptureFixture[str], seeded: Registry
) -> None:
    created = seeded.create(
        iap_values(country="CO", geometry="POINT (-75.57 6.25)", name="Clúster Medellín"), ADMIN
    )
    ctx = seeded.context(created["id"])
    assert ctx["region_code"] == "CO-ANT" and ctx["region_name"] == "Antioquia"
    assert ctx["productivity"] == []  # nothing invented
    in_antioquia = seeded.list(Filters(region=("CO-ANT",)))
    assert ctx["in_region"]["entries"] == len(in_antioquia) >= 1
    assert ctx["note"] == "no hay series de productividad cargadas para Antioquia"
    code = main(["--db", seeded.store.url, "show", created["id"]])
    out = capsys.readouterr().out
    assert code == 0 and "Contexto regional" in out and ctx["note"] in out and "Antioquia" in out
    code = main(["--db", seeded.store.url, "show", created["id"], "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["regional_context"]["note"] == ctx["note"]


def test_context_where_no_boundaries_are_installed_says_why_it_is_empty(seeded: Registry) -> None:
    created = seeded.create(
        iap_values(country="LC", geometry=None, location_precision="country", name="Red"), ADMIN
    )
    ctx = seeded.context(created["id"])
    assert ctx["productivity"] == [] and ctx["in_region"] is None
    assert "Santa Lucía" in ctx["note"] and "límites" in ctx["note"]


# -- the grouped counts against a row-by-row reference -------------------------------------
_CELLS = st.sampled_from(
    ["iap", "barrio_comercial", "13", "05", "retail_commerce", "tourism", "nope", "", None]
) | st.just(float("nan"))


def _reference_value(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v == "":
        return None
    return str(v)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_CELLS, _CELLS, st.none() | st.integers(0, 500) | st.just(float("nan"))),
        max_size=40,
    ),
    strings=st.booleans(),
)
def test_grouped_counts_equal_a_count_row_by_row(
    rows: list[tuple[Any, Any, Any]], strings: bool
) -> None:
    frame = pd.DataFrame(rows, columns=["kind", "region_code", "n_firms"])
    if strings:  # as the stores' readers give text: pandas' string type
        frame[["kind", "region_code"]] = frame[["kind", "region_code"]].astype("str")
        frame = frame.replace({"None": None, "nan": None})
    frame["n_businesses"] = None
    for field in ("kind", "region_code"):
        got = {r["value"]: r["count"] for r in counts(frame, field)}
        assert got == dict(Counter(_reference_value(v) for v in frame[field]))
        assert sum(r["share"] for r in counts(frame, field)) == pytest.approx(1.0 if rows else 0)
    employment = pd.DataFrame(
        {"region_code": ["05", "13"], "value": [900.0, 3800.0], "indicator": "e", "year": 2024}
    )
    by_region = {r["region_code"]: r for r in per_region(frame, employment)}
    codes = {_reference_value(v) for v in frame["region_code"]} - {None}
    assert set(by_region) == codes | {"05", "13"}
    for code, row in by_region.items():
        mine = [r for r in frame.itertuples() if _reference_value(r.region_code) == code]
        firms = [pd.to_numeric(r.n_firms) for r in mine]
        assert row["entries"] == len(mine)
        assert row["initiatives"] == sum(r.kind == "iap" for r in mine)
        assert row["barrios"] == sum(r.kind == "barrio_comercial" for r in mine)
        assert row["firms"] == int(sum(f for f in firms if f == f and f is not None))
