"""Roles, visibility, review and log-in, checked in ``registry.api`` on a real GeoPackage."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing

import pytest

from registry.api import Registry
from registry.auth import LOCKOUT_MINUTES, MAX_FAILED_LOGINS, VISITOR, Actor
from registry.errors import NotAllowed, NotFound, ValidationFailed
from registry.store import Filters
from tests.conftest import add_users, iap_values

ROOT = Actor("root", "admin")

ANA = Actor("ana", "coordinator")
BOB = Actor("bob", "coordinator")
MARIA = Actor("maria", "manager")
PASSWORD = "correct horse battery"


@pytest.fixture
def reg(registry: Registry) -> Registry:
    return add_users(
        registry,
        [("root", "admin"), ("ana", "coordinator"), ("bob", "coordinator"), ("maria", "manager")],
        PASSWORD,
    )


def _who(actor: Actor) -> tuple[str, str]:
    return actor.username, actor.role


def ids(frame: object) -> set[str]:
    return set(frame["id"])  # type: ignore[index]


def test_visitors_see_published_entries_only(reg: Registry) -> None:
    published = reg.create(iap_values(name="Publicada"), MARIA)
    draft = reg.create(iap_values(name="Borrador de Ana", status="draft"), ANA)
    shared = reg.create(iap_values(name="Con editor", status="draft", editors=["bob"]), ANA)
    assert ids(reg.list(viewer=VISITOR)) == {published["id"]}
    assert ids(reg.list(viewer=ANA)) == {published["id"], draft["id"], shared["id"]}
    assert ids(reg.list(viewer=BOB)) == {published["id"], shared["id"]}
    assert ids(reg.list(viewer=MARIA)) == {published["id"], draft["id"], shared["id"]}
    # filters and visibility combine
    assert ids(reg.list(Filters(q="borrador"), viewer=BOB)) == set()
    with pytest.raises(NotFound):
        reg.get(draft["id"], viewer=VISITOR)
    with pytest.raises(NotFound):
        reg.history(draft["id"], viewer=BOB)
    assert reg.get(shared["id"], viewer=BOB)["name"] == "Con editor"
    assert reg.stats(viewer=VISITOR)["entries"] == 1
    assert reg.stats(viewer=ANA)["entries"] == 3


def test_named_editors_edit_but_only_owner_names_them(reg: Registry) -> None:
    rec = reg.create(iap_values(status="draft", editors=["bob"]), ANA)
    rec = reg.update(rec["id"], {"n_firms": 7}, rec["version"], BOB)
    assert rec["n_firms"] == 7 and rec["updated_by"] == "bob"
    with pytest.raises(NotAllowed):
        reg.update(rec["id"], {"editors": ["bob", "eve"]}, rec["version"], BOB)
    with pytest.raises(NotAllowed):
        reg.delete(rec["id"], rec["version"], BOB)
    rec = reg.update(rec["id"], {"editors": []}, rec["version"], ANA)
    with pytest.raises(NotAllowed):
        reg.update(rec["id"], {"n_firms": 8}, rec["version"], BOB)
    with pytest.raises(ValidationFailed) as err:
        reg.update(rec["id"], {"editors": ["<script>"]}, rec["version"], ANA)
    assert "no es un nombre de usuario válido" in str(err.value)


def test_review_cycle_submit_reject_mend_publish(reg: Registry) -> None:
    rec = reg.create(iap_values(status="draft"), ANA)
    with pytest.raises(NotAllowed):
        reg.publish(rec["id"], rec["version"], ANA)
    rec = reg.submit(rec["id"], rec["version"], ANA)
    assert rec["status"] == "submitted"
    assert ids(reg.list(Filters(status=("submitted",)), viewer=MARIA)) == {rec["id"]}
    with pytest.raises(ValidationFailed) as err:
        reg.reject(rec["id"], rec["version"], "  ", MARIA)
    assert "motivo" in str(err.value)
    rec = reg.reject(rec["id"], rec["version"], "Falta la fuente", MARIA)
    assert (rec["status"], rec["review_note"]) == ("rejected", "Falta la fuente")
    with pytest.raises(NotAllowed):  # the note is the reviewer's
        reg.update(rec["id"], {"review_note": "ok"}, rec["version"], ANA)
    rec = reg.update(
        rec["id"],
        {"source_url": "https://www.sercotec.cl", "status": "submitted"},
        rec["version"],
        ANA,
    )
    rec = reg.publish(rec["id"], rec["version"], MARIA)
    assert (rec["status"], rec["review_note"]) == ("published", None)
    assert ids(reg.list(viewer=VISITOR)) == {rec["id"]}
    ops = [(h["version"], h["actor"]) for h in reg.history(rec["id"])]
    assert ops == [(1, "ana"), (2, "ana"), (3, "maria"), (4, "ana"), (5, "maria")]
    with pytest.raises(NotAllowed):  # restoring history is a manager's
        reg.revert(rec["id"], 1, ANA, expected_version=rec["version"])


def test_coordinators_cannot_touch_archived_or_others_entries(reg: Registry) -> None:
    mine = reg.create(iap_values(status="draft"), ANA)
    archived = reg.update(mine["id"], {"status": "archived"}, mine["version"], MARIA)
    with pytest.raises(NotAllowed):
        reg.update(archived["id"], {"n_firms": 3}, archived["version"], ANA)
    other = reg.create(iap_values(status="draft"), BOB)
    with pytest.raises(NotAllowed):
        reg.update(other["id"], {"n_firms": 3}, other["version"], ANA)
    with pytest.raises(NotAllowed):
        reg.create(iap_values(review_note="auto-aprobada"), ANA)


def test_login_locks_out_after_repeated_failures(reg: Registry) -> None:
    assert _who(reg.login("ana", PASSWORD)) == ("ana", "coordinator")
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(NotAllowed, match="incorrectos"):
            reg.login("ana", "wrong password!")
    with pytest.raises(NotAllowed, match="bloqueada"):
        reg.login("ana", "wrong password!")
    with pytest.raises(NotAllowed, match="bloqueada"):  # even the right password now
        reg.login("ana", PASSWORD)
    reg.update_user("ana", ROOT, unlock=True)
    assert _who(reg.login("ana", PASSWORD)) == ("ana", "coordinator")
    # a lock lapses at its end (LOCKOUT_MINUTES after the fifth failure)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(NotAllowed):
            reg.login("ana", "wrong password!")
    with closing(sqlite3.connect(reg.store.url)) as conn, conn:
        (until,) = conn.execute("SELECT locked_until FROM login_failures").fetchone()
        left = dt.datetime.fromisoformat(until) - dt.datetime.now(dt.UTC)
        assert (
            dt.timedelta(minutes=LOCKOUT_MINUTES - 1)
            < left
            <= dt.timedelta(minutes=LOCKOUT_MINUTES)
        )
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(
            "UPDATE login_failures SET locked_until = ?", (past.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),)
        )
    assert _who(reg.login("ana", PASSWORD)) == ("ana", "coordinator")
    with closing(sqlite3.connect(reg.store.url)) as conn:
        assert conn.execute("SELECT count(*) FROM login_failures").fetchone() == (0,)


def test_login_does_not_tell_unknown_disabled_or_wrong(reg: Registry) -> None:
    messages = set()
    for user, password in (("nobody", PASSWORD), ("bob", "wrong password!")):
        with pytest.raises(NotAllowed) as err:
            reg.login(user, password)
        messages.add(err.value.user_msg)
    reg.update_user("maria", ROOT, disabled=True)
    with pytest.raises(NotAllowed) as err:
        reg.login("maria", PASSWORD)
    messages.add(err.value.user_msg)
    assert messages == {"usuario o contraseña incorrectos"}
    with pytest.raises(NotAllowed):
        reg.update_user("bob", MARIA, role="admin")
    reg.update_user("bob", ROOT, role="manager")
    assert _who(reg.login("bob", PASSWORD)) == ("bob", "manager")
    assert all("password_hash" not in u for u in reg.list_users())
