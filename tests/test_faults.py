"""Faults: an import killed with SIGKILL at random moments leaves the registry exactly as it
was (or, killed after its commit, holding the whole import); the file stays a consistent
GeoPackage with its spatial index."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from bench.generate import write_csv
from registry.api import Registry

KILLS = int(os.environ.get("IAP_RELIABILITY_KILLS", "20"))
ROWS = 3_000  # a bulk import (above BULK_ROWS) of about a second here


def _state(db: Path) -> tuple[int, int, int, str, str]:
    with closing(sqlite3.connect(db)) as conn:
        entries = conn.execute("SELECT count(*) FROM initiatives").fetchone()[0]
        history = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        rtree = conn.execute("SELECT count(*) FROM rtree_initiatives_geom").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rtree_ok = conn.execute("SELECT rtreecheck('rtree_initiatives_geom')").fetchone()[0]
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_%'"
        ).fetchone()[0]
        with_geom = conn.execute(
            "SELECT count(*) FROM initiatives WHERE geom IS NOT NULL"
        ).fetchone()[0]
    assert (integrity, rtree_ok) == ("ok", "ok")
    assert rtree == with_geom and triggers == 6  # GDAL's six R-tree triggers, all there
    return entries, history, rtree, integrity, rtree_ok


def _fresh(template: Path, db: Path) -> None:
    """A copy of ``template`` in WAL mode, as registries are in use."""
    for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")):
        leftover.unlink(missing_ok=True)
    shutil.copy(template, db)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")


def _writing(db: Path) -> bool:
    """Whether another connection holds the registry's write lock right now."""
    with closing(sqlite3.connect(db, timeout=0, isolation_level=None)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        conn.execute("ROLLBACK")
        return False


def _import(db: Path, rows: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "--db", str(db), "import", str(rows)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_imports_killed_at_random_moments_lose_nothing(
    _seeded_template: Path, tmp_path: Path
) -> None:
    rows = write_csv(ROWS, tmp_path / "rows.csv", seed=4)
    db = tmp_path / "registry.gpkg"
    _fresh(_seeded_template, db)
    before = _state(db)
    # how long a whole import takes here, from process start to exit
    probe = tmp_path / "probe.gpkg"
    _fresh(_seeded_template, probe)
    start = time.monotonic()
    assert _import(probe, rows).wait(120) == 0
    whole = time.monotonic() - start
    after_whole = _state(probe)
    assert after_whole[0] == before[0] + ROWS
    rng = random.Random(7)
    outcomes = {"unchanged": 0, "completed": 0}
    mid_write = 0
    for k in range(KILLS):
        process = _import(db, rows)
        # half the kills anywhere in the run, half in its last third, where it writes
        low = 0.05 if k % 2 == 0 else whole * 0.67
        time.sleep(rng.uniform(low, whole * 1.05))
        wrote = _writing(db)  # the import holds the write lock: it is inside its transaction
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        state = _state(db)
        if state == before:
            outcomes["unchanged"] += 1
            mid_write += wrote
        else:  # killed after its commit: the whole import is there, nothing half
            assert state == after_whole
            outcomes["completed"] += 1
            _fresh(_seeded_template, db)  # start again from the same registry
    assert sum(outcomes.values()) == KILLS
    assert outcomes["unchanged"] >= KILLS // 2, outcomes  # most kills landed mid-import
    assert mid_write >= 1, "no kill landed inside the write transaction"
    assert Registry(str(db)).list() is not None  # still opens as a registry
    print(
        f"\nSIGKILL during import: {outcomes['unchanged']} left the registry as it was "
        f"({mid_write} of them killed inside the write transaction), "
        f"{outcomes['completed']} after the commit with the whole import; integrity_check "
        f"and rtreecheck ok after each (a whole import takes {whole:.1f} s)"
    )
