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
from tests.conftest import ADMIN, iap_values

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
    for name, role in (
        ("root", "admin"),
        ("maria", "manager"),
        ("ana", "coordinator"),
        ("bob", "coordinator"),
        ("carl", "coordinator"),
        ("dave", "coordinator"),
    ):
        registry.add_user(name, role, "contraseña segura", ADMIN)
    registry.update_user("dave", ADMIN, disabled=True)
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
    reg.create(iap_values(), ADMIN)
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
