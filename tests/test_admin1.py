"""Issue 18: one notion of admin-1 for every country (Chile's CUT regions, ISO 3166-2
elsewhere), reverse geocoding over 27 countries, location checks for every country, and the
migration that fills the codes of entries saved before."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from registry.api import Registry
from registry.errors import ValidationFailed
from registry.geo.boundaries import admin1, boundary_status, region_country
from registry.geo.locate import reverse_geocode
from registry.store import Filters
from registry.store.gpkg_binary import register_functions
from registry.store.tables import SCHEMA_VERSION
from tests.conftest import ADMIN, iap_values, require_tool

HEADER = "external_id,name,kind,initiative_type,country,location_precision,sector,lon,lat"
TEN = ("AR", "BR", "BO", "CO", "EC", "GT", "MX", "PE", "PY", "UY")


def _inner_points(
    codes: list[str], per_unit: int, seed: int
) -> list[tuple[str, str, float, float]]:
    """``per_unit`` random points well inside each unit (200 m from its edges), drawn from
    the polygons themselves: (country, code, lon, lat)."""
    units = admin1().set_index("region_code")
    rng = np.random.default_rng(seed)
    out = []
    for code in codes:
        inner = shapely.buffer(units.geometry[code], -0.002)
        assert not inner.is_empty, code
        pts = shapely.get_parts(gpd.GeoSeries([inner]).sample_points(per_unit, rng=rng).iloc[0])
        out += [(units.country[code], code, p.x, p.y) for p in pts]
    return out


def test_the_admin1_table_covers_27_countries_with_chile_by_cut_code() -> None:
    units = admin1()
    assert units["country"].nunique() == 27
    assert units["region_code"].is_unique
    chile = units[units.country == "CL"]
    assert sorted(chile.region_code) == [f"{i:02d}" for i in range(1, 17)]
    other = units[units.country != "CL"]
    assert other.region_code.str.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}").all()
    assert (other.region_code.map(region_country) == other.country).all()
    assert units.loc[units.region_code == "CO-ANT", "region_name"].item() == "Antioquia"
    assert boundary_status("BR")["regions"] == 27
    assert "Natural Earth" in str(boundary_status("MX")["source"])


def test_ten_points_in_each_unit_of_ten_countries_import_with_their_admin1(
    registry: Registry, tmp_path: Path
) -> None:
    """Acceptance: 10 points inside each of 10 countries' admin-1 units, drawn from the
    polygons at run time, import with the right country and admin-1 unit."""
    units = admin1()
    codes = [c for c in units.region_code if region_country(c) in TEN]
    points = _inner_points(codes, 10, seed=18)
    lines = [HEADER] + [
        f"P{i},Iniciativa {i},iap,cluster,{country},exact,tourism,{x:.6f},{y:.6f}"
        for i, (country, _, x, y) in enumerate(points)
    ]
    path = tmp_path / "latam.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = registry.import_file(path, ADMIN)
    assert report.created == len(points) == 10 * len(codes)
    saved = registry.list().set_index("external_id")
    expected = {f"P{i}": (country, code) for i, (country, code, _, _) in enumerate(points)}
    got = {k: (saved.country[k], saved.region_code[k]) for k in expected}
    wrong = {k: (expected[k], got[k]) for k in expected if got[k] != expected[k]}
    assert not wrong, list(wrong.items())[:5]
    assert saved.comuna_code.isna().all()  # comunas only in Chile
    # one filter for every country's admin-1
    antioquia = registry.list(Filters(region=("CO-ANT",)))
    assert len(antioquia) == 10 and set(antioquia.country) == {"CO"}


def test_locations_are_checked_for_every_country(registry: Registry, tmp_path: Path) -> None:
    rows = [
        HEADER,
        "A1,Medellín lácteos,iap,cluster,CO,exact,tourism,-75.5636,6.2518",  # fine: Antioquia
        "A2,En Lima pero Colombia,iap,cluster,CO,exact,tourism,-77.0428,-12.0464",  # in Peru
        "A3,Al revés,iap,cluster,CO,exact,tourism,4.7110,-74.0721",  # swapped, Bogotá
        "A4,En el mar,iap,cluster,PE,exact,tourism,-85.0,-10.0",  # Pacific
        "A5,Fuera,iap,cluster,CL,exact,tourism,2.35,48.85",  # Paris
        "A6,Sin límites,iap,cluster,LC,exact,tourism,-60.98,14.01",  # Saint Lucia: none here
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(path, ADMIN)
    by_row = {p.row: p for p in info.value.problems}
    assert set(by_row) == {3, 4, 5, 6, 7}  # the header is row 1
    assert "fuera de Colombia" in by_row[3].message
    assert "invertidas" in by_row[4].message and "Colombia" in by_row[4].message
    assert "fuera de Perú" in by_row[5].message
    assert "fuera de Chile" in by_row[6].message
    assert "mar o fuera de los países" in by_row[7].message
    assert registry.list().empty  # all or nothing


def test_a_declared_admin1_must_agree_with_the_point(registry: Registry) -> None:
    medellin = "POINT (-75.5636 6.2518)"
    with pytest.raises(ValidationFailed) as info:
        registry.create(iap_values(country="CO", geometry=medellin, region_code="CO-DC"), ADMIN)
    message = info.value.problems[0].message
    assert info.value.problems[0].field == "region_code"
    assert "CO-DC" in message and "Antioquia (CO-ANT)" in message
    with pytest.raises(ValidationFailed) as info:  # a code of another country
        registry.create(iap_values(country="CO", geometry=medellin, region_code="PE-LIM"), ADMIN)
    assert "no es un código oficial de Colombia" in info.value.problems[0].message
    with pytest.raises(ValidationFailed) as info:  # comunas are Chile's only
        registry.create(iap_values(country="CO", geometry=medellin, comuna_code="13101"), ADMIN)
    assert "solo existen en Chile" in info.value.problems[0].message
    rec = registry.create(iap_values(country="CO", geometry=medellin), ADMIN)
    assert (rec["region_code"], rec["comuna_code"]) == ("CO-ANT", None)


def test_an_entry_known_only_to_its_department_gets_a_point_inside_it(registry: Registry) -> None:
    rec = registry.create(
        iap_values(country="CO", geometry=None, location_precision="region", region_code="CO-VAC"),
        ADMIN,
    )
    valle = admin1().set_index("region_code").geometry["CO-VAC"]
    assert valle.contains(rec["geometry"])
    assert reverse_geocode([rec["geometry"].x], [rec["geometry"].y]).region_code[0] == "CO-VAC"


@pytest.mark.parametrize("country", ["EC", "MX", "CL"])
def test_an_entry_known_only_to_its_country_gets_a_point_inside_it(
    registry: Registry, country: str
) -> None:
    rec = registry.create(
        iap_values(country=country, geometry=None, location_precision="country"), ADMIN
    )
    assert rec["geometry"] is not None and rec["geometry"].geom_type == "Point"
    found = reverse_geocode([rec["geometry"].x], [rec["geometry"].y])
    assert found.country[0] == country
    assert rec["region_code"] is None and rec["comuna_code"] is None  # no finer than that
    # several countries: no point (there is no one country to put it in)
    many = registry.create(
        iap_values(
            country=None,
            other_countries=["CL", "PE"],
            geometry=None,
            location_precision="multi_country",
        ),
        ADMIN,
    )
    assert many["geometry"] is None


def test_chile_keeps_its_comunas_and_cut_codes(registry: Registry) -> None:
    rec = registry.create(iap_values(), ADMIN)  # Santiago
    assert (rec["region_code"], rec["comuna_code"]) == ("13", "13101")
    where = registry.locate(-70.6506, -33.4372)
    assert (where["country"], where["region_code"], where["comuna_code"]) == ("CL", "13", "13101")
    assert registry.locate(-58.38, -34.60)["region_code"] == "AR-C"  # Buenos Aires city
    assert registry.locate(-30.0, -20.0)["country"] is None  # the Atlantic


def _as_schema_5(path: Path, with_codes_cleared: tuple[str, ...]) -> None:
    """Make ``path`` look as version 0.5 left it: no admin-1 codes outside Chile."""
    with closing(sqlite3.connect(path)) as conn, conn:
        register_functions(conn)  # the GeoPackage's triggers call ST_* functions
        for external_id in with_codes_cleared:
            conn.execute(
                "UPDATE initiatives SET region_code = NULL WHERE external_id = ?", (external_id,)
            )
        conn.execute("UPDATE registry_meta SET meta_value = '5' WHERE meta_key = 'schema_version'")


def test_an_old_geopackage_registry_gets_admin1_codes_on_open(
    registry: Registry, tmp_path: Path
) -> None:
    chile = registry.create(iap_values(external_id="cl"), ADMIN)
    registry.create(
        iap_values(external_id="co", country="CO", geometry="POINT (-75.56 6.25)"), ADMIN
    )
    registry.create(
        iap_values(external_id="mx", country="MX", geometry="POINT (-99.13 19.43)"), ADMIN
    )
    before = registry.list().set_index("external_id")
    path = Path(registry.store.url)
    _as_schema_5(path, ("co", "mx"))
    old = Registry(str(path))  # opening migrates
    after = old.list().set_index("external_id")
    assert after.region_code["co"] == "CO-ANT" and after.region_code["mx"] == "MX-CMX"
    assert (after.region_code["cl"], after.comuna_code["cl"]) == ("13", "13101")
    assert (after.version == before.version).all()  # derived codes: no new versions
    assert old.get(chile["id"])["version"] == 1
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute(
            "SELECT meta_value FROM registry_meta WHERE meta_key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)
    out = subprocess.run(
        [require_tool("ogrinfo"), "-ro", "-al", "-so", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stderr == "", out.stderr


def test_an_old_postgis_registry_gets_admin1_codes_on_open(postgis_store: Any) -> None:
    from sqlalchemy import text

    reg = Registry(store=postgis_store)
    reg.create(iap_values(external_id="cl"), ADMIN)
    reg.create(iap_values(external_id="pe", country="PE", geometry="POINT (-77.04 -12.05)"), ADMIN)
    with postgis_store._write.begin() as conn:
        conn.execute(text("UPDATE initiatives SET region_code = NULL WHERE external_id = 'pe'"))
        conn.execute(
            text("UPDATE registry_meta SET meta_value = '5' WHERE meta_key = 'schema_version'")
        )
    again = Registry(store=postgis_store)  # opening migrates
    after = again.list().set_index("external_id")
    assert after.region_code["pe"] in ("PE-LMA", "PE-LIM")
    assert (after.region_code["cl"], after.comuna_code["cl"]) == ("13", "13101")


def test_boundaries_list_says_which_source_each_country_uses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from registry.cli import main

    assert main(["boundaries", "list", "--json"]) == 0
    rows = {r["country"]: r for r in json.loads(capsys.readouterr().out)}
    assert sum(r["installed"] for r in rows.values()) == 27
    assert rows["CL"]["comunas"] == 345 and "Administrativa 2023" in rows["CL"]["source"]
    assert rows["MX"]["regions"] == 32 and "Natural Earth" in rows["MX"]["source"]
    assert rows["LC"] == {"country": "LC", "installed": False}
    assert main(["boundaries", "list"]) == 0
    out = capsys.readouterr().out
    assert "CO  Colombia: 33 unidades de primer nivel; Natural Earth 5.1" in out
    assert "LC  Santa Lucía: sin límites administrativos instalados" in out
