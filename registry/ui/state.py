"""Every ``st.session_state`` key the app uses, and the filter state in the URL.

The whole filter state lives in the query string (``?sector=tourism,retail_commerce&region=08``)
so that a view can be shared and reopened; ``filters_from_query`` drops values that are not
valid codes instead of failing on a hand-edited URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from registry.auth import VISITOR, Actor
from registry.errors import NotAllowed, SessionEnded
from registry.i18n import LANGUAGES, tr
from registry.schema.codes import code_codes
from registry.store import FILTER_PARAMS, Filters

__all__ = [
    "ACTOR",
    "AFTER_LOGIN",
    "DRILL",
    "EDIT",
    "ENDED",
    "FILTER_PARAMS",
    "LANG",
    "LAST_PAGE",
    "PAGE_PATH",
    "PLACE",
    "SELECTED",
    "VIEW_PARAMS",
    "actor",
    "client_source",
    "filters_from_query",
    "language",
    "log_out",
    "query_from_filters",
    "seen_before",
    "session_token",
    "sso_identity",
]

# session keys
ACTOR = "actor"  # the logged-in Actor (absent: visitor)
LANG = "lang"  # "es" or "en"
SELECTED = "selected_ids"  # ids of the entries clicked on the map
EDIT = "edit_loaded"  # {"id": ..., "version": ..., "record": ...} the form started from
PLACE = "place_vertices"  # [[lon, lat], ...] clicked on the form's map
DRILL = "drill_place"  # a grouped map's place clicked ("comuna:13101"), to become a filter
ENDED = "_session_ended"  # why the session just ended (log-out elsewhere, timeout...): say so once
AFTER_LOGIN = "_after_login"  # just logged in (single sign-on): go on where the user was going
PAGE_PATH = "_page_path"  # the URL path of the page this run shows ("" for the map)
LAST_PAGE = "_last_page"  # the last page (path and query) shown other than the log-in page
FOCUS = "_focus_id"  # the entry the map centred on once, because the URL named it
URL_ID = "_url_id"  # the ``id`` of the URL already acted on
# query parameters kept beside the filters: language, entry, and the map's zoom and centre
# (written by the map's own script as the user moves it)
VIEW_PARAMS = ("lang", "id", "z", "lat", "lng")
_PRIVATE = (ACTOR, EDIT, PLACE, SELECTED, FOCUS, URL_ID)  # what a log-out forgets


# place codes in a URL: Chile's CUT codes (digits) or an ISO 3166-2 admin-1 code (CO-ANT)
_PLACE_CODE = re.compile(r"\d{1,6}|[A-Z]{2}-[A-Z0-9]{1,3}")


def _codes(text: str, code_list: str | None) -> tuple[str, ...]:
    """The valid codes of a comma-separated URL value, once each, in order.

    Examples
    --------
    >>> _codes("05,CO-ANT,MX-NLE,x<y>,05", None)
    ('05', 'CO-ANT', 'MX-NLE')
    """
    values = [v.strip() for v in text.split(",") if v.strip()]
    if code_list is not None:
        allowed = set(code_codes(code_list))
        values = [v for v in values if v in allowed]
    else:
        values = [v for v in values if _PLACE_CODE.fullmatch(v)]
    return tuple(dict.fromkeys(values))


def _year(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() and 1900 < int(text) < 2200 else None


def filters_from_query(params: Mapping[str, Any]) -> Filters:
    """Return the ``Filters`` a query string describes (invalid values are dropped).

    Examples
    --------
    >>> f = filters_from_query({"sector": "tourism,nonsense", "region": "08", "from": "2015"})
    >>> f.sector, f.region, f.start_year_min
    (('tourism',), ('08',), 2015)
    """
    values: dict[str, Any] = {
        field: _codes(str(params.get(param) or ""), code_list)
        for field, (param, code_list) in FILTER_PARAMS.items()
    }
    q = str(params.get("q") or "").strip()[:200]
    return Filters(
        **values,
        q=q or None,
        start_year_min=_year(params.get("from")),
        start_year_max=_year(params.get("to")),
    )


def query_from_filters(filters: Filters) -> dict[str, str]:
    """Return the query parameters of ``filters`` (empty ones left out)."""
    out = {
        param: ",".join(getattr(filters, field))
        for field, (param, _) in FILTER_PARAMS.items()
        if getattr(filters, field)
    }
    if filters.q:
        out["q"] = filters.q
    if filters.start_year_min is not None:
        out["from"] = str(filters.start_year_min)
    if filters.start_year_max is not None:
        out["to"] = str(filters.start_year_max)
    return out


def session_token() -> str | None:
    """The session cookie's token as this page was opened with it (None: none)."""
    from registry.ui.routes import COOKIE

    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) and token else None


def actor() -> Actor:
    """Return the logged-in user as the registry has them now, or ``VISITOR``.

    Every run (each click, each page) reads the session again: from the session cookie
    (``Registry.resume_session``), else from a single sign-on identity (``st.user``,
    ``Registry.sso_session``). A role changed since applies to this run's menu and actions;
    a session ended since (log-out in another tab, idle or too old, the user disabled or
    given a new password) leaves a visitor here, and ``ENDED`` says why once.
    Without either (Streamlit's AppTest, which has no cookies) the actor this page's own
    session holds is resumed as before."""
    from registry.ui import resources

    reg = resources.registry()
    had = st.session_state.get(ACTOR)
    token = session_token()
    try:
        if token:
            now = reg.resume_session(token)
        elif _sso_claims() is not None:
            claims = _sso_claims() or {}
            now, started = reg.sso_session(claims, str(claims.get("provider") or "default"))
            if started:
                st.session_state[AFTER_LOGIN] = True
        elif had is not None:
            now = reg.resume(had)
        else:
            return VISITOR
    except NotAllowed as exc:
        log_out()
        if had is not None or not token:
            if isinstance(exc, SessionEnded):
                key = "session_expired" if exc.expired else "ui_session_ended"
                st.session_state[ENDED] = tr(key, lang=language())
            else:  # a single sign-on identity not (yet) allowed in
                st.session_state[ENDED] = exc.user_msg
        return VISITOR
    if now != had:
        st.session_state[ACTOR] = now
    return now


def sso_identity() -> dict[str, Any] | None:
    """The claims of this page's single sign-on identity (Streamlit's cookie), or None."""
    return _sso_claims()


def _sso_claims() -> dict[str, Any] | None:
    """The claims of the single sign-on identity of this page, or None."""
    try:
        user = st.user
        if not user.get("is_logged_in"):
            return None
        return dict(user.to_dict())
    except Exception:  # noqa: BLE001 -- single sign-on not configured
        return None


def log_out() -> None:
    """Forget the signed-in user and what they were editing."""
    for key in _PRIVATE:
        st.session_state.pop(key, None)


def client_source() -> str:
    """Where the browser connects from, for counting failed log-ins per source: its
    address, or behind a reverse proxy on this machine, the address the proxy names in
    ``X-Real-IP`` (nginx, ``deploy/nginx.conf``); ``local`` on this machine."""
    ip = st.context.ip_address
    if not isinstance(ip, str):  # this machine: the user, or a reverse proxy in front
        forwarded = st.context.headers.get("X-Real-IP")
        forwarded = forwarded.strip() if isinstance(forwarded, str) else ""
        return forwarded[:64] or "local"
    return ip[:64]


def seen_before(key: str, now: Any) -> Any:
    """What the previous run showed under ``key`` (the state the user acted on when they
    pressed a button), remembering ``now`` for the next run: a write quotes the version the
    user saw, so someone else's change in between is refused, never overwritten."""
    before = st.session_state.get(f"_shown_{key}", now)
    st.session_state[f"_shown_{key}"] = now
    return before


def language() -> str:
    """Return the session's language (query parameter ``lang``, else Spanish)."""
    lang = st.session_state.get(LANG) or st.query_params.get("lang") or "es"
    return lang if lang in LANGUAGES else "es"
