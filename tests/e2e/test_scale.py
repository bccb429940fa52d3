"""The map above the clustering threshold (synthetic registry), in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.generate import build_registry
from registry.auth import VISITOR
from registry.i18n import tr
from registry.store import Filters
from registry.ui.mapview import CLUSTER_ABOVE
from tests.e2e.harness import (
    COUNT_JS,
    App,
    Watch,
    choose,
    map_frame,
    start_app,
    wait_idle,
    wait_map,
)

N = 3_000


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app on a synthetic registry of ``N`` entries (replaces the seeded one here)."""
    folder = tmp_path_factory.mktemp("e2e-scale")
    build_registry(N, folder / "app.gpkg", seed=3)
    running = start_app(folder / "app.gpkg", folder / "streamlit.log")
    yield running
    running.process.terminate()
    running.process.wait(10)


def drawn(page: Any) -> int | None:
    return map_frame(page).locator("body").evaluate(COUNT_JS)


def wait_drawn(page: Any, expected: int) -> None:
    for _ in range(300):
        if drawn(page) == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"map shows {drawn(page)} entries, expected {expected}")


def test_many_entries_are_clustered_and_filter(page: Any, app: App, watch: Watch) -> None:
    frame = app.registry().list(None, viewer=VISITOR).dropna(subset=["geometry"])
    assert (frame.geometry.geom_type == "Point").sum() > CLUSTER_ABOVE
    page.goto(app.url)
    wait_map(page)
    wait_drawn(page, len(frame))
    clusters = map_frame(page).locator(".marker-cluster")
    assert clusters.count() > 0  # drawn as clusters at the national view, not 3,000 markers
    wait_idle(page)
    choose(page, tr("ui_f_region", lang="es"), "Valparaíso")
    in_region = app.registry().list(Filters(region=("05",)), viewer=VISITOR)
    wait_drawn(page, int(in_region.geometry.notna().sum()))
    assert not watch.errors, watch.errors  # e.g. "Map has no maxZoom specified"
