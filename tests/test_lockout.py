"""Lock-out under parallel attempts (issue 16, F3): 40 wrong passwords sent at once lock the
account after 5, on a GeoPackage file and on PostGIS; the right password is then refused
from that source too. Threads in one process and separate processes (as the app's sessions
and several app servers would) both count."""

from __future__ import annotations

import multiprocessing as mp
import threading
from pathlib import Path

import pytest

from registry.api import Registry
from registry.auth import MAX_FAILED_LOGINS
from registry.errors import NotAllowed
from registry.i18n import tr
from tests.conftest import add_users

PASSWORD = "contraseña segura"
SOURCE = "203.0.113.7"
PARALLEL = 40


def _registry(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Registry]:
    db = (
        str(tmp_path / "r.gpkg") if backend == "gpkg" else request.getfixturevalue("postgis_schema")
    )
    reg = Registry(db)
    reg.init()
    add_users(reg, [("root", "admin"), ("ana", "coordinator")], PASSWORD)
    return db, reg


def _answers(attempts: list[str]) -> tuple[int, int]:
    wrong = attempts.count(tr("login_failed", lang="es"))
    locked = sum(1 for a in attempts if a.startswith("cuenta bloqueada"))
    return wrong, locked


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_forty_parallel_wrong_passwords_lock_after_five(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, reg = _registry(backend, tmp_path, request)
    start = threading.Barrier(PARALLEL)
    attempts: list[str] = []

    def attempt() -> None:
        mine = Registry(db)  # one handle per session, as the app's sessions share none
        start.wait()
        try:
            mine.login("ana", "not the password", source=SOURCE)
            attempts.append("logged in")
        except NotAllowed as exc:
            attempts.append(exc.user_msg)

    threads = [threading.Thread(target=attempt) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(attempts) == PARALLEL
    wrong, locked = _answers(attempts)
    # exactly five passwords were checked: four told "wrong", the fifth and every later one
    # "locked"; nothing logged in
    assert (wrong, locked) == (MAX_FAILED_LOGINS - 1, PARALLEL - MAX_FAILED_LOGINS + 1)
    with pytest.raises(NotAllowed) as err:
        reg.login("ana", PASSWORD, source=SOURCE)
    assert err.value.user_msg.startswith("cuenta bloqueada")
    assert reg.login("ana", PASSWORD, source="198.51.100.1").username == "ana"
    print(
        f"lockout ({backend}, {PARALLEL} threads): {wrong} wrong, {locked} locked, "
        "0 logged in; the right password then refused from that address, accepted from another"
    )


def _process_attempts(db: str, n: int, out: str) -> None:
    reg = Registry(db)
    seen = []
    for _ in range(n):
        try:
            reg.login("root", "not the password", source=SOURCE)
            seen.append("logged in")
        except NotAllowed as exc:
            seen.append(exc.user_msg)
    Path(out).write_text("\n".join(seen), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_parallel_processes_share_one_counter(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, reg = _registry(backend, tmp_path, request)
    ctx = mp.get_context("spawn")
    outs = [str(tmp_path / f"p{i}.txt") for i in range(4)]
    procs = [ctx.Process(target=_process_attempts, args=(db, 10, o)) for o in outs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
        assert p.exitcode == 0
    attempts = [line for o in outs for line in Path(o).read_text(encoding="utf-8").splitlines()]
    assert len(attempts) == 40
    assert _answers(attempts) == (MAX_FAILED_LOGINS - 1, 40 - MAX_FAILED_LOGINS + 1)
    with pytest.raises(NotAllowed):
        reg.login("root", PASSWORD, source=SOURCE)
    wrong, locked = _answers(attempts)
    print(f"lockout ({backend}, 4 processes x 10): {wrong} wrong, {locked} locked, 0 logged in")


def test_a_success_clears_the_count_and_an_admin_unlock_lifts_a_lock(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _, reg = _registry("gpkg", tmp_path, request)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAllowed):
            reg.login("ana", "nope nope nope", source=SOURCE)
    reg.login("ana", PASSWORD, source=SOURCE)  # the fifth attempt succeeds: count cleared
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAllowed):
            reg.login("ana", "nope nope nope", source=SOURCE)
    assert reg.login("ana", PASSWORD, source=SOURCE).username == "ana"
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(NotAllowed):
            reg.login("ana", "nope nope nope", source=SOURCE)
    assert {u["username"]: u["locked"] for u in reg.list_users()}["ana"] is True
    reg.update_user("ana", reg.actor("root"), unlock=True)
    assert reg.login("ana", PASSWORD, source=SOURCE).username == "ana"
