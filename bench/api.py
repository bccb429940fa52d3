"""Load on the OGC API: small bbox pages from 8 clients, alone and while a ninth client pages
``limit=10000`` in a loop, for several ``serve-api`` settings side by side on the same
synthetic registry (``bench/generate.py``), and the time of one ``limit=10000`` page.

The clients run in this process (threads, urllib) on the same machine as the server, so
on a 2-core machine they take one core from it: the ratios between settings measured in one
run are what to read, not the absolute rates. Not yet here (issue 21): pygeoapi on PostGIS
serving the same data side by side, server memory after random code permutations, the first
``/collections`` at 100,000 entries.

Run: ``.venv/bin/python -m bench.api [--n 10000] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.generate import build_registry
from tests.e2e.harness import free_port, wait_up

SETTINGS = (
    ("one process, 1 thread (as before: one request at a time)", ["--threads", "1"]),
    ("one process, 4 threads (default)", []),
    ("2 workers, 4 threads each", ["--workers", "2"]),
)
SMALL = "/collections/initiatives/items?bbox=-71.0,-33.6,-70.5,-33.3&limit=10"
BIG = "/collections/initiatives/items?limit=10000"


def _fetch(url: str) -> None:
    with urllib.request.urlopen(url, timeout=300) as r:
        r.read()


def _rate(url: str, seconds: float, heavy: bool) -> float:
    """Small requests per second of 8 clients (with a ninth paging ``limit=10000``)."""
    stop = time.monotonic() + seconds
    counts = [0] * 8

    def client(i: int) -> None:
        while time.monotonic() < stop:
            _fetch(url + SMALL)
            counts[i] += 1

    def pager() -> None:
        while time.monotonic() < stop:
            _fetch(url + BIG)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    if heavy:
        threads.append(threading.Thread(target=pager))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def measure(db: Path, args: list[str], seconds: float, log: Path) -> dict[str, float]:
    port = free_port()
    command = [sys.executable, "-m", "registry.cli", "--db", str(db), "serve-api"]
    out = log.open("wb")
    server = subprocess.Popen(
        [*command, "--port", str(port), *args], stdout=out, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(server, f"{url}/conformance", log)
        for _ in range(4):  # every worker reads its snapshot
            _fetch(url + BIG)
        start = time.perf_counter()
        _fetch(url + BIG)
        page = time.perf_counter() - start
        alone = _rate(url, seconds, heavy=False)
        loaded = _rate(url, seconds, heavy=True)
    finally:
        server.terminate()
        server.wait(20)
    return {"page_s": page, "alone": alone, "loaded": loaded}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.gpkg"
        build_registry(args.n, db)
        print(f"{args.n:,} entries; 8 clients asking small bbox pages for {args.seconds:g} s")
        print(f"{'setting':58} {'10k page':>9} {'alone':>8} {'+ pager':>8} {'kept':>6}")
        for name, extra in SETTINGS:
            got = measure(db, extra, args.seconds, Path(tmp) / "api.log")
            kept = got["loaded"] / got["alone"]
            print(
                f"{name:58} {got['page_s']:8.2f}s {got['alone']:7.1f}/s "
                f"{got['loaded']:7.1f}/s {kept:6.0%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
