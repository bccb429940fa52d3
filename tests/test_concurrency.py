"""Six processes update the same records at once: no lost update, stale writes refused, on a
GeoPackage file and on PostGIS."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from registry.api import Registry
from registry.errors import Conflict
from tests.conftest import ADMIN, iap_values, require_tool

PROCESSES, ATTEMPTS = 6, 40


def _worker(db: str, ids: list[str], worker: int, out: str) -> None:
    reg = Registry(db)
    accepted, refused = [], 0
    for i in range(ATTEMPTS):
        record_id = ids[i % len(ids)]
        current = reg.get(record_id)
        value = worker * 1000 + i
        try:
            done = reg.update(record_id, {"n_firms": value}, current["version"], ADMIN)
            accepted.append([record_id, done["version"], value])
        except Conflict:
            refused += 1
    Path(out).write_text(json.dumps({"accepted": accepted, "refused": refused}))


def _hot_registry(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, records: int
) -> tuple[str, Registry, list[str]]:
    """A registry on ``backend`` with ``records`` hot entries; returns its location too."""
    if backend == "gpkg":
        db = str(tmp_path / "registry.gpkg")
    else:
        db = request.getfixturevalue("postgis_schema")
    reg = Registry(db)
    reg.init()
    ids = [reg.create(iap_values(name=f"caliente {k}"), ADMIN)["id"] for k in range(records)]
    return db, reg, ids


def _no_lost_update(reg: Registry, ids: list[str], accepted: list[list]) -> None:
    """Every accepted update is in the history once, in version order, with its value; the
    final state is the last accepted write."""
    for record_id in ids:
        mine = sorted((v, value) for rid, v, value in accepted if rid == record_id)
        history = reg.history(record_id)
        updates = [
            (h["version"], h["after"]["n_firms"]) for h in history if h["operation"] == "update"
        ]
        assert updates == mine
        versions = [h["version"] for h in history]
        assert versions == list(range(1, len(versions) + 1))
        final = reg.get(record_id)
        assert (final["version"], final["n_firms"]) == mine[-1]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_six_writers_lose_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, reg, ids = _hot_registry(backend, tmp_path, request, 2)
    ctx = mp.get_context("spawn")
    outs = [str(tmp_path / f"w{w}.json") for w in range(PROCESSES)]
    procs = [ctx.Process(target=_worker, args=(db, ids, w, outs[w])) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    results = [json.loads(Path(o).read_text()) for o in outs]
    accepted = [a for r in results for a in r["accepted"]]
    refused = sum(r["refused"] for r in results)
    assert len(accepted) + refused == PROCESSES * ATTEMPTS
    assert refused > 0, "the writers never collided: the test did not exercise conflicts"
    _no_lost_update(reg, ids, accepted)
    if backend == "postgis":
        assert len(reg.list()) == 2
        return
    with closing(sqlite3.connect(db)) as conn, conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM rtree_initiatives_geom").fetchone()[0] == 2
    ogrinfo = require_tool("ogrinfo")
    result = subprocess.run(
        [ogrinfo, "-ro", "-so", db, "initiatives"], capture_output=True, text=True, check=True
    )
    assert "Feature Count: 2" in result.stdout
    assert "Warning" not in result.stderr and "ERROR" not in result.stderr
    check = subprocess.run(
        [ogrinfo, "-ro", "-q", db, "-sql", "SELECT HasSpatialIndex('initiatives', 'geom')"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "= 1" in check.stdout


WRITERS = 8
UPDATES = int(os.environ.get("IAP_RELIABILITY_UPDATES", "200"))


def _load_writer(db: str, ids: list[str], worker: int, out: str) -> None:
    """``UPDATES`` updates on the hot records; anything but a conflict is an error."""
    reg = Registry(db)
    accepted, refused, errors = [], 0, []
    for i in range(UPDATES):
        record_id = ids[(worker + i) % len(ids)]
        try:
            current = reg.get(record_id)
            value = worker * 10_000 + i
            done = reg.update(record_id, {"n_firms": value}, current["version"], ADMIN)
            accepted.append([record_id, done["version"], value])
        except Conflict:
            refused += 1
        except Exception as exc:  # e.g. "database is locked": must never reach a user
            errors.append(f"{type(exc).__name__}: {exc}")
    Path(out).write_text(json.dumps({"accepted": accepted, "refused": refused, "errors": errors}))


def _load_reader(db: str, folder: str, stop: str, out: str) -> None:
    """Lists and exports until the writers are done."""
    reg = Registry(db)
    reads, errors = 0, []
    while not Path(stop).exists():
        try:
            reg.list()
            reg.export(Path(folder) / f"view-{os.getpid()}.geojson", dictionary=False)
            reads += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    Path(out).write_text(json.dumps({"reads": reads, "errors": errors}))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_eight_writers_and_readers_under_load(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, reg, ids = _hot_registry(backend, tmp_path, request, 3)
    ctx = mp.get_context("spawn")
    stop = str(tmp_path / "stop")
    writers = [
        ctx.Process(target=_load_writer, args=(db, ids, w, str(tmp_path / f"w{w}.json")))
        for w in range(WRITERS)
    ]
    readers = [
        ctx.Process(
            target=_load_reader, args=(db, str(tmp_path), stop, str(tmp_path / f"r{r}.json"))
        )
        for r in range(2)
    ]
    for p in (*writers, *readers):
        p.start()
    for p in writers:
        p.join(timeout=600)
        assert p.exitcode == 0
    Path(stop).touch()
    for p in readers:
        p.join(timeout=120)
        assert p.exitcode == 0
    written = [json.loads((tmp_path / f"w{w}.json").read_text()) for w in range(WRITERS)]
    read = [json.loads((tmp_path / f"r{r}.json").read_text()) for r in range(2)]
    assert [e for r in (*written, *read) for e in r["errors"]] == []
    accepted = [a for r in written for a in r["accepted"]]
    refused = sum(r["refused"] for r in written)
    assert len(accepted) + refused == WRITERS * UPDATES
    assert refused > 0 and all(r["reads"] > 0 for r in read)
    _no_lost_update(reg, ids, accepted)
    print(
        f"\nload ({backend}): {WRITERS} writers x {UPDATES} updates on {len(ids)} records: "
        f"{len(accepted)} accepted, {refused} refused as conflicts, 0 errors; "
        f"{sum(r['reads'] for r in read)} list+export rounds by 2 readers"
    )
