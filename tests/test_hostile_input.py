"""The hostile-input corpus (``tests/data/hostile/``): each file gives exactly the expected
outcome, a row-numbered refusal in the user's language or a correct import, never a
traceback; a refused file changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from registry.api import Registry
from registry.errors import ValidationFailed
from tests.conftest import ADMIN, iap_values
from tests.data.hostile.build import FILES, HERE, gpkg_cases, write_all

# file -> the problems (row, field, a fragment of the message), in report order
REFUSED: dict[str, list[tuple[int | None, str, str]]] = {
    "wrong_types.csv": [
        (2, "n_firms", "valor no válido: muchas"),
        (2, "start_year", "valor no válido: 20x3"),
    ],
    "missing_required.csv": [(2, "name", "es obligatorio"), (3, "sector", "es obligatorio")],
    "missing_column.csv": [(2, "sector", "es obligatorio")],
    "nan_inf_coordinates.csv": [
        (2, "geometry", "no numéricas o infinitas"),
        (2, "geometry", "falta la ubicación"),
        (3, "geometry", "no numéricas o infinitas"),
        (3, "geometry", "falta la ubicación"),
        (4, "geometry", "falta lon o lat"),
        (4, "geometry", "falta la ubicación"),
    ],
    "out_of_range.csv": [
        (2, "geometry", "fuera del rango geográfico"),
        (3, "geometry", "fuera del rango geográfico"),
    ],
    "swapped_lat_lon.csv": [(2, "geometry", "parecen invertidas")],
    "at_sea.csv": [(2, "geometry", "(-80.0, -33.0) está fuera de Chile")],
    "other_country.csv": [(2, "geometry", "(-58.38, -34.6) está fuera de Chile")],
    "self_intersecting.csv": [(2, "geometry", "geometría no válida: Self-intersection")],
    "unclosed_polygon.csv": [(2, "geometry", "WKT no válido")],
    "empty_geometry.csv": [(2, "geometry", "la geometría está vacía")],
    "huge_string.csv": [(2, "name", "texto demasiado largo (5000 caracteres; máximo 300)")],
    "control_characters.csv": [(2, "name", "caracteres de control")],
    "duplicate_ids.csv": [(3, "external_id", "«D1» ya aparece en la fila 2")],
    "unknown_codes.csv": [(2, "sector", "código desconocido «astrología»")],
    "truncated.csv": [
        (3, "kind", "es obligatorio"),
        (3, "initiative_type", "es obligatorio"),
        (3, "location_precision", "es obligatorio"),
        (3, "sector", "es obligatorio"),
    ],
    "unknown_code.gpkg": [(2, "sector", "código desconocido «astrología»")],
}
# file -> the message of a refusal of the whole file
UNREADABLE: dict[str, str] = {
    "header_only.csv": "el archivo no tiene filas",
    "binary.csv": "no es un CSV de texto",
    "truncated.geojson": "no se pudo leer el archivo",
    "not_geojson.geojson": "no es GeoJSON de entidades (tipo «Topology»",
}
# file -> the names stored, exactly as in the file
IMPORTED: dict[str, list[str]] = {
    "rtl_and_emoji.csv": ["مركز الأعمال 🌵 Clúster ✓"],
    "formula_injection.csv": [
        '=HYPERLINK("http://x","y")',
        "+56 9 1234",
        "-Cooperativa",
        "@SUM(A1)",
    ],
    "html_js.csv": [
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "</script>${alert(3)}`${4}`",
    ],
    "sql_fragments.csv": ["'); DROP TABLE initiatives; --", "1 OR 1=1; SELECT * FROM users"],
    "utf8_bom.csv": ["Ñuñoa Creativa"],
    "windows1252.csv": ["Peñalolén Café"],
    "semicolon_decimal_comma.csv": ["Valparaíso Puerto"],
    "projected_utm19s.geojson": ["En UTM 19S"],
    "projected.gpkg": ["GPKG proyectado"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = {name: HERE / name for name in FILES}
    paths.update(gpkg_cases(tmp_path_factory.mktemp("hostile-gpkg")))
    return paths


def test_every_file_has_an_expected_outcome(corpus: dict[str, Path]) -> None:
    assert set(corpus) == set(REFUSED) | set(UNREADABLE) | set(IMPORTED)


def test_the_files_on_disk_are_the_builders(tmp_path: Path) -> None:
    for written in write_all(tmp_path):
        assert written.read_bytes() == (HERE / written.name).read_bytes(), written.name


@pytest.fixture
def occupied(registry: Registry) -> Registry:
    """A registry with one entry already, to show that a refused file changes nothing."""
    registry.create(iap_values(name="Ya estaba"), ADMIN)
    return registry


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_row_numbers_and_nothing_changes(
    occupied: Registry, corpus: dict[str, Path], name: str
) -> None:
    before = (occupied.data_version(), occupied.store.dump())
    with pytest.raises(ValidationFailed) as info:
        occupied.import_file(corpus[name], ADMIN)
    found = [(p.row, p.field, p.message) for p in info.value.problems]
    assert [(r, f) for r, f, _ in found] == [(r, f) for r, f, _ in REFUSED[name]]
    for (_, _, message), (_, _, fragment) in zip(found, REFUSED[name], strict=True):
        assert fragment in message
    assert (occupied.data_version(), occupied.store.dump()) == before


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_files_are_refused_whole(
    occupied: Registry, corpus: dict[str, Path], name: str
) -> None:
    before = occupied.data_version()
    with pytest.raises(ValidationFailed) as info:
        occupied.import_file(corpus[name], ADMIN)
    assert UNREADABLE[name] in info.value.user_msg
    assert occupied.data_version() == before


@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_imported_exactly_as_written(
    registry: Registry, corpus: dict[str, Path], name: str, tmp_path: Path
) -> None:
    report = registry.import_file(corpus[name], ADMIN)
    assert report.created == len(IMPORTED[name])
    assert sorted(registry.list()["name"]) == sorted(IMPORTED[name])
    if name.startswith("projected"):
        assert "EPSG:32719" in report.message()
        stored = registry.list().iloc[0]
        assert stored["comuna_code"] == "13101"  # UTM 19S 346800 E, 6298900 N is in Santiago
        assert stored.geometry.x == pytest.approx(-70.65, abs=0.01)
    if name == "formula_injection.csv":  # stored as typed, neutralised in a CSV export
        registry.export(tmp_path / "out.csv")
        cells = {
            r["name"] for r in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8-sig"))
        }
        assert cells == {"'" + n for n in IMPORTED[name]}


def test_messages_follow_the_language(
    registry: Registry, corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAP_REGISTRY_LANG", "en")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(corpus["unknown_codes.csv"], ADMIN)
    assert "unknown code 'astrología'" in info.value.problems[0].message


def test_size_and_row_limits_are_settings(
    registry: Registry, corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = corpus["formula_injection.csv"]  # 4 rows, about 0.0004 MB
    monkeypatch.setenv("IAP_REGISTRY_IMPORT_MAX_MB", "0.0001")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(big, ADMIN)
    assert "más que el límite de 0.0001 MB (IAP_REGISTRY_IMPORT_MAX_MB)" in info.value.user_msg
    monkeypatch.setenv("IAP_REGISTRY_IMPORT_MAX_MB", "1")
    monkeypatch.setenv("IAP_REGISTRY_IMPORT_MAX_ROWS", "3")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(big, ADMIN)
    assert "tiene más de 3 filas (límite IAP_REGISTRY_IMPORT_MAX_ROWS)" in info.value.user_msg
    assert len(registry.list()) == 0
    monkeypatch.setenv("IAP_REGISTRY_IMPORT_MAX_ROWS", "4")
    assert registry.import_file(big, ADMIN).created == 4


def test_text_length_limit_is_a_setting_that_only_lowers(
    registry: Registry, corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAP_REGISTRY_MAX_TEXT_CHARS", "12")
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(corpus["utf8_bom.csv"], ADMIN)  # "Ñuñoa Creativa": 14
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "name")]
    assert "(14 caracteres; máximo 12)" in info.value.problems[0].message
    monkeypatch.setenv("IAP_REGISTRY_MAX_TEXT_CHARS", "100000")  # above the field's 300
    with pytest.raises(ValidationFailed) as info:
        registry.import_file(corpus["huge_string.csv"], ADMIN)
    assert "máximo 300" in info.value.problems[0].message
