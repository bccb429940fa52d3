"""The log-in form, single sign-on buttons and log-out, as the pages show them.

The log-in form is plain HTML (``st.html``) posting to ``/session/login``
(``registry.ui.routes``), because only an HTTP answer can set the ``HttpOnly`` session
cookie; it carries ``next``, the page and query string the user was going to, so that the
log-in lands there. Every value written into it is HTML-escaped. Field names avoid the
names of DOM properties (``lang``, ``action``...): Streamlit's HTML sanitiser (DOMPurify)
drops those, as it should, to prevent DOM clobbering.
"""

from __future__ import annotations

import html
import urllib.parse
from typing import Any

import streamlit as st

from registry.i18n import tr
from registry.ui import state
from registry.ui.routes import NEXT_COOKIE, safe_next

__all__ = [
    "ask_login",
    "current_path",
    "go_on",
    "login_form",
    "login_wall",
    "logout_form",
    "sso_providers",
]

_STYLE = """
<style>
.iap-login{display:flex;flex-direction:column;gap:.6rem;max-width:26rem}
.iap-login label{font-size:.875rem;color:inherit}
.iap-login input[type=text],.iap-login input[type=password]{font:inherit;padding:.5rem .75rem;
 border:1px solid #c8ccd4;border-radius:.5rem;background:#f0f2f6}
.iap-login input:focus{outline:2px solid #0072b2;outline-offset:1px}
.iap-login button{font:inherit;align-self:flex-start;padding:.4rem .9rem;border-radius:.5rem;
 border:1px solid #c8ccd4;background:#fff;cursor:pointer}
.iap-login button:hover,.iap-sso:hover{border-color:#0072b2;color:#0072b2}
.iap-sso{align-self:flex-start;padding:.4rem .9rem;border-radius:.5rem;border:1px solid #c8ccd4;
 color:inherit;text-decoration:none}
</style>
"""


def current_path() -> str:
    """This page's path and query string (what a log-in started here goes back to)."""
    path = "/" + str(st.session_state.get(state.PAGE_PATH) or "")
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("next", "login")}
    return path + ("?" + urllib.parse.urlencode(query) if query else "")


def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def login_form(lang: str, next_path: str) -> None:
    """The log-in form (user name, password), going on to ``next_path`` once logged in;
    the message of a refused attempt first, and the single sign-on buttons after."""
    reason = st.query_params.get("login")
    if reason == "locked":
        minutes = st.query_params.get("minutes") or "15"
        st.error(tr("login_locked", lang=lang, minutes=int(minutes) if minutes.isdigit() else 15))
    elif reason == "failed":
        st.error(tr("login_failed", lang=lang))
    elif reason == "unavailable":
        st.error(tr("ui_unavailable", lang=lang))
    target = safe_next(next_path)
    st.html(
        _STYLE
        + '<form class="iap-login" method="post" action="/session/login">'
        + f'<label for="iap-user">{_esc(tr("ui_username", lang=lang))}</label>'
        + '<input type="text" id="iap-user" name="username" autocomplete="username" '
        + 'required maxlength="200" autocapitalize="none" spellcheck="false">'
        + f'<label for="iap-password">{_esc(tr("ui_password", lang=lang))}</label>'
        + '<input type="password" id="iap-password" name="password" '
        + 'autocomplete="current-password" required maxlength="1000">'
        + f'<input type="hidden" name="next" value="{_esc(target)}">'
        + f'<input type="hidden" name="ui_lang" value="{_esc(lang)}">'
        + f'<button type="submit">{_esc(tr("ui_login", lang=lang))}</button>'
        + "</form>"
    )
    providers = sso_providers()
    if providers:
        st.caption(tr("ui_sso_or", lang=lang))
    links = []
    for name in providers:  # a plain link: the whole page goes to the provider and back
        query = urllib.parse.urlencode({"provider": name, "next": target, "lang": lang})
        text = tr("ui_sso_login", lang=lang, provider=name.replace("_", " ").title())
        links.append(f'<a class="iap-sso" href="/session/sso?{_esc(query)}">{_esc(text)}</a>')
    if links:
        st.html(_STYLE + '<div class="iap-login">' + "".join(links) + "</div>")


def logout_form(lang: str) -> None:
    """The log-out button: a post that ends the session in the store and clears the
    cookie (``/session/logout``)."""
    st.html(
        _STYLE
        + '<form class="iap-login" method="post" action="/session/logout">'
        + f'<input type="hidden" name="ui_lang" value="{_esc(lang)}">'
        + f'<button type="submit">{_esc(tr("ui_logout", lang=lang))}</button></form>'
    )


def sso_providers() -> list[str]:
    """The single sign-on providers configured for ``st.login`` in ``secrets.toml``
    (``[auth.NAME]`` sections; ``default`` for a flat ``[auth]``)."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 -- no secrets file: no single sign-on
        return []
    if not auth:
        return []
    names = [k for k, v in auth.items() if hasattr(v, "keys")]
    if not names and "client_id" in auth:
        return ["default"]
    return sorted(names)


def login_wall() -> None:
    """A page that needs a log-in, opened by a visitor: its title, and the log-in form
    that goes on to it."""
    lang = state.language()
    title = st.session_state.get(state.PAGE_PATH) or ""
    st.title(tr(f"ui_page_{title}", lang=lang), anchor=False)
    ask_login(lang)


def ask_login(lang: str) -> None:
    """Say that this page needs a log-in, and offer it: then back here, query and all."""
    st.info(tr("ui_login_needed", lang=lang))
    login_form(lang, current_path())


def go_on(pages: list[Any], fallback: Any) -> None:
    """After a single sign-on: switch to the page the user was going to (the path kept
    by ``/session/sso``), or to ``fallback``."""
    wanted = safe_next(st.context.cookies.get(NEXT_COOKIE))
    parts = urllib.parse.urlsplit(wanted)
    path = parts.path.strip("/")
    query = dict(urllib.parse.parse_qsl(parts.query))
    found = [p for p in pages if p.url_path == path]
    if wanted == "/" or not found:
        st.switch_page(fallback)
    st.switch_page(found[0], query_params=query or None)
