"""Issue 19 in the browser: a log-in lasts across a reload, a second tab and a shared link;
it lands on the page the user asked for; log-out in one tab makes the other a visitor's;
an idle session, a disabled user and a stolen cookie of a logged-out session give nothing.
Headless Chromium against ``streamlit run app.py``, a real GeoPackage, no network."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from playwright.sync_api import expect

from registry.api.sessions import token_hash
from registry.i18n import tr
from registry.schema.codes import label
from tests.conftest import iap_values
from tests.e2e.harness import PASSWORD, App, Watch, login, offline_page, shot, wait_idle

COORDINATOR = label("role", "coordinator", "es")


def _who(page: Any) -> str:
    """The sidebar's line saying who is logged in (or that this is a visitor)."""
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    return str(sidebar.inner_text())


def _session_cookie(context: Any) -> dict[str, Any]:
    found = [c for c in context.cookies() if c["name"] == "iap_session"]
    assert len(found) == 1, context.cookies()
    return dict(found[0])


def _visitor(page: Any) -> None:
    page.get_by_text(tr("ui_visitor", lang="es")).wait_for()
    assert "Sesión:" not in _who(page)


def test_a_login_lasts_across_reload_tabs_and_links_until_log_out(
    page: Any, app: App, browser: Any, watch: Watch
) -> None:
    reg = app.registry()
    entry = reg.create(
        iap_values(name="Entrada de Ana para el enlace", status="draft"), reg.actor("ana")
    )
    login(page, app, "ana")
    cookie = _session_cookie(page.context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert len(cookie["value"]) >= 43  # 32 random bytes, URL-safe base64
    # the store keeps only the token's hash: the cookie's value is nowhere in the file
    raw = app.db.read_bytes() + b"".join(
        p.read_bytes() for p in app.db.parent.glob(app.db.name + "-wal")
    )
    assert cookie["value"].encode() not in raw
    assert token_hash(cookie["value"]).encode() in raw
    # a script in the page cannot read it
    assert "iap_session" not in page.evaluate("document.cookie")

    page.reload()
    page.get_by_text(f"Sesión: ana ({COORDINATOR})").wait_for()
    shot(page, "session-after-reload", full_page=False)

    second = page.context.new_page()
    second.set_default_timeout(60_000)
    second.goto(f"{app.url}/stats")
    second.get_by_text(f"Sesión: ana ({COORDINATOR})").wait_for()

    # a shared link to the entry's form opens it, still logged in, with the same role
    third = page.context.new_page()
    third.set_default_timeout(60_000)
    third.goto(f"{app.url}/entry?id={entry['id']}")
    third.get_by_text(f"Sesión: ana ({COORDINATOR})").wait_for()
    expect(third.get_by_label("Nombre *")).to_have_value("Entrada de Ana para el enlace")
    third.close()

    # log-out in the first tab ...
    page.goto(f"{app.url}/account")
    page.get_by_role("button", name=tr("ui_logout", lang="es")).click()
    _visitor(page)
    assert not [c for c in page.context.cookies() if c["name"] == "iap_session"]
    # ... and the second tab's next action is a visitor's
    second.get_by_role("link", name=tr("ui_page_map", lang="es")).click()
    _visitor(second)
    assert tr("ui_page_mine", lang="es") not in _who(second)
    shot(second, "session-other-tab-after-logout", full_page=False)

    # the logged-out cookie, stolen and replayed in another browser, gives nothing
    context, thief = offline_page(browser, watch)
    context.add_cookies([{"name": "iap_session", "value": cookie["value"], "url": app.url}])
    try:
        thief.goto(f"{app.url}/mine")
        _visitor(thief)
        thief.get_by_label(tr("ui_password", lang="es")).wait_for()  # the log-in form
    finally:
        context.close()

    # another site cannot post a log-in or a log-out (no Origin of this host)
    for path in ("/session/login", "/session/logout"):
        answer = page.request.post(
            f"{app.url}{path}",
            form={"username": "ana", "password": PASSWORD, "next": "/"},
            headers={"Origin": "https://evil.example"},
            max_redirects=0,
        )
        assert answer.status == 403
    answer = page.request.post(
        f"{app.url}/session/login",
        form={"username": "ana", "password": PASSWORD, "next": "https://evil.example/"},
        headers={"Origin": app.url},
        max_redirects=0,
    )
    assert answer.status == 303 and answer.headers["location"] == "/?lang=es"  # never elsewhere

    # the server's log (INFO) never holds the token
    assert cookie["value"] not in app.log.read_text(errors="replace")


def test_log_in_lands_on_the_page_the_link_named(page: Any, app: App) -> None:
    reg = app.registry()
    entry = reg.create(
        iap_values(name="Entrada para volver a ella", status="draft"), reg.actor("ana")
    )
    # a visitor follows a link to the entry's form: the form asks to log in, right there
    page.goto(f"{app.url}/entry?id={entry['id']}&lang=es")
    page.get_by_label(tr("ui_username", lang="es")).fill("ana")
    page.get_by_label(tr("ui_password", lang="es")).fill(PASSWORD)
    page.get_by_role("button", name=tr("ui_login", lang="es")).click()
    page.get_by_text(f"Sesión: ana ({COORDINATOR})").wait_for()
    wait_idle(page)
    assert page.url.startswith(f"{app.url}/entry?")
    assert f"id={entry['id']}" in page.url
    expect(page.get_by_label("Nombre *")).to_have_value("Entrada para volver a ella")
    # a wrong password comes back to the form, says why, and still goes to the entry after
    page.goto(f"{app.url}/account")
    page.get_by_role("button", name=tr("ui_logout", lang="es")).click()
    _visitor(page)
    page.goto(f"{app.url}/review?lang=en")  # a manager's page, opened by a visitor
    page.get_by_label(tr("ui_username", lang="en")).fill("maria")
    page.get_by_label(tr("ui_password", lang="en")).fill("not the password")
    page.get_by_role("button", name=tr("ui_login", lang="en")).click()
    page.get_by_text(tr("login_failed", lang="en")).wait_for()
    page.get_by_label(tr("ui_username", lang="en")).fill("maria")
    page.get_by_label(tr("ui_password", lang="en")).fill(PASSWORD)
    page.get_by_role("button", name=tr("ui_login", lang="en")).click()
    page.get_by_role("heading", name=tr("ui_page_review", lang="en"), exact=True).wait_for()
    assert page.url.startswith(f"{app.url}/review")
    role = label("role", "manager", "en")
    page.get_by_text(tr("ui_logged_as", lang="en", user="maria", role=role)).wait_for()
    # a log-in from the English page comes back in English
    page.goto(f"{app.url}/account?lang=en")
    page.get_by_role("button", name=tr("ui_logout", lang="en")).click()
    page.goto(f"{app.url}/account?lang=en")
    page.get_by_label(tr("ui_username", lang="en")).fill("ana")
    page.get_by_label(tr("ui_password", lang="en")).fill(PASSWORD)
    page.get_by_role("button", name=tr("ui_login", lang="en")).click()
    coordinator = label("role", "coordinator", "en")
    page.get_by_text(tr("ui_logged_as", lang="en", user="ana", role=coordinator)).wait_for()
    page.get_by_role("heading", name=tr("ui_page_mine", lang="en")).wait_for()


def _backdate(app: App, username: str, hours: float) -> None:
    """Make ``username``'s open sessions look unused for ``hours`` (in the store itself)."""
    then = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    with sqlite3.connect(app.db) as conn:
        conn.execute(
            "UPDATE sessions SET last_seen = ? WHERE username = ? AND ended_at IS NULL",
            (then.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), username),
        )


def test_an_idle_session_and_a_disabled_user_are_visitors(page: Any, app: App) -> None:
    login(page, app, "ana")
    _backdate(app, "ana", 3)  # past the two-hour idle timeout
    page.get_by_role("link", name=tr("ui_page_stats", lang="es")).click()
    page.get_by_text(tr("session_expired", lang="es")).wait_for()
    _visitor(page)
    shot(page, "session-idle-expired", full_page=False)

    login(page, app, "ana")
    reg = app.registry()
    reg.update_user("ana", reg.actor("root"), disabled=True)
    try:
        page.get_by_role("link", name=tr("ui_page_stats", lang="es")).click()
        _visitor(page)
        assert tr("ui_page_mine", lang="es") not in _who(page)
    finally:
        reg.update_user("ana", reg.actor("root"), disabled=False)
