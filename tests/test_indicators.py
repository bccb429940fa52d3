"""Regional indicators: bundled series, derived values, convergence, imports."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import pytest

from registry.api import Registry
from registry.auth import Actor
from registry.cli import main
from registry.errors import NotAllowed, UsageError, ValidationFailed
from registry.layers.indicators import COLUMNS
from registry.paths import geodata_dir
from registry.store.tables import SCHEMA_VERSION
from tests.conftest import ADMIN, require_tool

BUNDLED = geodata_dir() / "regional_indicators.csv"
#: the names used in ../shared/data (regional_productivity.csv, regional_employment.csv)
SHARED_NAMES = {
    "gdp_real_chained_ref2018",
    "gdp_nominal_ref2018",
    "gdp_real_chained_ref2013",
    "gdp_real_growth_pct",
    "employed_thousands_DEF2013",
    "labour_force_thousands_DEF2013",
    "va_per_employed_nominal",
    "va_per_employed_real",
    "employment_rate_15_64_pct",
    "labour_productivity_ratio_to_national_avg",
    "employed_thousands",
    "exchange_rate_clp_per_usd",
}
#: names given to ../shared/data/series_2010_2024 (its files name series in words)
SERIES_2010_NAMES = {
    "ene_employed_thousands",
    "ene_labour_force_thousands",
    "us_gdp_deflator_2017_100",
    "cl_gdp_deflator_2018_100",
    "cl_cpi_2018_100",
    "gdp_real_oecd_musd_ppp2015",
}


def raw_rows() -> list[dict[str, str]]:
    with BUNDLED.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, object]], sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), delimiter=sep)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_bundled_table_is_sourced_and_keeps_the_source_names() -> None:
    rows = raw_rows()
    assert list(rows[0].keys()) == list(COLUMNS)
    assert {r["indicator"] for r in rows} == SHARED_NAMES | SERIES_2010_NAMES
    assert all(r["source_url"].startswith(("http://", "https://")) for r in rows)
    assert all(r["value"].strip() for r in rows)  # no empty value standing in for a gap


def test_every_bundled_series_is_listed_with_its_coverage(seeded: Registry) -> None:
    series = {s["indicator"]: s for s in seeded.indicator_series()}
    assert SHARED_NAMES <= set(series)
    assert all(series[n]["origin"] == "bundled" for n in SHARED_NAMES | SERIES_2010_NAMES)
    gdp = series["gdp_real_chained_ref2018"]
    # BCCh's 16 regions and Chile 2013-2023; the group 08+16 derived; 2010-2012 estimated
    assert gdp["years"] == "2010-2023" and gdp["rows"] == 187 + 11 + 48
    assert gdp["origins"] == ["bundled", "derived", "estimated"]
    assert gdp["missing"] == {"08": "2010-2012", "16": "2010-2012"}
    va = series["va_per_employed_real"]
    assert va["years"] == "2013, 2017" and va["missing"] == {"16": "2013, 2017"}
    derived = series["gdp_real_ref2018_per_employed"]
    assert derived["origin"] == "derived"
    assert derived["derived_from"] == ["gdp_real_chained_ref2018", "employed_thousands_annual_avg"]
    assert derived["years"] == "2010-2023"  # only where both inputs exist


def _annual_employment_by_hand() -> dict[tuple[str, int], float]:
    quarters: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for r in raw_rows():
        if r["indicator"] == "ene_employed_thousands" and r["period"] in (
            "EFM",
            "AMJ",
            "JAS",
            "OND",
        ):
            quarters[(r["region_code"], int(r["year"]))][r["period"]] = float(r["value"])
    return {k: sum(v.values()) / 4 for k, v in quarters.items() if len(v) == 4}


def test_derived_values_are_reproducible_from_their_inputs(seeded: Registry) -> None:
    table = seeded.indicators()
    annual = _annual_employment_by_hand()
    assert {y for _, y in annual} == set(range(2010, 2025))
    got = table[
        (table["indicator"] == "employed_thousands_annual_avg") & (table["region_code"] != "08+16")
    ]
    assert len(got) == len(annual) == 17 * 15
    for r in got.itertuples():
        assert r.value == pytest.approx(annual[(r.region_code, r.year)], rel=1e-12)
        assert r.origin == "derived" and r.period == "annual_average"
        assert r.inputs.count("ene_employed_thousands[") == 4

    gdp = {
        (r["region_code"], int(r["year"])): float(r["value"])
        for r in raw_rows()
        if r["indicator"] == "gdp_real_chained_ref2018"
    }
    prod = table[
        (table["indicator"] == "gdp_real_ref2018_per_employed") & (table["year"] >= 2013)
        & (table["region_code"] != "08+16")
    ]  # fmt: skip
    expected = {k: gdp[k] / annual[k] for k in gdp.keys() & annual.keys()}
    assert len(prod) == len(expected) == 17 * 11  # 16 regions and Chile x 2013-2023
    for r in prod.itertuples():
        assert r.value == pytest.approx(expected[(r.region_code, r.year)], rel=1e-12)
        assert f"gdp_real_chained_ref2018[{r.region_code},{r.year}]" in r.inputs
        assert "bcentral.cl" in r.source_url and "relatos-estadisticos" in r.source_url


def test_convergence_of_value_added_per_employed_2013_2017(seeded: Registry) -> None:
    values = {
        (r["region_code"], int(r["year"])): float(r["value"])
        for r in raw_rows()
        if r["indicator"] == "va_per_employed_real"
    }
    national = values[("00", 2013)]
    view = seeded.convergence("va_per_employed_real", 2013, 2017)
    assert view["national"]["initial"] == national
    assert len(view["regions"]) == 15 and view["missing"] == ["16"]  # Ñuble was part of Biobío
    for row in view["regions"]:
        start, end = values[(row["region_code"], 2013)], values[(row["region_code"], 2017)]
        change = (end / start - 1) * 100
        assert row["initial"] == start and row["final"] == end
        assert row["change_pct"] == pytest.approx(change)
        level = "high" if start >= national else "low"
        trend = "declining" if end < start else "growing"
        assert row["quadrant"] == f"{level}_{trend}"
    quadrant = {r["region_code"]: r["quadrant"] for r in view["regions"]}
    # the article's "regressive convergence": the most productive regions lost most
    assert quadrant["02"] == quadrant["01"] == "high_declining"
    assert quadrant["10"] == quadrant["08"] == "low_growing"


def test_convergence_refuses_what_it_cannot_say(seeded: Registry) -> None:
    with pytest.raises(UsageError, match="valor nacional"):
        seeded.convergence("gdp_real_chained_ref2013", 2013, 2020)
    with pytest.raises(UsageError, match="no tiene datos para 2015"):
        seeded.convergence("va_per_employed_real", 2013, 2015)
    with pytest.raises(UsageError, match="varios periodos"):
        seeded.convergence("employed_thousands", 2021, 2022)
    with pytest.raises(UsageError, match="desconocido"):
        seeded.convergence("no_such_series", 2021, 2022)
    view = seeded.convergence("employed_thousands", 2021, 2022, period="OND")
    assert len(view["regions"]) == 16 and view["missing"] == []


def test_cli_convergence_json(capsys: pytest.CaptureFixture[str], seeded: Registry) -> None:
    code = main(
        [
            "--db",
            seeded.store.url,
            "indicators",
            "convergence",
            "--indicator",
            "va_per_employed_real",
            "--from",
            "2013",
            "--to",
            "2017",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {r["quadrant"] for r in out["regions"]} <= {
        "high_declining",
        "high_growing",
        "low_declining",
        "low_growing",
    }
    assert set(out["regions"][0]) >= {"region_code", "initial", "final", "change_pct", "quadrant"}
    code = main(["--db", seeded.store.url, "indicators", "list", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert code == 0 and {s["indicator"] for s in listed} >= SHARED_NAMES


def _good_rows(name: str = "employed_thousands_ine_annual") -> list[dict[str, object]]:
    return [
        {
            "region_code": f"{i:02d}",
            "year": 2023,
            "period": "annual_average",
            "indicator": name,
            "value": 100 + i,
            "unit": "thousand persons",
            "source_url": "https://www.ine.gob.cl/estadisticas/sociales/mercado-laboral/ocupacion-y-desocupacion",
            "notes": "test data",
        }
        for i in range(17)
    ]


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        ({"region_code": "17"}, "region_code", "región desconocido"),
        ({"value": "mucho"}, "value", "no numérico"),
        ({"value": "inf"}, "value", "no numérico"),
        ({"year": "20x3"}, "year", "año no válido"),
        ({"period": "Q5"}, "period", "periodo desconocido"),
        ({"source_url": ""}, "source_url", "fuente"),
        ({"indicator": "gdp_real_ref2018_per_employed"}, "indicator", "derivado"),
    ],
)
def test_bad_indicator_file_is_refused_with_row_numbers(
    seeded: Registry, tmp_path: Path, row: dict[str, object], field: str, fragment: str
) -> None:
    rows = _good_rows()
    rows[3].update(row)  # the 4th data row: spreadsheet row 5
    before = seeded.data_version()
    with pytest.raises(ValidationFailed) as info:
        seeded.import_indicators(write_csv(tmp_path / "bad.csv", rows), ADMIN)
    assert [(p.row, p.field) for p in info.value.problems] == [(5, field)]
    assert fragment in info.value.problems[0].message
    assert seeded.data_version() == before
    assert seeded.store.indicator_rows().empty


def test_duplicate_key_and_cli_report(
    capsys: pytest.CaptureFixture[str], seeded: Registry, tmp_path: Path
) -> None:
    rows = _good_rows()
    rows.append(dict(rows[2]))  # same region, year, period, indicator as row 4
    rows[5]["region_code"] = "99"
    path = write_csv(tmp_path / "dup.csv", rows, sep=";")
    code = main(["--db", seeded.store.url, "indicators", "import", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "no se cambió nada" in err
    assert "fila 7, region_code" in err and "fila 19, indicator: clave repetida" in err
    assert "fila 4" in err  # the first occurrence is named
    assert seeded.store.indicator_rows().empty


def test_import_adds_replaces_and_removes_series(seeded: Registry, tmp_path: Path) -> None:
    message = seeded.import_indicators(write_csv(tmp_path / "a.csv", _good_rows()), ADMIN)
    assert "17 fila(s)" in message
    table = seeded.indicators()
    added = table[table["indicator"] == "employed_thousands_ine_annual"]
    assert len(added) == 17 and set(added["origin"]) == {"imported"}

    # replacing a bundled series: the imported one takes its place, whole
    rows = _good_rows("va_per_employed_real")
    for r in rows:
        r["year"] = 2013
    rows = rows[:3]
    message = seeded.import_indicators(write_csv(tmp_path / "b.csv", rows), ADMIN)
    assert "va_per_employed_real" in message.split("reemplazadas:")[1]
    series = seeded.indicators().query("indicator == 'va_per_employed_real'")
    assert len(series) == 3 and set(series["origin"]) == {"imported"}
    # importing the first file again replaces its series (no duplicates)
    seeded.import_indicators(write_csv(tmp_path / "a.csv", _good_rows()), ADMIN)
    assert (seeded.indicators()["indicator"] == "employed_thousands_ine_annual").sum() == 17
    # removing the imported series brings the bundled one back
    seeded.remove_indicators("va_per_employed_real", ADMIN)
    series = seeded.indicators().query("indicator == 'va_per_employed_real'")
    assert len(series) == 32 and set(series["origin"]) == {"bundled"}


def test_newer_gdp_extends_the_derived_series(seeded: Registry, tmp_path: Path) -> None:
    """An analyst loads regional GDP with a 2024 column: productivity for 2024 appears by
    itself (employment has 2024), and only where both inputs are there."""
    rows = [r for r in raw_rows() if r["indicator"] == "gdp_real_chained_ref2018"]
    for region in [f"{i:02d}" for i in range(1, 16)]:  # Ñuble and Chile left out
        rows.append({**rows[0], "region_code": region, "year": "2024", "value": "5000",
                     "notes": "test values, not real data"})  # fmt: skip
    seeded.import_indicators(write_csv(tmp_path / "gdp.csv", rows), ADMIN)
    table = seeded.indicators()
    prod = table[(table["indicator"] == "gdp_real_ref2018_per_employed") & (table["year"] == 2024)]
    assert sorted(prod["region_code"]) == [f"{i:02d}" for i in range(1, 16)]


def test_only_managers_and_admins_import(seeded: Registry, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", _good_rows())
    with pytest.raises(NotAllowed):
        seeded.import_indicators(path, Actor("ana", "coordinator"))
    assert "17 fila(s)" in seeded.import_indicators(path, Actor("maria", "manager"))


def test_registry_from_before_indicators_is_migrated(seeded: Registry, tmp_path: Path) -> None:
    path = Path(seeded.store.url)
    with (
        closing(sqlite3.connect(path)) as conn,
        conn,
    ):  # make it a schema-1 registry, as version 0.1 wrote
        conn.execute("DROP TABLE indicator_values")
        for table in ("goals", "indicators", "values", "reviews"):
            conn.execute(f"DROP TABLE monitoring_{table}")
            conn.execute(f"DELETE FROM gpkg_contents WHERE table_name = 'monitoring_{table}'")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'indicator_values'")
        for table, column in (
            ("initiatives", "editors"),
            ("initiatives", "review_note"),
            ("users", "last_failed_at"),
        ):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("ALTER TABLE users DROP COLUMN auth_epoch")
        conn.execute("DROP TABLE login_failures")
        for column in ("email", "notify", "lang", "identity", "last_login_at"):
            conn.execute(f"ALTER TABLE users DROP COLUMN {column}")
        for table in ("sessions", "outbox"):
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"DELETE FROM gpkg_contents WHERE table_name = '{table}'")
        conn.execute("UPDATE registry_meta SET meta_value = '1' WHERE meta_key = 'schema_version'")
    old = Registry(str(path))
    assert len(old.indicators()) > 1000  # bundled and derived series still there
    old.import_indicators(write_csv(tmp_path / "a.csv", _good_rows()), ADMIN)
    assert len(old.store.indicator_rows()) == 17
    ogrinfo = require_tool("ogrinfo")
    out = subprocess.run(
        [ogrinfo, "-ro", "-so", str(path), "indicator_values"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Feature Count: 17" in out.stdout and out.stderr == ""
    with closing(sqlite3.connect(path)) as conn, conn:
        version = conn.execute(
            "SELECT meta_value FROM registry_meta WHERE meta_key = 'schema_version'"
        ).fetchone()[0]
    assert version == str(SCHEMA_VERSION)  # every step up to the current schema
    first = old.list().iloc[0]
    updated = old.update(first["id"], {"editors": ["ana"]}, int(first["version"]), ADMIN)
    assert updated["editors"] == ["ana"]


def test_the_bundled_file_is_validated_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from registry.layers import indicators

    cache = tmp_path / "cache"
    monkeypatch.setenv("IAP_REGISTRY_CACHE", str(cache))
    geodata = tmp_path / "geodata"
    geodata.mkdir()
    copy = geodata / BUNDLED.name
    copy.write_bytes(BUNDLED.read_bytes())
    validated = indicators.read_indicator_file(copy)

    indicators._bundled.cache_clear()
    first = indicators.bundled_indicators(geodata)
    stored = list(cache.glob("indicators-*.parquet"))
    assert len(stored) == 1
    indicators._bundled.cache_clear()
    calls: list[str] = []
    original = indicators.read_indicator_file
    monkeypatch.setattr(
        indicators, "read_indicator_file", lambda p: calls.append(str(p)) or original(p)
    )
    again = indicators.bundled_indicators(geodata)  # another process, as it were
    assert calls == []  # read back, not validated again
    pd.testing.assert_frame_equal(first, validated)
    pd.testing.assert_frame_equal(again, validated)

    # a changed file is validated again: a broken value is refused, never served stale
    text = copy.read_text(encoding="utf-8").splitlines()
    header, cells = csv.reader(text[:2])
    cells[header.index("value")] = "no es un número"
    text[1] = ",".join(f'"{c}"' for c in cells)
    copy.write_text("\n".join(text) + "\n", encoding="utf-8")
    indicators._bundled.cache_clear()
    with pytest.raises(ValidationFailed) as info:
        indicators.bundled_indicators(geodata)
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "value")]
    assert calls == [str(copy)]

    # a damaged cache file is validated again and replaced
    copy.write_bytes(BUNDLED.read_bytes())
    stored[0].write_bytes(b"PAR1 not a parquet file")
    indicators._bundled.cache_clear()
    pd.testing.assert_frame_equal(indicators.bundled_indicators(geodata), validated)
    assert len(calls) == 2
    indicators._bundled.cache_clear()
    indicators.bundled_indicators(geodata)
    assert len(calls) == 2
