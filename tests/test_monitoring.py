"""Monitoring (issue 8): goals, indicators, values per period and the review log, on both
backends; who may record them; their history; the CSV import (all or nothing) and export;
progress and chart data; freshness and completeness; the programme view."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.api import Registry
from registry.auth import Actor
from registry.errors import Conflict, NotAllowed, NotFound, StorageError, ValidationFailed
from registry.progress import chart_data
from registry.quality import (
    BARRIO_FIELDS,
    COMPLETENESS_FIELDS,
    completeness,
    freshness,
    last_activity,
    record_quality,
)
from registry.store.tables import SCHEMA_VERSION
from tests.conftest import ADMIN, iap_values, require_tool

ANA = Actor("ana", "coordinator")
BOB = Actor("bob", "coordinator")
MARIA = Actor("maria", "manager")
INDICATOR = {
    "code": "participating_firms",
    "frequency": "quarterly",
    "baseline": "20",
    "baseline_period": "2024-Q4",
    "target": "40",
    "target_period": "2026-Q4",
}


@pytest.fixture(params=["gpkg", "postgis"])
def both(request: pytest.FixtureRequest) -> Registry:
    """The same tests on each backend."""
    return Registry(store=request.getfixturevalue(f"{request.param}_store"))


def _owned(reg: Registry, owner: Actor = ANA, **values: Any) -> dict[str, Any]:
    """An initiative owned by ``owner`` (created as a draft, then published by a manager)."""
    draft = reg.create(iap_values(status="draft", **values), owner)
    return reg.publish(draft["id"], draft["version"], MARIA)


def _values(reg: Registry, indicator: dict[str, Any], actor: Actor = ANA) -> list[dict[str, Any]]:
    return [
        reg.record_value(indicator["id"], "2025-Q1", "25", "Registro de socios", actor),
        reg.record_value(indicator["id"], "2025-T2", "30,5", "Registro de socios", actor),
    ]


# -- data model, both backends ------------------------------------------------------------
def test_goals_indicators_values_reviews_are_stored_and_read(both: Registry) -> None:
    entry = _owned(both)
    goal = both.add_monitoring(
        "goal", entry["id"], {"title": "Duplicar socios", "target_date": "2026-12-31"}, ANA
    )
    ind = both.add_monitoring("indicator", entry["id"], {**INDICATOR, "goal_id": goal["id"]}, ANA)
    assert (ind["unit"], ind["direction"], ind["baseline"]) == ("empresas", "increase", 20.0)
    first, second = _values(both, ind)
    assert (second["period"], second["value"]) == ("2025-Q2", 30.5)  # Spanish T, decimal comma
    review = both.add_monitoring(
        "review",
        entry["id"],
        {
            "review_date": "2025-07-10",
            "participants": "Directorio y 12 socios",
            "reviewed": "Avance del primer semestre",
            "decisions": "Abrir la convocatoria a empresas de Maipú",
            "next_steps": "Encuesta de ventas en octubre",
        },
        ANA,
    )
    seen = both.monitoring(entry["id"], ANA)
    assert [g["title"] for g in seen.goals] == ["Duplicar socios"]
    assert [i["id"] for i in seen.indicators] == [ind["id"]]
    assert [v["period"] for v in seen.values_of(ind["id"])] == ["2025-Q1", "2025-Q2"]
    assert seen.reviews is not None and seen.reviews[0]["id"] == review["id"]
    assert seen.can_edit
    assert goal["target_date"] == "2026-12-31" and first["version"] == 1


def test_monitoring_writes_keep_versions_history_and_refuse_stale_versions(
    both: Registry,
) -> None:
    entry = _owned(both)
    ind = both.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    value = both.record_value(ind["id"], "2025-Q1", 25, "Registro", ANA)
    v2 = both.update_monitoring("value", value["id"], {"value": "26"}, 1, MARIA)
    assert (v2["version"], v2["value"], v2["updated_by"]) == (2, 26.0, "maria")
    with pytest.raises(Conflict):
        both.update_monitoring("value", value["id"], {"value": "99"}, 1, ANA)
    gone = both.delete_monitoring("value", value["id"], 2, ANA)
    assert gone["deleted"] and gone["version"] == 3
    history = both.monitoring_history("value", value["id"], ANA)
    assert [(h["version"], h["operation"], h["actor"]) for h in history] == [
        (1, "create", "ana"),
        (2, "update", "maria"),
        (3, "delete", "ana"),
    ]
    assert history[1]["before"]["value"] == 25.0 and history[1]["after"]["value"] == 26.0
    assert both.monitoring(entry["id"], ANA).values == []  # deleted: kept in history only
    # the period is free again once its value is deleted
    again = both.record_value(ind["id"], "2025-Q1", 27, "Registro", ANA)
    assert again["version"] == 1


def test_deleting_takes_what_goes_with_it_in_one_transaction(both: Registry) -> None:
    entry = _owned(both)
    goal = both.add_monitoring("goal", entry["id"], {"title": "Crecer"}, ANA)
    ind = both.add_monitoring("indicator", entry["id"], {**INDICATOR, "goal_id": goal["id"]}, ANA)
    first, second = _values(both, ind)
    # one of its values changed since it was read: the whole deletion is refused
    both.update_monitoring("value", second["id"], {"value": "31"}, 1, MARIA)
    before = both.store.dump()
    store_rows = both.store.monitoring_rows
    values = [(v["id"], 1) for v in store_rows("value", [entry["id"]])]
    with pytest.raises(Conflict):
        both.store.monitoring_write(
            "indicator", deletes=[(ind["id"], 1)], actor="ana", first=[("value", [], values)]
        )
    assert both.store.dump() == before
    # deleting the goal unlinks its indicator (a new version) in the same write
    version = both.data_version()
    both.delete_monitoring("goal", goal["id"], 1, ANA)
    assert both.data_version() == version + 1
    [kept] = both.monitoring(entry["id"], ANA).indicators
    assert (kept["goal_id"], kept["version"]) == (None, 2)
    # deleting the indicator deletes its values, in one transaction
    both.delete_monitoring("indicator", ind["id"], 2, ANA)
    assert both.data_version() == version + 2
    seen = both.monitoring(entry["id"], ANA)
    assert seen.indicators == [] and seen.values == []
    deleted = both.store.monitoring_rows("value", [entry["id"]], include_deleted=True)
    assert {v["id"] for v in deleted} == {first["id"], second["id"]}
    assert all(v["deleted"] for v in deleted)


def test_monitoring_counts_as_activity_on_both_backends(both: Registry) -> None:
    reported = _owned(both, name="Reporta")
    silent = _owned(both, name="Calla")
    ind = both.add_monitoring("indicator", reported["id"], INDICATOR, ANA)
    both.record_value(ind["id"], "2025-Q1", 25, "Registro", ANA)
    activity = both.store.monitoring_activity()
    assert set(activity) == {reported["id"]}
    assert both.store.monitoring_activity([silent["id"]]) == {}
    assert both.store.monitoring_activity([reported["id"]]) == activity
    view = both.programme_view(None, 12, MARIA).set_index("name")
    assert view.loc["Reporta", "freshness"] == "current"  # reported: verified by use
    assert view.loc["Calla", "freshness"] == "unverified"
    assert view.loc["Reporta", "latest_period"] == "2025-Q1"


def test_one_value_per_indicator_and_period(both: Registry) -> None:
    entry = _owned(both)
    ind = both.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    both.record_value(ind["id"], "2025-Q1", 25, "Registro", ANA)
    with pytest.raises(ValidationFailed) as info:
        both.record_value(ind["id"], "2025-Q1", 26, "Registro", ANA)
    assert "ya tiene un valor para 2025-Q1" in info.value.report()
    # the same check holds in the database itself, for two writers in a race
    with pytest.raises(StorageError, match="otra persona"):
        both.store.monitoring_write(
            "value",
            creates=[
                {
                    "initiative_id": entry["id"],
                    "indicator_id": ind["id"],
                    "period": "2025-Q1",
                    "value": 1.0,
                    "source_note": "x",
                }
            ],
            actor="ana",
        )
    # quarterly indicator, annual period; unknown indicator: clear messages, nothing stored
    with pytest.raises(ValidationFailed, match="frecuencia"):
        both.record_value(ind["id"], "2025", 26, "Registro", ANA)
    with pytest.raises(ValidationFailed, match="periodo «2025-5» no válido"):
        both.record_value(ind["id"], "2025-5", 26, "Registro", ANA)
    assert len(both.monitoring(entry["id"], ANA).values) == 1


def test_indicator_validation_messages() -> None:
    from registry.schema.monitoring_model import validate_monitoring

    with pytest.raises(ValidationFailed) as info:
        validate_monitoring("indicator", {"code": "custom", "frequency": "annual", "target": 5})
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("name", "es obligatorio"),
        ("unit", "es obligatorio"),
    ]
    with pytest.raises(ValidationFailed, match="sentido deseado"):
        validate_monitoring("indicator", {**INDICATOR, "code": "vacancy"})  # decrease, 20 -> 40
    with pytest.raises(ValidationFailed, match="«mucho» no es un número"):
        validate_monitoring("indicator", {**INDICATOR, "target": "mucho"})
    with pytest.raises(ValidationFailed, match="no corresponde a la frecuencia"):
        validate_monitoring("indicator", {**INDICATOR, "target_period": "2026"})
    own = validate_monitoring(
        "indicator",
        {"code": "Indicador propio", "name": "Rutas nuevas", "unit": "rutas", "frequency": "Anual",
         "target": "3"},
    )  # fmt: skip
    assert (own["code"], own["frequency"], own["direction"]) == ("custom", "annual", "increase")


# -- permissions ----------------------------------------------------------------------------
def test_coordinators_record_only_for_their_own_initiatives(registry: Registry) -> None:
    mine = _owned(registry, ANA)
    theirs = _owned(registry, BOB)
    ind = registry.add_monitoring("indicator", mine["id"], INDICATOR, ANA)
    their_ind = registry.add_monitoring("indicator", theirs["id"], INDICATOR, BOB)
    before = registry.data_version()
    for attempt in (
        lambda: registry.add_monitoring("indicator", theirs["id"], INDICATOR, ANA),
        lambda: registry.record_value(their_ind["id"], "2025-Q1", 1, "x", ANA),
        lambda: registry.add_monitoring(
            "review", theirs["id"], {"review_date": "2025-01-01", "reviewed": "x"}, ANA
        ),
        lambda: registry.delete_monitoring("indicator", their_ind["id"], 1, ANA),
        lambda: registry.record_value(ind["id"], "2025-Q1", 1, "x", Actor("", "visitor")),
    ):
        with pytest.raises(NotAllowed):
            attempt()
    assert registry.data_version() == before  # a refused write changes nothing
    # a named editor may; a manager may on any entry
    registry.update(theirs["id"], {"editors": ["ana"]}, theirs["version"], BOB)
    assert registry.record_value(their_ind["id"], "2025-Q1", 21, "x", ANA)["version"] == 1
    assert registry.record_value(ind["id"], "2025-Q1", 21, "x", MARIA)["created_by"] == "maria"


def test_review_log_is_read_only_by_those_who_may_write(registry: Registry) -> None:
    entry = _owned(registry, ANA)
    registry.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    registry.add_monitoring(
        "review", entry["id"], {"review_date": "2025-01-01", "reviewed": "Plan"}, ANA
    )
    public = registry.monitoring(entry["id"], Actor("", "visitor"))
    assert len(public.indicators) == 1 and public.reviews is None and not public.can_edit
    assert registry.monitoring(entry["id"], BOB).reviews is None
    [review] = registry.monitoring(entry["id"], MARIA).reviews or []
    with pytest.raises(NotFound):  # nor its history
        registry.monitoring_history("review", review["id"], BOB)
    assert len(registry.monitoring_history("review", review["id"], ANA)) == 1
    assert len(registry.monitoring(entry["id"], MARIA).reviews or []) == 1
    draft = registry.create(iap_values(status="draft"), ANA)
    with pytest.raises(NotFound):  # a draft's monitoring is as private as the draft
        registry.monitoring(draft["id"], Actor("", "visitor"))


# -- progress and chart data ----------------------------------------------------------------
def test_chart_data_is_the_stored_values_against_baseline_and_target(registry: Registry) -> None:
    entry = _owned(registry)
    ind = registry.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    _values(registry, ind)
    [chart] = registry.monitoring(entry["id"], ANA).charts("es")
    assert chart["name"] == "Empresas participantes" and chart["unit"] == "empresas"
    assert (chart["periods"], chart["values"]) == (["2025-Q1", "2025-Q2"], [25.0, 30.5])
    assert (chart["baseline"], chart["target"], chart["target_period"]) == (20.0, 40.0, "2026-Q4")
    assert chart["progress"] == pytest.approx((30.5 - 20) / (40 - 20))
    assert chart["badge"] == "over_half" and chart["sources"] == ["Registro de socios"] * 2


def test_progress_follows_the_direction_and_needs_a_start() -> None:
    vacancy = {"code": "vacancy", "baseline": 30.0, "target": 10.0, "direction": "decrease"}
    values = [{"period": "2025", "value": 35.0}, {"period": "2024", "value": 12.0}]
    data = chart_data(vacancy, values, "en")
    assert data["periods"] == ["2024", "2025"] and data["badge"] == "setback"
    assert data["progress"] == pytest.approx(-0.25)
    no_base = {"code": "exports", "baseline": None, "target": 100.0}
    assert chart_data(no_base, [{"period": "2025", "value": 50.0}])["badge"] == "no_data"
    two = [{"period": "2024", "value": 50.0}, {"period": "2025", "value": 100.0}]
    assert chart_data(no_base, two)["badge"] == "achieved"


# -- freshness, completeness, programme view ------------------------------------------------
def test_programme_view_and_stale_list(registry: Registry) -> None:
    reported = _owned(registry, name="Red reportada", program="corfo_per")
    silent = _owned(registry, name="Red silenciosa", program="corfo_per")
    registry.create(iap_values(name="Otra", program="corfo_pti"), MARIA)
    ind = registry.add_monitoring("indicator", reported["id"], INDICATOR, ANA)
    _values(registry, ind)
    today = dt.date.today()
    view = registry.programme_view("corfo_per", months=12, viewer=MARIA, today=today)
    assert set(view["name"]) == {"Red reportada", "Red silenciosa"}
    row = view.set_index("name").loc["Red reportada"]
    assert (row["indicators"], row["latest_period"], row["freshness"]) == (1, "2025-Q2", "current")
    assert row["mean_progress"] == pytest.approx(0.525) and row["badge"] == "over_half"
    assert view.set_index("name").loc["Red silenciosa", "freshness"] == "unverified"
    # two years on, with no activity, both are out of date and listed first
    later = today + dt.timedelta(days=730)
    stale = registry.stale_entries(months=12, viewer=MARIA, today=later)
    assert set(stale["name"]) >= {"Red reportada", "Red silenciosa", "Otra"}
    assert list(registry.programme_view("corfo_per", 12, MARIA, later)["freshness"]) == [
        "stale",
        "stale",
    ]
    assert silent["id"] in set(stale["id"])


def test_quality_columns(registry: Registry) -> None:
    old = registry.create(iap_values(name="Verificada", last_verified="2020-01-01"), MARIA)
    frame = registry.list()
    quality = registry.quality(frame, months=12, today=dt.date(2030, 1, 1))
    assert quality.loc[frame["id"] == old["id"], "freshness"].item() == "stale"
    recent = registry.quality(frame, months=12, today=dt.date.today())
    assert recent["freshness"].item() == "current"  # verified once, changed today
    assert 0 < recent["completeness"].item() < 100


_VALUE = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "[]", "x", "0", " "]),
    st.text(max_size=5),
    st.integers(-3, 3),
    st.lists(st.sampled_from(["a", "b"]), max_size=2),
)


@st.composite
def _when(draw: Any, today: dt.date) -> str | None:
    """A date or timestamp near ``today`` (days before or after it), or none, or no date."""
    kind = draw(st.sampled_from(["none", "date", "timestamp", "odd"]))
    if kind == "none":
        return None
    if kind == "odd":
        return draw(st.sampled_from(["", "not a date", "2026-13-01", "2024-02-30", "2026-5-1"]))
    day = today - dt.timedelta(days=draw(st.integers(-40, 1200)))
    return str(day) if kind == "date" else f"{day}T10:20:30Z"


@st.composite
def _entry(draw: Any) -> tuple[dict[str, Any], str | None, int, dt.date]:
    today = draw(st.dates(dt.date(2020, 1, 1), dt.date(2031, 12, 31)))
    record = {
        **draw(st.fixed_dictionaries({n: _VALUE for n in COMPLETENESS_FIELDS + BARRIO_FIELDS})),
        "id": "e1",
        "kind": draw(st.sampled_from(["iap", "barrio_comercial"])),
        "location_precision": draw(st.sampled_from(["exact", "street", "comuna", "region", None])),
        "last_verified": draw(_when(today)),
        "updated_at": draw(_when(today)),
    }
    return record, draw(_when(today)), draw(st.integers(1, 36)), today


@settings(max_examples=400)
@given(_entry())
def test_one_entry_quality_is_the_frame_quality_of_that_entry(
    entry: tuple[dict[str, Any], str | None, int, dt.date],
) -> None:
    """The details of one entry (``record_quality``, without pandas) say what the frame
    functions say of the same entry, whatever its values."""
    record, monitored, months, today = entry
    frame = pd.DataFrame([record])
    activity = {"e1": monitored} if monitored is not None else {}
    one = record_quality(record, monitored, months, today)
    last = last_activity(frame, activity).dt.date.iloc[0]
    assert one["last_activity"] == (None if pd.isna(last) else last)
    assert one["freshness"] == freshness(frame, activity, months, today).iloc[0]
    assert one["completeness"] == completeness(frame).iloc[0]


def test_entry_quality_matches_the_list_quality(registry: Registry) -> None:
    bare = registry.create(iap_values(name="Sin verificar"), ADMIN)
    checked = registry.create(iap_values(name="Verificada", last_verified="2020-01-01"), MARIA)
    followed = _owned(registry)
    registry.add_monitoring("indicator", followed["id"], INDICATOR, ANA)
    frame = registry.list().set_index("id", drop=False)
    for today in (dt.date.today(), dt.date(2030, 1, 1)):
        listed = registry.quality(frame, months=12, today=today)
        for entry in (bare, checked, followed):
            one = registry.entry_quality(registry.get(entry["id"]), months=12, today=today)
            row = listed.loc[entry["id"]]
            assert (one["freshness"], one["completeness"]) == (
                row["freshness"],
                row["completeness"],
            )
            assert one["last_activity"] == row["last_activity"]


# -- CSV import and export of values --------------------------------------------------------
def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_values_import_is_all_or_nothing(registry: Registry, tmp_path: Path) -> None:
    entry = _owned(registry)
    ind = registry.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    theirs = registry.add_monitoring("indicator", _owned(registry, BOB)["id"], INDICATOR, BOB)
    registry.record_value(ind["id"], "2025-Q1", 25, "Registro", ANA)
    before = registry.store.dump()
    bad = _write(
        tmp_path / "bad.csv",
        [
            {"indicator_id": ind["id"], "period": "2025-Q2", "value": "30", "source_note": "ok"},
            {"indicator_id": ind["id"], "period": "2025", "value": "31", "source_note": "x"},
            {"indicator_id": ind["id"], "period": "2025-Q3", "value": "treinta", "source_note": ""},
            {"indicator_id": theirs["id"], "period": "2025-Q2", "value": "1", "source_note": "x"},
            {"indicator_id": ind["id"], "period": "2025-T2", "value": "32", "source_note": "x"},
        ],
    )
    with pytest.raises(ValidationFailed) as info:
        registry.import_monitoring_values(bad, ANA)
    found = [(p.row, p.field) for p in info.value.problems]
    # rows are numbered as the spreadsheet shows them (the header is row 1)
    assert found == [(3, "period"), (4, "value"), (4, "source_note"), (5, "-"), (6, "period")]
    assert "fila 6, period: el periodo 2025-Q2 de este indicador ya está en la fila 2" in (
        info.value.report()
    )
    assert registry.store.dump() == before  # nothing written
    good = _write(
        tmp_path / "good.csv",
        [
            {"indicator_id": ind["id"], "period": "2025-Q1", "value": "26", "source_note": "Rev"},
            {"indicator_id": ind["id"], "period": "2025-Q2", "value": "30", "source_note": "ok"},
        ],
    )
    report = registry.import_monitoring_values(good, ANA)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    again = registry.import_monitoring_values(good, ANA)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_values_export_reads_back_and_in_gdal(registry: Registry, tmp_path: Path) -> None:
    entry = _owned(registry, name="=Red con fórmula")
    ind = registry.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
    _values(registry, ind)
    path = registry.export_monitoring_values(tmp_path / "values.csv", viewer=ANA)
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert [(r["period"], r["value"]) for r in rows] == [("2025-Q1", "25"), ("2025-Q2", "30.5")]
    assert rows[0]["initiative_name"] == "'=Red con fórmula"  # no formula for spreadsheets
    out = subprocess.run(
        [require_tool("ogrinfo"), "-ro", "-al", "-so", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Feature Count: 2" in out.stdout
    # edited and imported back: one value changed at its version, the other unchanged
    rows[1]["value"] = "33"
    report = registry.import_monitoring_values(_write(tmp_path / "edited.csv", rows), ANA)
    assert (report.updated, report.unchanged) == (1, 1)
    rows[1]["value"] = "34"  # still at the version exported: someone changed it since
    with pytest.raises(ValidationFailed) as info:
        registry.import_monitoring_values(_write(tmp_path / "stale.csv", rows), ANA)
    assert "fila 3, version: Conflicto de versión" in info.value.report()


def test_visitors_export_only_published_initiatives(registry: Registry, tmp_path: Path) -> None:
    published = _owned(registry)
    draft = registry.create(iap_values(status="draft", name="Borrador"), ANA)
    for entry in (published, draft):
        ind = registry.add_monitoring("indicator", entry["id"], INDICATOR, ANA)
        registry.record_value(ind["id"], "2025-Q1", 25, "Registro", ANA)
    path = registry.export_monitoring_values(tmp_path / "v.csv", viewer=Actor("", "visitor"))
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    assert [r["initiative_id"] for r in rows] == [published["id"]]
    mine = registry.export_monitoring_values(tmp_path / "m.csv", viewer=ANA)
    assert len(list(csv.DictReader(open(mine, encoding="utf-8-sig")))) == 2


# -- schema: new registries and registries from before monitoring ---------------------------
def test_schema_3_registry_is_migrated(seeded: Registry) -> None:
    path = Path(seeded.store.url)
    with closing(sqlite3.connect(path)) as conn, conn:  # as version 0.3 wrote it
        for table in ("goals", "indicators", "values", "reviews"):
            conn.execute(f"DROP TABLE monitoring_{table}")
            conn.execute(f"DELETE FROM gpkg_contents WHERE table_name = 'monitoring_{table}'")
        conn.execute("DROP TABLE login_failures")
        conn.execute("ALTER TABLE users DROP COLUMN auth_epoch")
        conn.execute("UPDATE registry_meta SET meta_value = '3' WHERE meta_key = 'schema_version'")
    old = Registry(str(path))
    entry = old.list().iloc[0]
    ind = old.add_monitoring("indicator", entry["id"], INDICATOR, ADMIN)
    old.record_value(ind["id"], "2025-Q1", 25, "Registro", ADMIN)
    out = subprocess.run(
        [require_tool("ogrinfo"), "-ro", "-so", str(path), "monitoring_values"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Feature Count: 1" in out.stdout and out.stderr == ""
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute(
            "SELECT meta_value FROM registry_meta WHERE meta_key = 'schema_version'"
        ).fetchone() == (str(SCHEMA_VERSION),)


def test_postgis_schema_3_registry_is_migrated(postgis_store: Any) -> None:
    from sqlalchemy import text

    with postgis_store._write.begin() as conn:
        for table in ("goals", "indicators", "values", "reviews"):
            conn.execute(text(f"DROP TABLE monitoring_{table}"))
        conn.execute(
            text("UPDATE registry_meta SET meta_value = '3' WHERE meta_key = 'schema_version'")
        )
    reg = Registry(store=postgis_store)
    entry = reg.create(iap_values(), ADMIN)
    ind = reg.add_monitoring("indicator", entry["id"], INDICATOR, ADMIN)
    assert reg.record_value(ind["id"], "2025-Q1", 25, "Registro", ADMIN)["version"] == 1


def test_bundled_data_holds_no_monitoring_values(seeded: Registry) -> None:
    """Issue 8: no invented indicator values are shipped; the seeded registry has none."""
    for kind in ("goal", "indicator", "value", "review"):
        assert seeded.store.monitoring_rows(kind, include_deleted=True) == []


# -- GeoPackage export: related tables --------------------------------------------------------
_GDAL_RELATIONSHIPS = """
import json, sys
from osgeo import gdal
gdal.UseExceptions()
ds = gdal.OpenEx(sys.argv[1])
out = {}
for name in ds.GetRelationshipNames() or []:
    rel = ds.GetRelationship(name)
    out[name] = [rel.GetLeftTableName(), rel.GetRightTableName(),
                 list(rel.GetLeftTableFields()), list(rel.GetRightTableFields())]
print(json.dumps(out))
"""


def test_gpkg_export_holds_monitoring_as_related_tables(registry: Registry, tmp_path: Path) -> None:
    import json

    entry = _owned(registry)
    goal = registry.add_monitoring("goal", entry["id"], {"title": "Crecer"}, ANA)
    ind = registry.add_monitoring(
        "indicator", entry["id"], {**INDICATOR, "goal_id": goal["id"]}, ANA
    )
    _values(registry, ind)
    registry.add_monitoring(
        "review", entry["id"], {"review_date": "2025-01-01", "reviewed": "x"}, ANA
    )
    draft = registry.create(iap_values(status="draft", name="Borrador"), ANA)
    hidden = registry.add_monitoring("indicator", draft["id"], INDICATOR, ANA)
    registry.record_value(hidden["id"], "2025-Q1", 1, "x", ANA)
    [path] = registry.export(tmp_path / "out.gpkg", viewer=Actor("", "visitor"))
    ogrinfo = require_tool("ogrinfo")
    counts = {}
    for layer in ("initiatives", "monitoring_goals", "monitoring_indicators", "monitoring_values"):
        out = subprocess.run(
            [ogrinfo, "-ro", "-so", str(path), layer], capture_output=True, text=True, check=True
        )
        counts[layer] = int(out.stdout.split("Feature Count: ")[1].split()[0])
        assert out.stderr == ""
    # the published entry's records only; no review log, no user names, in a public export
    assert counts == {
        "initiatives": 1,
        "monitoring_goals": 1,
        "monitoring_indicators": 1,
        "monitoring_values": 2,
    }
    listing = subprocess.run([ogrinfo, "-ro", "-q", str(path)], capture_output=True, text=True)
    assert "monitoring_reviews" not in listing.stdout
    values = subprocess.run(
        [ogrinfo, "-ro", "-al", "-q", str(path), "monitoring_values"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "value (Real) = 30.5" in values and "updated_by" not in values
    # GDAL reads the foreign keys as the file's relationships (QGIS shows them so)
    python = "/usr/bin/python3"
    found = json.loads(
        subprocess.run(
            [python, "-c", _GDAL_RELATIONSHIPS, str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout  # fmt: skip
    )
    pairs = sorted((v[0], v[1], v[2][0], v[3][0]) for v in found.values())
    assert pairs == [
        ("initiatives", "monitoring_goals", "id", "initiative_id"),
        ("initiatives", "monitoring_indicators", "id", "initiative_id"),
        ("initiatives", "monitoring_values", "id", "initiative_id"),
        ("monitoring_goals", "monitoring_indicators", "id", "goal_id"),
        ("monitoring_indicators", "monitoring_values", "id", "indicator_id"),
    ]
    with closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# -- what the app draws ------------------------------------------------------------------------
HOSTILE = '"><script>alert(1)</script><svg onload=alert(2)>'


def test_chart_and_programme_table_escape_user_text_and_carry_the_data() -> None:
    import pandas as pd

    from registry.ui.monitoring import indicator_chart, programme_table

    data = chart_data(
        {"id": "i1", "code": "custom", "name": HOSTILE, "unit": HOSTILE, "baseline": 20.0,
         "target": 40.0, "target_period": "2026-Q4"},
        [{"period": "2025-Q1", "value": 25.0, "source_note": HOSTILE},
         {"period": "2025-Q2", "value": 30.5, "source_note": "ok"}],
        "es",
    )  # fmt: skip
    svg = indicator_chart(data, "es")
    assert "<script" not in svg and "onload=" not in svg.replace("onload=alert", "")
    assert "&lt;script&gt;" in svg and 'aria-label="&quot;&gt;&lt;script&gt;' in svg
    assert svg.count('class="value"') == 2 and 'data-period="2025-Q2" data-value="30.5"' in svg
    assert 'class="target" data-value="40.0"' in svg and 'data-baseline="20.0"' in svg
    view = pd.DataFrame(
        [
            {"id": "a", "name": HOSTILE, "region_code": "13", "stage": None, "indicators": 1,
             "targets_reached": 0, "mean_progress": 0.525, "badge": "over_half",
             "latest_period": "2025-Q2", "last_verified": None, "last_activity": None,
             "freshness": "stale", "completeness": 40},
            {"id": "b", "name": "Sin indicadores", "region_code": "05", "stage": None,
             "indicators": 0, "targets_reached": 0, "mean_progress": None, "badge": "no_data",
             "latest_period": None, "last_verified": None, "last_activity": None,
             "freshness": "current", "completeness": 60},
        ]
    )  # fmt: skip
    table = programme_table(view, {"13": "Metropolitana"}, "es")
    assert "<script" not in table and "&lt;script&gt;" in table
    assert '<tr class="iap-row stale" data-id="a"' in table
    assert '<tr class="iap-row" data-id="b"' in table
    assert table.count("iap-badge") == 3  # a progress badge only where there are indicators


# -- periods, property-based ----------------------------------------------------------------
@given(
    year=st.integers(1950, 2100),
    quarter=st.one_of(st.none(), st.integers(1, 4)),
    letter=st.sampled_from(["Q", "q", "T", "t"]),
    dash=st.sampled_from(["-", "", " - "]),
)
def test_any_spelling_of_a_period_reads_the_same_and_sorts_in_time(
    year: int, quarter: int | None, letter: str, dash: str
) -> None:
    from registry.schema.model import to_period
    from registry.schema.monitoring import period_key

    text = str(year) if quarter is None else f"{year}{dash}{letter}{quarter}"
    period = to_period(f" {text} ")
    assert period == (str(year) if quarter is None else f"{year}-Q{quarter}")
    assert to_period(period) == period
    before = period_key(f"{year - 1}")
    after = period_key(f"{year + 1}-Q1")
    assert before < period_key(period) < after
