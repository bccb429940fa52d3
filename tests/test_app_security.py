"""The security review's findings (issue 16) as the app's pages show them (AppTest, real
GeoPackage registries). The same findings in the library: ``test_security_findings.py``;
in a real browser: ``tests/e2e/test_sessions.py``."""
# ruff: noqa: F401, F811 -- the app's fixtures (app_db, fake_map) come from tests/test_app.py

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from registry.api import Registry
from registry.i18n import tr
from tests.conftest import iap_values
from tests.test_app import APP, PAGES, FakeMap, app_db, fake_map, run, shown
from tests.test_security_findings import SECRETS
from tests.test_security_findings import _published_with_secrets as _secret_entry


def _texts(at: AppTest) -> str:
    """Every value and label the page shows, as one text."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "text", "error", "warning", "info", "success",
                 "subheader", "title", "header", "code"):  # fmt: skip
        parts += [str(e.value) for e in at.get(kind)]
    for kind in ("text_input", "text_area"):
        parts += [str(e.value) for e in at.get(kind)]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for exp in at.expander:
        parts.append(str(exp.label))
    return "\n".join(shown(p) for p in parts)


@pytest.fixture
def users(app_db: Registry) -> Registry:
    """The app's registry with ana's editor bob and another coordinator, carl."""
    for name in ("bob", "carl"):
        app_db.add_user(name, "coordinator", "contraseña segura", app_db.actor("root"))
    return app_db


def test_f01_the_history_page_shows_a_visitor_no_restricted_field(
    users: Registry, fake_map: FakeMap
) -> None:
    rec = _secret_entry(users)
    for actor in (None, users.actor("carl")):
        at = run("history", actor=actor, id=rec["id"])
        text = _texts(at)
        assert "Entrada con datos reservados" in text or len(at.expander) >= 1
        for secret in SECRETS:
            assert secret not in text, (actor, secret)
        for username in ("maria", "ana", "bob"):  # as words: "Metropolitana" is a region
            assert not re.search(rf"\b{username}\b", text), (actor, username)
    at = run("history", actor=users.actor("bob"), id=rec["id"])
    text = _texts(at)
    assert all(s in text for s in SECRETS) and "maria" in text


def test_f02_a_demoted_manager_loses_review_on_the_next_action(
    users: Registry, fake_map: FakeMap
) -> None:
    rec = users.create(iap_values(name="Para revisar", status="submitted"), users.actor("ana"))
    at = run("review", actor=users.actor("maria"))
    assert any(rec["name"] in e.label for e in at.expander)
    users.update_user("maria", users.actor("root"), role="coordinator")
    at.button(key=f"pub_{rec['id']}").click()
    at.run()
    assert users.get(rec["id"])["status"] == "submitted"
    assert any("coordinador" in c.value.lower() for c in at.sidebar.caption)
    with pytest.raises(Exception, match="review"):  # no longer in the navigation
        at.switch_page(f"{PAGES}/review.py").run()


def test_f02_disabling_ends_the_session(users: Registry, fake_map: FakeMap) -> None:
    at = run("map", actor=users.actor("maria"))
    users.update_user("maria", users.actor("root"), disabled=True)
    at.run()
    assert any(
        tr("ui_session_ended", lang="es") in shown(w.value) for w in (*at.warning, *at.error)
    )
    assert any("Visitante" in c.value or "visitante" in c.value for c in at.sidebar.caption)


def test_f04_editing_someone_elses_entry_loads_nothing_restricted(
    users: Registry, fake_map: FakeMap
) -> None:
    rec = _secret_entry(users)
    at = run("entry", actor=users.actor("carl"), id=rec["id"])
    text = _texts(at)
    assert all(s not in text for s in SECRETS)
    assert not any(t.key == "fld_contact_email" for t in at.text_input)  # no form at all
    assert any(tr("ui_cannot_edit", lang="es") in shown(i.value) for i in (*at.info, *at.warning))
    at = run("entry", actor=users.actor("bob"), id=rec["id"])
    assert at.text_input(key="fld_contact_email").value == SECRETS[1]


def test_f15_a_legacy_username_is_shown_as_text(users: Registry, fake_map: FakeMap) -> None:
    from registry.auth import hash_password
    from registry.store.clock import utc_now
    from registry.store.tables import users as users_table

    odd = "[u](javascript:alert(1))"
    with users.store._transaction() as conn:  # as an older version could have stored it
        conn.execute(
            users_table.insert().values(
                username=odd,
                role="coordinator",
                password_hash=hash_password("contraseña segura"),
                disabled=False,
                failed_logins=0,
                created_at=utc_now(),
                updated_at=utc_now(),
            )
        )
    at = run("map", actor=users.actor(odd))
    captions = [c.value for c in at.sidebar.caption]
    assert any("\\[u\\]\\(javascript" in c for c in captions), captions


def test_f17_restore_refuses_when_the_entry_changed_since_the_page_showed_it(
    users: Registry, fake_map: FakeMap
) -> None:
    maria = users.actor("maria")
    rec = users.create(iap_values(name="Primera"), maria)
    rec = users.update(rec["id"], {"name": "Segunda"}, rec["version"], maria)
    at = run("history", actor=maria, id=rec["id"])
    users.update(
        rec["id"], {"name": "Tercera, de otra persona"}, rec["version"], users.actor("root")
    )
    at.button(key="restore_1").click()
    at.run()
    assert not at.exception
    assert users.get(rec["id"])["name"] == "Tercera, de otra persona"
    assert any("mientras" in shown(e.value) or "versión" in shown(e.value) for e in at.error)


def test_f18_an_unreachable_database_shows_a_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_map: FakeMap
) -> None:
    for db in ("postgresql://iap_test:secreto@127.0.0.1:1/iap", "damaged"):
        if db == "damaged":
            path = tmp_path / "damaged.gpkg"
            path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
            db = str(path)
        monkeypatch.setenv("IAP_REGISTRY_DB", db)
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        text = _texts(at)
        assert tr("ui_unavailable", lang="es") in text
        for leak in ("127.0.0.1", "secreto", str(tmp_path), "Traceback", "psycopg", "sqlite"):
            assert leak not in text, leak


def test_the_legend_escapes_its_texts_and_takes_only_hex_colours() -> None:
    """The legend is the one piece of HTML the components build (``st.html``): its title and
    labels go in escaped, and a colour that is not a hex code cannot add CSS."""

    def script() -> None:
        from registry.ui import components

        components.legend(
            "<b>Sector</b>",
            [
                {"label": "<img src=x onerror=alert(1)>", "color": "red;background:url(//x)"},
                {"label": "Minería & proveedores", "color": "#0072b2"},
            ],
            "<i>nota</i>",
        )

    at = AppTest.from_function(script).run()
    (legend,) = at.get("html")
    body = legend.proto.body
    assert "&lt;b&gt;Sector&lt;/b&gt;" in body and "<b>" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img" not in body
    assert "url(" not in body and "background:#999999" in body
    assert "Minería &amp; proveedores" in body and "background:#0072b2" in body
    assert at.caption[0].value == r"\<i\>nota\</i\>"  # the note as plain text
