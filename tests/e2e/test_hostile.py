"""Hostile text typed into every text field runs nowhere and is shown literally, on every page
that shows it (map tooltip, detail panel, review queue, history, statistics table, form).

Each payload calls ``alert``: the ``page`` fixture fails the test if any dialog opens, and
a script that broke the page would show up as a page error or a missing map.
"""

from __future__ import annotations

import time
from typing import Any

from registry.i18n import tr
from registry.schema.codes import label
from registry.schema.fields import FIELDS
from registry.store import Filters
from tests.e2e.harness import (
    MAP_FRAME,
    App,
    Watch,
    click_map,
    entry_markers,
    login,
    offline_page,
    point_of,
    select,
    wait_idle,
    wait_map,
    zoom_map,
)

PAYLOADS = (
    "<img src=x onerror=\"alert('img')\">",
    "${alert('template')}",
    "`;alert('backtick');`",
    "</script><script>alert('script')</script>",
    "\"><svg onload=alert('svg')>",
    "'); alert('quote');// \\u2028 {{7*7}}",
    "[enlace](javascript:alert('md')) **negrita** $x^2$ <b>b</b>",
)
NAME = PAYLOADS[0] + " " + PAYLOADS[3] + " ${x} `y` {{7*7}} {% if"
SPOT = (-33.45694, -70.64827)  # Santiago, comuna 13101


def text_fields() -> list[Any]:
    """The free-text fields of an initiative in the form (all but the name)."""
    return [
        f
        for f in FIELDS
        if f.type in ("text", "longtext")
        and f.name not in ("name", "region_code", "comuna_code", "review_note")
        and not f.barrio_only
    ]


def value_of(i: int, field: str) -> str:
    return f"{PAYLOADS[i % len(PAYLOADS)]} #{field}"


def field_label(f: Any) -> str:
    return f.es + (" *" if f.required else "")


def rendered_texts(page: Any) -> str:
    """All text of the page, including the cells of data grids (drawn on a canvas, with an
    accessible table behind) and the values of form inputs."""
    return str(
        page.evaluate(
            """() => {
                const parts = [document.body.innerText];
                document.querySelectorAll('[data-testid="stDataFrame"] td, [data-testid="stDataFrame"] th')
                    .forEach(c => parts.push(c.textContent));
                document.querySelectorAll('input, textarea').forEach(i => parts.push(i.value));
                return parts.join('\\n');
            }"""
        )
    )


def wait_texts(page: Any, expected: list[str], timeout: float = 20) -> None:
    """Wait until the page shows every string of ``expected`` (a rerun may still be drawing
    the last widgets); fail with the ones missing."""
    deadline = time.monotonic() + timeout
    while True:
        texts = rendered_texts(page)
        missing = [e for e in expected if e not in texts]
        if not missing or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert missing == [], f"not shown: {missing}"


def test_hostile_text_in_every_field_never_runs_and_shows_literally(
    page: Any, app: App, watch: Watch, browser: Any
) -> None:
    fields = text_fields()
    assert len(fields) >= 8
    # a coordinator types the payloads into every text field of the form
    login(page, app, "ana")
    page.get_by_role("link", name=tr("ui_page_entry", lang="es")).click()
    zoom_map(page, *SPOT, 14)
    click_map(page, *point_of(page, *SPOT))
    wait_idle(page)
    page.get_by_text("Santiago (13101)").first.wait_for()
    page.get_by_label("Nombre *").fill(NAME)
    for i, f in enumerate(fields):
        page.get_by_label(field_label(f), exact=True).fill(value_of(i, f.name))
    select(page, "Tipo de iniciativa *", label("initiative_type", "cluster", "es"))
    select(page, "Precisión de la ubicación *", label("location_precision", "exact", "es"))
    select(page, "Sector *", label("sector", "tourism", "es"))
    page.get_by_role("button", name=tr("ui_submit", lang="es")).click()
    page.get_by_text(tr("ui_saved_submitted", lang="es", version=1)).wait_for()
    wait_idle(page)

    # stored exactly as typed
    rows = app.registry().list(Filters(status=("submitted",)))
    record = app.registry().get(rows[rows["name"] == NAME]["id"].iloc[0])
    for i, f in enumerate(fields):
        assert record[f.name] == value_of(i, f.name), f.name

    # the form shows the values back literally
    wait_texts(page, [NAME, *(value_of(i, f.name) for i, f in enumerate(fields))])

    # the map: the marker's tooltip and the detail panel show the name as typed
    page.get_by_role("link", name=tr("ui_page_map", lang="es")).click()
    wait_map(page)
    wait_idle(page)
    marker = next(m for m in entry_markers(page) if m["id"] == record["id"])
    assert marker["name"] == NAME
    frame = page.frame_locator(MAP_FRAME)
    zoom_map(page, marker["lat"], marker["lng"], 12)
    marker = next(m for m in entry_markers(page) if m["id"] == record["id"])
    click_map(page, marker["x"], marker["y"])
    tip = frame.locator(".leaflet-tooltip b")
    assert tip.first.text_content() == NAME
    page.get_by_role("heading", name=NAME).wait_for()
    page.get_by_text(tr("ctx_title", lang="es")).wait_for()
    wait_idle(page)
    wait_texts(page, [value_of(i, f.name) for i, f in enumerate(fields) if not f.restricted])

    # a manager sees it in the review queue and publishes it; the history shows the values
    manager, second = offline_page(browser, watch, height=1400)
    login(second, app, "maria")
    second.get_by_role("link", name=tr("ui_page_review", lang="es")).click()
    title = second.get_by_text(NAME, exact=False).first
    title.wait_for()
    title.click()
    second.get_by_role("heading", name=NAME).wait_for()
    wait_idle(second)  # a click during the page's run can be lost to its rerun
    second.get_by_role("button", name=tr("ui_publish", lang="es")).click()
    second.get_by_text(tr("ui_no_entries", lang="es")).wait_for()
    # (in-app navigation: reloading the page would start a new, logged-out session)
    second.get_by_role("link", name=tr("ui_page_history", lang="es")).click()
    select(second, tr("ui_pick_entry", lang="es"), NAME)
    second.get_by_text(tr("ui_op_create", lang="es")).first.wait_for()
    second.locator('[data-testid="stExpander"] summary').first.wait_for()
    for summary in second.locator('[data-testid="stExpander"] summary').all():
        if summary.get_attribute("aria-expanded") != "true":
            summary.click()
    wait_idle(second)
    wait_texts(second, [value_of(i, f.name) for i, f in enumerate(fields)])
    # the statistics table lists it among the published entries
    second.get_by_role("link", name=tr("ui_page_stats", lang="es")).click()
    second.get_by_text(tr("ui_stats_table", lang="es")).wait_for()
    wait_idle(second)
    # searched for, so that its row is among those the data grid draws
    search = second.get_by_label(tr("ui_f_q", lang="es"))
    search.fill("onerror")
    search.press("Enter")
    second.wait_for_url("**q=onerror**")
    wait_idle(second)
    for _ in range(50):
        if NAME in rendered_texts(second):
            break
        second.wait_for_timeout(200)
    assert NAME in rendered_texts(second)
    manager.close()
    assert app.registry().get(record["id"])["status"] == "published"
    assert not watch.errors, watch.errors
