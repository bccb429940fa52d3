"""E-mail notifications (issue 19) against a real SMTP server the tests start (aiosmtpd):
recipients, subject and body in each user's language, user text as plain text, a down
server that neither fails nor undoes a save and is retried."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from registry.api import Registry
from registry.notify import MailSender, smtp_settings
from tests.conftest import add_users, iap_values
from tests.e2e.harness import free_port

HOSTILE = 'Clúster <b onmouseover="x">vino</b> &amp; {{7*7}}'


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int]]:
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("IAP_REGISTRY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("IAP_REGISTRY_SMTP_PORT", str(port))
    monkeypatch.setenv("IAP_REGISTRY_MAIL_FROM", "registro@iap.example")
    monkeypatch.setenv("IAP_REGISTRY_PUBLIC_URL", "https://iap.example/")
    yield inbox, port
    controller.stop()


@pytest.fixture(params=["gpkg", "postgis"])
def reg(request: pytest.FixtureRequest) -> Registry:
    registry = Registry(store=request.getfixturevalue(f"{request.param}_store"))
    registry.init()
    add_users(
        registry,
        [("root", "admin"), ("ana", "coordinator"), ("bob", "coordinator"), ("maria", "manager")],
    )
    registry.add_user("jorge", "manager", "contraseña segura", registry.actor("root"))
    for name, address, lang in (
        ("ana", "ana@iap.example", "en"),
        ("bob", "bob@iap.example", "es"),
        ("maria", "maria@iap.example", "es"),
        ("jorge", "jorge@iap.example", "es"),
        ("root", "root@iap.example", "es"),
    ):
        registry.set_contact(registry.actor(name), address, True, lang)
    return registry


def _send(reg: Registry) -> tuple[int, int]:
    settings = smtp_settings()
    assert settings is not None
    return MailSender(reg.store, settings).send_due()


def test_submit_tells_managers_and_review_tells_owner_and_editors(
    reg: Registry, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    ana, maria = reg.actor("ana"), reg.actor("maria")
    reg.set_contact(reg.actor("jorge"), "jorge@iap.example", False)  # turned off
    entry = reg.create(iap_values(name=HOSTILE, status="draft", editors=["bob"]), ana)
    assert _send(reg) == (0, 0)  # a draft tells nobody
    entry = reg.submit(entry["id"], entry["version"], ana)
    assert _send(reg) == (1, 0)
    (rcpt, message), *_ = inbox.messages
    assert rcpt == ["maria@iap.example"]  # managers who want it; not jorge, not root
    assert message["From"] == "registro@iap.example"
    # the subject is one line (names cannot hold line breaks: the model refuses them)
    assert message["Subject"].startswith("Entrada enviada a revisión: Clúster <b")
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    body = message.get_content()
    assert "ana envió a revisión" in body and f"https://iap.example/?id={entry['id']}" in body
    assert HOSTILE in body  # shown as typed: plain text, never HTML nor a template

    entry = reg.reject(entry["id"], entry["version"], "Falta el <i>RUT</i> del gestor", maria)
    assert _send(reg) == (2, 0)
    (owner,) = inbox.to("ana@iap.example")
    assert owner["Subject"].startswith("Entry rejected: ")  # ana reads English
    assert "Falta el <i>RUT</i> del gestor" in owner.get_content()
    assert "Review note:" in owner.get_content()
    (editor,) = inbox.to("bob@iap.example")
    assert editor["Subject"].startswith("Entrada rechazada: ")  # bob reads Spanish
    assert f"https://iap.example/?id={entry['id']}" in editor.get_content()

    entry = reg.submit(entry["id"], entry["version"], reg.actor("bob"))
    reg.publish(entry["id"], entry["version"] + 0, maria)
    _send(reg)
    published = inbox.to("ana@iap.example")[-1]
    assert published["Subject"].startswith("Entry published: ")
    assert f"https://iap.example/?id={entry['id']}" in published.get_content()
    # maria was told of both submissions, never of her own publication or rejection
    assert [m["Subject"].split(":")[0] for m in inbox.to("maria@iap.example")] == [
        "Entrada enviada a revisión"
    ] * 2
    assert not inbox.to("jorge@iap.example") and not inbox.to("root@iap.example")


def test_a_down_server_fails_nothing_and_the_mail_is_retried(
    reg: Registry, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("IAP_REGISTRY_SMTP_PORT", str(free_port()))  # nobody listens there
    ana = reg.actor("ana")
    entry = reg.create(iap_values(name="Entrada con el correo caído", status="submitted"), ana)
    assert reg.get(entry["id"])["status"] == "submitted"  # the save stands
    assert _send(reg) == (0, 2)  # both managers' mail waits
    rows = reg.store.mail_rows(unsent_only=True)  # what administrators see
    assert sorted(r["username"] for r in rows) == ["jorge", "maria"]
    for row in rows:
        assert row["attempts"] == 1 and "Connection" in row["last_error"]
        assert row["next_try_at"] > row["created_at"]  # tried again later, not now
    assert _send(reg) == (0, 0)  # not due yet
    # the server is back and the retry is due: it goes
    monkeypatch.setenv("IAP_REGISTRY_SMTP_PORT", str(port))
    with reg.store._transaction() as conn:  # type: ignore[attr-defined]
        from registry.store.tables import outbox

        conn.execute(outbox.update().values(next_try_at="2000-01-01T00:00:00.000000Z"))
    assert _send(reg) == (2, 0)
    assert sorted(r for r, _ in inbox.messages) == [["jorge@iap.example"], ["maria@iap.example"]]
    assert not reg.store.mail_rows(unsent_only=True)


def test_the_app_sender_thread_delivers_what_a_save_queues(
    reg: Registry, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    inbox, _ = smtp
    monkeypatch.setenv("IAP_REGISTRY_MAIL_POLL_SECONDS", "600")  # only the save wakes it
    settings = smtp_settings()
    assert settings is not None
    MailSender(reg.store, settings).start()
    time.sleep(0.5)
    reg.create(iap_values(name="Entrada enviada con el hilo", status="submitted"), reg.actor("ana"))
    deadline = time.monotonic() + 10
    while len(inbox.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(r for r, _ in inbox.messages) == [["jorge@iap.example"], ["maria@iap.example"]]


def test_two_senders_never_send_one_message_twice(reg: Registry, smtp: tuple[Inbox, int]) -> None:
    reg.create(iap_values(name="Entrada de dos servidores", status="submitted"), reg.actor("ana"))
    first, second = reg.store.due_mail(), reg.store.due_mail()  # two app processes
    assert len(first) == 2 and second == []  # each message claimed by one of them


def test_mail_list_and_send_on_the_command_line(
    reg: Registry,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from registry.cli import main

    inbox, port = smtp
    db = reg.store.url
    monkeypatch.setenv("IAP_REGISTRY_SMTP_PORT", str(free_port()))  # down
    reg.create(iap_values(name="Entrada por la consola", status="submitted"), reg.actor("ana"))
    assert main(["--db", db, "mail", "send", "--as", "root"]) == 1  # not sent, kept
    assert main(["--db", db, "mail", "list", "--as", "root"]) == 0
    out = capsys.readouterr().out
    assert "maria@iap.example" in out and "Entrada por la consola" in out
    assert "Connection" in out  # why it waits
    assert main(["--db", db, "mail", "list", "--as", "ana"]) != 0  # administrators only
    monkeypatch.setenv("IAP_REGISTRY_SMTP_PORT", str(port))
    with reg.store._transaction() as conn:  # type: ignore[attr-defined]
        from registry.store.tables import outbox

        conn.execute(outbox.update().values(next_try_at="2000-01-01T00:00:00.000000Z"))
    capsys.readouterr()
    assert main(["--db", db, "mail", "send", "--as", "root"]) == 0
    assert "2 mensaje(s) enviado(s)" in capsys.readouterr().out
    assert len(inbox.messages) == 2
