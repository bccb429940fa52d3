"""The data model: validation rules, messages, code lists; property-based tests."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import ValidationFailed
from registry.schema import CODE_LISTS, FIELDS, Initiative, data_dictionary, validate_record
from registry.schema.codes import code_codes
from registry.schema.model import plain, validate_records
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


# A pool of values per field type, valid and not: codes and labels, blanks, numbers as
# text, bad text, and geometries of every kind the scalar check refuses.
_POOL: dict[str, list[object]] = {
    "text": ["Clúster", "  Ñuñoa  ", "", None, "a\x01b", "x" * 301, 7, math.nan],
    "longtext": ["línea 1\nlínea 2", "\x00", "", None, "y" * 10001],
    "int": ["12", " 1 000 ", "3.0", "3,5", 4, 5.0, 5.5, True, "-1", 10**13, "", None, math.nan],
    "bool": ["sí", "no", "X", True, "maybe", "", None],
    "date": ["2024-05-01", "2024-13-01", "2024-05-01T10:00", "", None],
    "url": ["https://example.org/a", "ftp://x", "javascript:alert(1)", ""],
    "email": ["ana@example.org", "ana@", "", None],
    "uuid": ["0b8a6f1e-8f3b-4c37-9d5e-2f1a0c9b7e21", "not-a-uuid", "", None],
    "usernames": ["ana maria", "ana|ana", "bad name!", [], ["ana"], ""],
    "geometry": [
        "POINT (-70.65 -33.43)",
        " POINT Z (-70.65 -33.43 5) ",
        "POINT (200 10)",
        "POINT EMPTY",
        "POINT (nan 1)",
        "LINESTRING (-73.24 -39.81, -73.24 -39.82)",
        "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))",
        "GEOMETRYCOLLECTION (POINT (1 1))",
        "POINT (1",
        {"type": "Point", "coordinates": [-70.6, -33.4]},
        {"type": "Nope"},
        shapely.Point(-71.0, -35.0),
        shapely.Point(1.0, 91.0),
        12,
        "",
        None,
    ],
}


def _field_values(spec: object) -> st.SearchStrategy[object]:
    kind = spec.type  # type: ignore[attr-defined]
    if kind in ("code", "codes"):
        choices = CODE_LISTS[spec.code_list]  # type: ignore[attr-defined]
        valid = (
            [c.code for c in choices[:3]]
            + [c.es for c in choices[:2]]
            + [c.en.upper() for c in choices[:1]]
        )
        pool: list[object] = [*valid, "zzz", "", None]
        if kind == "codes":
            pool += ["|".join(valid[:2]), [valid[0], "zzz"], [valid[0], valid[0]]]
        return st.sampled_from(pool)
    if kind == "period" or kind == "number":
        return st.sampled_from(["1", "", None])
    return st.sampled_from(_POOL[kind])


_PAIR = st.sampled_from([*FIELDS, None]).flatmap(
    lambda spec: (
        st.tuples(st.just("bogus"), st.just("x"))
        if spec is None
        else st.tuples(st.just(spec.name), _field_values(spec))
    )
)
_BASES = [{}, iap_values(), barrio_values(), iap_values(status="")]
_ROW = st.builds(
    lambda base, pairs: {**base, **dict(pairs)},
    st.sampled_from(_BASES),
    st.lists(_PAIR, max_size=4),
)


def _same_models(got: list, want: list) -> None:
    assert got == want
    for a, b in zip(got, want, strict=True):
        if b is not None:
            assert a.model_fields_set == b.model_fields_set
            a_values, b_values = a.model_dump(), b.model_dump()
            assert plain(a) == a_values
            assert plain(b) == b_values
            # geometries byte for byte (== on shapely geometries ignores Z)
            for values in (a_values, b_values):
                values["geometry"] = shapely.to_wkb(values["geometry"], hex=True)
            assert a_values == b_values


@settings(max_examples=400, deadline=None)
@given(st.lists(_ROW, max_size=8))
def test_batch_validation_equals_row_by_row(rows: list[dict]) -> None:
    """``validate_records`` checks a batch a field at a time; its models and problems
    (same rows, fields, messages, order) are those of ``validate_record`` on each row."""
    models, found = validate_records(rows, first_row=2)
    expected_models, expected_problems = [], []
    for number, values in enumerate(rows, start=2):
        try:
            expected_models.append(validate_record(values, row=number))
        except ValidationFailed as exc:
            expected_models.append(None)
            expected_problems += exc.problems
    assert found == expected_problems
    _same_models(models, expected_models)


@pytest.mark.parametrize("geometry", _POOL["geometry"], ids=repr)
@pytest.mark.parametrize("base", [iap_values(), barrio_values()], ids=["iap", "barrio"])
def test_batch_geometry_checks_equal_the_scalar_ones(base: dict, geometry: object) -> None:
    """Each kind of geometry a file may hold, alone and among valid ones in a batch."""
    rows = [base, {**base, "geometry": geometry}, base]
    models, found = validate_records(rows)
    expected = []
    for number, values in enumerate(rows, start=1):
        try:
            expected.append(validate_record(values, row=number))
        except ValidationFailed as exc:
            expected.append(None)
            assert found == exc.problems
    _same_models(models, expected)


def test_batch_validation_gives_no_two_entries_one_list() -> None:
    """A repeated value is coerced once; each entry still gets a list of its own."""
    models, _ = validate_records([barrio_values(), barrio_values()])
    assert models[0].action_lines == models[1].action_lines
    assert models[0].action_lines is not models[1].action_lines
