"""Start-up of the ``iap-registry`` command: ``--help``, and ``list --region 05`` on the
bundled data (a new process each time, as a user's shell starts it).

Each figure is the median of ``RUNS`` runs after one unmeasured run (which writes Python's
bytecode caches and the boundary names' cache, as a first use does). Bytecode is written
even where ``PYTHONDONTWRITEBYTECODE`` is set (some CI images set it), so the figure is the
one an installed command shows.

Run: ``.venv/bin/python -m bench.cli [RUNS]`` (default 11). Target (issue 22): <= 1 s each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = str(Path(sys.executable).with_name("iap-registry"))


def timed(args: list[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median, min and max wall seconds of ``iap-registry ARGS`` over ``runs`` runs."""
    subprocess.run([COMMAND, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([COMMAND, *args], env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def main(runs: int = 11) -> dict[str, dict[str, float]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="iap-bench-cli-") as folder:
        db = str(Path(folder) / "registry.gpkg")
        subprocess.run(
            [COMMAND, "--db", db, "seed"], env=env, stdout=subprocess.DEVNULL, check=True
        )
        listed = subprocess.run(
            [COMMAND, "--db", db, "list", "--region", "05", "--format", "csv"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        n = len(listed.stdout.splitlines()) - 1
        results = {
            "help": timed(["--help"], runs, env),
            "list_region_05": timed(["--db", db, "list", "--region", "05"], runs, env),
        }
    print(f"iap-registry start-up, {runs} runs each (median, min-max), target <= 1 s")
    for key, label in (("help", "--help"), ("list_region_05", f"list --region 05 ({n} entries)")):
        r = results[key]
        met = "met" if r["median"] <= 1.0 else "NOT met"
        print(f"  {label:34s} {r['median']:.3f} s ({r['min']:.3f}-{r['max']:.3f})  {met}")
    return results


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
