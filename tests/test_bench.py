"""Smoke test of the benchmark suite: the generator and every benchmark run once at
N = 1,000, so ``make bench`` cannot rot. No timing is asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench import run
from bench.generate import generate, write_csv
from registry.api import Registry
from tests.conftest import ADMIN


@pytest.mark.bench
def test_every_benchmark_runs_once() -> None:
    (run.RESULTS / "bench.json").unlink(missing_ok=True)  # no stale results
    # in its own process, as `make bench` runs it (and away from AppTest's event loop)
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "import_csv" in done.stdout  # the table was printed
    results = json.loads((run.RESULTS / "bench.json").read_text())
    figures = results["figures"]
    for key in run.TARGETS:
        if key.startswith("app_big_"):  # the 100,000-entry app run is not part of --quick
            assert key not in figures, key
            continue
        assert key in figures, key
        assert figures[key]["median"] > 0, key
    assert figures["list_unfiltered"]["rows"] == 1_000
    assert figures["import_csv"]["rows"] == 1_000
    assert 0 < figures["map_national"]["bytes"]
    assert figures["export_geojson"]["reference_ogr2ogr"] > 0
    assert figures["programme_view_all"]["rows"] == 1_000
    assert figures["monitoring_import_csv"]["rows"] == figures["monitoring_export_csv"]["rows"]
    assert figures["monitoring_export_csv"]["rows"] == 100 * 8  # one entry in ten, 8 quarters
    assert results["n"] == 1_000


def test_generator_writes_valid_realistic_rows(registry: Registry, tmp_path: Path) -> None:
    frame = generate(400, seed=5)
    assert frame.notna().all().all()  # every field filled
    assert 0.15 < (frame["kind"] == "barrio_comercial").mean() < 0.35
    assert frame["wkt"].str.startswith("LINESTRING").sum() > 10  # streets for barrios
    path = write_csv(400, tmp_path / "rows.csv", seed=5)
    report = registry.import_file(path, ADMIN, dry_run=True)  # the importer's validation
    assert report.created == 400


def test_the_command_start_up_benchmark_runs() -> None:
    """``bench.cli`` (in ``make bench``) times real runs of the installed command."""
    from bench import cli

    results = cli.main(runs=1)
    assert set(results) == {"help", "list_region_05"}
    for figure in results.values():
        assert 0 < figure["min"] <= figure["median"] <= figure["max"] < 60


@pytest.mark.e2e
def test_the_sessions_benchmark_puts_its_browsers_below_the_server() -> None:
    """``bench.app_sessions`` runs ten browsers beside the server it measures; they must run
    at the lowest priority. Playwright starts each browser in a session of its own, and the
    autogroup scheduler shares the processors between sessions whatever a process's nice
    value, so the browser's session (its autogroup) must be lowered, and this process's own
    session, which the server shares, must not be."""
    from bench.app_sessions import _autogroup

    ours = Path("/proc/self/autogroup").read_text()
    found: dict[int, tuple[str, int]] = {}
    failed: list[BaseException] = []

    def launch() -> None:  # in a thread: Streamlit's AppTest leaves an event loop in this one
        try:
            found.update(_browser_groups())
        except BaseException as exc:  # reported below
            failed.append(exc)

    thread = threading.Thread(target=launch)
    thread.start()
    thread.join(120)
    assert not failed, failed
    assert Path("/proc/self/autogroup").read_text() == ours
    assert len(found) >= 3, found  # the browser, its zygotes and the page's renderer
    mine = _autogroup(os.getpid())[0]
    for pid, (group, nice) in found.items():
        assert group != mine and nice == 19, (pid, group, nice)


def test_a_process_in_the_root_scheduling_group_is_read_as_such() -> None:
    """CI runs the tests from a process that never started a session of its own, so it is in
    the root autogroup, whose ``/proc/PID/autogroup`` the kernel leaves empty; the session bench
    (and its priority test above) failed there with an ``IndexError``. Kernel threads are in
    that group on every Linux kernel, as is ``init`` here."""
    from bench.app_sessions import _autogroup

    rooted = [
        int(path.parent.name)
        for path in Path("/proc").glob("[0-9]*/autogroup")
        if _readable(path) == ""
    ]
    assert rooted, "no process in the root autogroup"
    for pid in rooted[:5]:
        assert _autogroup(pid) == ("", 0), pid
    group, nice = _autogroup(os.getpid())  # this process's, in a session's group or not
    assert (group.startswith("/autogroup-") or group == "") and -20 <= nice <= 19, (group, nice)


def _readable(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # ended meanwhile
        return None


def _browser_groups() -> dict[int, tuple[str, int]]:
    """Launch a browser as ``bench.app_sessions`` does, open a page, and return each of its
    processes' autogroup and that group's nice value."""
    from playwright.sync_api import sync_playwright

    from bench.app_sessions import _autogroup, _browser, _started_here

    found: dict[int, tuple[str, int]] = {}
    with sync_playwright() as p:
        browser = _browser(p, server=-1)
        page = browser.new_context().new_page()  # a renderer started after the lowering
        page.set_content("<p>x</p>")
        for pid in _started_here(server=-1):
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes()
                group = _autogroup(pid)
            except FileNotFoundError:
                continue
            if b"chromium" in args:
                found[pid] = group
        browser.close()
    return found
