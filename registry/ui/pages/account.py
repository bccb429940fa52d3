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
                    st.session_state[state.ACTOR] = reg.login(
                        username.strip(), password, source=state.client_source()
                    )
                except RegistryError as exc:
                    st.error(components.plain(exc.user_msg))
                else:  # on to the user's own initiatives (app.py, once the menu has them)
                    st.session_state[state.AFTER_LOGIN] = True
                    st.rerun()
        return
    st.header(tr("ui_page_account", lang=lang), anchor=False)
    st.text(actor.username)
    if st.button(tr("ui_logout", lang=lang)):
        state.log_out()
        st.rerun()
    with st.form("password"):
        current = st.text_input(tr("ui_current_password", lang=lang), type="password")
        new = st.text_input(tr("ui_new_password", lang=lang), type="password")
        if st.form_submit_button(tr("ui_change_password", lang=lang)):
            try:
                # the current password first (counted like a log-in): a session left open
                # is not enough to take the account
                reg.login(actor.username, current, source=state.client_source())
                reg.set_password(actor.username, new, actor)
                # the new password ends every session of the account; this one goes on
                st.session_state[state.ACTOR] = reg.actor(actor.username)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_password_changed", lang=lang))


page()
