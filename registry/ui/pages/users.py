"""Users (administrators): add users, change roles, disable, unlock. Hashes never shown."""

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
        if st.button(tr("ui_apply", lang=lang), key="user_apply"):
            try:
                reg.update_user(who, actor, role=new_role, disabled=disabled, unlock=unlock)
            except RegistryError as exc:
                st.error(components.plain(exc.user_msg))
            else:
                st.success(tr("ui_done", lang=lang))
                st.rerun()


page()
