"""History of an entry: every version with who and when, what changed, and restore
(managers)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from registry.errors import RegistryError
from registry.i18n import has, timestamp_text, tr
from registry.schema.fields import FIELDS, FIELDS_BY_NAME
from registry.ui import components, resources, state

_ORDER = {spec.name: i for i, spec in enumerate(FIELDS)}
_SKIP = ("version", "updated_at", "updated_by")


def _text(value: Any) -> str:
    """A stored value as the text the user typed (lists joined, geometry as WKT)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown(field: str, value: Any, lang: str) -> str:
    """Codes as their labels (``submitted`` reads "Enviada a revisión"), else as typed."""
    if field in FIELDS_BY_NAME and not hasattr(value, "wkt"):
        try:
            return components.field_text(field, value, lang) or _text(value)
        except (TypeError, ValueError):
            return _text(value)
    return _text(value)


def _changes(before: dict | None, after: dict | None, lang: str) -> pd.DataFrame:
    before, after = before or {}, after or {}
    columns = [tr(k, lang=lang) for k in ("ui_field", "ui_before", "ui_after")]
    rows = []
    for k in sorted(set(before) | set(after), key=lambda k: (_ORDER.get(k, 999), k)):
        if before.get(k) == after.get(k) or k in _SKIP:
            continue
        spec = FIELDS_BY_NAME.get(k)
        name = k if spec is None else (spec.es if lang == "es" else spec.en)
        rows.append((name, _shown(k, before.get(k), lang), _shown(k, after.get(k), lang)))
    return pd.DataFrame(rows, columns=columns)


def page() -> None:
    lang = state.language()
    reg = resources.registry()
    actor = state.actor()
    st.title(tr("ui_page_history", lang=lang), anchor=False)
    frame = resources.entries(resources.version(), f"all|{actor!r}", None, actor)
    if not len(frame):
        st.info(tr("ui_no_entries", lang=lang))
        return
    record_id = components.entry_picker(frame, "history_pick", lang)
    try:
        versions = reg.history(record_id, viewer=actor)
    except RegistryError as exc:
        st.error(components.plain(exc.user_msg))
        return
    if not versions:
        st.info(tr("ui_no_entries", lang=lang))
        return
    # the entry's version when the user last saw this page: a restore quotes it, so a
    # change made by someone else since is refused, not undone
    seen = state.seen_before(f"history_{record_id}", versions[-1]["version"])
    public = any(h["actor"] is None for h in versions)
    if public:
        st.caption(tr("ui_history_public", lang=lang))
    for h in reversed(versions):
        op = (
            tr(f"ui_op_{h['operation']}", lang=lang)
            if has(f"ui_op_{h['operation']}")
            else h["operation"]
        )
        at = timestamp_text(h["at"], lang)
        title = (
            tr("ui_history_version_public", lang=lang, version=h["version"], op=op, at=at)
            if h["actor"] is None
            else tr(
                "ui_history_version",
                lang=lang,
                version=h["version"],
                op=op,
                actor=h["actor"],
                at=at,
            )
        )
        with st.expander(components.plain(title), expanded=h is versions[-1]):
            changes = _changes(h.get("before"), h.get("after"), lang)
            st.dataframe(  # every changed field in view, no scrolling inside
                changes, hide_index=True, width="stretch", height=35 * (len(changes) + 1) + 3
            )
            if actor.role in ("manager", "admin") and h is not versions[-1]:
                if st.button(tr("ui_restore", lang=lang), key=f"restore_{h['version']}"):
                    try:
                        done = reg.revert(record_id, h["version"], actor, expected_version=seen)
                    except RegistryError as exc:
                        st.error(components.plain(exc.user_msg))
                    else:
                        st.success(tr("ui_restored", lang=lang, version=done["version"]))
                        st.rerun()


page()
