"""Import: formats, encodings, all-or-nothing with row-numbered report, upserts."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.api import Registry
from registry.errors import ValidationFailed
from registry.store.gpkg import GeoPackageStore
from tests.conftest import ADMIN

HEADER = "external_id,name,kind,initiative_type,country,location_precision,sector,lon,lat"


def write(tmp_path: Path, text: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_import_fills_codes(registry: Registry, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\nA1,Clúster Norte,iap,cluster,CL,exact,mining,-70.4,-23.65\n")
    report = registry.import_file(path, ADMIN)
    assert (report.created, report.updated) == (1, 0)
    rec = registry.list().iloc[0]
    assert (rec.region_code, rec.comuna_code) == ("02", "02101")


def test_windows1252_semicolon_decimal_comma(registry: Registry, tmp_path: Path) -> None:
    text = (
        "Nombre;Clase de entrada;Tipo de iniciativa;País;Precisión de la ubicación;Sector;"
        "longitud;latitud\nPeñalolén Café;iap;cluster;CL;exact;Turismo;-70,5;-33,48\n"
    )
    path = write(tmp_path, text, encoding="cp1252")
    registry.import_file(path, ADMIN)
    rec = registry.list().iloc[0]
    assert rec["name"] == "Peñalolén Café" and rec.region_code == "13"
    assert rec.geometry.x == pytest.approx(-70.5)


def test_one_bad_row_rolls_back_everything(registry: Registry, tmp_path: Path) -> None:
    rows = [
        HEADER,
        "A1,Uno,iap,cluster,CL,exact,mining,-70.4,-23.65",
        "A2,Dos,iap,cluster,CL,exact,mining,-23.65,-70.4",  # swapped
        "A3,,iap,cluster,CL,exact,sector-x,-80,-33",
    ]  # 3 problems
    path = write(tmp_path, "\n".join(rows) + "\n")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(path, ADMIN)
    found = [(p.row, p.field) for p in info.value.problems]
    assert (3, "geometry") in found and (4, "name") in found and (4, "sector") in found
    assert "invertidas" in next(p.message for p in info.value.problems if p.row == 3)
    assert "Importación rechazada" in info.value.report() and "fila 4, name" in info.value.report()
    assert len(registry.list(include_deleted=True)) == 0


def test_progress_is_told_and_row_numbers_hold_across_blocks(
    registry: Registry, tmp_path: Path
) -> None:
    """Rows are checked in blocks of IMPORT_BLOCK: the progress callback hears each block,
    and a bad row in the third block keeps the row number a spreadsheet shows."""
    from registry.api.entries import IMPORT_BLOCK

    n = 2 * IMPORT_BLOCK + 500
    lines = [f"B{i},Red {i},iap,cluster,CL,exact,mining,-70.4,-23.65" for i in range(n)]
    bad = 2 * IMPORT_BLOCK + 10  # index in `lines`; row = index + 2 (header is row 1)
    lines[bad] = lines[bad].replace("mining", "sector-x")
    path = write(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n")
    heard: list[tuple[float, str]] = []
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(path, ADMIN, progress=lambda share, text: heard.append((share, text)))
    assert [(p.row, p.field) for p in info.value.problems] == [(bad + 2, "sector")]
    checks = [text for _, text in heard if text.startswith("Revisando filas")]
    assert checks == [
        "Revisando filas: 0 de 4.500…",
        "Revisando filas: 2.000 de 4.500…",
        "Revisando filas: 4.000 de 4.500…",
    ]
    lines[bad] = lines[bad].replace("sector-x", "mining")
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    heard.clear()
    report = registry.import_file(path, ADMIN, progress=lambda s, t: heard.append((s, t)))
    shares = [share for share, _ in heard]
    assert shares == sorted(shares) and shares[0] == 0.0 and shares[-1] == 1.0
    assert heard[0][1] == "Leyendo el archivo…"
    assert "Guardando 4.500 entradas (todo o nada)…" in [text for _, text in heard]
    assert heard[-1][1] == report.message() and report.created == n


def test_code_contradicting_location_and_point_outside_country(
    registry: Registry, tmp_path: Path
) -> None:
    header = HEADER + ",comuna_code"
    rows = [
        header,
        "A1,Uno,iap,cluster,CL,exact,mining,-70.4,-23.65,13101",
        "A2,Dos,iap,cluster,AR,exact,mining,-70.4,-23.65,",
    ]
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(write(tmp_path, "\n".join(rows)), ADMIN)
    messages = {p.row: p.message for p in info.value.problems}
    assert "contradice la ubicación" in messages[2]
    assert "fuera de Argentina" in messages[3]


def test_dry_run_writes_nothing(registry: Registry, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\nA1,Uno,iap,cluster,CL,exact,mining,-70.4,-23.65\n")
    report = registry.import_file(path, ADMIN, dry_run=True)
    assert report.created == 1 and "no se escribió nada" in report.message()
    assert len(registry.list()) == 0 and registry.data_version() == 0


def test_upsert_on_external_id_and_duplicates(registry: Registry, tmp_path: Path) -> None:
    first = write(tmp_path, HEADER + "\nA1,Uno,iap,cluster,CL,exact,mining,-70.4,-23.65\n")
    registry.import_file(first, ADMIN)
    again = registry.import_file(first, ADMIN)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    second = write(
        tmp_path, HEADER + "\nA1,Uno bis,iap,cluster,CL,exact,mining,-70.4,-23.65\n", "b.csv"
    )
    assert registry.import_file(second, ADMIN).updated == 1
    rec = registry.list().iloc[0]
    assert (rec["name"], rec["version"]) == ("Uno bis", 2)
    dup = write(
        tmp_path,
        HEADER + "\nB1,a,iap,cluster,CL,exact,mining,-70.4,-23.65"
        "\nB1,b,iap,cluster,CL,exact,mining,-70.4,-23.65\n",
        "dup.csv",
    )
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(dup, ADMIN)
    assert "duplicado" in info.value.problems[0].message


def test_comuna_only_location_is_placed_inside_comuna(registry: Registry, tmp_path: Path) -> None:
    text = (
        "name,kind,country,location_precision,sector,comuna_code\n"
        "Barrio Esmeralda,barrio_comercial,CL,comuna,retail_commerce,14101\n"
    )
    registry.import_file(write(tmp_path, text), ADMIN)
    rec = registry.list().iloc[0]
    assert rec.location_precision == "comuna" and rec.region_code == "14"
    from registry.geo import comunas

    polygon = comunas().set_index("comuna_code").geometry["14101"]
    assert polygon.contains(rec.geometry)


def test_geojson_in_projected_crs_is_reprojected(registry: Registry, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "name": ["Proyectada"],
            "kind": ["iap"],
            "initiative_type": ["cluster"],
            "country": ["CL"],
            "location_precision": ["exact"],
            "sector": ["mining"],
        },
        geometry=[shapely.Point(-70.4, -23.65)],
        crs=4326,
    ).to_crs(32719)
    path = tmp_path / "utm.gpkg"
    frame.to_file(path, driver="GPKG")
    report = registry.import_file(path, ADMIN)
    assert report.created == 1 and "WGS84" in report.message()
    assert registry.list().iloc[0].geometry.x == pytest.approx(-70.4, abs=1e-6)


def test_unreadable_and_empty_files(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="formato no reconocido"):
        registry.import_file(write(tmp_path, "x", "a.ods"), ADMIN)
    with pytest.raises(ValidationFailed) as info:  # not a workbook although named one
        registry.import_file(write(tmp_path, "x", "a.xlsx"), ADMIN)
    assert "no se pudo leer" in str(info.value.problems[0])
    with pytest.raises(ValidationFailed, match="no tiene filas"):
        registry.import_file(write(tmp_path, HEADER + "\n"), ADMIN)
    bad = write(tmp_path, '{"type": "FeatureCollection", "features": [', "t.geojson")
    with pytest.raises(ValidationFailed, match="no se pudo leer"):
        registry.import_file(bad, ADMIN)


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    lambda s: s.strip() != ""
)


@pytest.fixture(scope="module")
def _empty_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "r.gpkg"
    GeoPackageStore(path).init()
    return path


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(names, st.floats(-72, -70), st.floats(-38, -30)),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r[0].strip(),
    )
)
def test_geojson_import_export_round_trip(tmp_path_factory, _empty_registry, rows) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    shutil.copy(_empty_registry, tmp / "r.gpkg")  # a fresh registry for each example
    reg = Registry(store=GeoPackageStore(tmp / "r.gpkg"))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {
                "name": n,
                "kind": "iap",
                "initiative_type": "cluster",
                "country": "CL",
                "location_precision": "exact",
                "sector": "tourism",
                "status": "published",
            },
        }
        for n, x, y in rows
    ]
    src = tmp / "in.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    try:
        reg.import_file(src, ADMIN)
    except ValidationFailed as exc:  # points at sea off the coast are refused, as they should
        assert {p.field for p in exc.problems} == {"geometry"}
        return
    out = tmp / "out.geojson"
    reg.export(out)
    back = gpd.read_file(out)
    # names are stored in Unicode NFC (e.g. a CJK compatibility ideograph becomes the unified one)
    assert sorted(back["name"]) == sorted(
        unicodedata.normalize("NFC", n.strip()) for n, _, _ in rows
    )
    original = {
        unicodedata.normalize("NFC", n.strip()): (round(x, 6), round(y, 6)) for n, x, y in rows
    }
    for name, geom in zip(back["name"], back.geometry, strict=True):
        assert (geom.x, geom.y) == pytest.approx(original[name], abs=1e-6)


def test_geojson_escaped_astral_characters_survive(registry: Registry, tmp_path: Path) -> None:
    """GDAL's reader turns escaped surrogate pairs into U+FFFD; ours must not."""
    name = "Barrio \U0001d800 \U0001f600"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-70.4, -23.65]},
        "properties": {
            "name": name,
            "kind": "iap",
            "initiative_type": "cluster",
            "country": "CL",
            "location_precision": "exact",
            "sector": "mining",
        },
    }
    path = tmp_path / "astral.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert "\\ud836" in path.read_text()  # escaped, as json.dumps writes it
    registry.import_file(path, ADMIN)
    assert registry.list().iloc[0]["name"] == name
