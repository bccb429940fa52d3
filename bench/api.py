"""Load on the OGC API, ours and pygeoapi's side by side, on the same published entries in
the same PostGIS database: the targets of issue 21.

The synthetic registry (``bench/generate.py``, N entries of which 80 % are published) is
copied into a schema of the PostGIS test server (``scripts/postgis-test-server``). Our
server serves that registry (``serve-api --workers 2 --threads 4``). pygeoapi 0.21 serves a
table of the published initiatives with the same public columns, a primary key and a GIST
index (its best case), from its PostgreSQL provider under gunicorn with the same 2 workers
of 4 threads. pygeoapi lives in an environment of its own (``.bench/pygeoapi``, created on
first run from PyPI), never in the project's.

Load comes from ``wrk`` (Debian's package; ``make bench`` installs it), on this machine:
- 32 connections asking bbox pages of 10 features (50 boxes in turn around Chile's cities);
- 32 connections asking sector + bbox pages (the box and one of 19 sectors in turn);
- 8 connections asking bbox pages, alone and then, on the same connections, while a ninth
  client pages ``limit=10000`` in a loop (one ``wrk`` run counting answers per second; the
  median of 3 runs);
- then ours: server memory (all its processes) after 1,000 requests of 1-4 random sectors in
  random order; the first ``/collections`` after start; one ``limit=10000`` page.

Client and servers share the machine's cores, so read the ratios of one run, not the
absolute rates. Run: ``.venv/bin/python -m bench.api [--n 100000] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.generate import build_registry
from registry.schema.codes import code_codes
from registry.schema.fields import public_fields
from tests.e2e.harness import free_port, wait_up

PG_URL = os.environ.get(
    "IAP_REGISTRY_TEST_PG", "postgresql://iap_test:iap_test@127.0.0.1:54329/iap_test"
)
PYGEOAPI = "pygeoapi==0.21.0"
PYGEOAPI_NEEDS = [
    PYGEOAPI,
    "psycopg2-binary==2.9.*",
    "SQLAlchemy==2.*",
    "GeoAlchemy2==0.*",
    "gunicorn==23.*",
]
ENV = Path(__file__).resolve().parent.parent / ".bench" / "pygeoapi"
ITEMS = "/collections/initiatives/items"
BIG = f"{ITEMS}?limit=10000"
CITIES = [  # lon, lat of Chile's regional capitals and some large towns
    (-70.31, -18.48), (-70.15, -20.21), (-70.40, -23.65), (-70.33, -27.37), (-71.25, -29.90),
    (-71.62, -33.05), (-70.65, -33.45), (-70.74, -34.17), (-71.66, -35.43), (-72.10, -36.61),
    (-73.05, -36.83), (-72.59, -38.74), (-73.25, -39.82), (-72.94, -41.47), (-72.07, -45.57),
    (-70.91, -53.16), (-71.54, -33.02), (-70.60, -33.60), (-72.35, -37.47), (-73.14, -40.57),
]  # fmt: skip


def _boxes(count: int = 50, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(count):
        x, y = CITIES[k % len(CITIES)]
        half = rng.uniform(0.05, 0.3)
        out.append(f"{x - half:.3f},{y - half:.3f},{x + half:.3f},{y + half:.3f}")
    return out


def bbox_paths() -> list[str]:
    return [f"{ITEMS}?bbox={b}&limit=10" for b in _boxes()]


def sector_paths() -> list[str]:
    sectors = code_codes("sector")
    return [f"{ITEMS}?sector={sectors[k % len(sectors)]}&bbox={b}&limit=10" for k, b in
            enumerate(_boxes())]  # fmt: skip


# -- the load ---------------------------------------------------------------------------------
def _wrk(url: str, paths: list[str], connections: int, seconds: float, tmp: Path) -> float:
    """Requests per second that ``wrk`` completes asking ``paths`` in turn."""
    script = tmp / f"paths-{uuid.uuid4().hex[:6]}.lua"
    quoted = ", ".join(json.dumps(p) for p in paths)
    script.write_text(
        f"local paths = {{{quoted}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    threads = str(min(2, connections))
    result = subprocess.run(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "60s",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error answers\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as r:
        return bytes(r.read())


def _timed(url: str) -> float:
    start = time.perf_counter()
    _fetch(url)
    return time.perf_counter() - start


_PAIRED = """
local paths = {%s}
local i = 0
counts = {}
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  local t = os.time()
  counts[t] = (counts[t] or 0) + 1
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for t, n in pairs(thread:get("counts")) do total[t] = (total[t] or 0) + n end
  end
  for t, n in pairs(total) do io.write(string.format("second %%d %%d\\n", t, n)) end
end
"""


def _paired(url: str, seconds: float, tmp: Path) -> tuple[float, float]:
    """8 connections' rate of small bbox pages alone, then, on the same connections (so
    spread over the workers in the same way), while a ninth client pages ``limit=10000``:
    one ``wrk`` run of twice ``seconds``, its answers counted per second."""
    script = tmp / f"paired-{uuid.uuid4().hex[:6]}.lua"
    script.write_text(_PAIRED % ", ".join(json.dumps(p) for p in bbox_paths()))
    run = subprocess.Popen(
        ["wrk", "-t", "2", "-c", "8", "-d", f"{2 * seconds:g}s", "--timeout", "60s",
         "-s", str(script), url],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = time.time()
    time.sleep(seconds)
    switched = time.time()
    stop = started + 2 * seconds

    def pager() -> None:
        while time.time() < stop:
            _fetch(url + BIG)

    thread = threading.Thread(target=pager)
    thread.start()
    output, _ = run.communicate()
    thread.join()
    counts = {int(t): int(n) for t, n in re.findall(r"second (\d+) (\d+)", output)}
    # whole seconds only, leaving out the first, the switch and the last
    alone = [n for t, n in counts.items() if started + 1 <= t and t + 1 <= switched]
    loaded = [n for t, n in counts.items() if switched + 1 <= t and t + 1 <= stop - 0.5]
    return statistics.mean(alone), statistics.mean(loaded)


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
        todo += [int(c) for c in children]
    return total / 1024


def _permutations(url: str, count: int = 1000, seed: int = 2) -> float:
    """Seconds for ``count`` requests of 1-4 random sectors in random order (8 clients)."""
    rng = random.Random(seed)
    sectors = list(code_codes("sector"))
    paths = []
    for _ in range(count):
        chosen = rng.sample(sectors, rng.randint(1, 4))
        paths.append(f"{ITEMS}?sector={','.join(chosen)}&limit=10")
    start = time.perf_counter()
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not paths:
                    return
                path = paths.pop()
            _fetch(url + path)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


# -- the servers ------------------------------------------------------------------------------
def _pg(schema: str | None = None) -> tuple[str, dict[str, str]]:
    """The test server's URL (password moved to a PGPASSFILE, as deployments do)."""
    parts = urllib.parse.urlsplit(PG_URL)
    url = PG_URL
    env = dict(os.environ)
    if parts.password:
        passfile = Path(tempfile.gettempdir()) / f"bench-pgpass-{os.getpid()}"
        host, port = parts.hostname or "127.0.0.1", parts.port or 5432
        user, db = parts.username or "", parts.path.lstrip("/")
        passfile.write_text(f"{host}:{port}:{db}:{user}:{parts.password}\n")
        passfile.chmod(0o600)
        env["PGPASSFILE"] = str(passfile)
        url = urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{host}:{port}"))
    if schema:
        url += f"?options=-csearch_path%3D{schema},public"
    return url, env


def _sql(statements: list[str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def pygeoapi_env() -> Path:
    """pygeoapi's own environment (created once, from PyPI)."""
    python = ENV / "bin" / "python"
    stamp = ENV / ".installed"
    if not stamp.exists() or stamp.read_text() != " ".join(PYGEOAPI_NEEDS):
        shutil.rmtree(ENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PYGEOAPI_NEEDS], check=True)
        stamp.write_text(" ".join(PYGEOAPI_NEEDS))
    return ENV


def published_table(schema: str) -> str:
    """A table of the published initiatives with our public columns, for pygeoapi."""
    columns = ", ".join(f'"{name}"' for name in public_fields() if name != "geometry")
    table = f"{schema}.pga_initiatives"
    _sql(
        [
            f"CREATE TABLE {table} AS SELECT {columns}, geom FROM {schema}.initiatives "
            "WHERE status = 'published' AND kind = 'iap' AND NOT deleted",
            f"ALTER TABLE {table} ADD PRIMARY KEY (id)",
            f"CREATE INDEX ON {table} USING GIST (geom)",
            f"ANALYZE {table}",
        ]
    )
    return "pga_initiatives"


def start_pygeoapi(schema: str, table: str, tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env_dir = pygeoapi_env()
    parts = urllib.parse.urlsplit(PG_URL)
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 10000},
            "map": {"url": "", "attribution": ""},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": "bench", "description": "bench", "keywords": [],
                               "keywords_type": "theme", "terms_of_service": "",
                               "url": "http://127.0.0.1"},
            "license": {"name": "CC-BY 4.0", "url": ""},
            "provider": {"name": "bench", "url": ""},
            "contact": {"name": "bench"},
        },
        "resources": {
            "initiatives": {
                "type": "collection",
                "title": "initiatives",
                "description": "the published initiatives",
                "keywords": [],
                "links": [],
                "extents": {"spatial": {"bbox": [-110, -56, -66, -17],
                                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": parts.hostname, "port": parts.port or 5432,
                            "dbname": parts.path.lstrip("/"), "user": parts.username,
                            "password": parts.password, "search_path": [schema, "public"],
                        },
                        "id_field": "id",
                        "table": table,
                        "geom_field": "geom",
                    }
                ],
            }
        },
    }  # fmt: skip
    config_path = tmp / "pygeoapi-config.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    openapi = tmp / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config_path), "PYGEOAPI_OPENAPI": str(openapi)}
    bin_dir = env_dir / "bin"
    subprocess.run(
        [str(bin_dir / "pygeoapi"), "openapi", "generate", str(config_path),
         "--output-file", str(openapi)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    log = (tmp / "pygeoapi.log").open("wb")
    return subprocess.Popen(
        [str(bin_dir / "gunicorn"), "pygeoapi.flask_app:APP", "-w", "2", "--threads", "4",
         "-k", "gthread", "-b", f"127.0.0.1:{port}", "--timeout", "600"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def start_ours(
    db: str, env: dict[str, str], tmp: Path, port: int, workers: int = 2
) -> subprocess.Popen[bytes]:
    log = (tmp / "api.log").open("wb")
    command = [sys.executable, "-m", "registry.cli", "--db", db, "serve-api", "--port",
               str(port), "--workers", str(workers), "--threads", "4"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(url: str, seconds: float, tmp: Path) -> dict[str, Any]:
    """One server's figures (it is up; its first /collections not asked yet)."""
    out: dict[str, Any] = {"first_collections_s": _timed(url + "/collections")}
    for _ in range(4):  # every worker reads what it needs
        _fetch(url + BIG)
    out["page_10k_s"] = sorted(_timed(url + BIG) for _ in range(3))[1]
    out["bbox_32"] = _wrk(url, bbox_paths(), 32, seconds, tmp)
    out["sector_bbox_32"] = _wrk(url, sector_paths(), 32, seconds, tmp)
    # how 8 keep-alive connections fall on the 2 workers varies from run to run: each run
    # compares the same connections without and with the pager; the median of 3 runs
    runs = [_paired(url, seconds, tmp) for _ in range(3)]
    kept = [b / a for a, b in runs]
    middle = runs[kept.index(statistics.median(kept))]
    out["alone_8"], out["with_pager_8"] = middle
    out["kept_range"] = (min(kept), max(kept))
    return out


def memory(db: str, env: dict[str, str], tmp: Path) -> dict[str, float]:
    """Our server as the issue measured it (one process, the default): its RSS before and
    after 1,000 requests of random sector permutations."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_ours(db, env, tmp, port, workers=1)
    try:
        wait_up(process, f"{url}/conformance", tmp / "api.log", timeout=300)
        _fetch(url + "/collections")
        before = _rss_mb(process.pid)
        took = _permutations(url)
        return {"rss_before": before, "rss_after": _rss_mb(process.pid), "permutations_s": took}
    finally:
        _stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    schema = f"bench_api_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        gpkg = tmp / "bench.gpkg"
        started = time.perf_counter()
        reg = build_registry(args.n, gpkg)
        _sql([f"CREATE SCHEMA {schema}"])
        try:
            from registry.api import Registry
            from registry.store.copy import copy_registry

            db, env = _pg(schema)
            if "PGPASSFILE" in env:  # for this process's own registry too
                os.environ["PGPASSFILE"] = env["PGPASSFILE"]
            copy_registry(reg.store, Registry(db).store)
            table = published_table(schema)
            print(f"{args.n:,} entries in PostGIS ({time.perf_counter() - started:.0f} s to "
                  f"build); {args.seconds:g} s per load; wrk on this machine")  # fmt: skip
            results = {}
            for name, start in (("ours", "ours"), ("pygeoapi", "pygeoapi")):
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                if start == "ours":
                    process = start_ours(db, env, tmp, port)
                    log = tmp / "api.log"
                else:
                    process = start_pygeoapi(schema, table, tmp, port)
                    log = tmp / "pygeoapi.log"
                try:
                    wait_up(process, f"{url}/conformance", log, timeout=300)
                    results[name] = measure(url, args.seconds, tmp)
                    results[name]["rss_all"] = _rss_mb(process.pid)
                finally:
                    _stop(process)
            results["ours"] |= memory(db, env, tmp)
            report(results)
        finally:
            _sql([f"DROP SCHEMA {schema} CASCADE"])
    return 0


def report(results: dict[str, dict[str, Any]]) -> None:
    ours, theirs = results["ours"], results["pygeoapi"]

    def row(what: str, a: str, b: str, ratio: str, target: str, met: bool) -> None:
        print(f"| {what} | {a} | {b} | {ratio} | {target} | {'met' if met else 'NOT met'} |")

    print("| measure | ours | pygeoapi-PG | ratio | target | |")
    print("|---|---|---|---|---|---|")
    for key, what in (("bbox_32", "bbox pages, 32 connections"),
                      ("sector_bbox_32", "sector + bbox pages, 32 connections")):  # fmt: skip
        ratio = ours[key] / theirs[key]
        row(what, f"{ours[key]:.0f} req/s", f"{theirs[key]:.0f} req/s", f"{ratio:.2f}x",
            ">= 2x", ratio >= 2)  # fmt: skip
    kept_ours = ours["with_pager_8"] / ours["alone_8"]
    kept_theirs = theirs["with_pager_8"] / theirs["alone_8"]
    for who, got in (("ours", ours), ("pygeoapi", theirs)):
        low, high = got["kept_range"]
        print(f"<!-- {who}: kept {low:.0%} to {high:.0%} in the 3 runs -->")
    row("8 connections with a `limit=10000` pager, kept of their rate alone",
        f"{kept_ours:.0%} ({ours['with_pager_8']:.0f} of {ours['alone_8']:.0f} req/s)",
        f"{kept_theirs:.0%} ({theirs['with_pager_8']:.0f} of {theirs['alone_8']:.0f} req/s)",
        "", ">= 80 %", kept_ours >= 0.8)  # fmt: skip
    row("server RSS (one process) after 1,000 random sector permutations",
        f"{ours['rss_after']:.0f} MB (from {ours['rss_before']:.0f}; "
        f"{ours['permutations_s']:.1f} s)", "", "", "<= 600 MB", ours["rss_after"] <= 600)  # fmt: skip
    row("first `/collections` after start", f"{ours['first_collections_s'] * 1000:.0f} ms",
        f"{theirs['first_collections_s'] * 1000:.0f} ms", "", "<= 50 ms",
        ours["first_collections_s"] <= 0.05)  # fmt: skip
    ratio = ours["page_10k_s"] / theirs["page_10k_s"]
    row("one `limit=10000` page (median of 3)", f"{ours['page_10k_s']:.2f} s",
        f"{theirs['page_10k_s']:.2f} s", f"{ratio:.2f}x", "<= pygeoapi-PG", ratio <= 1)  # fmt: skip
    print(
        f"\nRSS of all processes after the load: ours (2 workers and their parent) "
        f"{ours['rss_all']:.0f} MB, pygeoapi (gunicorn, 2 workers) {theirs['rss_all']:.0f} MB"
    )


if __name__ == "__main__":
    raise SystemExit(main())
