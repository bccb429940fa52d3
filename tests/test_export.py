"""Export: RFC 7946 GeoJSON checked by geojson-validator and GDAL, GeoPackage, safe CSV."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import geojson_validator
import pyogrio
import pytest
import shapely

from registry.api import Registry
from registry.errors import NotAllowed
from registry.store import Filters
from tests.conftest import ADMIN, barrio_values, iap_values, require_tool

# clockwise exterior on purpose: the export must turn it counter-clockwise
CW_POLYGON = "POLYGON ((-73.2460 -39.8140, -73.2440 -39.8140, -73.2440 -39.8160, -73.2460 -39.8160, -73.2460 -39.8140))"


@pytest.fixture
def filled(registry: Registry) -> Registry:
    registry.create(
        iap_values(
            contact_email="ana@example.cl",
            contact_name="Ana",
            geometry="POINT (-70.65061234567 -33.43721234567)",
        ),
        ADMIN,
    )
    registry.create(barrio_values(geometry=CW_POLYGON, name='=HYPERLINK("http://x")'), ADMIN)
    registry.create(barrio_values(name="Barrio línea"), ADMIN)
    return registry


def test_geojson_is_rfc7946_and_reads_back_equal(filled: Registry, tmp_path: Path) -> None:
    out = tmp_path / "all.geojson"
    written = filled.export(out)
    assert written[1].name == "all.dictionary.csv"
    data = json.loads(out.read_text())
    assert "crs" not in data
    assert geojson_validator.validate_structure(data) == {}
    geometry_check = geojson_validator.validate_geometries(data)
    assert geometry_check["invalid"] == {} and geometry_check["problematic"] == {}
    ids = {f["id"] for f in data["features"]}
    stored = filled.list()
    assert ids == set(stored["id"])
    point = next(f for f in data["features"] if f["geometry"]["type"] == "Point")
    assert point["geometry"]["coordinates"] == [-70.650612, -33.437212]
    assert all("contact_email" not in f["properties"] for f in data["features"])
    back = pyogrio.read_dataframe(out)
    assert len(back) == len(stored)
    merged = back.set_index("id").loc[stored["id"]]
    assert list(merged["name"]) == list(stored["name"])
    for a, b in zip(merged.geometry, stored.geometry, strict=True):
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-6)


def test_geojson_read_by_debian_ogrinfo(filled: Registry, tmp_path: Path) -> None:
    out = tmp_path / "all.geojson"
    filled.export(out)
    result = subprocess.run(
        [require_tool("ogrinfo"), "-ro", "-al", "-so", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Feature Count: 3" in result.stdout
    assert result.stderr.strip() == ""


def test_gpkg_exports_and_store_open_without_warnings(filled: Registry, tmp_path: Path) -> None:
    out = tmp_path / "all.gpkg"
    filled.export(out)
    ogrinfo = require_tool("ogrinfo")
    for path in (out, Path(filled.store.url)):
        result = subprocess.run(
            [ogrinfo, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
        )
        assert result.stderr.strip() == "", result.stderr
        assert "Feature Count: 3" in result.stdout
    layers = {name for name, _ in pyogrio.list_layers(out)}
    monitoring = {"monitoring_goals", "monitoring_indicators", "monitoring_values"}
    assert layers == {"initiatives", "data_dictionary", *monitoring}  # no review log: public


def test_csv_is_formula_safe_and_keeps_negative_coordinates(
    filled: Registry, tmp_path: Path
) -> None:
    out = tmp_path / "all.csv"
    filled.export(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    names = {r["name"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in names
    assert all(float(r["lon"]) < 0 and float(r["lat"]) < 0 for r in rows)
    assert all(r["wkt"].startswith(("POINT", "POLYGON", "LINESTRING")) for r in rows)
    assert "contact_email" not in rows[0]


def test_filtered_export_and_restricted_fields(filled: Registry, tmp_path: Path) -> None:
    out = tmp_path / "iap.geojson"
    filled.export(out, filters=Filters(kind=("iap",)))
    assert len(json.loads(out.read_text())["features"]) == 1
    with pytest.raises(NotAllowed):
        filled.export(out, include_restricted=True)
    filled.export(out, actor=ADMIN, include_restricted=True, filters=Filters(kind=("iap",)))
    props = json.loads(out.read_text())["features"][0]["properties"]
    assert props["contact_email"] == "ana@example.cl"


def test_whole_numbers_and_booleans_keep_their_types_with_gaps(
    filled: Registry, tmp_path: Path
) -> None:
    # one entry with numbers and a yes/no answer, the others without: the columns have gaps
    filled.create(
        iap_values(name="Con cifras", n_firms=42, start_year=2021, participatory_governance=True),
        ADMIN,
    )
    ogrinfo = require_tool("ogrinfo")
    types = {}
    for fmt in ("geojson", "gpkg"):
        out = tmp_path / f"all.{fmt}"
        filled.export(out)
        listing = subprocess.run(
            [ogrinfo, "-ro", "-so", "-al", str(out)], capture_output=True, text=True, check=True
        ).stdout
        types[fmt] = {
            name: kind.split(" (")[0]
            for name, kind in (
                line.strip().split(": ", 1) for line in listing.splitlines() if ": " in line
            )
            if name in ("n_firms", "start_year", "participatory_governance")
        }
    assert types["geojson"] == {
        "n_firms": "Integer",
        "start_year": "Integer",
        "participatory_governance": "Integer(Boolean)",
    }
    assert types["gpkg"] == {
        "n_firms": "Integer64",
        "start_year": "Integer64",
        "participatory_governance": "Integer(Boolean)",
    }
    data = json.loads((tmp_path / "all.geojson").read_text())
    props = next(f["properties"] for f in data["features"] if f["properties"]["n_firms"])
    assert (props["n_firms"], props["start_year"]) == (42, 2021)
    assert props["participatory_governance"] is True
    filled.export(tmp_path / "all.csv")
    row = next(
        r for r in csv.DictReader((tmp_path / "all.csv").open(encoding="utf-8-sig")) if r["n_firms"]
    )
    assert (row["n_firms"], row["start_year"], row["participatory_governance"]) == (
        "42",
        "2021",
        "True",
    )


def test_xlsx_holds_the_csv_rows_and_the_dictionary_and_imports_back(
    filled: Registry, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    filled.export(tmp_path / "all.csv")
    written = filled.export(tmp_path / "all.xlsx")
    assert [p.name for p in written] == ["all.xlsx"]  # the dictionary is its second sheet
    rows = list(csv.reader((tmp_path / "all.csv").open(encoding="utf-8-sig")))
    book = load_workbook(tmp_path / "all.xlsx", read_only=True)
    assert book.sheetnames == ["entradas", "diccionario"]
    sheet = [
        ["" if v is None else str(v) for v in r]
        for r in book["entradas"].iter_rows(values_only=True)
    ]
    width = len(rows[0])
    assert [r + [""] * (width - len(r)) for r in sheet] == rows  # the same cells as the CSV
    # a formula stays text: the cell holds no formula for Excel to run
    cells = [c for r in book["entradas"].iter_rows() for c in r]
    assert not [c for c in cells if getattr(c, "data_type", "s") == "f"]
    assert '\'=HYPERLINK("http://x")' in {r[rows[0].index("name")] for r in sheet}
    terms = [r[0] for r in book["diccionario"].iter_rows(values_only=True)]
    assert "name" in terms or "campo" in terms[0].lower()
    book.close()
    # the workbook imports back: three updates that change nothing, nothing new
    before = filled.list()
    report = filled.import_file(tmp_path / "all.xlsx", ADMIN, dry_run=True)
    assert (report.created, len(filled.list())) == (0, len(before))


def test_xlsx_import_reports_rows_as_excel_numbers_them(registry: Registry, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from registry.errors import ValidationFailed

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["name", "kind", "initiative_type", "country", "location_precision", "sector", "lon", "lat"]
    )
    good = ["Red buena", "iap", "cluster", "CL", "exact", "tourism", -73.2459, -39.8142]
    sheet.append(good)
    sheet.append(["Sin sector", "iap", "cluster", "CL", "exact", "", -73.24, -39.81])  # row 3
    sheet.append(good[:2] + ["no_such_type"] + good[3:])  # row 4
    sheet.append(["Sin latitud", "iap", "cluster", "CL", "exact", "tourism", -73.2, None])  # 5
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(tmp_path / "bad.xlsx", ADMIN)
    assert sorted({p.row for p in info.value.problems}) == [3, 4, 5]
    assert len(registry.list()) == 0  # all or nothing
    sheet.delete_rows(3, 3)  # rows 3-5 mended: here, left out
    book.save(tmp_path / "fixed.xlsx")
    report = registry.import_file(tmp_path / "fixed.xlsx", ADMIN)
    assert report.created == 1
    assert registry.list()["name"].tolist() == ["Red buena"]
