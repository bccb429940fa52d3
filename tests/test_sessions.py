"""Sessions in the store (issue 19), on both backends: the token never stored, timeouts,
log-out, a new password and disabling ending sessions, the role read anew, single sign-on
identities and their role mapping."""

from __future__ import annotations

import time
from typing import Any

import pytest

from registry.api import Registry
from registry.api.sessions import parse_role_map, token_hash
from registry.errors import NotAllowed, SessionEnded, UsageError
from registry.store import tables
from tests.conftest import add_users

PASSWORD = "contraseña segura"


@pytest.fixture(params=["gpkg", "postgis"])
def reg(request: pytest.FixtureRequest) -> Registry:
    registry = Registry(store=request.getfixturevalue(f"{request.param}_store"))
    registry.init()
    return add_users(registry, [("root", "admin"), ("ana", "coordinator"), ("maria", "manager")])


def _session(reg: Registry, name: str) -> str:
    return reg.start_session(reg.login(name, PASSWORD))


def _all_sessions(reg: Registry) -> list[dict[str, Any]]:
    with reg.store._read.connect() as conn:  # type: ignore[attr-defined]
        return [dict(r) for r in conn.execute(tables.sessions.select()).mappings()]


def test_a_session_resumes_until_log_out_and_only_its_hash_is_stored(reg: Registry) -> None:
    token = _session(reg, "ana")
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert reg.resume_session(token).username == "ana"
    rows = _all_sessions(reg)
    assert [r["token_hash"] for r in rows] == [token_hash(token)]
    assert all(token not in str(v) for r in rows for v in r.values())
    assert reg.store.get_user("ana")["last_login_at"]  # shown to administrators
    other = _session(reg, "ana")  # a second browser
    reg.end_session(token)
    with pytest.raises(SessionEnded):
        reg.resume_session(token)  # a stolen cookie of a logged-out session gives nothing
    assert reg.resume_session(other).username == "ana"
    with pytest.raises(SessionEnded):
        reg.resume_session("not-a-token")
    # the token is not the key: its hash used as a cookie gives nothing either
    with pytest.raises(SessionEnded):
        reg.resume_session(token_hash(other))


def test_the_role_is_read_anew_and_disabling_ends_every_session(reg: Registry) -> None:
    token = _session(reg, "maria")
    root = reg.actor("root")
    reg.update_user("maria", root, role="coordinator")
    assert reg.resume_session(token).role == "coordinator"
    reg.update_user("maria", root, disabled=True)
    with pytest.raises(SessionEnded):
        reg.resume_session(token)
    reg.update_user("maria", root, disabled=False)
    with pytest.raises(SessionEnded):  # enabling again does not bring the session back
        reg.resume_session(token)


def test_a_new_password_ends_the_other_sessions_not_the_one_it_was_set_in(
    reg: Registry,
) -> None:
    here, elsewhere = _session(reg, "ana"), _session(reg, "ana")
    me = reg.resume_session(here)
    with pytest.raises(NotAllowed):  # the current password is checked first
        reg.change_password(me, "wrong password", "otra contraseña larga", token=here)
    assert reg.resume_session(elsewhere).username == "ana"
    reg.change_password(me, PASSWORD, "otra contraseña larga", token=here)
    assert reg.resume_session(here).username == "ana"
    with pytest.raises(SessionEnded):
        reg.resume_session(elsewhere)
    # an administrator's reset ends them all
    reg.set_password("ana", "una tercera contraseña", reg.actor("root"))
    with pytest.raises(SessionEnded):
        reg.resume_session(here)


def test_idle_and_lifetime_limits(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _session(reg, "ana")
    monkeypatch.setenv("IAP_REGISTRY_SESSION_IDLE_MINUTES", "0.001")  # 60 ms
    time.sleep(0.2)
    with pytest.raises(SessionEnded) as idle:
        reg.resume_session(token)
    assert idle.value.expired
    monkeypatch.delenv("IAP_REGISTRY_SESSION_IDLE_MINUTES")
    with pytest.raises(SessionEnded):  # it stays ended
        reg.resume_session(token)
    monkeypatch.setenv("IAP_REGISTRY_SESSION_MAX_HOURS", "0.00003")  # about 0.1 s
    token = _session(reg, "ana")
    assert reg.resume_session(token).username == "ana"
    time.sleep(0.3)
    with pytest.raises(SessionEnded) as old:
        reg.resume_session(token)  # used, but past its absolute lifetime
    assert old.value.expired


def _claims(sub: str, email: str, **more: Any) -> dict[str, Any]:
    return {
        "sub": sub,
        "email": email,
        "email_verified": True,
        "iat": 1764700000,
        "nonce": "n-" + sub,
        **more,
    }


def test_single_sign_on_waits_for_an_administrator_unless_mapped(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims = _claims("u-1", "Rosa.Diaz@corfo.cl", groups=["iap-managers"])
    with pytest.raises(NotAllowed):  # new, no mapping: a disabled account, waiting
        reg.sso_session(claims, "keycloak")
    user = reg.store.get_user("rosa.diaz@corfo.cl")
    assert user["disabled"] and user["identity"] == "keycloak:u-1"
    assert user["role"] == "coordinator" and user["password_hash"] is None
    reg.update_user("rosa.diaz@corfo.cl", reg.actor("root"), disabled=False, role="manager")
    actor, started = reg.sso_session(claims, "keycloak")
    assert (actor.username, actor.role, started) == ("rosa.diaz@corfo.cl", "manager", True)
    assert reg.sso_session(claims, "keycloak")[1] is False  # the same sign-in, resumed
    reg.end_sso_session(claims, "keycloak")  # log-out
    with pytest.raises(SessionEnded):  # the same identity cookie cannot start it again
        reg.sso_session(claims, "keycloak")
    again, started = reg.sso_session({**claims, "iat": 1764700999}, "keycloak")
    assert again.role == "manager" and started  # a new sign-in is a new session

    # a role claim counts only through the administrator's mapping
    monkeypatch.setenv("IAP_REGISTRY_SSO_ROLES", "groups:iap-managers=manager")
    mapped, _ = reg.sso_session(_claims("u-2", "luis@corfo.cl", groups=["iap-managers"]), "kc")
    assert mapped.role == "manager"
    with pytest.raises(NotAllowed):  # a claim the mapping does not name gives nothing
        reg.sso_session(_claims("u-3", "eva@corfo.cl", groups=["admins"], role="admin"), "kc")
    assert reg.store.get_user("eva@corfo.cl")["disabled"]
    with pytest.raises(NotAllowed):  # an unverified address names nobody
        reg.sso_session(_claims("u-4", "x@corfo.cl", email_verified=False), "kc")
    with pytest.raises(NotAllowed):  # a local account's name is not taken over
        reg.sso_session(_claims("u-5", "ana@x.cl") | {"email": "ana"}, "kc")
    monkeypatch.setenv("IAP_REGISTRY_SSO_CLAIM", "sub")
    by_sub, _ = reg.sso_session(_claims("emp-77", "z@corfo.cl", groups=["iap-managers"]), "kc")
    assert by_sub.username == "emp-77"


def test_role_map_setting_is_checked() -> None:
    assert parse_role_map("") == ()
    with pytest.raises(UsageError):
        parse_role_map("groups=manager")
    with pytest.raises(UsageError):
        parse_role_map("groups:x=superuser")


def test_backups_leave_sessions_behind(reg: Registry, tmp_path: Any) -> None:
    import sqlite3

    token = _session(reg, "ana")
    target = tmp_path / "copia.gpkg"
    reg.backup(str(target))
    data = target.read_bytes()
    assert token_hash(token).encode() not in data and token.encode() not in data
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 3
        found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'sessions'").fetchall()
        assert not found or conn.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
    assert reg.resume_session(token).username == "ana"  # the registry's own go on
