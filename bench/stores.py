"""The two stores side by side (issue 22): the same N synthetic entries in a GeoPackage
file and in a schema of the PostGIS test server, each operation run on both in turn.

First it imports the same N-row CSV into an empty store of each kind (``--runs`` times), then
for each operation it prints the median wall time on each store and their ratio, and the
median CPU time: this process's own plus, on PostGIS, the server's (every ``postgres``
process of the machine, read from ``/proc``, so run it with no other PostgreSQL work). The
PostGIS/GPKG CPU ratio is what issue 22's targets name.

Run: ``.venv/bin/python -m bench.stores [--n 100000] [--runs 3]`` (``make bench`` runs it;
``scripts/postgis-test-server`` must be up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.api import PG_URL, _pg, _sql
from bench.generate import ADMIN, build_registry, write_csv
from bench.run import map_bytes
from registry.api import Registry
from registry.store import Filters

_TICKS = os.sysconf("SC_CLK_TCK")
TARGET = 1.5  # issue 22: PostGIS/GPKG CPU at 100k for these four
TARGETED = ("list_unfiltered", "map_national", "stats", "export_geojson")


def postgres_cpu() -> float:
    """CPU seconds used so far by every live ``postgres`` process (user + system)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if name != "postgres":
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def measure(fn: Callable[[], Any], server: bool) -> tuple[float, float]:
    """Wall and CPU seconds of one call of ``fn`` (CPU: ours, plus the server's)."""
    cpu0, srv0, wall0 = time.process_time(), postgres_cpu() if server else 0.0, time.perf_counter()
    fn()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0 + ((postgres_cpu() - srv0) if server else 0.0)
    return wall, cpu


def operations(reg: Registry, folder: Path, name: str) -> dict[str, Callable[[], Any]]:
    """The operations compared, on ``reg``."""
    frame = reg.list(None, viewer=None, columns=["id", "sector", "region_code", "version"])
    sector = frame["sector"].value_counts().index[0]
    region = frame["region_code"].value_counts().index[1]
    places = {f"region:{k}": v for k, v in reg.region_names().items()}
    places.update({f"comuna:{k}": v for k, v in reg.comuna_names().items()})
    ids = list(frame["id"][:50])
    versions = dict(zip(frame["id"], frame["version"], strict=True))
    turn = iter(range(10**9))

    def update() -> None:
        i = next(turn) % len(ids)
        saved = reg.update(ids[i], {"n_firms": 1000 + i}, int(versions[ids[i]]), ADMIN)
        versions[ids[i]] = saved["version"]

    def export() -> None:
        target = folder / f"{name}.geojson"
        target.unlink(missing_ok=True)
        reg.export(target, "geojson", None, dictionary=False)

    return {
        "list_unfiltered": lambda: reg.list(None, viewer=None),
        "list_filtered": lambda: reg.list(Filters(sector=(sector,), region=(region,)), viewer=None),
        "map_national": lambda: map_bytes(reg, None, places),
        "map_region": lambda: map_bytes(reg, Filters(region=(region,)), places),
        "stats": lambda: reg.stats(None),
        "export_geojson": export,
        "update": update,
    }


def _tables(schema: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalars()
        out = [str(n) for n in names]
    engine.dispose()
    return out


def _sql_autocommit(statements: list[str]) -> None:
    """Run ``statements`` outside a transaction (``VACUUM`` refuses to run in one)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


IMPORT_TARGET = 15.0  # issue 22: seconds to import 100,000 rows, on each store


def _pg_registry(schema: str) -> Registry:
    """A registry in ``schema`` of the test server (its password in a PGPASSFILE)."""
    db, env = _pg(schema)
    if "PGPASSFILE" in env:
        os.environ["PGPASSFILE"] = env["PGPASSFILE"]
    return Registry(db)


def _medians(samples: dict[str, list[tuple[float, float]]]) -> dict[str, float]:
    """Median wall and CPU seconds of each store's (wall, CPU) samples."""
    row: dict[str, float] = {}
    for store, values in samples.items():
        row[f"{store}_wall"] = statistics.median(v[0] for v in values)
        row[f"{store}_cpu"] = statistics.median(v[1] for v in values)
    return row


def bench_import(n: int, runs: int, folder: Path, schema: str) -> dict[str, float]:
    """Import the same ``n``-row CSV into an empty GeoPackage and an empty PostGIS schema
    (``Registry.import_file``, the path users take), ``runs`` times each, interleaved:
    median wall and CPU seconds."""
    csv_path = write_csv(n, folder / "import.csv", seed=11)
    samples: dict[str, list[tuple[float, float]]] = {"gpkg": [], "pg": []}
    for i in range(runs):
        gpkg = Registry(str(folder / f"import{i}.gpkg"))
        gpkg.init()
        samples["gpkg"].append(measure(partial(gpkg.import_file, csv_path, ADMIN), False))
        assert len(gpkg.list(None, viewer=None, columns=["id"], geometry=False)) == n
        (folder / f"import{i}.gpkg").unlink()
        target = f"{schema}_import{i}"
        _sql([f"CREATE SCHEMA {target}"])
        try:
            pg = _pg_registry(target)
            pg.init()
            samples["pg"].append(measure(partial(pg.import_file, csv_path, ADMIN), True))
        finally:
            _sql([f"DROP SCHEMA {target} CASCADE"])
    return _medians(samples)


def run(n: int, runs: int) -> dict[str, dict[str, float]]:
    """Build both stores at ``n`` entries and compare every operation ``runs`` times."""
    schema = f"bench_stores_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gpkg = build_registry(n, folder / "bench.gpkg")
        _sql([f"CREATE SCHEMA {schema}"])
        try:
            from registry.store.copy import copy_registry

            pg = _pg_registry(schema)
            copy_registry(gpkg.store, pg.store)
            # as a running database would be: statistics gathered and the new rows' hint bits
            # set, so no autovacuum runs during the measures (its CPU would be counted)
            _sql_autocommit([f"VACUUM ANALYZE {schema}.{t}" for t in _tables(schema)])
            ops = {"gpkg": operations(gpkg, folder, "gpkg"), "pg": operations(pg, folder, "pg")}
            out: dict[str, dict[str, float]] = {"import": bench_import(n, runs, folder, schema)}
            for op in ops["gpkg"]:
                samples: dict[str, list[tuple[float, float]]] = {"gpkg": [], "pg": []}
                for store in ("gpkg", "pg"):  # once each, not timed: caches as in use
                    ops[store][op]()
                for _ in range(runs):  # interleaved, so both see the same machine
                    for store in ("gpkg", "pg"):
                        samples[store].append(measure(ops[store][op], store == "pg"))
                out[op] = _medians(samples)
        finally:
            _sql([f"DROP SCHEMA {schema} CASCADE"])
    return out


def report(n: int, runs: int, results: dict[str, dict[str, float]]) -> str:
    lines = [
        f"N = {n:,}, median of {runs} interleaved runs; CPU = this process + PostgreSQL's",
        f"{'operation':<16} {'GPKG wall':>10} {'PG wall':>9} {'GPKG CPU':>9} {'PG CPU':>8} "
        f"{'PG/GPKG CPU':>12}  target",
    ]
    for op, r in results.items():
        ratio = r["pg_cpu"] / r["gpkg_cpu"] if r["gpkg_cpu"] else float("nan")
        target = ""
        if op in TARGETED:
            target = f"<= {TARGET}x {'met' if ratio <= TARGET else 'NOT met'}"
        if op == "import":
            worst = max(r["gpkg_wall"], r["pg_wall"])
            target = f"wall <= {IMPORT_TARGET:.0f} s each {'met' if worst <= IMPORT_TARGET else 'NOT met'}"
        lines.append(
            f"{op:<16} {r['gpkg_wall']:>9.3f}s {r['pg_wall']:>8.3f}s {r['gpkg_cpu']:>8.3f}s "
            f"{r['pg_cpu']:>7.3f}s {ratio:>11.2f}x  {target}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = run(args.n, args.runs)
    print(report(args.n, args.runs, results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
