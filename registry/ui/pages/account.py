"""Log-in, log-out and password change (users and argon2id hashes live in the store)."""

from __future__ import annotations

import streamlit as st

from registry.errors import RegistryError
from registry.i18n import tr
from registry.ui import components, resources, state


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    actor = state.actor()
    if actor.role == "visitor":
        st.header(tr("ui_page_login", lang=lang), anchor=False)
        with st.form("login"):
            username = st.text_input(tr("ui_username", lang=lang), key="login_user")
            password = st.text_input(
                tr("ui_password", lang=lang), type="password", key="login_password"
            )
            if st.form_submit_button(tr("ui_login", lang=lang)):
                try:
                    st.session_state[state.ACTOR] = reg.login(username.strip(), password)
                except RegistryError as exc:
                    st.error(components.plain(exc.user_msg))
                else:
                    st.rerun()
        return
    st.header(tr("ui_page_account", lang=lang), anchor=False)
    st.text(actor.username)
    if st.button(tr("ui_logout", lang=lang)):
        for key in (state.ACTOR, state.EDIT, state.PLACE, state.SELECTED):
            st.session_state.pop(key, None)
        st.rerun()
    with st.form("password"):
        new = st.text_input(tr("ui_new_password", lang=lang), type="password")
        if st.form_submit_button(tr("ui_change_password", lang=lang)):
            try:
                reg.set_password(actor.username, new, actor)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_password_changed", lang=lang))


page()
