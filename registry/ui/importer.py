"""Importing a file of entries in the app: upload, a dry run that lists every problem by row
(rows as Excel numbers them), then the import itself, all or nothing, as on the command line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from registry.errors import Problem, RegistryError, ValidationFailed
from registry.i18n import number, tr
from registry.schema.fields import FIELDS_BY_NAME
from registry.ui import resources, state
from registry.ui.components import plain

__all__ = ["import_panel"]

_TYPES = ["csv", "xlsx", "geojson", "json", "gpkg"]
_SHOWN = 50  # problems listed on the page; the count says the rest
_CHECKED = "_import_checked"  # (file name, size, report message, rows) of a passed dry run


def _show_problems(problems: list[Problem], lang: str) -> None:
    """The problems as a list that wraps (row first, in bold), every value escaped."""
    items = []
    for p in problems[:_SHOWN]:
        spec = FIELDS_BY_NAME.get(p.field)
        field = (spec.es if lang == "es" else spec.en) if spec else p.field
        text = plain(f"{field}: {p.message}")
        if p.row is not None:
            text = f"**{plain(tr('ui_import_row', lang=lang, row=p.row))}** · {text}"
        items.append(f"- {text}")
    st.markdown("\n".join(items))


def _run(upload: Any, dry_run: bool, lang: str) -> Any:
    """Import ``upload`` (a Streamlit upload) through ``Registry.import_file``, with a
    progress bar that says what the import is doing (reading, checking rows, saving)."""
    suffix = Path(upload.name).suffix.lower() or ".csv"
    start = tr("ui_import_checking" if dry_run else "ui_import_running", lang=lang)
    bar = st.progress(0.0, text=start)

    def tell(share: float, text: str) -> None:
        bar.progress(min(max(share, 0.0), 1.0), text=text)

    try:
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"upload{suffix}"
            target.write_bytes(upload.getvalue())
            return resources.registry().import_file(
                target, state.actor(), dry_run=dry_run, progress=tell
            )
    finally:
        bar.empty()


def import_panel(lang: str) -> None:
    """The import panel: choose a file, check it (nothing written), then import it."""
    st.caption(tr("ui_import_help", lang=lang))
    upload = st.file_uploader(tr("ui_import_file", lang=lang), type=_TYPES, key="entry_upload")
    ident = (upload.name, upload.size) if upload is not None else None
    checked = st.session_state.get(_CHECKED)
    if checked and checked[:2] != ident:
        st.session_state.pop(_CHECKED, None)
        checked = None
    check = st.button(tr("ui_import_check", lang=lang), key="import_check", disabled=upload is None)
    if check and upload is not None:
        try:
            report = _run(upload, dry_run=True, lang=lang)
        except ValidationFailed as exc:
            st.error(plain(exc.user_msg))
            _show_problems(exc.problems, lang)
            if exc.total > _SHOWN:
                more = number(exc.total - _SHOWN, lang)
                st.caption(tr("ui_problems_more", lang=lang, n=more, shown=_SHOWN))
            return
        except RegistryError as exc:
            st.error(plain(exc.user_msg))
            return
        told = tr(
            "ui_import_checked_ok",
            lang=lang,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )
        st.session_state[_CHECKED] = (*ident, " ".join([*report.notes, told]))  # type: ignore[misc]
        checked = st.session_state[_CHECKED]
    if not checked:
        return
    st.info(plain(checked[2]))
    if st.button(tr("ui_import_run", lang=lang), key="import_run", type="primary"):
        try:
            report = _run(upload, dry_run=False, lang=lang)
        except RegistryError as exc:  # changed since the check: nothing written
            st.session_state.pop(_CHECKED, None)
            st.error(plain(exc.user_msg))
            if isinstance(exc, ValidationFailed):
                _show_problems(exc.problems, lang)
            return
        st.session_state.pop(_CHECKED, None)
        st.session_state["_flash"] = report.message()
        st.rerun()
