"""History of an entry: every version with who and when, what changed, and restore
(managers)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import tr
from registry.ui import resources, state


def _changes(before: dict | None, after: dict | None) -> pd.DataFrame:
    before, after = before or {}, after or {}
    rows = [
        {
            "field": k,
            "before": json.dumps(before.get(k), ensure_ascii=False, default=str),
            "after": json.dumps(after.get(k), ensure_ascii=False, default=str),
        }
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k) and k not in ("version", "updated_at", "updated_by")
    ]
    return pd.DataFrame(rows, columns=["field", "before", "after"])


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    actor = state.actor()
    st.title(tr("ui_page_history", lang=lang), anchor=False)
    frame = resources.entries(resources.version(), f"all|{actor!r}", None, actor)
    if not len(frame):
        st.info(tr("ui_no_entries", lang=lang))
        return
    ids = list(frame["id"])
    names = dict(zip(frame["id"], frame["name"], strict=True))
    wanted = st.query_params.get("id")
    record_id = st.selectbox(
        tr("ui_pick_entry", lang=lang),
        ids,
        index=ids.index(wanted) if wanted in ids else 0,
        format_func=lambda i: names.get(i, i),
        key="history_pick",
    )
    try:
        versions = reg.history(record_id, viewer=actor)
    except RegistryError as exc:
        st.error(exc.user_msg)
        return
    for h in reversed(versions):
        title = tr(
            "ui_history_version",
            lang=lang,
            version=h["version"],
            op=h["operation"],
            actor=h["actor"],
            at=h["at"],
        )
        with st.expander(title, expanded=h is versions[-1]):
            st.dataframe(_changes(h.get("before"), h.get("after")), hide_index=True)
            if actor.role in ("manager", "admin") and h is not versions[-1]:
                if st.button(tr("ui_restore", lang=lang), key=f"restore_{h['version']}"):
                    try:
                        done = reg.revert(record_id, h["version"], actor)
                    except RegistryError as exc:
                        st.error(exc.user_msg)
                    else:
                        st.success(tr("ui_restored", lang=lang, version=done["version"]))
                        st.rerun()


page()
