"""The data model: validation rules, messages, code lists; property-based tests."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import ValidationFailed
from registry.schema import CODE_LISTS, FIELDS, Initiative, data_dictionary, validate_record
from registry.schema.codes import code_codes
from tests.conftest import barrio_values, iap_values


def problems(values: dict) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        validate_record(values)
    return {p.field: p.message for p in info.value.problems}


def test_valid_iap_and_barrio() -> None:
    iap = validate_record(iap_values(sector="Turismo", country="chile"))
    assert (iap.sector, iap.country, iap.status) == ("tourism", "CL", "published")
    barrio = validate_record(barrio_values())
    assert barrio.initiative_type == "commercial_district"
    assert barrio.action_lines == ["asociatividad", "entorno_urbano"]
    assert barrio.geometry.geom_type == "LineString"


def test_required_fields_and_unknown_codes_in_spanish() -> None:
    found = problems(
        {
            "kind": "iap",
            "initiative_type": "zzz",
            "country": "CL",
            "location_precision": "country",
            "bogus": 1,
        }
    )
    assert found["name"] == "es obligatorio"
    assert found["sector"] == "es obligatorio"
    assert found["initiative_type"].startswith("código desconocido «zzz»")
    assert found["bogus"] == "campo desconocido «bogus»"


def test_messages_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAP_REGISTRY_LANG", "en")
    assert problems(iap_values(name=""))["name"] == "is required"


@pytest.mark.parametrize(
    ("overrides", "field", "start"),
    [
        ({"geometry": "LINESTRING (-70 -33, -70.1 -33.1)"}, "geometry", "una iniciativa (IAP)"),
        ({"cohort": "2014"}, "cohort", "solo los barrios"),
        ({"stage": "barrio_year_1"}, "stage", "la etapa"),
        ({"start_year": 2020, "end_year": 2019}, "end_year", "el año de término"),
        ({"start_year": 1800}, "start_year", "fuera de rango"),
        ({"n_firms": "doce"}, "n_firms", "valor no válido"),
        ({"website": "javascript:alert(1)"}, "website", "no es una dirección web"),
        ({"contact_email": "nadie"}, "contact_email", "no es un correo"),
        ({"name": "a\x00b"}, "name", "contiene caracteres de control"),
        ({"name": "x" * 301}, "name", "texto demasiado largo"),
        ({"geometry": "POINT EMPTY"}, "geometry", "la geometría está vacía"),
        ({"geometry": "POINT (200 10)"}, "geometry", "coordenadas fuera del rango"),
        ({"geometry": "POINT (nan 10)"}, "geometry", "coordenadas no numéricas"),
        ({"geometry": "POINT (1 2"}, "geometry", "WKT no válido"),
        ({"geometry": None}, "geometry", "falta la ubicación"),
        ({"country": None}, "country", "indique el país"),
        ({"last_verified": "31/12/2024"}, "last_verified", "no es una fecha"),
    ],
)
def test_rules(overrides: dict, field: str, start: str) -> None:
    assert problems(iap_values(**overrides))[field].startswith(start)


def test_invalid_polygon_is_refused_not_fixed() -> None:
    bowtie = "POLYGON ((-73 -39, -72 -38, -72 -39, -73 -38, -73 -39))"
    assert "geometría no válida" in problems(barrio_values(geometry=bowtie))["geometry"]


def test_field_table_drives_model_and_dictionary() -> None:
    assert list(Initiative.model_fields) == [f.name for f in FIELDS]
    names = [row["field"] for row in data_dictionary("en")]
    assert names[: len(FIELDS)] == [f.name for f in FIELDS]
    restricted = {row["field"] for row in data_dictionary() if row["restricted"]}
    assert {"contact_name", "contact_email"} <= restricted


def test_code_lists_are_unique_and_bilingual() -> None:
    for name, codes in CODE_LISTS.items():
        assert len({c.code for c in codes}) == len(codes), name
        assert all(c.es and c.en for c in codes), name


# -- property-based ------------------------------------------------------------------
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
lats = st.floats(min_value=-90, max_value=90, allow_nan=False)


@given(lon=lons, lat=lats, name=st.text(min_size=1, max_size=300))
def test_any_point_and_printable_name_round_trip(lon: float, lat: float, name: str) -> None:
    values = iap_values(geometry=shapely.Point(lon, lat), name=name)
    clean = name.strip()
    bad_ctrl = any(ord(c) < 32 or ord(c) == 127 for c in clean)
    try:
        model = validate_record(values)
    except ValidationFailed as exc:
        fields = {p.field for p in exc.problems}
        assert fields == {"name"}
        assert bad_ctrl or clean == ""
        return
    assert not bad_ctrl and clean
    assert model.geometry.equals(shapely.Point(lon, lat))


@given(value=st.one_of(st.integers(), st.floats(), st.text(max_size=12)))
def test_n_firms_accepts_only_non_negative_integers(value: object) -> None:
    try:
        model = validate_record(iap_values(n_firms=value))
    except ValidationFailed as exc:
        assert {p.field for p in exc.problems} == {"n_firms"}
        return
    if model.n_firms is not None:
        assert isinstance(model.n_firms, int) and 0 <= model.n_firms <= 10_000_000
        if isinstance(value, float):
            assert math.isfinite(value) and value == model.n_firms


@given(codes=st.lists(st.sampled_from(code_codes("strategic_focus")), max_size=6))
def test_code_lists_parse_from_pipes(codes: list[str]) -> None:
    model = validate_record(iap_values(strategic_focus_other="|".join(codes)))
    assert model.strategic_focus_other == list(dict.fromkeys(codes))
