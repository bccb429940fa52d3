"""Issue 8 in the browser: a coordinator adds an indicator and two period values to their
initiative, the chart draws them against the target, and a manager finds the initiative in
the programme view. Headless Chromium, no network."""

from __future__ import annotations

from typing import Any

from registry.auth import Actor
from registry.i18n import number, tr
from registry.schema.codes import label
from tests.conftest import iap_values
from tests.e2e.harness import (
    App,
    Watch,
    login,
    offline_page,
    select,
    settled,
    shot,
    wait_idle,
)

NAME = "Red de proveedores <de prueba> del seguimiento"


def _form(page: Any, title: str) -> Any:
    """The visible Streamlit form whose text includes ``title``."""
    return page.locator('[data-testid="stForm"]:visible').filter(has_text=title)


def _open_monitoring(page: Any) -> None:
    page.get_by_role("link", name=tr("ui_page_monitoring", lang="es")).click()
    settled(page)
    select(page, tr("ui_pick_entry", lang="es"), NAME)
    settled(page)


def test_coordinator_charts_values_against_target_and_manager_sees_the_programme(
    page: Any, app: App, watch: Watch, browser: Any
) -> None:
    reg = app.registry()
    draft = reg.create(
        iap_values(name=NAME, status="draft", program="corfo_per"), Actor("ana", "coordinator")
    )
    entry = reg.publish(draft["id"], draft["version"], Actor("maria", "manager"))

    login(page, app, "ana")
    _open_monitoring(page)
    page.get_by_text(tr("ui_mon_no_indicators", lang="es")).wait_for()
    form = page.locator('[data-testid="stForm"]:visible').first  # the only one: no indicator
    form.get_by_label("Línea base", exact=True).fill("20")
    form.get_by_label("Meta (valor) *", exact=True).fill("40")
    form.get_by_label("Periodo de la meta", exact=True).fill("2026-T4")
    form.get_by_role("button", name=tr("ui_mon_save", lang="es")).click()
    page.get_by_text(tr("ui_mon_saved", lang="es", version=1)).wait_for()
    settled(page)
    [indicator] = reg.monitoring(entry["id"]).indicators
    assert (indicator["code"], indicator["target"]) == ("participating_firms", 40.0)

    for period, value in (("2025-T1", "25"), ("2025-T2", "30,5")):
        values = _form(page, tr("ui_mon_add_value", lang="es"))
        values.get_by_label("Periodo *", exact=True).fill(period)
        values.get_by_label("Valor *", exact=True).fill(value)
        values.get_by_label("Fuente del dato *", exact=True).fill("Registro de socios")
        values.get_by_role("button", name=tr("ui_mon_save", lang="es")).click()
        page.get_by_text(tr("ui_mon_saved", lang="es", version=1)).wait_for()
        settled(page)

    # the chart: two points at their periods, below the dashed target line at 40
    frame = page.frame_locator('iframe[srcdoc*="iap-chart"]').first
    chart = frame.locator("svg.iap-chart")
    chart.wait_for()
    points = chart.locator("circle.value")
    assert points.count() == 2
    drawn = [
        (p.get_attribute("data-period"), float(p.get_attribute("data-value") or "nan"))
        for p in points.all()
    ]
    assert drawn == [("2025-Q1", 25.0), ("2025-Q2", 30.5)]
    target = chart.locator("line.target")
    assert target.get_attribute("data-value") == "40.0"
    target_y = target.bounding_box()["y"]
    ys = [p.bounding_box()["y"] for p in points.all()]
    assert target_y < ys[1] < ys[0]  # on screen: higher is more; both below the target
    assert chart.locator("line.baseline").get_attribute("data-value") == "20.0"
    badge = page.locator(".iap-badge[data-code='over_half']")
    assert badge.first.inner_text() == label("progress", "over_half", "es")
    assert [(v["period"], v["value"]) for v in reg.monitoring(entry["id"]).values] == [
        ("2025-Q1", 25.0),
        ("2025-Q2", 30.5),
    ]
    shot(page, "monitoring-coordinator")

    # the manager, in a session of their own, finds it in the programme view
    context, manager = offline_page(browser, watch)
    try:
        login(manager, app, "maria")
        manager.get_by_role("link", name=tr("ui_page_programme", lang="es")).click()
        wait_idle(manager)
        select(manager, tr("ui_prog_pick", lang="es"), label("program", "corfo_per", "es"))
        wait_idle(manager)
        row = manager.locator(f'table.iap-programme tr[data-id="{entry["id"]}"]')
        row.wait_for()
        text = row.inner_text()
        assert NAME in text  # shown as text, not markup
        share = f"{number(100 * (30.5 - 20) / (40 - 20), 'es', 0)} %"
        assert label("progress", "over_half", "es") in text and share in text
        assert "2025-Q2" in text
        assert row.get_attribute("data-freshness") == "current"
        shot(manager, "monitoring-programme")
    finally:
        context.close()
