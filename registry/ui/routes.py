"""HTTP routes beside the Streamlit app: log-in and log-out set and clear the session cookie.

Streamlit's script cannot set a cookie (it runs over a WebSocket); its documented way is an
HTTP route or middleware of ``st.App``. So the log-in form on *Ingresar* is a plain HTML
form that posts here; this route checks the password (``Registry.login``, with its
lock-out), starts a session (``Registry.start_session``) and answers with a redirect to the
page the user was going to and the cookie:

- ``iap_session``: the 256-bit random token, ``HttpOnly`` (no script in the page can read
  it), ``SameSite=Lax`` (not sent on cross-site posts, frames or images), ``Secure`` when
  the request came over HTTPS (directly or as the proxy's ``X-Forwarded-Proto`` says),
  ``Path=/``, kept for the session's absolute lifetime. The store keeps only its SHA-256.

Both posts are refused unless their ``Origin`` (or, without it, ``Referer``) is this host:
another site cannot log a browser in or out. Nothing here logs the token, the password or
the form; the server's access log has paths only, and neither appears in a URL.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from registry.errors import LoginRefused, RegistryError

__all__ = ["COOKIE", "NEXT_COOKIE", "ROUTES", "safe_next", "same_origin", "with_lang"]

COOKIE = "iap_session"
NEXT_COOKIE = "iap_next"  # where a single sign-on goes back to (ten minutes)
_LOG = logging.getLogger("registry.ui.routes")


def safe_next(value: str | None) -> str:
    """A path on this site to go to after log-in: ``value`` when it is one (a path, with
    its query), else the map.

    Examples
    --------
    >>> safe_next("/entry?id=abc&lang=en"), safe_next("//evil.example/x"), safe_next("http://x")
    ('/entry?id=abc&lang=en', '/', '/')
    """
    text = (value or "").strip()[:2000]
    if not text.startswith("/") or text.startswith(("//", "/\\")) or "\\" in text:
        return "/"
    parts = urllib.parse.urlsplit(text)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in text):
        return "/"
    return text


def with_lang(path: str, lang: str) -> str:
    """``path`` with the page language in its query (a new page load starts from the URL:
    without it, a user reading English would come back in Spanish).

    Examples
    --------
    >>> with_lang("/mine", "en"), with_lang("/entry?id=x", "en"), with_lang("/?lang=es", "en")
    ('/mine?lang=en', '/entry?id=x&lang=en', '/?lang=es')
    """
    parts = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "lang" for k, _ in query):
        return path
    query.append(("lang", lang))
    return urllib.parse.urlunsplit(("", "", parts.path, urllib.parse.urlencode(query), ""))


def same_origin(origin: str, host: str) -> bool:
    """Whether a request's ``Origin`` (or ``Referer``) names the host it was sent to
    (``Host``): the same host name, and the same port unless the proxy left the port out.

    Examples
    --------
    >>> same_origin("https://registro.example.cl", "registro.example.cl")
    True
    >>> same_origin("http://127.0.0.1:8501/account", "127.0.0.1:8501")
    True
    >>> same_origin("https://evil.example", "registro.example.cl")
    False
    >>> same_origin("http://127.0.0.1:9000", "127.0.0.1:8501")
    False
    """
    theirs = urllib.parse.urlsplit(origin)
    ours = urllib.parse.urlsplit("//" + host)
    try:
        if not theirs.hostname or theirs.hostname != ours.hostname:
            return False
        return ours.port is None or theirs.port == ours.port
    except ValueError:  # a port that is not a number
        return False


def _same_origin(request: Request) -> bool:
    host = request.headers.get("host", "")
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value:
            return same_origin(value, host)
    return False


def _secure(request: Request) -> bool:
    setting = (os.environ.get("IAP_REGISTRY_SECURE_COOKIE") or "auto").lower()
    if setting in ("always", "never"):
        return setting == "always"
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    return proto.split(",")[0].strip() == "https"


def _source(request: Request) -> str:
    """The client's address; behind a proxy on this machine, the one it names."""
    ip = request.client.host if request.client else ""
    if ip in ("127.0.0.1", "::1", ""):
        forwarded = request.headers.get("x-real-ip", "").strip()
        return forwarded[:64] or "local"
    return ip[:64]


def _registry() -> Any:
    from registry.ui import resources

    return resources.registry()


def _lang(value: Any) -> str:
    return value if value in ("es", "en") else "es"


def _account(next_path: str, lang: str, **extra: str) -> str:
    query = urllib.parse.urlencode({"next": next_path, "lang": lang, **extra})
    return f"/account?{query}"


async def login(request: Request) -> Response:
    """Check the posted user name and password; on success start a session and go on to
    ``next`` with the cookie set, else back to the log-in page saying why."""
    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    username = str(form.get("username") or "").strip()[:200]
    password = str(form.get("password") or "")[:1000]
    next_path = safe_next(str(form.get("next") or "/"))
    lang = _lang(form.get("ui_lang"))

    def attempt() -> tuple[str | None, str, dict[str, str]]:
        from registry.i18n import set_language

        set_language(lang)
        reg = _registry()
        try:
            actor = reg.login(username, password, source=_source(request))
        except LoginRefused as exc:
            extra = {"login": "locked", "minutes": str(exc.minutes)} if exc.minutes else {}
            return None, "", extra or {"login": "failed"}
        return reg.start_session(actor), actor.username, {}

    try:
        token, name, extra = await run_in_threadpool(attempt)
    except RegistryError:
        _LOG.exception("log-in could not be checked")
        return RedirectResponse(_account(next_path, lang, login="unavailable"), status_code=303)
    if token is None:
        return RedirectResponse(_account(next_path, lang, **extra), status_code=303)
    response = RedirectResponse(with_lang(next_path, lang), status_code=303)
    from registry.api.sessions import session_settings

    response.set_cookie(
        COOKIE,
        token,
        max_age=int(session_settings().lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(NEXT_COOKIE, path="/")
    _LOG.info("log-in of %s", name)
    return response


async def logout(request: Request) -> Response:
    """End the session of the cookie in the store, clear the cookie, go to the map."""
    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(lambda: _registry().end_session(token))
    lang = _lang(form.get("ui_lang"))
    response = RedirectResponse(f"/?lang={lang}", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def sso(request: Request) -> Response:
    """Remember where to go back to (``next``) in a short cookie, then start the single
    sign-on of ``provider`` on the log-in page (``st.login`` there)."""
    provider = request.query_params.get("provider", "")
    if not provider.replace("_", "").replace("-", "").isalnum():
        return PlainTextResponse("Bad request", status_code=400)
    lang = _lang(request.query_params.get("lang"))
    response = RedirectResponse(
        "/account?" + urllib.parse.urlencode({"sso": provider, "lang": lang}), status_code=303
    )
    response.set_cookie(
        NEXT_COOKIE,
        with_lang(safe_next(request.query_params.get("next")), lang),
        max_age=600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


ROUTES = [
    Route("/session/login", login, methods=["POST"]),
    Route("/session/logout", logout, methods=["POST"]),
    Route("/session/sso", sso, methods=["GET"]),
]
