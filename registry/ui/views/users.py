"""Users (administrators): add users, change roles, disable, unlock, set a new password;
each user's last log-in and e-mail; the notifications not sent yet. Hashes never shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import timestamp_text, tr
from registry.schema.codes import code_codes, label
from registry.ui import components, resources, state


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    actor = state.actor()
    st.title(tr("ui_page_users", lang=lang), anchor=False)
    try:
        users = reg.list_users()
    except RegistryError as exc:
        st.error(components.plain(exc.user_msg))
        return
    yes, no = tr("ui_yes", lang=lang), tr("ui_no", lang=lang)
    table = pd.DataFrame(
        {
            tr("ui_username", lang=lang): [u["username"] for u in users],
            tr("ui_role", lang=lang): [label("role", u["role"], lang) for u in users],
            tr("ui_disabled", lang=lang): [yes if u["disabled"] else no for u in users],
            tr("ui_locked", lang=lang): [yes if u["locked"] else no for u in users],
            tr("ui_created", lang=lang): [timestamp_text(u["created_at"], lang) for u in users],
            tr("ui_last_login", lang=lang): [
                timestamp_text(u["last_login_at"], lang) if u.get("last_login_at") else "–"
                for u in users
            ],
            tr("ui_email", lang=lang): [u.get("email") or "" for u in users],
            tr("ui_sso_identity", lang=lang): [u.get("identity") or "" for u in users],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    roles = code_codes("role")
    with st.form("add_user"):
        st.subheader(tr("ui_add_user", lang=lang), anchor=False)
        username = st.text_input(tr("ui_username", lang=lang))
        role = st.selectbox(
            tr("ui_role", lang=lang),
            roles,
            format_func=lambda r: label("role", r, lang),
            placeholder=tr("ui_choose", lang=lang),
        )
        password = st.text_input(tr("ui_password", lang=lang), type="password")
        if st.form_submit_button(tr("ui_add_user", lang=lang)):
            try:
                reg.add_user(username.strip(), role, password, actor)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_user_added", lang=lang, user=username.strip()))
                st.rerun()
    if users:
        names = [u["username"] for u in users]
        who = st.selectbox(
            tr("ui_username", lang=lang),
            names,
            key="user_pick",
            placeholder=tr("ui_choose", lang=lang),
        )
        current = next(u for u in users if u["username"] == who)
        c1, c2, c3 = st.columns(3)
        new_role = c1.selectbox(
            tr("ui_role", lang=lang),
            roles,
            index=roles.index(current["role"]),
            format_func=lambda r: label("role", r, lang),
            key="user_role",
            placeholder=tr("ui_choose", lang=lang),
        )
        disabled = c2.checkbox(
            tr("ui_disabled", lang=lang), value=bool(current["disabled"]), key="user_dis"
        )
        unlock = c3.checkbox(tr("ui_unlock", lang=lang), key="user_unlock")
        new_password = st.text_input(
            tr("ui_reset_password", lang=lang), type="password", key="user_new_password"
        )
        if st.button(tr("ui_apply", lang=lang), key="user_apply"):
            try:
                reg.update_user(who, actor, role=new_role, disabled=disabled, unlock=unlock)
                if new_password:  # the user's sessions end; they log in with it
                    reg.set_password(who, new_password, actor)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_done", lang=lang))
                st.rerun()
    _outbox(lang)


def _outbox(lang: str) -> None:
    """The notifications not sent yet, with their last error (the sender retries them)."""
    rows = resources.registry().store.mail_rows(unsent_only=True)
    st.subheader(tr("ui_outbox", lang=lang), anchor=False)
    if not rows:
        st.caption(tr("ui_outbox_empty", lang=lang))
        return
    st.warning(tr("ui_outbox_waiting", lang=lang, n=len(rows)))
    never = tr("ui_outbox_given_up", lang=lang)
    st.dataframe(
        pd.DataFrame(
            {
                tr("ui_created", lang=lang): [timestamp_text(r["created_at"], lang) for r in rows],
                tr("ui_username", lang=lang): [r["username"] for r in rows],
                tr("ui_email", lang=lang): [r["recipient"] for r in rows],
                tr("ui_outbox_subject", lang=lang): [r["subject"] for r in rows],
                tr("ui_outbox_attempts", lang=lang): [r["attempts"] for r in rows],
                tr("ui_outbox_next", lang=lang): [
                    never if r["next_try_at"] == "~" else timestamp_text(r["next_try_at"], lang)
                    for r in rows
                ],
                tr("ui_outbox_error", lang=lang): [r["last_error"] or "" for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )


page()
