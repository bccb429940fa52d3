"""Streamlit entry point: page config, shared sidebar (language, session), and the router.

Run with ``make run`` or ``streamlit run app.py``. All UI code lives in ``registry/ui``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from registry.i18n import set_language, tr
from registry.schema.codes import label
from registry.ui import components, state
from registry.ui.logs import redact_session_ids
from registry.ui.resources import static_files, unavailable

redact_session_ids()  # once per process: session ids never reach the server's log
st.set_page_config(
    page_title="Registro IAP", layout="wide"
)  # no icons: page icons become favicons fetched online

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
    static_files(str(Path(__file__).parent / "static"))  # once per process (cached)
    actor = state.actor()  # as the registry has the user now, at every run
    if st.session_state.pop(state.ENDED, False):
        st.warning(tr("ui_session_ended", lang=lang))
    if actor.role == "visitor":
        st.sidebar.caption(tr("ui_visitor", lang=lang))
    else:
        role = label("role", actor.role, lang)
        st.sidebar.caption(
            components.plain(tr("ui_logged_as", lang=lang, user=actor.username, role=role))
        )

    PAGES = "registry/ui/pages"
    pages = [st.Page(f"{PAGES}/map.py", title=tr("ui_page_map", lang=lang), default=True)]
    mine = st.Page(f"{PAGES}/mine.py", title=tr("ui_page_mine", lang=lang))
    if actor.role != "visitor":
        pages.append(mine)
    pages += [
        st.Page(f"{PAGES}/stats.py", title=tr("ui_page_stats", lang=lang)),
        st.Page(f"{PAGES}/entry.py", title=tr("ui_page_entry", lang=lang)),
        st.Page(f"{PAGES}/history.py", title=tr("ui_page_history", lang=lang)),
        st.Page(f"{PAGES}/monitoring.py", title=tr("ui_page_monitoring", lang=lang)),
    ]
    if actor.role in ("manager", "admin"):
        pages.append(st.Page(f"{PAGES}/review.py", title=tr("ui_page_review", lang=lang)))
        pages.append(st.Page(f"{PAGES}/programme.py", title=tr("ui_page_programme", lang=lang)))
    if actor.role == "admin":
        pages.append(st.Page(f"{PAGES}/users.py", title=tr("ui_page_users", lang=lang)))
    account = "ui_page_login" if actor.role == "visitor" else "ui_page_account"
    pages.append(st.Page(f"{PAGES}/account.py", title=tr(account, lang=lang)))
    current = st.navigation(pages)
    if st.session_state.pop(state.AFTER_LOGIN, False) and actor.role != "visitor":
        st.switch_page(mine)
    current.run()
