"""The security review's findings (issue 16), one test or more each, on real registries.

Each test names its finding (F1..F21). The lock-out race has its own module
(``test_lockout.py``), the import bombs theirs (``test_import_bombs.py``), the browser
session test lives in ``tests/e2e/test_sessions.py`` and the app's pages in
``test_app_security.py``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import stat
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from registry.api import Registry
from registry.auth import VISITOR, Actor
from registry.cli import main
from registry.errors import Conflict, NotAllowed, UsageError, ValidationFailed
from registry.io.formats import neutralise_formulas
from tests.conftest import ADMIN, add_users, iap_values

PASSWORD = "contraseña segura"
SECRETS = ("Contacto Reservado", "reservado@example.org", "Motivo reservado del rechazo")


@pytest.fixture
def reg(registry: Registry) -> Registry:
    """Users: root (admin), maria (manager), ana (owner), bob (ana's editor), carl."""
    return add_users(
        registry,
        [
            ("root", "admin"),
            ("maria", "manager"),
            ("ana", "coordinator"),
            ("bob", "coordinator"),
            ("carl", "coordinator"),
        ],
        PASSWORD,
    )


def _as(reg: Registry, name: str) -> Actor:
    return reg.actor(name)


def _published_with_secrets(reg: Registry) -> dict[str, Any]:
    """ana's entry with contact fields and bob as editor: drafted, rejected by maria with a
    reason, mended and submitted, then published (version 5)."""
    ana, maria = _as(reg, "ana"), _as(reg, "maria")
    rec = reg.create(
        iap_values(
            name="Clúster con datos reservados",
            status="draft",
            contact_name=SECRETS[0],
            contact_email=SECRETS[1],
            editors=["bob"],
            notes="texto público",
        ),
        ana,
    )
    rec = reg.submit(rec["id"], rec["version"], ana)
    rec = reg.reject(rec["id"], rec["version"], SECRETS[2], maria)
    rec = reg.update(rec["id"], {"status": "submitted", "n_firms": 12}, rec["version"], ana)
    rec = reg.publish(rec["id"], rec["version"], maria)
    assert rec["version"] == 5
    return rec


# -- F1: history shows restricted fields to everyone ---------------------------------------
def test_f01_history_leaves_restricted_fields_and_actors_out_for_visitors(reg: Registry) -> None:
    rec = _published_with_secrets(reg)
    for viewer in (VISITOR, _as(reg, "carl")):
        versions = reg.history(rec["id"], viewer=viewer)
        text = json.dumps(versions, ensure_ascii=False, default=str)
        for secret in (*SECRETS, '"bob"', '"ana"', '"maria"'):
            assert secret not in text, (viewer, secret)
        assert {v["actor"] for v in versions} == {None}
        # only the published states: the draft, the rejection and the submissions were
        # never public
        assert [v["version"] for v in versions] == [5]
        assert versions[0]["after"]["status"] == "published"
    for viewer in (_as(reg, "ana"), _as(reg, "bob"), _as(reg, "maria"), _as(reg, "root")):
        versions = reg.history(rec["id"], viewer=viewer)
        assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]
        text = json.dumps(versions, ensure_ascii=False, default=str)
        assert all(secret in text for secret in SECRETS)
        assert versions[2]["actor"] == "maria"


def test_f01_cli_history_shows_restricted_fields_only_to_a_user_who_may_read_them(
    reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _published_with_secrets(reg)
    db = reg.store.url
    assert main(["--db", db, "history", rec["id"], "--json"]) == 0
    out = capsys.readouterr().out
    assert all(s not in out for s in SECRETS) and '"maria"' not in out
    assert main(["--db", db, "history", rec["id"], "--json", "--as", "carl"]) == 0
    out = capsys.readouterr().out
    assert all(s not in out for s in SECRETS)
    assert main(["--db", db, "history", rec["id"], "--json", "--as", "bob"]) == 0
    out = capsys.readouterr().out
    assert all(s in out for s in SECRETS)
    assert main(["--db", db, "show", rec["id"], "--json"]) == 0
    out = capsys.readouterr().out
    assert all(s not in out for s in SECRETS[:2])
    assert main(["--db", db, "show", rec["id"], "--json", "--as", "root"]) == 0
    out = capsys.readouterr().out
    assert all(s in out for s in SECRETS[:2])


def test_f01_reads_for_a_viewer_leave_restricted_fields_out(reg: Registry) -> None:
    rec = _published_with_secrets(reg)
    for viewer in (VISITOR, _as(reg, "carl")):
        got = reg.get(rec["id"], viewer=viewer)
        assert got["contact_email"] is None and got["editors"] == [] and got["owner"] is None
        frame = reg.list(viewer=viewer)
        row = frame[frame["id"] == rec["id"]].iloc[0]
        assert row["contact_email"] is None and row["review_note"] is None
        assert row["updated_by"] is None
    assert reg.get(rec["id"], viewer=_as(reg, "bob"))["contact_email"] == SECRETS[1]
    frame = reg.list(viewer=_as(reg, "ana"))
    assert frame[frame["id"] == rec["id"]].iloc[0]["contact_email"] == SECRETS[1]


# -- F2: roles frozen at log-in -------------------------------------------------------------
def test_f02_a_demoted_manager_can_no_longer_review(reg: Registry) -> None:
    ana = _as(reg, "ana")
    rec = reg.create(iap_values(status="submitted"), ana)
    maria = reg.login("maria", PASSWORD, source="10.0.0.1")  # the session's actor
    root = _as(reg, "root")
    reg.update_user("maria", root, role="coordinator")
    with pytest.raises(NotAllowed):
        reg.publish(rec["id"], rec["version"], maria)
    assert reg.resume(maria).role == "coordinator"
    assert reg.get(rec["id"])["status"] == "submitted"


def test_f02_disabling_or_a_new_password_ends_the_sessions(reg: Registry) -> None:
    root = _as(reg, "root")
    rec = reg.create(iap_values(status="submitted"), _as(reg, "ana"))
    maria = reg.login("maria", PASSWORD, source="10.0.0.1")
    reg.set_password("maria", "otra contraseña larga", root)
    with pytest.raises(NotAllowed):
        reg.resume(maria)
    with pytest.raises(NotAllowed):
        reg.publish(rec["id"], rec["version"], maria)
    maria = reg.login("maria", "otra contraseña larga", source="10.0.0.1")
    reg.update_user("maria", root, disabled=True)
    reg.update_user("maria", root, disabled=False)  # enabled again: the old session stays ended
    with pytest.raises(NotAllowed):
        reg.resume(maria)
    assert reg.resume(reg.login("maria", "otra contraseña larga", source="x")).role == "manager"


def test_f02_an_actor_not_in_the_store_cannot_act_once_users_exist(reg: Registry) -> None:
    with pytest.raises(NotAllowed):
        reg.create(iap_values(), Actor("intruso", "admin"))
    with pytest.raises(NotAllowed):  # a role claimed by the caller is not believed
        reg.create(iap_values(status="published"), Actor("ana", "admin"))


# -- F4: the edit form loaded someone else's restricted fields -------------------------------
# (the page itself: test_app_security.py; here the read it relies on)
def test_f04_editing_reads_only_what_the_user_may_read(reg: Registry) -> None:
    rec = _published_with_secrets(reg)
    assert not reg.can_edit(rec["id"], _as(reg, "carl"))
    assert reg.can_edit(rec["id"], _as(reg, "bob"))
    assert reg.get(rec["id"], viewer=_as(reg, "carl"))["contact_name"] is None


# -- F6: the OGC API is not presented as ready for the public internet -----------------------
def test_f06_readme_says_the_ogc_api_is_not_for_the_public_internet_yet() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("**OGC API - Features.**") :][:3000]
    assert "not ready for the public internet" in section.lower()


# -- F8: re-importing an export wiped the restricted fields ---------------------------------
def test_f08_reimporting_an_export_keeps_the_fields_it_does_not_carry(
    reg: Registry, tmp_path: Path
) -> None:
    rec = _published_with_secrets(reg)
    ana = _as(reg, "ana")
    [path, _] = reg.export(tmp_path / "mine.csv", viewer=ana)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert "contact_email" not in rows[0]  # a public export
    for row in rows:
        if row["id"] == rec["id"]:
            row["n_firms"] = "30"
            row["notes"] = ""  # an empty cell in a present column clears the field
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([r for r in rows if r["id"] == rec["id"]])
    report = reg.import_file(path, ana)
    assert report.updated == 1
    after = reg.get(rec["id"])
    assert after["n_firms"] == 30 and after["notes"] is None
    assert (after["contact_name"], after["contact_email"]) == SECRETS[:2]
    assert after["editors"] == ["bob"] and after["status"] == "published"


# -- F9: import skipped the permission checks of update --------------------------------------
def test_f09_an_editor_cannot_change_editors_or_the_review_note_through_import(
    reg: Registry, tmp_path: Path
) -> None:
    rec = reg.create(iap_values(status="draft", editors=["bob"]), _as(reg, "ana"))
    for column, value in (("editors", "bob|carl"), ("review_note", "Escrito por bob")):
        path = tmp_path / f"{column}.csv"
        path.write_text(f"id,{column}\n{rec['id']},{value}\n", encoding="utf-8")
        with pytest.raises(ValidationFailed) as err:
            reg.import_file(path, _as(reg, "bob"))
        assert [p.row for p in err.value.problems] == [2]
        assert reg.get(rec["id"])["version"] == 1


# -- F10 and F21: formula neutralisation ----------------------------------------------------
def _monitored(reg: Registry) -> tuple[dict[str, Any], dict[str, Any]]:
    ana = _as(reg, "ana")
    rec = reg.create(iap_values(status="published"), _as(reg, "maria"))
    rec = reg.update(rec["id"], {"editors": ["ana"]}, rec["version"], _as(reg, "maria"))
    indicator = reg.add_monitoring(
        "indicator",
        rec["id"],
        {"code": "joint_sales", "unit": "CLP", "frequency": "annual", "target": 10},
        ana,
    )
    return rec, indicator


def test_f10_values_csv_round_trips_negative_numbers_and_formula_like_notes(
    reg: Registry, tmp_path: Path
) -> None:
    ana = _as(reg, "ana")
    rec, indicator = _monitored(reg)
    reg.record_value(indicator["id"], "2024", -5, "=fuente dudosa", ana)
    reg.record_value(indicator["id"], "2025", 3, "-ajuste", ana)
    path = tmp_path / "values.csv"
    for _ in range(2):
        reg.export_monitoring_values(path)
        rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
        assert [r["value"] for r in rows] == ["-5", "3"]
        assert [r["source_note"] for r in rows] == ["'=fuente dudosa", "'-ajuste"]
        report = reg.import_monitoring_values(path, ana)
        assert report.unchanged == 2, report.message()
    values = reg.monitoring(rec["id"]).values
    assert sorted(v["source_note"] for v in values) == ["-ajuste", "=fuente dudosa"]


def test_f21_every_formula_start_is_neutralised() -> None:
    for text in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠x"):
        assert neutralise_formulas(text) == "'" + text, text
    assert neutralise_formulas("|cmd") == "'|cmd"
    assert neutralise_formulas("Barrio Inglés") == "Barrio Inglés"
    assert neutralise_formulas(-5) == -5


# -- F11: lost update through the values CSV ------------------------------------------------
@pytest.mark.parametrize("version", ["1.0", "v1", "", "1.5", "abc"])
def test_f11_a_row_with_an_id_must_carry_its_version(
    reg: Registry, tmp_path: Path, version: str
) -> None:
    ana = _as(reg, "ana")
    rec, indicator = _monitored(reg)
    value = reg.record_value(indicator["id"], "2024", 1, "fuente", ana)
    value = reg.update_monitoring("value", value["id"], {"value": 2}, 1, ana)  # now version 2
    path = tmp_path / "stale.csv"
    reg.export_monitoring_values(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    rows[0].update(value="99", version=version)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValidationFailed) as err:
        reg.import_monitoring_values(path, ana)
    assert [(p.row, p.field) for p in err.value.problems] == [(2, "version")]
    assert reg.monitoring(rec["id"]).values[0]["value"] == 2


def test_f11_a_version_written_as_a_real_number_is_read_as_its_integer(
    reg: Registry, tmp_path: Path
) -> None:
    ana = _as(reg, "ana")
    _, indicator = _monitored(reg)
    value = reg.record_value(indicator["id"], "2024", 1, "fuente", ana)
    path = tmp_path / "v.csv"
    path.write_text(
        "indicator_id,period,value,source_note,id,version\n"
        f"{indicator['id']},2024,7,fuente,{value['id']},1.0\n",
        encoding="utf-8",
    )
    assert reg.import_monitoring_values(path, ana).updated == 1


# -- F12: silent corruption ------------------------------------------------------------------
def _flip(path: Path, start: int, n: int = 64) -> None:
    data = bytearray(path.read_bytes())
    for i in range(start, min(start + n, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _table_page(path: Path, table: str) -> int:
    """Where the first page of ``table``'s b-tree starts in the file."""
    with closing(sqlite3.connect(path)) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        return (root.fetchone()[0] - 1) * size


@pytest.fixture
def damaged(seeded: Registry, tmp_path: Path) -> Path:
    """The seeded registry with 64 bytes flipped in its entries' table (as in the review,
    where GDAL then read it as empty while SQLite still counted 81 rows)."""
    path = tmp_path / "damaged.gpkg"
    seeded.store.backup(str(path))
    _flip(path, _table_page(path, "initiatives"))
    return path


def test_f12_a_damaged_file_is_reported_not_read_as_empty(
    damaged: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["list"], ["export", str(tmp_path / "out.geojson")], ["stats"]):
        code = main(["--db", str(damaged), *args])
        err = capsys.readouterr().err
        assert code != 0, args
        assert "dañado" in err and "backup" in err, err
    assert not (tmp_path / "out.geojson").exists()
    code = main(["--db", str(damaged), "backup", str(tmp_path / "copy.gpkg")])
    assert code != 0 and "dañado" in capsys.readouterr().err
    assert not (tmp_path / "copy.gpkg").exists()


def test_f12_bytes_flipped_anywhere_never_give_a_different_count(
    seeded: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """64 bytes flipped at 60 places across the file, one place at a time: each time the
    registry either says it is damaged or lists every entry (SQLite keeps no checksums, so
    a flip inside a text can go unseen; a wrong count never does)."""
    good = tmp_path / "good.gpkg"
    seeded.store.backup(str(good))
    expected = len(seeded.list())
    size = good.stat().st_size
    outcomes = {"damaged": 0, "intact": 0}
    for k in range(60):
        path = tmp_path / f"flip{k}.gpkg"
        path.write_bytes(good.read_bytes())
        _flip(path, 4096 + k * (size - 4160) // 60)
        code = main(["--db", str(path), "list", "--format", "json"])
        out, err = capsys.readouterr()
        if code == 0:
            assert len(json.loads(out)) == expected, k
            outcomes["intact"] += 1
        else:
            assert "dañado" in err and "Traceback" not in err, err
            outcomes["damaged"] += 1
    assert outcomes["damaged"] > 0, outcomes
    print(
        f"bytes flipped: 60 places, {outcomes['damaged']} reported damaged, "
        f"{outcomes['intact']} listed every entry, 0 wrong counts"
    )


def test_f12_a_truncated_file_is_damaged_not_new(
    seeded: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "half.gpkg"
    seeded.store.backup(str(path))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    for args in (["list"], ["init"]):
        code = main(["--db", str(path), *args])
        err = capsys.readouterr().err
        assert code != 0 and "dañado" in err and "init" not in err.replace("iap-registry", ""), err
    assert path.stat().st_size == len(data) // 2  # init did not write over it


def test_f12_backup_checks_what_it_wrote(seeded: Registry, tmp_path: Path) -> None:
    dest = tmp_path / "ok.gpkg"
    seeded.store.backup(str(dest))
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


# -- F13: file permissions ---------------------------------------------------------------------
def test_f13_registry_backups_and_restricted_exports_are_private(
    reg: Registry, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        fresh = Registry(str(tmp_path / "new.gpkg"))
        fresh.init()
        fresh.create(iap_values(), ADMIN)
        fresh.store.backup(str(tmp_path / "b.gpkg"))
        written = reg.export(tmp_path / "all.csv", actor=_as(reg, "root"), include_restricted=True)
        public = reg.export(tmp_path / "pub.csv")
    finally:
        os.umask(old)
    for path in (tmp_path / "new.gpkg", tmp_path / "b.gpkg", written[0]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in tmp_path.glob("new.gpkg-*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(public[0].stat().st_mode) == 0o644  # public data: as the umask says


def test_f13_the_backup_script_writes_private_files() -> None:
    script = (Path(__file__).resolve().parents[1] / "deploy" / "backup.sh").read_text()
    assert "umask 077" in script


# -- F14: a password in the command line ------------------------------------------------------
def test_f14_a_database_password_in_the_arguments_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql://iap:s3cret@127.0.0.1:1/iap"
    for args in (["--db", url, "list"], ["copy", "--from", url, "--to", "x.gpkg"]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "PGPASSFILE" in err and "s3cret" not in err


def test_f14_the_backup_script_keeps_the_password_out_of_arguments() -> None:
    script = (Path(__file__).resolve().parents[1] / "deploy" / "backup.sh").read_text()
    assert not re.search(r"--db[ =]", script) and "PGPASSFILE" in script


# -- F15: usernames ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["Ana", "ana ", " ana", "", "аna", "ana\u202e", "<b>x</b>", "[u](javascript:alert(1))", "a b"],
)
def test_f15_usernames_follow_the_rule_and_are_unique_ignoring_case(
    reg: Registry, name: str
) -> None:
    before = len(reg.list_users())
    with pytest.raises(UsageError):
        reg.add_user(name, "coordinator", PASSWORD, _as(reg, "root"))
    assert len(reg.list_users()) == before


def test_f15_the_command_line_refuses_the_same_usernames(
    reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--db", reg.store.url, "user", "add", "BOB", "--role", "coordinator", "--as", "root"]
    )
    assert code == 2
    assert "BOB" not in {u["username"] for u in reg.list_users()}


# -- F16: the only administrator -------------------------------------------------------------
def test_f16_the_last_administrator_cannot_demote_or_disable_themself(reg: Registry) -> None:
    root = _as(reg, "root")
    with pytest.raises(UsageError):
        reg.update_user("root", root, role="manager")
    with pytest.raises(UsageError):
        reg.update_user("root", root, disabled=True)
    assert reg.store.get_user("root")["role"] == "admin"
    reg.add_user("root2", "admin", PASSWORD, root)
    reg.update_user("root", root, role="manager")  # another administrator remains
    with pytest.raises(UsageError):
        reg.update_user("root2", _as(reg, "root2"), disabled=True)


# -- F17: restore quotes the version seen ----------------------------------------------------
def test_f17_restoring_needs_the_version_the_user_saw(
    reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    maria = _as(reg, "maria")
    rec = reg.create(iap_values(notes="uno"), maria)
    rec = reg.update(rec["id"], {"notes": "dos"}, rec["version"], maria)
    reg.update(rec["id"], {"notes": "tres (de otra persona)"}, rec["version"], _as(reg, "root"))
    with pytest.raises(Conflict):
        reg.revert(rec["id"], 1, maria, expected_version=rec["version"])
    with pytest.raises(TypeError):  # the version seen is not optional
        reg.revert(rec["id"], 1, maria)  # type: ignore[call-arg]
    code = main(["--db", reg.store.url, "revert", rec["id"], "--to-version", "1", "--as", "maria"])
    assert code == 2
    assert reg.get(rec["id"])["notes"] == "tres (de otra persona)"


# -- F18: plain messages when the store is down (the app: test_app_security.py) --------------
def test_f18_an_unreachable_server_gives_a_plain_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAP_REGISTRY_DB", "postgresql://iap@127.0.0.1:1/iap")
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


# -- F19: copy from a mistyped path -----------------------------------------------------------
def test_f19_copy_from_a_missing_file_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.gpkg"
    code = main(["copy", "--from", str(missing), "--to", str(tmp_path / "to.gpkg")])
    err = capsys.readouterr().err
    assert code == 4 and "typo.gpkg" in err and "Traceback" not in err
    assert not missing.exists() and not (tmp_path / "to.gpkg").exists()


# -- F20: lock-out per account and source (the race: test_lockout.py) -------------------------
def test_f20_a_locked_source_does_not_lock_the_owner_out(reg: Registry) -> None:
    for _ in range(5):
        with pytest.raises(NotAllowed):
            reg.login("root", "wrong password!", source="203.0.113.9")
    with pytest.raises(NotAllowed) as err:
        reg.login("root", PASSWORD, source="203.0.113.9")
    assert "bloqueada" in err.value.user_msg
    assert reg.login("root", PASSWORD, source="198.51.100.4").role == "admin"


def test_f20_unknown_users_get_the_same_answers(reg: Registry) -> None:
    answers = {}
    for name in ("root", "nobody-here"):
        seen = []
        for _ in range(7):
            with pytest.raises(NotAllowed) as err:
                reg.login(name, "wrong password!", source="203.0.113.9")
            seen.append(err.value.user_msg)
        answers[name] = seen
    assert answers["root"] == answers["nobody-here"]
    assert "bloqueada" in answers["root"][-1]


def test_f20_the_lock_grows_with_each_failure_after_it(reg: Registry) -> None:
    from registry.auth import lock_minutes

    assert [lock_minutes(n) for n in (1, 4, 5, 6, 7, 20)] == [0, 0, 15, 30, 60, 24 * 60]
