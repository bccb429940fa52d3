"""The app's server under browser sessions, measured on the server: CPU per user flow,
script runs with many sessions at once, and memory after they close.

A user flow is what a programme manager does first: open the map, filter one region, click
an entry for its details. Each step is done in headless Chromium as a user does it, against
``streamlit run app.py`` on a synthetic registry (``bench/generate.py``). The server's side
is read from the server itself: its process CPU time and resident memory (``/proc``), and
its run log (``registry.ui.runlog``: wall and CPU time of every script run).

1. One flow to warm the caches, as any running server has them; then ``RUNS`` flows one after
   another, each in a new browser session: the CPU of the flow's script runs (the run log:
   the issue's measure) and of the whole server process (also Streamlit serving its own
   front end to the new browser, its messages and static files).
2. ``SESSIONS`` flows at once, each in its own browser: the median script run (wall, as the
   users wait for it, and CPU) while they all run, and how busy the machine's processors
   were meanwhile, by the server and by everything else (the browsers).
3. The server's resident memory before the sessions open and after they all close (the
   server drops a disconnected session after ``server.disconnectedSessionTTL``, set to 10 s
   here instead of 120 s to keep the run short).

Run: ``.venv/bin/python -m bench.app_sessions [N] [SESSIONS] [RUNS]`` (default 10,000 entries,
10 sessions, 3 runs). Prints a table and writes ``bench/results/app_sessions_N.json``. The
browsers run on the same machine as the server, at the lowest priority (``nice 19``, and
their sessions' autogroups at 19 too): the load, not what is measured, as they would be on
their users' own machines.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.generate import build_registry
from registry.auth import VISITOR
from registry.i18n import tr
from tests.e2e.harness import (
    CHROMIUM_ARGS,
    MAP_FRAME,
    chromium_path,
    entry_markers,
    start_app,
    wait_idle,
    wait_map,
    zoom_map,
)

RESULTS = Path(__file__).parent / "results"
TTL_S = 10
REGION = "13"  # Región Metropolitana: the most entries, and Santiago to click in
SANTIAGO = (-33.45, -70.65)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds every processor of the machine has spent busy since boot (``/proc/stat``:
    all but idle and I/O wait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _runs(log: Path, since: int) -> list[dict[str, Any]]:
    """The run log's lines from line ``since`` on."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line) for line in lines[since:]]


def _lines(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def flow(browser: Any, url: str, region_name: str) -> None:
    """Open the map, filter one region, click an entry and wait for its details."""
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(url)
        wait_map(page, timeout=180)
        wait_idle(page, timeout=180)
        box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
            has=page.get_by_text(tr("ui_f_region", lang="es"), exact=True)
        )
        box.locator("input").click()
        box.locator("input").fill(region_name)
        page.get_by_role("option", name=region_name).first.click()
        page.keyboard.press("Escape")
        wait_idle(page, timeout=180)
        zoom_map(page, *SANTIAGO, 13)
        markers = entry_markers(page)
        frame = page.locator(MAP_FRAME)
        frame.scroll_into_view_if_needed()
        size = frame.bounding_box()
        lone = [
            m
            for m in markers
            if 30 < m["x"] < size["width"] - 30
            and 30 < m["y"] < size["height"] - 30
            and all(abs(m["x"] - o["x"]) + abs(m["y"] - o["y"]) > 14 for o in markers if o is not m)
        ]
        assert lone, f"no entry to click among {len(markers)} markers"
        m = lone[0]
        page.mouse.move(size["x"] + m["x"], size["y"] + m["y"])
        page.wait_for_timeout(200)
        page.mouse.click(size["x"] + m["x"], size["y"] + m["y"])
        page.get_by_role("heading", name=m["name"], exact=True).wait_for()
        wait_idle(page, timeout=180)
    finally:
        context.close()


def _children() -> dict[int, list[int]]:
    """Each running process's children, from ``/proc/*/stat``."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended while read
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def _started_here(server: int) -> list[int]:
    """Every process this one started (children, theirs and so on), but the server and its
    own."""
    tree, found = _children(), []
    todo = [c for c in tree.get(os.getpid(), []) if c != server]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def _lowest_priority(server: int) -> None:
    """Put every process this one started, but the server, at the lowest priority.

    ``os.nice(19)`` alone does not do it. Playwright starts each browser in a session of its
    own, and Chromium sets its processes' nice values itself. Linux's autogroup scheduler
    (``/proc/sys/kernel/sched_autogroup_enabled``) shares the processors fairly between
    sessions whatever their processes' nice values, so ten browsers took ten shares to the
    server's one. A session's share is set by its autogroup nice value,
    ``/proc/PID/autogroup`` (``man 7 sched``); processes the browser starts later stay in
    its session.
    """
    grouped = Path("/proc/self/autogroup").exists()  # a kernel with autogroup scheduling
    ours = _autogroup(os.getpid())[0] if grouped else ""  # the server's too: never lowered
    for pid in _started_here(server):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 19)
            if grouped and _autogroup(pid)[0] not in (ours, ""):
                Path(f"/proc/{pid}/autogroup").write_text("19")
        except (ProcessLookupError, FileNotFoundError):
            continue  # ended meanwhile


def _autogroup(pid: int) -> tuple[str, int]:
    """Process ``pid``'s autogroup (its session's scheduling group) and that group's nice value.

    A process that never started a session of its own (``init``, kernel threads, and what they
    start without one, as CI's runner does) is in the root group, for which the kernel prints
    nothing: it reads as ``("", 0)``. The root group's share cannot be changed.
    """
    fields = Path(f"/proc/{pid}/autogroup").read_text().split()
    return (fields[0], int(fields[-1])) if fields else ("", 0)


def _browser(p: Any, server: int) -> Any:
    browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    _lowest_priority(server)
    return browser


def main(n: int = 10_000, sessions: int = 10, runs: int = 3) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="iap-bench-sessions-"))
    reg = build_registry(n, folder / "app.gpkg")
    published = len(reg.list(None, viewer=VISITOR, geometry=False))
    region_name = reg.region_names()[REGION]
    log = folder / "runs.jsonl"
    app = start_app(
        folder / "app.gpkg",
        folder / "streamlit.log",
        settings={"IAP_REGISTRY_RUN_LOG": str(log)},
        args=(f"--server.disconnectedSessionTTL={TTL_S}",),
    )
    pid = app.process.pid
    # The browsers are the load, not what is measured: in use they run on the users' own
    # machines. Here they share the server's processors, and 10 of them kept both busy (96 %
    # of the CPU time in a run), timing the server's runs mostly as waiting for a processor.
    # So they run at the lowest priority and the server gets a processor when it needs one:
    # this process and what it starts (the server was started before, at normal priority),
    # and each browser's own session as it is launched (``_lowest_priority``).
    os.nice(19)
    results: dict[str, Any] = {
        "n": n,
        "published": published,
        "sessions": sessions,
        "nice": 19,
        "load_at_start": os.getloadavg()[0],
    }
    try:
        with sync_playwright() as p:
            browser = _browser(p, pid)
            flow(browser, app.url, region_name)  # warm-up
            per_flow, script_cpu, script_runs = [], [], []
            for _ in range(runs):
                time.sleep(1)  # the previous session's last messages
                since, cpu = _lines(log), _cpu_s(pid)
                flow(browser, app.url, region_name)
                time.sleep(1)
                per_flow.append(_cpu_s(pid) - cpu)
                done = _runs(log, since)
                script_cpu.append(sum(r["cpu_s"] for r in done))
                script_runs.append(len(done))
            browser.close()
        results["server_cpu_per_flow_s"] = per_flow
        results["script_cpu_per_flow_s"] = script_cpu
        results["script_runs_per_flow"] = script_runs
        time.sleep(TTL_S + 5)  # the warm-up's and the flows' sessions dropped
        results["rss_before_mb"] = _rss_mb(pid)

        since, errors = _lines(log), []
        start = threading.Barrier(sessions)

        def one() -> None:
            try:
                with sync_playwright() as p:
                    browser = _browser(p, pid)
                    start.wait()
                    flow(browser, app.url, region_name)
                    browser.close()
            except Exception as exc:  # reported below: a failed session fails the bench
                errors.append(repr(exc))

        threads = [threading.Thread(target=one) for _ in range(sessions)]
        began = time.perf_counter()
        server_cpu, busy = _cpu_s(pid), _machine_busy_s()
        for t in threads:
            t.start()
        results["rss_peak_mb"] = 0.0
        while any(t.is_alive() for t in threads):
            results["rss_peak_mb"] = max(results["rss_peak_mb"], _rss_mb(pid))
            time.sleep(0.5)
        results["concurrent_elapsed_s"] = time.perf_counter() - began
        # how the machine's processors were shared meanwhile: the server, and everything
        # else (the browsers, mostly)
        results["concurrent_server_cpu_s"] = _cpu_s(pid) - server_cpu
        results["concurrent_machine_busy_s"] = _machine_busy_s() - busy
        assert not errors, errors
        done = _runs(log, since)
        results["concurrent_runs"] = len(done)
        results["concurrent_run_wall_s"] = _summary([r["wall_s"] for r in done])
        results["concurrent_run_cpu_s"] = _summary([r["cpu_s"] for r in done])
        results["concurrent_script_cpu_s"] = sum(r["cpu_s"] for r in done)
        after = []
        for _ in range(TTL_S + 20):  # sessions dropped after the TTL; read it settle
            time.sleep(1)
            after.append(_rss_mb(pid))
        results["rss_after_mb"] = after[-1]
        results["rss_after_ratio"] = after[-1] / results["rss_before_mb"]
    finally:
        app.process.terminate()
        app.process.wait(10)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"app_sessions_{n}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return results


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def report(r: dict[str, Any]) -> str:
    flows = r["server_cpu_per_flow_s"]
    run = r["concurrent_run_wall_s"]
    cpu = r["concurrent_run_cpu_s"]
    ratio = r["rss_after_ratio"]
    sum_cpu = r["concurrent_script_cpu_s"]
    script = r["script_cpu_per_flow_s"]
    capacity = r["concurrent_elapsed_s"] * (os.cpu_count() or 1)
    return "\n".join(
        [
            f"app server, N = {r['n']:,} ({r['published']:,} published), flow = open, "
            f"filter a region, click an entry; load at start {r.get('load_at_start', 0):.1f}",
            # the measure is the run log's (the script runs); the whole process
            # also serves Streamlit's own front end to each new browser, and its messages
            f"  server CPU per flow (1 session), run log: its script runs "
            f"{statistics.median(script):.2f} s CPU ({min(script):.2f}-{max(script):.2f}) in "
            f"{statistics.median(r['script_runs_per_flow'])} runs   target <= 0.3 s   "
            + ("met" if statistics.median(script) <= 0.3 else "NOT met"),
            f"    the whole server process meanwhile {statistics.median(flows):.2f} s "
            f"({min(flows):.2f}-{max(flows):.2f}): also Streamlit's front end and messages",
            f"  {r['sessions']} sessions at once: median script run {run['median']:.2f} s wall "
            f"({run['min']:.2f}-{run['max']:.2f}), {cpu['median']:.2f} s CPU, "
            f"{r['concurrent_runs']} runs in {r['concurrent_elapsed_s']:.0f} s   "
            "target <= 0.5 s   " + ("met" if run["median"] <= 0.5 else "NOT met"),
            f"    meanwhile the machine's {os.cpu_count()} processors were busy "
            f"{r['concurrent_machine_busy_s']:.0f} s of {capacity:.0f} s; "
            f"the server {r['concurrent_server_cpu_s']:.0f} s of them (its script runs "
            f"{sum_cpu:.0f} s), the browsers and the rest "
            f"{r['concurrent_machine_busy_s'] - r['concurrent_server_cpu_s']:.0f} s",
            f"  server RSS before {r['rss_before_mb']:.0f} MB, peak {r['rss_peak_mb']:.0f} MB, "
            f"after all closed {r['rss_after_mb']:.0f} MB = {ratio:.2f} x   target <= 1.10 x   "
            + ("met" if ratio <= 1.10 else "NOT met"),
        ]
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
