"""The OGC API's HTML pages in headless Chromium: what a browser user reads, follows and
reloads, with hostile text in the data shown as text and no script run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ADMIN, iap_values
from tests.e2e.harness import Watch, offline_page, shot
from tests.test_ogcapi import Server, _stop, served_copy

HOSTILE = 'Clúster <img src=x onerror="window.__xss=1"><script>window.__xss=2</script> $x$'


@pytest.fixture(scope="module")
def api(_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = served_copy(_seeded_template, tmp_path_factory.mktemp("ogcapi-html"))
    server.registry.create(
        iap_values(name=HOSTILE, notes="<b>negrita</b> & <i>cursiva</i>", n_firms=9999), ADMIN
    )
    yield server
    _stop(server)


def test_a_browser_reads_follows_and_reloads_the_html_pages(
    api: Server, browser: Any, watch: Watch
) -> None:
    context, page = offline_page(browser, watch)
    # a browser asks for HTML by itself (Accept: text/html), no f=html needed
    answer = page.goto(f"{api.url}/collections")
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'none'
    assert page.locator("h1").inner_text() == "Colecciones / Collections"
    body = page.inner_text("body")
    for collection in ("initiatives", "barrios", "regions", "admin1", "indicator-values"):
        assert collection in body
    # follow the links as a person would: the initiatives' features, filtered by CQL2
    page.get_by_role("row", name="initiatives").get_by_role("link", name="features").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Elementos / Features"
    where = quote("notes LIKE '<b>negrita%' AND n_firms = 9999")
    filtered = f"{api.url}/collections/initiatives/items?filter={where}&f=html"
    page.goto(filtered)
    rows = page.locator("table.items tbody tr")
    assert rows.count() == 1
    cell = rows.first.locator("td").first
    assert cell.inner_text() == HOSTILE  # the name, as text
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert "<b>negrita</b> & <i>cursiva</i>" in page.inner_text("main")
    shot(page, "ogcapi-html-items")
    # the entry's own page, then a reload
    cell.get_by_role("link").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == HOSTILE
    page.reload()
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.evaluate("() => window.__xss === undefined")
    shot(page, "ogcapi-html-item")
    # its JSON twin is one click away and is the same feature
    page.get_by_role("link", name="JSON").click()
    page.wait_for_load_state()
    feature = json.loads(page.inner_text("body"))
    assert feature["properties"]["name"] == HOSTILE
    # paging through HTML keeps HTML: next page, then previous
    page.goto(f"{api.url}/collections/barrios/items?limit=5&f=html")
    first = page.locator("table.items tbody tr td:first-child").all_inner_texts()
    page.get_by_role("link", name="Página siguiente / Next page").click()
    page.wait_for_load_state()
    second = page.locator("table.items tbody tr td:first-child").all_inner_texts()
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    page.get_by_role("link", name="Página anterior / Previous page").click()
    page.wait_for_load_state()
    assert page.locator("table.items tbody tr td:first-child").all_inner_texts() == first
    # the queryables read as a table; an error reads as a page, in HTML
    page.goto(f"{api.url}/collections/initiatives/queryables")
    assert "n_firms" in page.inner_text("table") and "contact_email" not in page.content()
    answer = page.goto(f"{api.url}/collections/initiatives/items?filter=contact_email%20IS%20NULL")
    assert answer.status == 400
    assert "contact_email" in page.inner_text("main") and page.locator("h1").inner_text() == (
        "Error 400"
    )
    assert not watch.external and not watch.errors and not watch.dialogs
    context.close()
