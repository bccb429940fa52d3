"""Faults: an import killed with SIGKILL at random moments leaves the registry exactly as it
was (or, killed after its commit, holding the whole import); a full disk refuses the write
with a message; backups taken while writers run are consistent registries. The file stays
a consistent GeoPackage with its spatial index throughout."""

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
from registry.cli import main
from registry.errors import Conflict
from tests.conftest import ADMIN

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
    # how long a whole import takes here, from process start to exit: the faster of two
    # (the first process also fills the caches the later ones read, and takes longer)
    probe = tmp_path / "probe.gpkg"
    times = []
    for _ in range(2):
        _fresh(_seeded_template, probe)
        start = time.monotonic()
        assert _import(probe, rows).wait(120) == 0
        times.append(time.monotonic() - start)
    whole = min(times)
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


_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
from registry.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_full_disk_gives_a_clear_error_and_no_corruption(
    _seeded_template: Path, tmp_path: Path
) -> None:
    """No file may grow past a limit (as on a full disk): the import is refused with a
    message, and the registry is as it was."""
    rows = write_csv(ROWS, tmp_path / "rows.csv", seed=5)
    db = tmp_path / "registry.gpkg"
    _fresh(_seeded_template, db)
    before = _state(db)
    limit = db.stat().st_size + 100_000
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED.format(limit=limit), "--db", str(db), "import", str(rows)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "no se puede escribir en el archivo del registro" in result.stderr
    assert "Traceback" not in result.stderr
    assert _state(db) == before
    message = result.stderr.strip().splitlines()[-1]
    print(f"\nfull disk: the import was refused ({message}); the registry is as it was")


def _writer(db: str, stop: str) -> None:
    reg = Registry(db)
    ids = list(reg.list()["id"][:20])
    i = 0
    while not Path(stop).exists():
        rid = ids[i % len(ids)]
        try:
            current = reg.get(rid)
            reg.update(rid, {"n_firms": i}, current["version"], ADMIN)
        except Conflict:
            pass
        i += 1


@pytest.mark.slow
def test_backups_taken_while_writers_run_are_consistent(
    _seeded_template: Path, tmp_path: Path
) -> None:
    import multiprocessing as mp

    db = tmp_path / "registry.gpkg"
    _fresh(_seeded_template, db)
    stop = tmp_path / "stop"
    ctx = mp.get_context("spawn")
    writers = [ctx.Process(target=_writer, args=(str(db), str(stop))) for _ in range(3)]
    for p in writers:
        p.start()
    live = Registry(str(db))
    start = live.data_version()
    deadline = time.monotonic() + 120
    while live.data_version() < start + 20:  # the writers are under way
        assert time.monotonic() < deadline, "the writers did not start"
        time.sleep(0.2)
    copies = []
    for k in range(5):
        dest = tmp_path / f"backup{k}.gpkg"
        assert main(["--db", str(db), "backup", str(dest)]) == 0
        copies.append(dest)
        time.sleep(0.3)
    stop.touch()
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    versions_seen = set()
    for copy in copies:
        assert not Path(f"{copy}-wal").exists()  # one self-contained file
        _state(copy)  # integrity_check, rtreecheck, triggers
        restored = Registry(str(copy))
        frame = restored.list(include_deleted=True)
        assert len(frame) == before_count(_seeded_template)
        for rid, version in zip(frame["id"], frame["version"], strict=True):
            history = restored.history(rid)  # each entry matches its history, in one snapshot
            assert [h["version"] for h in history] == list(range(1, int(version) + 1))
        versions_seen.add(int(frame["version"].sum()))
        # the backup works as a registry
        first = frame.iloc[0]
        restored.update(first["id"], {"notes": "restaurado"}, int(first["version"]), ADMIN)
    assert len(versions_seen) > 1, "the backups did not see the writers at work"
    print(
        f"\nbackups while writing: {len(copies)} backups during 3 writers' updates, "
        f"{len(versions_seen)} different states, each consistent (integrity, R-tree, every "
        "entry's versions in its history) and usable as a registry"
    )


def before_count(template: Path) -> int:
    return len(Registry(str(template)).list(include_deleted=True))


def _read_only(folder: Path, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run ``commands`` with ``folder`` mounted read-only (a private mount namespace: as
    root, file permissions alone would not stop a write)."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is required"
    results = []
    for command in commands:
        script = (
            f'mount --bind "{folder}" "{folder}" && '
            f'mount -o remount,ro,bind "{folder}" && exec "$@"'
        )
        results.append(
            subprocess.run(
                [unshare, "-m", "sh", "-c", script, "sh", *command],
                capture_output=True,
                text=True,
                timeout=120,
            )
        )
    return results


@pytest.mark.slow
def test_a_read_only_registry_reads_refuses_writes_clearly_and_is_untouched(
    _seeded_template: Path, tmp_path: Path
) -> None:
    import hashlib

    cli = [sys.executable, "-m", "registry.cli", "--db"]
    # a backup (one self-contained file) on a read-only disk: it reads; a write is refused
    folder = tmp_path / "media"
    folder.mkdir()
    copy = folder / "registry.gpkg"
    shutil.copy(_seeded_template, copy)
    entry = Registry(str(copy)).list().iloc[0]
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    listed, updated = _read_only(
        folder,
        [*cli, str(copy), "show", str(entry["id"])],
        [*cli, str(copy), "update", str(entry["id"]), "--set", "notes=x"]
        + ["--expected-version", str(entry["version"])],
    )
    assert listed.returncode == 0 and entry["name"] in listed.stdout, listed.stderr
    assert updated.returncode == 1
    assert "no se puede escribir en el archivo del registro" in updated.stderr
    assert "Traceback" not in updated.stderr
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest
    # a live registry (WAL) on a read-only disk cannot be opened at all: said so, not
    # "not a registry, run init"
    live = folder / "live.gpkg"
    _fresh(_seeded_template, live)
    (opened,) = _read_only(folder, [*cli, str(live), "list"])
    assert opened.returncode != 0
    assert "no se puede abrir el registro" in opened.stderr and "iap-registry backup" in (
        opened.stderr
    )
    assert "init" not in opened.stderr and "Traceback" not in opened.stderr
    print(
        "\nread-only disk: a backup file reads and refuses a write with a message, byte for "
        "byte unchanged; a live (WAL) file is reported as not openable"
    )
