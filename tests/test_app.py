"""The Streamlit app with Streamlit's AppTest, on real GeoPackage registries.

AppTest cannot click inside the map iframe, so the map adapter (``components.show_map``) is
replaced by one that returns the event a click would; the browser tests click the real map.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest

from registry.api import Registry
from registry.api.entries import Entries
from registry.auth import Actor
from registry.i18n import number, tr
from registry.store import Filters
from registry.ui import components
from tests.conftest import add_users, iap_values

APP = str(Path(__file__).resolve().parents[1] / "registry" / "ui" / "main.py")
PAGES = "views"
ANA = Actor("ana", "coordinator")
MARIA = Actor("maria", "manager")
ROOT = Actor("root", "admin")


@pytest.fixture
def app_db(_seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A seeded registry the app opens (``IAP_REGISTRY_DB``), with a coordinator and a manager."""
    path = tmp_path / "app.gpkg"
    shutil.copy(_seeded_template, path)
    monkeypatch.setenv("IAP_REGISTRY_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    reg = Registry(str(path))
    return add_users(reg, [("root", "admin"), ("ana", "coordinator"), ("maria", "manager")])


class FakeMap:
    """Stands in for ``show_map``: records the calls and returns a scripted event."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def __call__(self, m: Any, key: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(key)
        for group in kwargs.get("feature_groups") or []:
            group.add_to(m)
        self.html = m.get_root().render()  # the map and its layers must build
        return self.events.get(key.rsplit("_", 2)[0] if key.startswith("main") else key, {})


@pytest.fixture
def fake_map(monkeypatch: pytest.MonkeyPatch) -> FakeMap:
    fake = FakeMap()
    monkeypatch.setattr(components, "show_map", fake)
    return fake


def run(page: str | None = None, actor: Actor | None = None, **query: str) -> AppTest:
    """The app, on ``page`` and the URL's ``query``, with ``actor`` signed in (a session as
    log-in makes it: the user as the registry has them, with their sign-in epoch)."""
    at = AppTest.from_file(APP, default_timeout=120)
    if actor is not None:
        at.session_state["actor"] = Registry(os.environ["IAP_REGISTRY_DB"]).actor(actor.username)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page is not None:
        at.switch_page(f"{PAGES}/{page}.py").run()
    assert not at.exception, at.exception
    return at


def shown(markdown: str) -> str:
    """The text Markdown shows for ``markdown`` escaped by ``components.plain``."""
    return re.sub(r"\\(.)", r"\1", markdown)


def metric(at: AppTest, title: str) -> str:
    return next(m.value for m in at.metric if m.label == title)


def test_map_page_counts_follow_filters_and_visibility(app_db: Registry, fake_map: FakeMap) -> None:
    published = len(app_db.list(viewer=Actor("", "visitor")))
    at = run()
    assert metric(at, "Entradas") == str(published)
    assert fake_map.calls and fake_map.calls[0].startswith("main_map")
    # a write anywhere shows at the next rerun (caches are keyed by the data version)
    app_db.create(iap_values(name="Nueva desde otra oficina"), ROOT)
    at.run()
    assert metric(at, "Entradas") == str(published + 1)
    # filters come from the URL and go back into it
    at = run(sector="tourism", region="05")
    expected = app_db.list(
        Filters(sector=("tourism",), region=("05",)), viewer=Actor("", "visitor")
    )
    assert metric(at, "Entradas") == str(len(expected))
    assert at.multiselect(key="flt_sector").value == ["tourism"]
    assert (at.query_params["sector"], at.query_params["region"]) == ("tourism", "05")
    # a changed filter goes into the URL
    at.multiselect(key="flt_kind").set_value(["iap"]).run()
    assert at.query_params["kind"] == "iap"


def test_a_region_fit_leaves_far_islands_out_and_says_so(
    app_db: Registry, fake_map: FakeMap
) -> None:
    """Valparaíso with an entry on Rapa Nui: the view fits the region's mainland and the page
    says how many entries are outside it (the island would otherwise zoom the map out to the
    Pacific)."""
    for i in range(12):
        app_db.create(iap_values(name=f"Red {i}", geometry=f"POINT (-71.{20 + i} -33.05)"), ROOT)
    app_db.create(iap_values(name="Red de Rapa Nui", geometry="POINT (-109.35 -27.12)"), ROOT)
    at = run(region="05")
    note = tr("ui_fit_left_out", lang="es", n=1)
    assert any(note == c.value for c in at.caption), [c.value for c in at.caption]
    fit = re.search(r"IAP\.fit\(\"(?:[^\"\\\\]|\\\\.)*\",\s*(\[\[.*?\]\])\)", fake_map.html)
    assert fit, "no fit in the map"
    (south, west), (north, east) = json.loads(fit.group(1))
    assert west > -75 and east < -69.5, (west, east)  # the mainland, not the Pacific


def test_a_region_filter_fits_the_unit_not_its_one_entry(
    app_db: Registry, fake_map: FakeMap
) -> None:
    """One cluster in Medellín: filtering Antioquia shows the department, not a street."""
    app_db.create(
        iap_values(name="Clúster de Medellín", country="CO", geometry="POINT (-75.57 6.25)"), ROOT
    )
    at = run(region="CO-ANT")
    fit = re.search(r"IAP\.fit\(\"(?:[^\"\\\\]|\\\\.)*\",\s*(\[\[.*?\]\])\)", fake_map.html)
    assert fit, "no fit in the map"
    (south, west), (north, east) = json.loads(fit.group(1))
    # Antioquia spans about 77.1-73.9 °W and 5.4-8.9 °N
    assert -77.5 < west < -76.5 and -74.5 < east < -73.5, (west, east)
    assert 5 < south < 6 and 8.5 < north < 9.5, (south, north)
    assert not any("encuadre" in c.value for c in at.caption)  # nothing left out


def test_clicking_an_entry_opens_its_details(app_db: Registry, fake_map: FakeMap) -> None:
    rec = app_db.create(iap_values(name="Clúster del clic", geometry="POINT (-70.40 -23.65)"), ROOT)
    fake_map.events["main_map"] = {
        "last_object_clicked": {"lat": -23.65, "lng": -70.40},
        "last_object_clicked_tooltip": "Clúster del clic\nIniciativa",
    }
    at = run()
    assert [h.value for h in at.subheader][0] == "Clúster del clic"
    assert any("Antofagasta" in t.value for t in at.text)  # regional context
    assert rec["id"] in at.session_state["selected_ids"]


def test_a_grouped_map_narrows_to_the_clicked_place(
    app_db: Registry, fake_map: FakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.ui import mapview

    monkeypatch.setenv("IAP_REGISTRY_MAP_DETAIL_MAX", "20")  # the seeded entries exceed it
    visible = app_db.list(viewer=Actor("", "visitor"))
    payload = mapview.entries_payload(visible, "sector", "es", limit=20)
    place = next(g for g in payload.groups if g["k"].startswith("comuna:"))
    at = run()
    assert any(c.value.startswith("Vista agrupada") for c in at.caption)
    assert "IAP.groups(" in fake_map.html
    code = place["k"].split(":", 1)[1]
    name = app_db.comuna_names()[code]
    fake_map.events["main_map"] = {
        "last_object_clicked": {"lat": place["y"] + 0.01, "lng": place["x"]},  # near its edge
        "last_object_clicked_tooltip": f"{name}\n{place['s']}",
    }
    at.run()
    assert not at.exception, at.exception
    assert at.multiselect(key="flt_comuna").value == [code]
    assert at.query_params["comuna"] == code
    in_place = app_db.list(Filters(comuna=(code,)), viewer=Actor("", "visitor"))
    assert metric(at, "Entradas") == str(len(in_place))
    assert not any(c.value.startswith("Vista agrupada") for c in at.caption)
    assert "IAP.groups(" not in fake_map.html and "IAP.entries(" in fake_map.html
    # the click that narrowed the view is not read again as a click on an entry near it
    near = mapview.pick_entries(in_place, place["y"] + 0.01, place["x"], None)
    assert near, "the test needs an entry near the click"
    assert "id" not in at.query_params
    assert not (at.session_state["selected_ids"] if "selected_ids" in at.session_state else [])


def test_statistics_page_matches_the_api(app_db: Registry, fake_map: FakeMap) -> None:
    at = run("stats", kind="iap")
    stats = app_db.stats(Filters(kind=("iap",)), viewer=Actor("", "visitor"))
    assert metric(at, "Entradas") == str(stats["entries"])
    assert metric(at, "Empresas informadas") == number(stats["firms"], "es")
    assert len(at.get("download_button")) >= 7  # every chart's data, the convergence


def test_visitors_cannot_use_the_form(app_db: Registry, fake_map: FakeMap) -> None:
    at = run("entry")
    assert any("Ingrese con su cuenta" in i.value for i in at.info)
    assert not at.get("form")


def test_form_shows_errors_then_saves_a_placed_entry(app_db: Registry, fake_map: FakeMap) -> None:
    at = run("entry", actor=ANA)
    at.button[-1].click()  # "submit" with nothing filled in
    at.run()
    assert not at.exception
    assert any("Revise los campos" in e.value for e in at.error)
    assert any("es obligatorio" in e.value for e in at.error)
    before = len(app_db.list())
    fake_map.events["place_map_es"] = {"last_clicked": {"lat": -33.4372, "lng": -70.6506}}
    at.run()
    assert any("Santiago (13101)" in shown(s.value) for s in at.success)  # reverse-geocoded
    fake_map.events.clear()
    at.text_input(key="fld_name").input("Red de prueba <b>")
    at.selectbox(key="fld_initiative_type").set_value("business_network")
    at.selectbox(key="fld_location_precision").set_value("exact")
    at.selectbox(key="fld_sector").set_value("tourism")
    at.button[-1].click()
    at.run()
    assert not at.exception
    assert len(app_db.list()) == before + 1
    created = app_db.list(Filters(q="red de prueba")).iloc[0]
    assert (created["comuna_code"], created["status"], created["owner"]) == (
        "13101",
        "submitted",
        "ana",
    )


def test_a_second_press_of_submit_writes_nothing_more(app_db: Registry, fake_map: FakeMap) -> None:
    """A double click: the second press can arrive in a run that started before the first
    one's outcome reached the browser, so with the URL still lacking the new entry's id."""
    at = run("entry", actor=ANA)
    fake_map.events["place_map_es"] = {"last_clicked": {"lat": -39.8142, "lng": -73.2459}}
    at.run()
    fake_map.events.clear()
    at.text_input(key="fld_name").input("Red de Valdivia pulsada dos veces")
    at.selectbox(key="fld_initiative_type").set_value("business_network")
    at.selectbox(key="fld_location_precision").set_value("exact")
    at.selectbox(key="fld_sector").set_value("tourism")
    at.button[-1].click()
    at.run()
    assert any("Enviada a revisión (versión 1)" in s.value for s in at.success)
    created = app_db.list(Filters(q="pulsada dos veces"))
    assert len(created) == 1
    # the second press, in a run that does not know the first one's outcome yet
    del at.query_params["id"]
    del at.session_state["edit_loaded"]
    at.run()
    next(b for b in at.button if b.label == "Enviar a revisión").click()
    at.run()
    assert not at.exception
    again = app_db.list(Filters(q="pulsada dos veces"))
    assert len(again) == 1, again[["id", "version"]]
    assert int(again["version"].iloc[0]) == 1
    assert any("Enviada a revisión (versión 1)" in s.value for s in at.success)


def test_a_save_stopped_after_it_was_written_is_not_written_again(
    app_db: Registry, fake_map: FakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second press stops the first press's run wherever it is, here just after the entry
    was written and before the page could remember it: the second press must not write a
    second entry, and the page says what the first press did."""
    at = run("entry", actor=ANA)
    written = Entries.create

    def create_then_stopped(self: Entries, *args: Any, **kwargs: Any) -> dict[str, Any]:
        written(self, *args, **kwargs)
        raise StopException()  # what Streamlit raises in a run a newer press stops

    clicks = iter(range(10))

    def fill(name: str) -> None:
        # a new point each time: the form acts on a click once
        lat, lng = -39.8142 - next(clicks) / 1000, -73.2459
        fake_map.events["place_map_es"] = {"last_clicked": {"lat": lat, "lng": lng}}
        at.run()
        fake_map.events.clear()
        at.text_input(key="fld_name").input(name)
        at.selectbox(key="fld_initiative_type").set_value("business_network")
        at.selectbox(key="fld_location_precision").set_value("exact")
        at.selectbox(key="fld_sector").set_value("tourism")

    def press(stopped: bool = False) -> None:
        if stopped:
            monkeypatch.setattr(Entries, "create", create_then_stopped)
        next(b for b in at.button if b.label == "Enviar a revisión").click()
        at.run()
        monkeypatch.setattr(Entries, "create", written)

    fill("Red de Valdivia interrumpida")
    press(stopped=True)
    assert len(app_db.list(Filters(q="interrumpida"))) == 1  # the first press wrote it
    press()
    assert not at.exception
    again = app_db.list(Filters(q="interrumpida"))
    assert len(again) == 1, again[["id", "version"]]
    assert int(again["version"].iloc[0]) == 1
    assert len(app_db.history(again["id"].iloc[0])) == 1
    assert any("Enviada a revisión (versión 1)" in s.value for s in at.success)
    assert at.query_params["id"] == again["id"].iloc[0]
    # a new entry after that one is a new entry, not the first one again
    at.query_params.clear()
    at.switch_page(f"{PAGES}/entry.py").run()
    fill("Otra red de Valdivia")
    press()
    assert not at.exception
    assert len(app_db.list(Filters(q="otra red de valdivia"))) == 1
    # stopped after writing, then changed and sent again: the change is an edit of that entry
    at.query_params.clear()
    at.switch_page(f"{PAGES}/entry.py").run()
    fill("Tercera red de Valdivia")
    press(stopped=True)
    at.text_input(key="fld_name").input("Tercera red de Valdivia, corregida")
    press()
    assert not at.exception
    third = app_db.list(Filters(q="tercera red"))
    assert third["name"].tolist() == ["Tercera red de Valdivia, corregida"]
    assert int(third["version"].iloc[0]) == 2
    # stopped after writing, then the user leaves and starts a new form: a new entry
    at.query_params.clear()
    at.switch_page(f"{PAGES}/entry.py").run()
    fill("Cuarta red de Valdivia")
    press(stopped=True)
    at.switch_page(f"{PAGES}/mine.py").run()
    at.switch_page(f"{PAGES}/entry.py").run()
    fill("Quinta red de Valdivia")
    press()
    assert not at.exception
    assert sorted(app_db.list(Filters(q="red de valdivia"))["name"]) == [
        "Cuarta red de Valdivia",
        "Otra red de Valdivia",
        "Quinta red de Valdivia",
        "Red de Valdivia interrumpida",
        "Tercera red de Valdivia, corregida",
    ]


def test_an_edit_stopped_after_it_was_written_is_not_a_conflict(
    app_db: Registry, fake_map: FakeMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click on "Guardar borrador" while editing, the first run stopped just after
    the write: the second press finds the entry at the new version, written by the same user
    with the same values, and says it was saved (no conflict with oneself)."""
    rec = app_db.create(iap_values(name="Original", status="draft"), ANA)
    at = run("entry", actor=ANA, id=rec["id"])
    written = Entries.update

    def update_then_stopped(self: Entries, *args: Any, **kwargs: Any) -> dict[str, Any]:
        written(self, *args, **kwargs)
        raise StopException()  # what Streamlit raises in a run a newer press stops

    at.text_input(key="fld_name").input("Cambiado dos veces")
    monkeypatch.setattr(Entries, "update", update_then_stopped)
    next(b for b in at.button if b.label == "Guardar borrador").click()
    at.run()
    monkeypatch.setattr(Entries, "update", written)
    assert app_db.get(rec["id"])["version"] == 2
    next(b for b in at.button if b.label == "Guardar borrador").click()
    at.run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert any("(versión 2)" in s.value for s in at.success), [s.value for s in at.success]
    current = app_db.get(rec["id"])
    assert (current["version"], current["name"]) == (2, "Cambiado dos veces")


def test_edit_conflict_is_shown_and_nothing_is_overwritten(
    app_db: Registry, fake_map: FakeMap
) -> None:
    rec = app_db.create(iap_values(name="Original", status="draft"), ANA)
    at = run("entry", actor=ANA, id=rec["id"])
    assert at.text_input(key="fld_name").value == "Original"
    theirs = app_db.update(rec["id"], {"name": "Cambio de otra oficina"}, rec["version"], MARIA)
    at.text_input(key="fld_name").input("Mi cambio")
    at.button[-2].click()  # save draft
    at.run()
    assert not at.exception
    assert any("mientras usted la editaba" in w.value for w in at.warning)
    assert app_db.get(rec["id"])["name"] == "Cambio de otra oficina"  # not overwritten
    assert app_db.get(rec["id"])["version"] == theirs["version"]
    at.button(key="conflict_keep").click()
    at.run()
    assert app_db.get(rec["id"])["name"] == "Mi cambio"


def test_login_page_posts_to_the_session_route_and_roles_shape_the_navigation(
    app_db: Registry, fake_map: FakeMap
) -> None:
    # the log-in form is plain HTML posting to /session/login (only an HTTP answer can set
    # the HttpOnly cookie; tests/e2e/test_login_sessions.py logs in through it), going on
    # to the page the visitor asked for
    def account(**query: str) -> AppTest:
        at = run("account")
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, at.exception
        return at

    at = account(next="/entry?id=abc")
    form = "".join(h.proto.body for h in at.get("html"))
    assert 'action="/session/login"' in form
    assert 'name="next" value="/entry?id=abc"' in form
    assert 'type="password"' in form
    # a refused attempt comes back here and says why, in the page's language
    at = account(login="failed")
    assert any("incorrectos" in e.value for e in at.error)
    at = account(login="locked", minutes="30")
    assert any("30" in e.value and "bloqueada" in e.value for e in at.error)
    # an address elsewhere is never where a log-in goes on to
    at = account(next="https://evil.example/")
    assert 'name="next" value="/"' in "".join(h.proto.body for h in at.get("html"))
    # the review page is in a manager's navigation, not in a coordinator's
    at = run("review", actor=MARIA)
    assert any("Enviadas a revisión" in s.value for s in at.subheader)
    at = run(actor=ANA)
    with pytest.raises(Exception, match="review"):
        at.switch_page(f"{PAGES}/review.py").run()


def test_manager_publishes_from_the_review_page(app_db: Registry, fake_map: FakeMap) -> None:
    rec = app_db.create(iap_values(name="Para revisar", status="submitted"), ANA)
    at = run("review", actor=MARIA)
    at.button(key=f"pub_{rec['id']}").click()
    at.run()
    assert not at.exception
    assert app_db.get(rec["id"])["status"] == "published"


def test_history_lists_versions_and_only_managers_restore(
    app_db: Registry, fake_map: FakeMap
) -> None:
    rec = app_db.create(iap_values(name="Primera versión", status="draft"), ANA)
    app_db.update(rec["id"], {"name": "Segunda versión", "status": "submitted"}, 1, ANA)
    at = run("history", actor=ANA, id=rec["id"])
    assert len(at.expander) == 2  # one per version, newest first
    # the change of status reads as labels, not codes
    changes = pd.concat([d.value for d in at.dataframe])
    assert {"Borrador", "Enviada a revisión"} <= set(changes.to_numpy().ravel())
    assert not {"draft", "submitted"} & set(changes.to_numpy().ravel())
    assert "Versión 2" in at.expander[0].label and "modificación" in at.expander[0].label
    assert not [b for b in at.button if b.key and b.key.startswith("restore_")]
    at = run("history", actor=MARIA, id=rec["id"])
    at.button(key="restore_1").click()
    at.run()
    assert not at.exception
    restored = app_db.get(rec["id"])
    assert (restored["version"], restored["name"]) == (3, "Primera versión")
    assert app_db.history(rec["id"])[-1]["actor"] == "maria"


def test_admin_adds_a_user_and_others_cannot_open_the_users_page(
    app_db: Registry, fake_map: FakeMap
) -> None:
    at = run("users", actor=ROOT)
    at.text_input[0].input("pedro")
    at.text_input[1].input("otra contraseña larga")
    at.button[0].click()
    at.run()
    assert not at.exception
    users = {u["username"]: u for u in app_db.list_users()}
    assert users["pedro"]["role"] == "coordinator"
    assert all("hash" not in k for k in users["pedro"])  # hashes never reach the page
    at = run(actor=MARIA)
    with pytest.raises(Exception, match="users"):
        at.switch_page(f"{PAGES}/users.py").run()


def test_english_labels_numbers_and_dates(app_db: Registry, fake_map: FakeMap) -> None:
    at = run("stats")
    firms = app_db.stats(None, viewer=Actor("", "visitor"))["firms"]
    assert firms >= 1000  # so that the thousands separator shows
    assert metric(at, "Empresas informadas") == number(firms, "es")
    at.selectbox(key="lang").set_value("en").run()
    assert at.title[0].value == "Statistics"
    assert metric(at, "Firms reported") == f"{firms:,}"
    assert number(firms, "es") != f"{firms:,}"


def test_the_statistics_page_sets_other_sources_beside_the_registry(
    app_db: Registry, fake_map: FakeMap
) -> None:
    """The counts of CEPAL's platform and national programmes, with date and link, beside
    this registry's initiatives of the same country; in English too."""
    at = run("stats")
    frames = [d.value for d in at.dataframe if "En este registro" in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.dataframe]
    table = frames[0]
    visitor = app_db.list(None, viewer=Actor("", "visitor"))
    iap = visitor[visitor["kind"] == "iap"]
    cepal_co = table[
        (table["País"] == "Colombia") & table["Fuente"].str.startswith("Plataforma IAPT")
    ]
    assert cepal_co["Valor"].tolist() == ["84"] and cepal_co["Fecha"].tolist() == ["c. 2024"]
    assert cepal_co["En este registro"].tolist() == [str((iap["country"] == "CO").sum())]
    assert (iap["country"] == "CO").sum() >= 16  # the bundled Colombian clusters
    assert all(u.startswith("http") for u in table["Enlace"])
    # a programme's count of committees is no count of initiatives: nothing beside it
    corfo = table[table["Cifra"] == "Comités regionales"]
    assert corfo["En este registro"].tolist() == [""]
    by_country = [c for c in at.markdown if "país" in c.value.lower()]
    assert by_country, "no chart by country"
    at.selectbox(key="lang").set_value("en").run()
    frames = [d.value for d in at.dataframe if "In this registry" in d.value.columns]
    assert len(frames) == 1
    assert "Regional committees" in frames[0]["Figure"].tolist()


def test_the_regional_context_note_is_in_the_language_of_the_page(
    app_db: Registry, fake_map: FakeMap
) -> None:
    rec = app_db.create(
        iap_values(name="Clúster de Medellín", country="CO", geometry="POINT (-75.57 6.25)"), ROOT
    )
    at = run(id=rec["id"])
    at.selectbox(key="lang").set_value("en").run()
    captions = [c.value for c in at.caption]
    english = tr("no_series_for_region", lang="en", region="Antioquia")
    spanish = tr("no_series_for_region", lang="es", region="Antioquia")
    assert any(english in c for c in captions), captions
    assert not any(spanish in c for c in captions), captions


def test_the_app_runs_on_postgis(
    _seeded_template: Path,
    postgis_schema: str,
    fake_map: FakeMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from registry.store.copy import copy_registry

    reg = Registry(postgis_schema)
    copy_registry(Registry(str(_seeded_template)).store, reg.store)
    monkeypatch.setenv("IAP_REGISTRY_DB", postgis_schema)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = run()
    assert metric(at, "Entradas") == str(len(reg.list(viewer=Actor("", "visitor"))))
    at = run("stats")
    assert not at.exception
    add_users(reg, [("root", "admin"), ("ana", "coordinator")])
    at = run("entry", actor=ANA)
    assert not at.exception


def test_the_entry_form_obeys_the_access_matrix(app_db: Registry, fake_map: FakeMap) -> None:
    """Each role and ownership case opening an entry in the form: allowed ones save a new
    version; those who may see the entry but not edit it are told so and get no form
    (nothing of the entry is loaded into it); an entry the user may not see is not even
    loaded. A right lost after the form was loaded is lost at the next click: the save
    changes nothing and the page says why."""
    app_db.add_user("bob", "coordinator", "contraseña segura", ROOT)
    app_db.add_user("carl", "coordinator", "contraseña segura", ROOT)
    actors = {
        "owner": ANA,
        "editor": Actor("bob", "coordinator"),
        "other": Actor("carl", "coordinator"),
        "manager": MARIA,
        "admin": Actor("root", "admin"),
    }
    # (actor, state) -> "saved" | "not offered" | "hidden"; the policy, written out
    expected = {
        (who, state): (
            "saved"
            if who in ("manager", "admin") or (who in ("owner", "editor") and state != "archived")
            # another coordinator sees only published entries
            else ("hidden" if who == "other" and state != "published" else "not offered")
        )
        for who in actors
        for state in ("draft", "published", "archived")
    }
    seen = {}
    for (who, state), _ in expected.items():
        model = app_db.validate(
            iap_values(
                name=f"Matriz {who} {state}",
                editors="bob",
                status="draft",
                contact_email="reservado@example.org",
            )
        )
        record = app_db.store.create(model, "ana")
        if state != "draft":
            record = app_db.update(record["id"], {"status": state}, 1, ROOT)
        at = run("entry", actor=actors[who], id=record["id"])
        assert not at.exception
        if at.get("text_area") and any(t.key == "fld_notes" for t in at.text_area):
            at.text_area(key="fld_notes").input(f"cambio de {who}")
            # managers save as is; coordinators save a draft (their lowest status)
            label = tr("ui_save" if who in ("manager", "admin") else "ui_save_draft", lang="es")
            next(b for b in at.button if b.label == label).click()
            at.run()
            assert not at.exception
            now = app_db.get(record["id"])
            assert (now["version"], now["notes"]) == (record["version"] + 1, f"cambio de {who}")
            seen[who, state] = "saved"
        elif any(tr("ui_cannot_edit", lang="es") in shown(i.value) for i in at.info):
            values = [str(t.value) for t in (*at.text_input, *at.text_area)]
            assert "reservado@example.org" not in values
            seen[who, state] = "not offered"
        else:
            assert any("no existe" in e.value or "no encontr" in e.value for e in at.error)
            seen[who, state] = "hidden"
    assert seen == expected

    # bob opens a published entry as ana's editor; ana then takes him off the list
    record = app_db.create(iap_values(name="Editor retirado", status="draft", editors="bob"), ANA)
    record = app_db.update(record["id"], {"status": "published"}, 1, ROOT)
    at = run("entry", actor=actors["editor"], id=record["id"])
    app_db.update(record["id"], {"editors": []}, record["version"], ANA)
    at.text_area(key="fld_notes").input("cambio tardío")
    next(b for b in at.button if b.label == tr("ui_save_draft", lang="es")).click()
    at.run()
    assert not at.exception
    assert any(tr("ui_cannot_edit", lang="es") in shown(i.value) for i in at.info)
    assert app_db.get(record["id"])["notes"] is None


def test_editar_is_offered_on_the_map_only_to_those_who_may_edit(
    app_db: Registry, fake_map: FakeMap
) -> None:
    """The entry's details under the map (``?id=``): *Editar* shows for its owner, its
    editors, managers and administrators, and not for visitors, other coordinators, or
    anyone on an archived entry (the API refuses those writes anyway)."""
    app_db.add_user("bob", "coordinator", "contraseña segura", ROOT)
    app_db.add_user("carl", "coordinator", "contraseña segura", ROOT)
    actors = {
        "visitor": None,
        "owner": ANA,
        "editor": Actor("bob", "coordinator"),
        "other": Actor("carl", "coordinator"),
        "manager": MARIA,
        "admin": ROOT,
    }
    offered = {}
    for state in ("published", "archived"):
        record = app_db.create(
            iap_values(name=f"Editar {state}", status="draft", editors="bob"), ANA
        )
        record = app_db.update(record["id"], {"status": state}, 1, ROOT)
        for who, actor in actors.items():
            at = run(actor=actor, id=record["id"])
            links = [link.proto.label for link in at.get("page_link")]
            if state == "published" or who in ("owner", "editor", "manager", "admin"):
                # the details are shown (an archived entry only to those who may see it)
                assert "Ver historial" in links, (who, state, links)
            offered[who, state] = tr("ui_edit", lang="es") in links
    may_edit = {
        "published": ("owner", "editor", "manager", "admin"),
        "archived": ("manager", "admin"),
    }
    assert offered == {(who, state): who in may_edit[state] for who in actors for state in may_edit}


# -- monitoring (issue 8) ------------------------------------------------------------------
def _mine(app_db: Registry) -> dict[str, Any]:
    draft = app_db.create(iap_values(name="Red de ana", status="draft", program="corfo_per"), ANA)
    return app_db.publish(draft["id"], draft["version"], MARIA)


def test_coordinator_records_an_indicator_and_values_in_the_monitoring_tab(
    app_db: Registry, fake_map: FakeMap
) -> None:
    entry = _mine(app_db)
    at = run("monitoring", ANA, id=entry["id"])
    assert at.selectbox(key="mon_pick").value == entry["id"]
    assert metric(at, "Completitud de la ficha").endswith("%")
    at.selectbox(key="mon_ind_code").set_value("participating_firms")
    at.selectbox(key="mon_ind_frequency").set_value("quarterly")
    at.text_input(key="mon_ind_base").input("20")
    at.text_input(key="mon_ind_target").input("cuarenta")
    at.button[[b.label for b in at.button].index("Guardar")].click().run()
    assert any("«cuarenta» no es un número" in e.value for e in at.error)
    assert app_db.monitoring(entry["id"], ANA).indicators == []  # nothing stored
    at.text_input(key="mon_ind_target").input("40")
    at.button[[b.label for b in at.button].index("Guardar")].click().run()
    [ind] = app_db.monitoring(entry["id"], ANA).indicators
    for period, value in (("2025-T1", "25"), ("2025-T2", "30,5")):
        at.text_input(key=f"value_{ind['id']}_period").input(period)
        at.text_input(key=f"value_{ind['id']}_value").input(value)
        at.text_input(key=f"value_{ind['id']}_source").input("Registro de socios")
        form = [b for b in at.button if b.key and b.key.startswith("FormSubmitter:value_")]
        form[0].click().run()
    seen = app_db.monitoring(entry["id"], ANA)
    assert [(v["period"], v["value"]) for v in seen.values] == [
        ("2025-Q1", 25.0),
        ("2025-Q2", 30.5),
    ]
    svg = next(f.proto.srcdoc for f in at.get("iframe") if "iap-chart" in f.proto.srcdoc)
    assert 'data-period="2025-Q1"' in svg and 'data-period="2025-Q2"' in svg
    assert 'class="target" data-value="40.0"' in svg
    # a visitor reads the chart but gets no form and no review log
    public = run("monitoring", None, id=entry["id"])
    assert not [b for b in public.button if b.key and "value_" in b.key]
    assert any("Solo lectura" in c.value for c in public.caption)


def test_programme_view_is_for_managers_and_highlights_stale_entries(
    app_db: Registry, fake_map: FakeMap
) -> None:
    import sqlite3
    from contextlib import closing

    from registry.store.gpkg_binary import register_functions

    entry = _mine(app_db)
    old = app_db.create(iap_values(name="Red <b>antigua</b>", program="corfo_per"), MARIA)
    with closing(sqlite3.connect(app_db.store.url)) as conn, conn:
        register_functions(conn)  # GDAL's update triggers call them
        conn.execute(  # last changed in 2023, as in a registry used for years
            "UPDATE initiatives SET updated_at = '2023-03-01T12:00:00Z' WHERE id = ?",
            (old["id"],),
        )
    at = run("programme", MARIA, program="corfo_per")
    view = app_db.programme_view("corfo_per", 12, MARIA)
    assert metric(at, "Entradas") == str(len(view)) and metric(at, "Desactualizadas") == "1"
    [table, stale_list] = [h.proto.body for h in at.get("html") if "iap-programme" in h.proto.body]
    rows = re.findall(r'<tr class="iap-row( stale)?" data-id="([^"]+)"', table)
    assert rows[0] == (" stale", old["id"])  # the stale entry first, highlighted
    assert ("", entry["id"]) in rows and len(rows) == len(view)
    assert "Red &lt;b&gt;antigua&lt;/b&gt;" in table and "<b>antigua" not in table
    assert re.findall(r'data-id="([^"]+)"', stale_list) == [old["id"]]
    # coordinators do not have the page
    at = run(actor=ANA)
    with pytest.raises(Exception, match="programme"):
        at.switch_page(f"{PAGES}/programme.py").run()


def test_map_colours_by_freshness_and_details_say_how_current(
    app_db: Registry, fake_map: FakeMap
) -> None:
    rec = app_db.create(
        iap_values(
            name="Clúster verificado", geometry="POINT (-70.40 -23.65)", last_verified="2026-01-05"
        ),
        ROOT,
    )
    fake_map.events["main_map"] = {
        "last_object_clicked": {"lat": -23.65, "lng": -70.40},
        "last_object_clicked_tooltip": "Clúster verificado\nIniciativa",
    }
    at = run()
    at.selectbox(key="color_by").set_value("freshness").run()
    assert not at.exception
    # seeded entries were never verified (ochre); the verified one is current (green)
    assert "#b8860b" in fake_map.html and "#1a7f37" in fake_map.html
    quality = next(h.proto.body for h in at.get("html") if "entry-quality" in h.proto.body)
    assert 'data-code="current"' in quality and "05-01-2026" in quality
    assert rec["id"] in at.session_state["selected_ids"]


def test_monitoring_and_programme_pages_in_english(app_db: Registry, fake_map: FakeMap) -> None:
    entry = _mine(app_db)
    ind = app_db.add_monitoring(
        "indicator", entry["id"], {"code": "exports", "frequency": "annual", "target": 2000}, ANA
    )
    app_db.record_value(ind["id"], "2025", "1234,5", "Customs", ANA)
    at = run("monitoring", ANA, id=entry["id"], lang="en")
    assert [h.value for h in at.subheader][0] == "Exports"
    svg = next(f.proto.srcdoc for f in at.get("iframe") if "iap-chart" in f.proto.srcdoc)
    assert "Target: 2,000 USD" in svg and "2025: 1,234.5 USD — Customs" in svg
    at = run("programme", MARIA, lang="en")
    assert metric(at, "Out of date") == "0"
    assert any("Out-of-date entries" in s.value for s in at.subheader)


def test_coordinator_corrects_a_target_and_a_stale_edit_is_refused(
    app_db: Registry, fake_map: FakeMap
) -> None:
    entry = _mine(app_db)
    ind = app_db.add_monitoring(
        "indicator", entry["id"], {"code": "exports", "frequency": "annual", "target": 2000}, ANA
    )
    at = run("monitoring", ANA, id=entry["id"])
    assert at.text_input(key=f"edit_{ind['id']}_target").value == "2000"
    # someone else changes the indicator meanwhile: this form's edit is refused
    app_db.update_monitoring("indicator", ind["id"], {"unit": "miles de USD"}, 1, MARIA)
    at.text_input(key=f"edit_{ind['id']}_target").input("2500")
    form = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:edit_{ind['id']}")]
    form[0].click().run()
    assert any("Conflicto de versión" in e.value for e in at.error), [e.value for e in at.error]
    current = app_db.store.monitoring_get("indicator", ind["id"])
    assert (current["target"], current["unit"], current["version"]) == (2000.0, "miles de USD", 2)
    at = run("monitoring", ANA, id=entry["id"])  # reloaded: the edit goes through
    at.text_input(key=f"edit_{ind['id']}_target").input("2500")
    form = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:edit_{ind['id']}")]
    form[0].click().run()
    current = app_db.store.monitoring_get("indicator", ind["id"])
    assert (current["target"], current["unit"], current["version"]) == (2500.0, "miles de USD", 3)


def test_a_value_changed_by_someone_else_since_the_page_showed_it_is_not_overwritten(
    app_db: Registry, fake_map: FakeMap
) -> None:
    entry = _mine(app_db)
    ind = app_db.add_monitoring(
        "indicator", entry["id"], {"code": "exports", "frequency": "annual", "target": 2000}, ANA
    )
    value = app_db.record_value(ind["id"], "2025", 1000, "Aduanas", ANA)
    at = run("monitoring", ANA, id=entry["id"])
    app_db.update_monitoring("value", value["id"], {"value": 1100}, 1, MARIA)  # meanwhile
    at.text_input(key=f"value_{ind['id']}_period").input("2025")
    at.text_input(key=f"value_{ind['id']}_value").input("1050")
    at.text_input(key=f"value_{ind['id']}_source").input("Mi planilla")
    form = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:value_{ind['id']}")]
    form[0].click().run()
    assert any("Conflicto de versión" in e.value for e in at.error), [e.value for e in at.error]
    current = app_db.store.monitoring_get("value", value["id"])
    assert (current["value"], current["updated_by"]) == (1100.0, "maria")


def test_my_account_sets_notifications_and_a_new_password(
    app_db: Registry, fake_map: FakeMap
) -> None:
    at = run("account", actor=ANA)
    email = next(t for t in at.text_input if t.label == "Correo electrónico")
    email.input("no es un correo")
    submit = next(b for b in at.button if b.label == "Guardar")
    submit.click()
    at.run()
    assert any("correo" in e.value for e in at.error)  # refused, in the user's language
    assert app_db.store.get_user("ana")["email"] is None
    email = next(t for t in at.text_input if t.label == "Correo electrónico")
    email.input("ana@iap.example")
    next(c for c in at.checkbox if c.label.startswith("Recibir avisos")).uncheck()
    next(b for b in at.button if b.label == "Guardar").click()
    at.run()
    user = app_db.store.get_user("ana")
    assert (user["email"], bool(user["notify"]), user["lang"]) == ("ana@iap.example", False, "es")
    # a new password needs the current one
    fields = {t.label: t for t in at.text_input}
    fields["Contraseña actual"].input("no es la actual")
    fields["Nueva contraseña"].input("una contraseña nueva larga")
    next(b for b in at.button if b.label == "Cambiar contraseña").click()
    at.run()
    assert at.error and app_db.login("ana", "contraseña segura").username == "ana"
    fields = {t.label: t for t in at.text_input}
    fields["Contraseña actual"].input("contraseña segura")
    fields["Nueva contraseña"].input("una contraseña nueva larga")
    next(b for b in at.button if b.label == "Cambiar contraseña").click()
    at.run()
    assert not at.exception and at.success
    assert app_db.login("ana", "una contraseña nueva larga").username == "ana"


def test_the_run_log_times_every_script_run_when_asked(
    app_db: Registry, fake_map: FakeMap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``IAP_REGISTRY_RUN_LOG`` set, each run appends its page, wall and CPU time and
    how it ended (what ``bench.app_sessions`` reads); without it, nothing is written."""
    run()
    log = tmp_path / "runs.jsonl"
    assert not log.exists()
    monkeypatch.setenv("IAP_REGISTRY_RUN_LOG", str(log))
    at = run()
    at.run()  # a second run of the same session
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 2, lines
    for line in lines:
        assert set(line) == {"at", "page", "wall_s", "cpu_s", "end"}
        assert line["page"] == "map" and line["end"] == "done"
        assert 0 < line["cpu_s"] <= line["wall_s"] + 0.05 and line["wall_s"] < 60
    assert app_db.store.url not in log.read_text()  # nothing about the registry or session
