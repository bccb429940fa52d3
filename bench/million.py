"""The GeoPackage store at a million entries (issue 22): the figures that matter at that size,
with the issue's targets.

The registry is built as users would grow it: ``--parts`` imports of N / parts synthetic
rows each (``bench.generate``), each import timed. Then, each the median of ``--runs``:
a filtered list (the most frequent sector in the second region by entries), that region's
map payload (what the browser is sent), the export of every entry as GeoJSON against
``ogr2ogr`` on the same entries (interleaved), an update with its history row, and the
statistics of every entry.

Run: ``.venv/bin/python -m bench.million [--n 1000000] [--parts 5] [--runs 3]`` (about 15
minutes on a 2-core machine; ``make bench`` runs it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import ADMIN, write_csv
from bench.run import export_vs_ogr2ogr, map_bytes, timed
from registry.api import Registry
from registry.auth import VISITOR
from registry.store import Filters

TARGETS = {  # issue 22, at 1,000,000 entries
    "list_filtered": ("<= 0.5 s", lambda r: r["median"] <= 0.5),
    "map_region": ("<= 1 s", lambda r: r["median"] <= 1.0),
    "export_geojson": ("<= 1.0x ogr2ogr", lambda r: r["ratio"] <= 1.0),
}


def build(n: int, parts: int, path: Path) -> tuple[Registry, list[float]]:
    """A registry of ``n`` entries made by ``parts`` imports; and each import's seconds."""
    reg = Registry(str(path))
    reg.init()
    seconds = []
    for part in range(parts):
        rows = write_csv(n // parts, path.with_name(f"part{part}.csv"), seed=100 + part)
        started = time.perf_counter()
        report = reg.import_file(rows, ADMIN)
        seconds.append(time.perf_counter() - started)
        assert report.created == n // parts, report
        rows.unlink()
    return reg, seconds


def measure(reg: Registry, runs: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    frame = reg.list(None, viewer=None, columns=["id", "region_code", "sector", "version"])
    region = frame["region_code"].value_counts().index[1]
    sector = frame.loc[frame["region_code"] == region, "sector"].value_counts().index[0]
    typical = Filters(sector=(sector,), region=(region,))
    out["list_filtered"], hits = timed(lambda: reg.list(typical, viewer=VISITOR), runs)
    out["list_filtered"]["rows"] = len(hits)
    places = {f"region:{k}": v for k, v in reg.region_names().items()}
    places.update({f"comuna:{k}": v for k, v in reg.comuna_names().items()})
    out["map_region"], (size, payload) = timed(
        lambda: map_bytes(reg, Filters(region=(region,)), places), runs
    )
    out["map_region"] |= {"bytes": size, "entries": payload.total}
    out["export_geojson"] = export_vs_ogr2ogr(reg, runs)
    ids = list(frame["id"][:20])
    versions = dict(zip(frame["id"], frame["version"], strict=True))
    times = []
    for i, rid in enumerate(ids):
        started = time.perf_counter()
        reg.update(rid, {"n_firms": 1000 + i}, int(versions[rid]), ADMIN)
        times.append(time.perf_counter() - started)
    out["update_with_history"] = {"median": statistics.median(times), "runs": len(times)}
    out["stats"], _ = timed(lambda: reg.stats(None), runs)
    return out


def report(n: int, parts: int, imports: list[float], results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"GeoPackage, N = {n:,} built by {parts} imports of {n // parts:,} rows: "
        + ", ".join(f"{s:.0f} s" for s in imports),
        f"{'operation':<22} {'median':>9}  {'detail':<34} target",
    ]
    for name, r in results.items():
        detail = ""
        if "ratio" in r:
            detail = f"ogr2ogr {r['reference_ogr2ogr']:.2f} s, ratio {r['ratio']:.2f}x"
        elif "rows" in r:
            detail = f"{r['rows']:,} rows"
        elif "entries" in r:
            detail = f"{r['entries']:,} entries, {r['bytes'] / 1e6:.1f} MB"
        target = ""
        if name in TARGETS:
            text, met = TARGETS[name]
            target = f"{text} {'met' if met(r) else 'NOT met'}"
        lines.append(f"{name:<22} {r['median']:>8.3f}s  {detail:<34} {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        reg, imports = build(args.n, args.parts, Path(tmp) / "million.gpkg")
        results = measure(reg, args.runs)
    print(report(args.n, args.parts, imports, results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
