"""Browser tests: Debian's Chromium, driven by Playwright, against ``streamlit run app.py``.

The app runs in its own process on a free local port, on a real GeoPackage in a temporary
folder, with no tile server configured. Every request the page makes to any host other than
the app is refused and recorded, and each test fails if there was one: the map must work with
no network. A missing browser or driver fails the tests (``make test`` installs both).

Screenshots go to ``artefacts/e2e/`` (or ``IAP_REGISTRY_ARTEFACTS``); they are not committed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    CHROMIUM_ARGS,
    App,
    Watch,
    chromium_path,
    make_db,
    offline_page,
    shot,
    start_app,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on a seeded registry of its own (one per test module), logging its script
    runs to ``runs.jsonl`` beside its log (``registry.ui.runlog``)."""
    folder = tmp_path_factory.mktemp("e2e-app")
    running = start_app(
        make_db(_seeded_template, folder),
        folder / "streamlit.log",
        settings={"IAP_REGISTRY_RUN_LOG": str(folder / "runs.jsonl")},
    )
    yield running
    running.process.terminate()
    try:
        running.process.wait(10)
    except subprocess.TimeoutExpired:
        running.process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _pages_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """When a test fails, a screenshot of every page it left open (a second user's browser,
    a second tab), beside the ``page`` fixture's own."""
    yield
    if "browser" not in request.fixturenames or not request.node.stash.get(FAILED, False):
        return
    browser = request.getfixturevalue("browser")
    for i, context in enumerate(browser.contexts):
        for j, pg in enumerate(context.pages):
            try:
                shot(pg, f"failed-{request.node.name}-{i}-{j}", full_page=False)
            except Exception as exc:  # a page being closed: say so, do not hide the failure
                print(f"no screenshot of page {i}-{j}: {exc}")


@pytest.fixture
def page(browser: Any, app: App, watch: Watch, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies, no session) with the network cut off."""
    context, pg = offline_page(browser, watch)
    yield pg
    if request.node.stash.get(FAILED, False):  # what the page showed when the test failed
        shot(pg, f"failed-{request.node.name}", full_page=False)
    context.close()
    assert not watch.external, f"the page tried to reach the network: {watch.external[:5]}"
    assert not watch.dialogs, f"a dialog opened (script ran): {watch.dialogs}"
