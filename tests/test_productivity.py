"""Regional productivity 2010-2023: every derived and estimated value recomputed here by hand
from the bundled inputs (``geodata/regional_indicators.csv``, read as plain CSV), the
article's convergence through the CLI, and what is marked estimated."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from registry.api import Registry
from registry.cli import main
from registry.layers.indicators import COLUMNS
from registry.paths import geodata_dir
from tests.conftest import ADMIN, iap_values

ROOT = Path(__file__).resolve().parents[1]
QUARTERS = ("EFM", "AMJ", "JAS", "OND")
OECD_REGIONS = [f"{i:02d}" for i in range(1, 16) if i != 8] + ["08+16"]
ARTICLE = "gdp_usd2018_per_employed"


def raw() -> dict[tuple[str, str, int, str], float]:
    with (geodata_dir() / "regional_indicators.csv").open(encoding="utf-8") as fh:
        return {
            (r["indicator"], r["region_code"], int(r["year"]), r["period"]): float(r["value"])
            for r in csv.DictReader(fh)
            if r["year"]
        }


def _bundled_rows() -> list[dict[str, str]]:
    with (geodata_dir() / "regional_indicators.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(rows: list[dict[str, str]], folder: Path) -> Path:
    path = folder / "series.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


class ByHand:
    """The derivations of ``registry.layers.derived``, written out again from the README's
    words, on plain dicts."""

    def __init__(self, values: dict[tuple[str, str, int, str], float]) -> None:
        self.v = values

    def annual(self, name: str, region: str, year: int) -> float | None:
        if region == "08+16":
            a, b = self.annual(name, "08", year), self.annual(name, "16", year)
            return None if a is None or b is None else a + b
        got = [self.v.get((name, region, year, q)) for q in QUARTERS]
        return None if None in got else sum(got) / 4  # type: ignore[arg-type]

    def gdp(self, name: str, region: str, year: int) -> float | None:
        if region == "08+16" and year >= 2013:
            a, b = self.gdp(name, "08", year), self.gdp(name, "16", year)
            return None if a is None or b is None else a + b
        if year >= 2013:
            return self.v.get((name, region, year, ""))
        oecd = "gdp_real_oecd_musd_ppp2015"
        if region == "00":
            growth = sum(self.v[(oecd, r, year, "")] for r in OECD_REGIONS) / sum(
                self.v[(oecd, r, 2013, "")] for r in OECD_REGIONS
            )
        elif (oecd, region, year, "") in self.v:
            growth = self.v[(oecd, region, year, "")] / self.v[(oecd, region, 2013, "")]
        else:
            return None  # Biobío and Ñuble apart: OECD has them only together
        if name == "gdp_nominal_ref2018":
            deflator = "cl_gdp_deflator_2018_100"
            growth *= self.v[(deflator, "00", year, "")] / self.v[(deflator, "00", 2013, "")]
        base = self.gdp(name, region, 2013)
        return None if base is None else base * growth

    def measure(self, name: str, region: str, year: int) -> float | None:
        emp = self.annual("ene_employed_thousands", region, year)
        if name == "gdp_real_ref2018_per_labour_force":
            emp = self.annual("ene_labour_force_thousands", region, year)
        real = self.gdp("gdp_real_chained_ref2018", region, year)
        nominal = self.gdp("gdp_nominal_ref2018", region, year)
        if emp is None:
            return None
        fx = self.v.get(("exchange_rate_clp_per_usd", "00", year, "annual_average"))
        fx18 = self.v[("exchange_rate_clp_per_usd", "00", 2018, "annual_average")]
        us = self.v.get(("us_gdp_deflator_2017_100", "00", year, ""))
        us18 = self.v[("us_gdp_deflator_2017_100", "00", 2018, "")]
        if name in ("gdp_real_ref2018_per_employed", "gdp_real_ref2018_per_labour_force"):
            return None if real is None else real / emp  # billions / thousands = millions
        if name == "gdp_real_ref2018_usd_per_employed":
            return None if real is None else real * 1e9 / fx18 / (emp * 1e3)
        assert name == ARTICLE
        if nominal is None or fx is None or us is None:
            return None
        return nominal * 1e9 / fx * (us18 / us) / (emp * 1e3)


MEASURES = (
    ARTICLE,
    "gdp_real_ref2018_usd_per_employed",
    "gdp_real_ref2018_per_employed",
    "gdp_real_ref2018_per_labour_force",
)
CASES = [
    (region, year)
    for region in ("00", "02", "10", "13", "08+16", "08", "16")
    for year in (2010, 2012, 2013, 2018, 2023, 2024)
]


def _value(table, name: str, region: str, year: int):  # type: ignore[no-untyped-def]
    rows = table[
        (table["indicator"] == name) & (table["region_code"] == region) & (table["year"] == year)
    ]
    assert len(rows) <= 1
    return rows.iloc[0] if len(rows) else None


def test_every_measure_recomputed_by_hand(seeded: Registry) -> None:
    table = seeded.indicators()
    hand = ByHand(raw())
    checked = 0
    for name in MEASURES:
        for region, year in CASES:
            expected = hand.measure(name, region, year)
            row = _value(table, name, region, year)
            if expected is None:  # an input is missing: nothing is shown
                assert row is None, (name, region, year)
                continue
            assert row is not None, (name, region, year)
            assert row["value"] == pytest.approx(expected, rel=1e-12), (name, region, year)
            assert bool(row["estimated"]) == (year < 2013), (name, region, year)
            assert row["origin"] == ("estimated" if year < 2013 else "derived")
            checked += 1
    assert checked >= 4 * 3 * 3  # every measure, at least three regions and years
    # Biobío and Ñuble apart have no value before 2013; 2024 has no regional GDP yet
    assert _value(table, ARTICLE, "08", 2010) is None and _value(table, ARTICLE, "13", 2024) is None
    for name, region, year in (
        ("employed_thousands_annual_avg", "05", 2010),
        ("employed_thousands_annual_avg", "08+16", 2024),
        ("labour_force_thousands_annual_avg", "11", 2015),
    ):
        source = "ene_employed_thousands" if "employed" in name else "ene_labour_force_thousands"
        assert _value(table, name, region, year)["value"] == pytest.approx(
            hand.annual(source, region, year), rel=1e-12
        )
    # labour force ends in Feb-Apr 2024: no annual average for 2024, nothing derived from it
    assert _value(table, "labour_force_thousands_annual_avg", "05", 2024) is None


def test_backcast_gdp_is_estimated_and_says_how(seeded: Registry) -> None:
    table = seeded.indicators()
    hand = ByHand(raw())
    for name in ("gdp_real_chained_ref2018", "gdp_nominal_ref2018"):
        for region in ("00", "01", "10", "08+16"):
            for year in (2010, 2011, 2012):
                row = _value(table, name, region, year)
                assert row["value"] == pytest.approx(hand.gdp(name, region, year), rel=1e-12)
                assert row["origin"] == "estimated" and row["notes"].startswith("estimated: ")
                assert "gdp_real_oecd_musd_ppp2015" in row["inputs"]
                assert ("cl_gdp_deflator" in row["inputs"]) == ("nominal" in name)
        # the sourced years stay as they were, and 2013 is where the estimate is anchored
        anchor = _value(table, name, "10", 2013)
        assert anchor["origin"] == "bundled" and not anchor["estimated"]


def test_changing_one_input_changes_what_is_derived_from_it(
    seeded: Registry, tmp_path: Path
) -> None:
    """An analyst replaces the exchange-rate series with one whose 2023 value is 10 % higher:
    the article's measure for 2023 falls by 1/1.1 everywhere and nothing else moves; an
    entry's regional context, kept per region, shows the new figures at once."""
    before = seeded.indicators()
    entry = seeded.create(iap_values(geometry="POINT (-70.40 -23.65)"), ADMIN)  # Antofagasta
    shown = seeded.context(entry["id"])
    shown["measure"]["final"] = -1.0  # what a caller does with its copy stays with it
    old_context = seeded.context(entry["id"])
    assert old_context["measure"]["final"] == _value(before, ARTICLE, "02", 2023)["value"]
    rows = [r for r in _bundled_rows() if r["indicator"] == "exchange_rate_clp_per_usd"]
    for r in rows:
        if r["year"] == "2023":
            r["value"] = repr(float(r["value"]) * 1.1)
    path = _write(rows, tmp_path)
    seeded.import_indicators(path, ADMIN)
    after = seeded.indicators()
    for region in ("00", "02", "10", "08+16"):
        old, new = (_value(t, ARTICLE, region, 2023)["value"] for t in (before, after))
        assert new == pytest.approx(old / 1.1, rel=1e-12)
        old, new = (_value(t, ARTICLE, region, 2022)["value"] for t in (before, after))
        assert new == old
        other = "gdp_real_ref2018_usd_per_employed"  # at the 2018 rate: unchanged
        assert (
            _value(after, other, region, 2023)["value"]
            == _value(before, other, region, 2023)["value"]
        )
    view = seeded.convergence(ARTICLE, 2010, 2023, group=True)
    assert view["national"]["final"] == pytest.approx(
        _value(before, ARTICLE, "00", 2023)["value"] / 1.1, rel=1e-12
    )
    context = seeded.context(entry["id"])
    assert context["measure"]["final"] == _value(after, ARTICLE, "02", 2023)["value"]
    assert context["measure"]["final"] == pytest.approx(
        old_context["measure"]["final"] / 1.1, rel=1e-12
    )


def test_a_missing_quarter_leaves_a_gap_not_a_guess(seeded: Registry, tmp_path: Path) -> None:
    rows = [
        r
        for r in _bundled_rows()
        if r["indicator"] == "ene_employed_thousands"
        and not (r["region_code"] == "05" and r["year"] == "2023" and r["period"] == "JAS")
    ]
    path = _write(rows, tmp_path)
    seeded.import_indicators(path, ADMIN)
    table = seeded.indicators()
    for name in ("employed_thousands_annual_avg", *MEASURES[:3]):
        assert _value(table, name, "05", 2023) is None, name
        assert _value(table, name, "05", 2022) is not None, name
    view = seeded.convergence(ARTICLE, 2013, 2023)
    assert "05" in view["missing"] and "05" not in {r["region_code"] for r in view["regions"]}


def _cli_json(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> dict:
    assert main(["--db", url, "indicators", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_articles_convergence_and_the_opposite_in_pesos(
    capsys: pytest.CaptureFixture[str], seeded: Registry
) -> None:
    """2010 -> 2023 in constant 2018 dollars most regions fall and Los Lagos and Biobío +
    Ñuble rise (as the article says); in constant pesos most rise. README quotes these
    counts and changes; the test checks the README against them."""
    url = seeded.store.url
    common = ("convergence", "--from", "2010", "--to", "2023", "--group-biobio-nuble")
    usd = _cli_json(capsys, url, *common, "--indicator", ARTICLE)
    clp = _cli_json(capsys, url, *common, "--indicator", "gdp_real_ref2018_per_employed")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for view, majority in ((usd, "fall"), (clp, "rise")):
        regions = {r["region_code"]: r for r in view["regions"]}
        assert len(regions) == 15 and view["missing"] == [] and view["grouped"] is True
        falling = sum(r["change_pct"] < 0 for r in regions.values())
        rising = len(regions) - falling
        assert (falling > rising) == (majority == "fall")
        assert view["national"]["initial_estimated"] and not view["national"]["final_estimated"]
        assert all(r["initial_estimated"] for r in regions.values())
        assert view["estimated"] and "OECD" in view["estimated"][0]
        count = falling if majority == "fall" else rising
        assert f"{count} of 15 regions {majority}" in readme, (majority, count)
        for code in ("10", "08+16", "01", "02"):
            shown = f"{regions[code]['change_pct']:+.0f} %"
            assert shown.replace("-", "−") in readme or shown in readme, (code, shown)
    lagos, biobio = ({r["region_code"]: r for r in usd["regions"]}[c] for c in ("10", "08+16"))
    assert lagos["change_pct"] > 0 and biobio["change_pct"] > 0
    antofagasta = {r["region_code"]: r for r in usd["regions"]}["02"]
    assert antofagasta["quadrant"] == "high_declining"
    # without the grouping, Biobío and Ñuble have no 2010 value and are named missing
    apart = _cli_json(capsys, url, *common[:-1], "--indicator", ARTICLE)
    assert apart["missing"] == ["08", "16"] and len(apart["regions"]) == 14


@pytest.mark.parametrize("name", MEASURES)
def test_every_measure_converges_through_the_cli(
    capsys: pytest.CaptureFixture[str], seeded: Registry, name: str
) -> None:
    view = _cli_json(
        capsys, seeded.store.url, "convergence", "--indicator", name, "--from", "2013", "--to",
        "2023",
    )  # fmt: skip
    hand = ByHand(raw())
    assert len(view["regions"]) == 16 and view["estimated"] == []
    for r in view["regions"]:
        start, end = (
            hand.measure(name, r["region_code"], 2013),
            hand.measure(name, r["region_code"], 2023),
        )
        assert r["change_pct"] == pytest.approx((end / start - 1) * 100, rel=1e-9)
    assert main(["--db", seeded.store.url, "indicators", "convergence", "--indicator", name,
                 "--from", "2010", "--to", "2023", "--group-biobio-nuble"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "Biobío + Ñuble" in text and "*" in text and "de 15 regiones bajan" in text


def test_indicators_list_marks_every_estimated_year(
    capsys: pytest.CaptureFixture[str], seeded: Registry
) -> None:
    table = seeded.indicators()
    listed = {s["indicator"]: s for s in _cli_json(capsys, seeded.store.url, "list")}
    flagged = table[table["estimated"]]
    assert len(flagged) > 0
    for name, rows in flagged.groupby("indicator"):
        marks = listed[name]["estimated"]
        for region, group in rows.groupby("region_code"):
            years = sorted(int(y) for y in group["year"])
            shown = marks[region]
            covered = set()
            for part in shown.split(", "):
                a, _, b = part.partition("-")
                covered |= set(range(int(a), int(b or a) + 1))
            assert covered == set(years), (name, region)
    for name in ("gdp_real_chained_ref2018", "gdp_nominal_ref2018", *MEASURES[:3]):
        assert listed[name]["estimated"]["00"] == "2010-2012"
        assert "08" not in listed[name]["estimated"]
    # the IMF's 2024 projections are marked too, as they come
    assert listed["cl_gdp_deflator_2018_100"]["estimated"] == {"00": "2024"}
    assert listed["ene_employed_thousands"]["estimated"] == {}
    assert main(["--db", seeded.store.url, "indicators", "list"]) == 0
    text = capsys.readouterr().out
    block = text.split("gdp_nominal_ref2018  [")[1].split("\n\n")[0]
    assert re.search(r"Años estimados: 2010-2012 \(00, 01, .*08\+16", block)
    assert "OECD" in block  # the method in words


def test_national_rows_are_the_bcch_regionalised_subtotal(seeded: Registry) -> None:
    values = raw()
    for year in range(2013, 2024):
        nominal = values[("gdp_nominal_ref2018", "00", year, "")]
        regions = sum(values[("gdp_nominal_ref2018", f"{i:02d}", year, "")] for i in range(1, 17))
        assert math.isclose(nominal, regions, abs_tol=5)  # BCCh rounds each figure
    view = seeded.convergence("gdp_real_chained_ref2018", 2013, 2023)
    assert len(view["regions"]) == 16  # GDP-based convergence has its national value


def test_postgis_registry_derives_the_same(
    seeded: Registry, postgis_store: Any, tmp_path: Path
) -> None:
    """The derived and estimated series come from the same rows on either store, imported
    series included."""
    server = Registry(store=postgis_store)
    rows = [r for r in _bundled_rows() if r["indicator"] == "exchange_rate_clp_per_usd"]
    for r in rows:
        if r["year"] == "2010":
            r["value"] = "600"
    path = _write(rows, tmp_path)
    for registry in (seeded, server):
        registry.import_indicators(path, ADMIN)
    a = seeded.convergence(ARTICLE, 2010, 2023, group=True)
    b = server.convergence(ARTICLE, 2010, 2023, group=True)
    assert a == b
    assert a["national"]["initial"] == pytest.approx(
        ByHand(
            {**raw(), ("exchange_rate_clp_per_usd", "00", 2010, "annual_average"): 600.0}
        ).measure(ARTICLE, "00", 2010),
        rel=1e-12,
    )
