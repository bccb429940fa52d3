"""Access control as a matrix: every write operation against every role and ownership case,
expected outcomes written out here (not computed from ``registry.auth``). A refused write
raises ``NotAllowed`` and changes nothing; an allowed one makes a new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.api import Registry
from registry.auth import VISITOR, Actor
from registry.cli import main
from registry.errors import NotAllowed
from tests.conftest import add_users, iap_values

ACTORS = {
    "visitor": VISITOR,
    "owner": Actor("ana", "coordinator"),
    "editor": Actor("bob", "coordinator"),  # named editor of the entry
    "other": Actor("carl", "coordinator"),
    "manager": Actor("maria", "manager"),
    "admin": Actor("root", "admin"),
}
STATES = ("draft", "submitted", "published", "rejected", "archived")

Op = Callable[[Registry, dict[str, Any], Actor], Any]
OPS: dict[str, Op] = {
    "edit a field": lambda r, rec, a: r.update(rec["id"], {"notes": "nuevo"}, rec["version"], a),
    "submit": lambda r, rec, a: r.submit(rec["id"], rec["version"], a),
    "publish": lambda r, rec, a: r.publish(rec["id"], rec["version"], a),
    "reject": lambda r, rec, a: r.reject(rec["id"], rec["version"], "falta la fuente", a),
    "delete": lambda r, rec, a: r.delete(rec["id"], rec["version"], a),
    "revert": lambda r, rec, a: r.revert(rec["id"], 1, a, rec["version"]),
    "name editors": lambda r, rec, a: r.update(
        rec["id"], {"editors": "bob|carl"}, rec["version"], a
    ),
}


def _expected(op: str, who: str, state: str) -> bool:
    """The policy, as the issue and the README state it."""
    if who == "admin":
        return True
    if who == "visitor":
        return False
    if who == "manager":
        return True  # managers do every entry operation (not users, not restricted exports)
    # coordinators: never review or restore, never touch archived entries or others' entries
    if op in ("publish", "reject", "revert") or state == "archived" or who == "other":
        return False
    if op in ("delete", "name editors"):
        return who == "owner"
    return True  # the owner and named editors edit and submit (a published entry too)


@pytest.fixture
def reg(registry: Registry) -> Registry:
    add_users(
        registry,
        [
            ("root", "admin"),
            ("maria", "manager"),
            ("ana", "coordinator"),
            ("bob", "coordinator"),
            ("carl", "coordinator"),
            ("dave", "coordinator"),
        ],
    )
    registry.update_user("dave", ACTORS["admin"], disabled=True)
    return registry


def _entry(reg: Registry, state: str) -> dict[str, Any]:
    """An entry owned by ana with bob as editor, in ``state``, at version 2."""
    model = reg.validate(iap_values(name=f"Entrada {state}", editors="bob", status="draft"))
    first = reg.store.create(model, "ana")
    status = {"status": state, "review_note": "motivo" if state == "rejected" else None}
    return reg.update(first["id"], status, 1, ACTORS["admin"])


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_role_and_ownership_case(reg: Registry, op: str) -> None:
    table = []
    for state in STATES:
        for who, actor in ACTORS.items():
            record = _entry(reg, state)
            try:
                done = OPS[op](reg, record, actor)
            except NotAllowed:
                allowed = False
                assert reg.get(record["id"])["version"] == record["version"]  # unchanged
            else:
                allowed = True
                assert done["version"] == record["version"] + 1
            table.append((state, who, allowed, _expected(op, who, state)))
    wrong = [(s, w, got) for s, w, got, want in table if got != want]
    assert wrong == [], f"{op}: (state, actor, allowed) differing from the policy: {wrong}"


def test_creating_and_account_operations(reg: Registry, tmp_path: Any) -> None:
    draft = iap_values(status="draft")
    published = iap_values(status="published")
    outcomes = {}
    for who, actor in ACTORS.items():
        for what, call in (
            ("create a draft", lambda a: reg.create(draft, a)),
            ("create published", lambda a: reg.create(published, a)),
            ("add a user", lambda a: reg.add_user(f"u{a.role}", "coordinator", None, a)),
            (
                "export contact fields",
                lambda a: reg.export(tmp_path / "x.geojson", actor=a, include_restricted=True),
            ),
        ):
            try:
                call(actor)
                outcomes[who, what] = True
            except NotAllowed:
                outcomes[who, what] = False
    expected = {
        (who, what): (
            who == "admin"
            or (who == "manager" and what.startswith("create"))
            or (who in ("owner", "editor", "other") and what == "create a draft")
        )
        for who in ACTORS
        for what in ("create a draft", "create published", "add a user", "export contact fields")
    }
    assert outcomes == expected


def test_disabled_and_unknown_users_cannot_act_from_the_command_line(
    reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _entry(reg, "draft")
    db = reg.store.url
    for user, fragment in (("dave", "desactivad"), ("nadie", "nadie")):
        code = main(
            ["--db", db, "update", record["id"], "--set", "notes=x", "--expected-version", "2"]
            + ["--as", user]
        )
        assert code == 5
        assert fragment in capsys.readouterr().err
    code = main(["--db", db, "delete", record["id"], "--expected-version", "2", "--as", "bob"])
    assert code == 5  # an editor, not the owner
    assert reg.get(record["id"])["version"] == 2
    code = main(["--db", db, "delete", record["id"], "--expected-version", "2", "--as", "ana"])
    assert code == 0


def test_no_password_or_hash_leaves_the_registry(
    reg: Registry, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exports (every format, restricted fields included), user listings and the command
    line's output hold neither a password nor its hash."""
    reg.create(iap_values(), ACTORS["admin"])
    stored = reg.store.get_user("ana")
    assert stored is not None and stored["password_hash"].startswith("$argon2id$")
    secrets = ["contraseña segura", stored["password_hash"], stored["password_hash"][-20:]]
    written = []
    for fmt in ("geojson", "gpkg", "csv"):
        written += reg.export(
            tmp_path / f"all.{fmt}", actor=ACTORS["admin"], include_restricted=True
        )
    db = reg.store.url
    for args in (["user", "list"], ["list"], ["export", str(tmp_path / "cli.geojson")]):
        assert main(["--db", db, *args]) == 0
    written.append(tmp_path / "cli.geojson")
    printed = capsys.readouterr()
    blobs = [p.read_bytes() for p in written] + [str(reg.list_users()).encode()]
    blobs += [printed.out.encode(), printed.err.encode()]
    for blob in blobs:
        for secret in secrets:
            assert secret.encode() not in blob


# -- every write path under the same rules (issue 16, F9) -------------------------------------
def _write_csv(path: Any, header: list[str], row: list[Any]) -> Any:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([header, row])
    return path


def _through(path: str, op: str, reg: Registry, rec: dict[str, Any], who: str, tmp: Any) -> bool:
    """Do ``op`` (edit a field, or name editors) on ``rec`` as ``who`` through ``path``;
    return whether it was done (a refusal must leave the entry as it was)."""
    actor = ACTORS[who]
    field, value = ("notes", "nuevo") if op == "edit a field" else ("editors", "bob|carl")
    as_user = [] if who == "visitor" else ["--as", actor.username]
    db = reg.store.url
    if path == "cli update":
        args = ["update", rec["id"], "--set", f"{field}={value}"]
        code = main(["--db", db, *args, "--expected-version", str(rec["version"]), *as_user])
        assert code in (0, 5), code
        return code == 0
    if path == "import":
        csv_path = _write_csv(
            tmp / "rows.csv", ["id", "version", field], [rec["id"], rec["version"], value]
        )
        code = main(["--db", db, "import", str(csv_path), *as_user])
        assert code in (0, 1, 5), code
        return code == 0
    if path == "monitoring import":
        indicator = reg.store.monitoring_rows("indicator", [rec["id"]])[0]
        csv_path = _write_csv(
            tmp / "values.csv",
            ["indicator_id", "period", "value", "source_note"],
            [indicator["id"], "2025-Q1", 25, "Acta de la mesa"],
        )
        code = main(["--db", db, "monitoring", "import", str(csv_path), *as_user])
        assert code in (0, 1, 5), code
        return code == 0
    raise AssertionError(path)


PATHS = ("cli update", "import", "monitoring import")


@pytest.mark.parametrize("path", PATHS)
def test_every_write_path_applies_the_same_rules(
    reg: Registry, path: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line's ``update``, ``import`` and ``monitoring import`` allow exactly
    what the policy allows (the form: ``tests/test_app.py``; restore: the ``revert`` row
    above). A refused write changes neither the entry nor its monitoring."""
    ops = ("edit a field",) if path == "monitoring import" else ("edit a field", "name editors")
    wrong = []
    for op in ops:
        for state in STATES:
            for who in ACTORS:
                record = _entry(reg, state)
                if path == "monitoring import":
                    reg.add_monitoring(
                        "indicator",
                        record["id"],
                        {"code": "participating_firms", "frequency": "quarterly",
                         "baseline": "20", "baseline_period": "2024-Q4", "target": "40",
                         "target_period": "2026-Q4"},
                        ACTORS["admin"],
                    )  # fmt: skip
                values_before = len(reg.store.monitoring_rows("value", [record["id"]]))
                done = _through(path, op, reg, record, who, tmp_path)
                capsys.readouterr()
                after = reg.get(record["id"])
                values_after = len(reg.store.monitoring_rows("value", [record["id"]]))
                if path == "monitoring import":
                    assert values_after == values_before + done
                else:
                    assert after["version"] == record["version"] + done
                if not done:
                    assert after["version"] == record["version"] and values_after == values_before
                if done != _expected(op, who, state):
                    wrong.append((op, state, who, done))
    assert wrong == [], f"{path}: (op, state, actor, done) differing from the policy: {wrong}"


# -- history reads, per field and per viewer (issue 16, F1) -----------------------------------
SECRETS = {
    "contact_name": "Ana Pérez Secreta",
    "contact_email": "ana.secreta@ejemplo.cl",
    "editors": "bob",
    "review_note": "falta el acta firmada",
}
# who may read what in the history of a published entry of ana's (bob named editor):
# (every version shown, restricted fields shown, usernames shown) -- written out, not computed
HISTORY_EXPECTED = {
    "visitor": (False, False, False),
    "owner": (True, True, True),
    "editor": (True, True, True),
    "other": (False, False, False),
    "manager": (True, True, True),
    "admin": (True, True, True),
}


def _history_entry(reg: Registry) -> dict[str, Any]:
    """ana's entry with contact data, rejected once with a reason, mended, published."""
    values = iap_values(
        name="Mesa con historia",
        status="submitted",
        contact_name=SECRETS["contact_name"],
        contact_email=SECRETS["contact_email"],
        editors=SECRETS["editors"],
    )
    model = reg.validate(values)
    first = reg.store.create(model, "ana")  # v1 submitted
    manager = ACTORS["manager"]
    rejected = reg.reject(first["id"], 1, SECRETS["review_note"], manager)  # v2
    mended = reg.update(
        rejected["id"], {"notes": "acta adjunta", "status": "submitted"}, 2, ACTORS["owner"]
    )  # v3
    return reg.publish(mended["id"], mended["version"], manager)  # v4


def _seen(versions: list[dict[str, Any]]) -> tuple[set[int], set[str], set[str]]:
    import json

    text = json.dumps(versions, default=str, ensure_ascii=False)
    fields = {f for f, secret in SECRETS.items() if secret in text and f != "editors"}
    for v in versions:
        for state in (v["before"], v["after"]):
            if state and state.get("editors"):
                fields.add("editors")
    actors = {v["actor"] for v in versions if v.get("actor")}
    return {v["version"] for v in versions}, fields, actors


def test_history_reads_per_field_and_viewer(
    reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _history_entry(reg)
    assert record["version"] == 4
    table = {}
    for who, actor in ACTORS.items():
        versions, fields, actors = _seen(reg.history(record["id"], viewer=actor))
        table[who] = (versions == {1, 2, 3, 4}, fields == set(SECRETS), actors == {"ana", "maria"})
        if not table[who][0]:
            assert versions == {4}  # only the published version
        if not table[who][1]:
            assert fields == set(), f"{who} read {fields}"
        if not table[who][2]:
            assert actors == set()
        # the command line shows the same, as that user
        as_user = [] if who == "visitor" else ["--as", actor.username]
        assert main(["--db", reg.store.url, "history", record["id"], "--json", *as_user]) == 0
        printed = capsys.readouterr().out
        for field, secret in SECRETS.items():
            if field != "editors":
                assert (secret in printed) == (who != "visitor" and table[who][1]), (who, field)
    assert table == HISTORY_EXPECTED


def test_history_of_an_unpublished_entry_is_for_its_readers_only(reg: Registry) -> None:
    from registry.errors import NotFound

    model = reg.validate(iap_values(name="Borrador", status="draft", editors="bob",
                                    contact_email=SECRETS["contact_email"]))  # fmt: skip
    draft = reg.store.create(model, "ana")
    for who, actor in ACTORS.items():
        if who in ("visitor", "other"):
            with pytest.raises(NotFound):
                reg.history(draft["id"], viewer=actor)
        else:
            (version,) = reg.history(draft["id"], viewer=actor)
            assert version["after"]["contact_email"] == SECRETS["contact_email"]
