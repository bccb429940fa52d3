"""E-mail notifications: who is told of a submitted, published or rejected entry, the
message in each recipient's language, and a sender that delivers and retries.

A change is told *after* it has committed: ``Registry`` queues the messages in the store's
outbox (one transaction of their own; a failure there is logged and never undoes the
change), and ``MailSender``, a thread in the app's process, delivers them over SMTP with
the standard library's ``smtplib``. A message that cannot be sent is tried again after 1, 2,
4... minutes (at most an hour apart, ``MAX_ATTEMPTS`` times); its error is logged and shown
to administrators on the *Usuarios* page. Messages are plain text only: an entry's name or
a review note is never read as HTML, and line breaks are taken out of the subject.

Settings (environment): ``IAP_REGISTRY_SMTP_HOST`` (no host: no mail is queued),
``IAP_REGISTRY_SMTP_PORT`` (25), ``IAP_REGISTRY_SMTP_TLS`` (``starttls``, ``ssl`` or
``none``; default ``ssl`` on port 465, ``starttls`` on 587, else ``none``),
``IAP_REGISTRY_SMTP_USER`` and ``IAP_REGISTRY_SMTP_PASSWORD`` (log-in, only over TLS),
``IAP_REGISTRY_MAIL_FROM`` (the sender address) and ``IAP_REGISTRY_PUBLIC_URL`` (the
address users open the app at, for links; default ``http://localhost:8501``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from registry.i18n import tr

__all__ = [
    "MAX_ATTEMPTS",
    "MailSender",
    "SmtpSettings",
    "messages_for",
    "smtp_settings",
    "wake",
]

_LOG = logging.getLogger("registry.notify")
MAX_ATTEMPTS = 10
_WAKE = threading.Event()  # set when mail is queued: the sender does not wait its poll
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mail is sent (see the module docstring)."""

    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str
    public_url: str
    poll_seconds: float


def smtp_settings() -> SmtpSettings | None:
    """The SMTP settings of this process's environment; None when no host is set."""
    host = (os.environ.get("IAP_REGISTRY_SMTP_HOST") or "").strip()
    if not host:
        return None
    port = int(os.environ.get("IAP_REGISTRY_SMTP_PORT") or 25)
    default_tls = {465: "ssl", 587: "starttls"}.get(port, "none")
    tls = (os.environ.get("IAP_REGISTRY_SMTP_TLS") or default_tls).strip().lower()
    return SmtpSettings(
        host=host,
        port=port,
        tls=tls if tls in ("ssl", "starttls", "none") else default_tls,
        user=os.environ.get("IAP_REGISTRY_SMTP_USER") or None,
        password=os.environ.get("IAP_REGISTRY_SMTP_PASSWORD") or None,
        sender=os.environ.get("IAP_REGISTRY_MAIL_FROM") or f"registro-iap@{host}",
        public_url=(os.environ.get("IAP_REGISTRY_PUBLIC_URL") or "http://localhost:8501").rstrip(
            "/"
        ),
        poll_seconds=float(os.environ.get("IAP_REGISTRY_MAIL_POLL_SECONDS") or 30),
    )


def _one_line(text: Any, limit: int = 120) -> str:
    """``text`` on one line, without control characters (for a subject).

    Examples
    --------
    >>> _one_line("Barrio\\r\\nBcc: x@y.cl")
    'Barrio Bcc: x@y.cl'
    """
    return _CONTROL.sub(" ", str(text or "")).strip()[:limit]


def messages_for(
    event: str,
    record: dict[str, Any],
    recipients: list[dict[str, Any]],
    actor: str,
    public_url: str,
) -> list[dict[str, str]]:
    """The messages telling ``recipients`` (users: ``username``, ``email``, ``lang``) of
    ``event`` (``submitted``, ``published`` or ``rejected``) on ``record``, each in the
    recipient's language, with a link to the entry and, for a rejection, the review note.

    Examples
    --------
    >>> rec = {"id": "ab12", "name": "Clúster <b>vino</b>", "review_note": "falta el RUT"}
    >>> m = messages_for("rejected", rec, [{"username": "ana", "email": "a@x.cl",
    ...                  "lang": "en"}], "maria", "https://iap.example")[0]
    >>> m["subject"]
    'Entry rejected: Clúster <b>vino</b>'
    >>> "https://iap.example/?id=ab12" in m["body"], "falta el RUT" in m["body"]
    (True, True)
    """
    out = []
    name = _one_line(record.get("name"))
    link = f"{public_url}/?id={record['id']}"
    for user in recipients:
        lang = user.get("lang") if user.get("lang") in ("es", "en") else "es"
        lines = [
            tr(f"mail_{event}_body", lang=lang, name=name, actor=actor),
            "",
            link,
        ]
        if event == "rejected" and record.get("review_note"):
            lines[1:1] = ["", tr("mail_review_note", lang=lang), str(record["review_note"])]
        lines += ["", tr("mail_footer", lang=lang)]
        out.append(
            {
                "recipient": str(user["email"]),
                "username": str(user["username"]),
                "subject": tr(f"mail_{event}_subject", lang=lang, name=name),
                "body": "\n".join(lines) + "\n",
            }
        )
    return out


def wake() -> None:
    """Tell the sender that mail was queued."""
    _WAKE.set()


def _next_try(attempts: int) -> str | None:
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = dt.timedelta(minutes=min(2 ** (attempts - 1), 60))
    return (dt.datetime.now(dt.UTC) + delay).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class MailSender:
    """Deliver the outbox of ``store`` with ``settings``: ``send_due`` once, or ``start`` a
    daemon thread that does so when woken and every ``poll_seconds``."""

    def __init__(self, store: Any, settings: SmtpSettings):
        self.store = store
        self.settings = settings
        self._thread: threading.Thread | None = None

    def _message(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = row["recipient"]
        message["Subject"] = _one_line(row["subject"], 200)
        message["Message-ID"] = make_msgid(domain="iap-registry")
        message.set_content(row["body"])  # text/plain, UTF-8
        return message

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=20, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=20)
            if s.tls == "starttls":
                smtp.starttls(context=context)
        if s.user and s.password and s.tls != "none":
            smtp.login(s.user, s.password)
        return smtp

    def send_due(self) -> tuple[int, int]:
        """Send every message that is due; return (sent, failed)."""
        due = self.store.due_mail()
        if not due:
            return 0, 0
        sent = failed = 0
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            for row in due:
                self._failed(row, exc)
            return 0, len(due)
        with smtp:
            for row in due:
                try:
                    smtp.send_message(self._message(row))
                except (OSError, smtplib.SMTPException) as exc:
                    self._failed(row, exc)
                    failed += 1
                else:
                    self.store.mark_mail(row["fid"], True)
                    sent += 1
        if sent:
            _LOG.info("sent %d notification(s)", sent)
        return sent, failed

    def _failed(self, row: dict[str, Any], exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:300]
        retry = _next_try(int(row["attempts"]) + 1)
        self.store.mark_mail(row["fid"], False, error, retry)
        _LOG.warning(
            "notification %s to %s not sent (%s); %s",
            row["fid"],
            row["username"],
            error,
            f"next try {retry}" if retry else "given up",
        )

    def start(self) -> None:
        """Run ``send_due`` in a daemon thread, now, when woken and every poll."""
        if self._thread is not None:
            return

        def loop() -> None:
            while True:
                try:
                    self.send_due()
                except Exception:  # noqa: BLE001 -- the sender must outlive a bad moment
                    _LOG.exception("the mail sender failed; it goes on")
                _WAKE.wait(self.settings.poll_seconds)
                _WAKE.clear()

        self._thread = threading.Thread(target=loop, name="iap-mail", daemon=True)
        self._thread.start()
