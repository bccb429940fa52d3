"""Every page read in Spanish as a person reads it: the visible text and the texts of
placeholders, tooltips and labels must hold no English from the list below."""

from __future__ import annotations

import re
from typing import Any

from registry.i18n import tr
from tests.e2e.harness import App, login, shot, wait_idle

# English a Spanish reader met in the review, and Streamlit's own texts
ENGLISH = (
    "Select all",
    "Choose an option",
    "Choose",
    "Select",
    "Press Enter",
    "Drag and drop",
    "Browse files",
    "per file",
    "No results",
    "None",
    "NaN",
    "True",
    "False",
    "username",
    "failed_logins",
    "locked_until",
    "created_at",
    "updated_at",
    "submitted",
    "published",
    "draft",
    "rejected",
    "Running",
    "Download",
    "Search",
    "million",
    "employed",
    "persons",
    "UTC",
)
_WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

# Streamlit-internal labels no parameter sets, read by screen readers only: BaseWeb's date
# picker names its input "Choose date…" (a known gap; a Spanish date field would need a
# component of our own)
ALLOWED_ARIA = re.compile(r"^Choose date")

READ_JS = """() => {
    const parts = [document.body.innerText];
    document.querySelectorAll('[placeholder], [aria-label], [title]').forEach(e => {
        if (!e.checkVisibility()) return;  // not shown, not read out (display: none)
        for (const a of ['placeholder', 'aria-label', 'title']) {
            const v = e.getAttribute(a);
            if (v && !(a === 'aria-label' && ALLOWED.test(v))) parts.push(v);
        }
    });
    return parts.join('\\n');
}"""

PAGES = (
    "ui_page_map",
    "ui_page_mine",
    "ui_page_stats",
    "ui_page_entry",
    "ui_page_history",
    "ui_page_monitoring",
    "ui_page_review",
    "ui_page_programme",
    "ui_page_users",
    "ui_page_account",
)


def english_in(text: str) -> list[str]:
    """The lines of ``text`` holding a word of ``ENGLISH``."""
    return [line.strip() for line in text.splitlines() if _WORDS.search(line)]


def test_english_in_finds_what_it_should() -> None:
    assert english_in("Elija…\nChoose an option\nNúmero: None") == [
        "Choose an option",
        "Número: None",
    ]
    assert english_in("Nombre de usuario\nPublicada\nSeleccione") == []


def test_every_page_reads_in_spanish(page: Any, app: App) -> None:
    login(page, app, "root")
    found: dict[str, list[str]] = {}
    for key in PAGES:
        page.get_by_role("link", name=tr(key, lang="es"), exact=True).first.click()
        page.wait_for_timeout(500)
        wait_idle(page)
        if key == "ui_page_map":  # the productivity layer's legend: series, unit, source
            page.get_by_text(tr("ui_prod_level", lang="es"), exact=True).click()
            wait_idle(page)
        page.wait_for_timeout(1500)  # charts and maps settle
        wait_idle(page)
        shot(page, f"spanish-{key.removeprefix('ui_page_')}")
        frames = [page.main_frame, *page.frames[1:]]
        text = "\n".join(
            f.evaluate(READ_JS.replace("ALLOWED", ALLOWED_ARIA.pattern.join(["/", "/"])))
            for f in frames
            if not f.is_detached()
        )
        lines = english_in(text)
        if lines:
            found[key] = sorted(set(lines))[:15]
    for key, lines in found.items():
        print(key, lines)
    assert not found, found
