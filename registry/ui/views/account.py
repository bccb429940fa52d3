"""Log-in (or single sign-on), and for a logged-in user: log-out, notifications and a new
password. Users and argon2id hashes live in the store; the session cookie is set and cleared
by ``registry.ui.routes``."""

from __future__ import annotations

import streamlit as st

from registry.errors import RegistryError
from registry.i18n import tr
from registry.schema.codes import label
from registry.ui import components, resources, signin, state
from registry.ui.routes import safe_next


def _visitor(lang: str) -> None:
    st.header(tr("ui_page_login", lang=lang), anchor=False)
    provider = st.query_params.get("sso")
    if provider and provider in signin.sso_providers():
        # the single sign-on button went through /session/sso (which kept ``next``)
        st.login(None if provider == "default" else provider)
        return
    wanted = st.query_params.get("next") or st.session_state.get(state.LAST_PAGE) or "/mine"
    signin.login_form(lang, safe_next(wanted))
    if state.sso_identity() is not None:  # signed in at the provider, not (yet) allowed here
        if st.button(tr("ui_sso_leave", lang=lang)):
            st.logout()


def _account(lang: str) -> None:
    reg = resources.registry()
    actor = state.actor()
    st.header(tr("ui_page_account", lang=lang), anchor=False)
    user = reg.store.get_user(actor.username) or {}
    st.text(f"{actor.username} · {label('role', actor.role, lang)}")
    if state.session_token():
        signin.logout_form(lang)
    elif st.button(tr("ui_logout", lang=lang)):  # single sign-on: Streamlit's own cookie
        claims = dict(st.user.to_dict())
        reg.end_sso_session(claims, str(claims.get("provider") or "default"))
        state.log_out()
        st.logout()

    st.subheader(tr("ui_notifications", lang=lang), anchor=False)
    with st.form("notifications"):
        email = st.text_input(tr("ui_email", lang=lang), value=user.get("email") or "")
        notify = st.checkbox(
            tr("ui_notify", lang=lang), value=bool(user.get("notify", True) is not False)
        )
        if st.form_submit_button(tr("ui_save", lang=lang)):
            try:
                reg.set_contact(actor, email.strip() or None, notify, lang)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_notifications_saved", lang=lang))

    if user.get("identity"):
        return  # a single sign-on account has no password here
    st.subheader(tr("ui_change_password", lang=lang), anchor=False)
    with st.form("password"):
        current = st.text_input(tr("ui_current_password", lang=lang), type="password")
        new = st.text_input(tr("ui_new_password", lang=lang), type="password")
        if st.form_submit_button(tr("ui_change_password", lang=lang)):
            try:
                # the current password first (counted like a log-in): a session left open
                # is not enough to take the account; every other session of it ends
                now = reg.change_password(
                    actor,
                    current,
                    new,
                    source=state.client_source(),
                    token=state.session_token(),
                )
                st.session_state[state.ACTOR] = now
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_password_changed", lang=lang))


def page() -> None:
    lang = state.language()
    if state.actor().role == "visitor":
        _visitor(lang)
    else:
        _account(lang)


page()
