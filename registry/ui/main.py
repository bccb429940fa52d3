"""The Streamlit script: page config, shared sidebar (language, session), and the router.

``app.py`` serves it (``st.App``) beside the session routes (``registry.ui.routes``); run
with ``make run`` or ``streamlit run app.py``. All UI code lives in ``registry/ui``.
"""

from __future__ import annotations

import streamlit as st

from registry.i18n import set_language, tr
from registry.schema.codes import label
from registry.ui import components, signin, state
from registry.ui.logs import redact_session_ids
from registry.ui.resources import (
    STATIC_DIR,
    mail_sender,
    settle_heap,
    static_files,
    unavailable,
)
from registry.ui.runlog import timed_run

redact_session_ids()  # once per process: session ids never reach the server's log
st.set_page_config(
    page_title="Registro IAP", layout="wide"
)  # no icons: page icons become favicons fetched online

run: dict[str, str] = {}  # the page, once the router knows it (for the run log)
with timed_run(run):
    lang = st.sidebar.selectbox(
        "Idioma / Language",
        ["es", "en"],
        index=["es", "en"].index(state.language()),
        format_func=lambda code: {"es": "Español", "en": "English"}[code],
        key=state.LANG,
        placeholder="Idioma / Language",
    )
    set_language(lang)  # messages raised by registry.api come in the session's language
    # Streamlit's own English texts that no parameter sets: the hover toolbar of tables and
    # charts ("Download as CSV", "Search"; the pages offer their own downloads) and a text
    # field's "Press Enter to submit form" hint
    st.html(
        "<style>[data-testid='stElementToolbar'],[data-testid='InputInstructions']"
        "{display:none !important}</style>"
    )

    with unavailable(lang):  # the store down or damaged: a plain message, details in the log
        static_files(str(STATIC_DIR))  # once per process (cached)
        mail_sender()  # started once per process, when SMTP is set
        actor = state.actor()  # as the registry has the user now, at every run
        ended = st.session_state.pop(state.ENDED, None)
        if ended:  # (core messages start in lower case: they also follow "error:" on the CLI)
            st.warning(components.plain(ended[:1].upper() + ended[1:]))
        if actor.role == "visitor":
            st.sidebar.caption(tr("ui_visitor", lang=lang))
        else:
            role = label("role", actor.role, lang)
            st.sidebar.caption(
                components.plain(tr("ui_logged_as", lang=lang, user=actor.username, role=role))
            )

        PAGES = "views"
        pages = [st.Page(f"{PAGES}/map.py", title=tr("ui_page_map", lang=lang), default=True)]
        # a visitor's link to a page that needs a log-in (shared, or bookmarked) opens it
        # with the log-in form, which then goes on to that very page
        hidden = "hidden" if actor.role == "visitor" else "visible"
        mine = st.Page(f"{PAGES}/mine.py", title=tr("ui_page_mine", lang=lang), visibility=hidden)
        pages.append(mine)
        pages += [
            st.Page(f"{PAGES}/stats.py", title=tr("ui_page_stats", lang=lang)),
            st.Page(f"{PAGES}/entry.py", title=tr("ui_page_entry", lang=lang)),
            st.Page(f"{PAGES}/history.py", title=tr("ui_page_history", lang=lang)),
            st.Page(f"{PAGES}/monitoring.py", title=tr("ui_page_monitoring", lang=lang)),
        ]
        restricted = [("review", "ui_page_review"), ("programme", "ui_page_programme")]
        if actor.role == "admin" or actor.role == "visitor":
            restricted.append(("users", "ui_page_users"))
        if actor.role in ("manager", "admin"):
            pages += [
                st.Page(f"{PAGES}/{name}.py", title=tr(key, lang=lang)) for name, key in restricted
            ]
        elif actor.role == "visitor":
            pages += [
                st.Page(
                    signin.login_wall, title=tr(key, lang=lang), url_path=name, visibility="hidden"
                )
                for name, key in restricted
            ]
        account = "ui_page_login" if actor.role == "visitor" else "ui_page_account"
        pages.append(st.Page(f"{PAGES}/account.py", title=tr(account, lang=lang)))
        current = st.navigation(pages)
        run["path"] = current.url_path or "map"
        st.session_state[state.PAGE_PATH] = current.url_path
        if current.url_path != "account":
            st.session_state[state.LAST_PAGE] = signin.current_path()
        if st.session_state.pop(state.AFTER_LOGIN, False) and actor.role != "visitor":
            signin.go_on(pages, mine)  # single sign-on: on to where the user was going
        current.run()
        settle_heap()  # once per process, the caches warm
