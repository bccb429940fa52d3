"""The message catalogue, kept in gettext files and read through Babel.

Layout (``registry/i18n/locale/``)::

    messages.pot                      Spanish, the source language: msgctxt = key, msgid = text
    en/LC_MESSAGES/messages.po        English: msgctxt = key, msgid = the Spanish, msgstr = English
    units.pot                         units of the bundled series as the data writes them (English)
    es/LC_MESSAGES/units.po           their Spanish

Code asks for a message by key (``tr("required")``); the key is the gettext context, so a
translator works on ordinary ``.po`` files (Poedit, Weblate, ``msgmerge``) and sees the Spanish
text beside the translation. After changing Spanish text in ``messages.pot``, run::

    .venv/bin/pybabel update -D messages -i registry/i18n/locale/messages.pot \
        -d registry/i18n/locale --ignore-obsolete --width 100

which marks the English entries whose source changed as fuzzy; ``tests/test_i18n.py`` fails
until they are translated again. Files are read with Babel's ``read_po`` (about 20 ms for the
whole catalogue) rather than compiled to ``.mo``, so there is no build step to forget.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

__all__ = ["LOCALE_DIR", "messages", "read", "units"]

LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LANGUAGE = "es"


def read(path: Path) -> Catalog:
    """Read one ``.po``/``.pot`` file as a Babel catalogue."""
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every message by key and language: ``{key: {"es": text, "en": text, ...}}``.

    A translation that is empty or marked fuzzy is left out, so ``tr`` falls back to Spanish
    for it (and the catalogue test fails).
    """
    out: dict[str, dict[str, str]] = {}
    for message in read(LOCALE_DIR / "messages.pot"):
        if message.id and message.context:
            out[message.context] = {SOURCE_LANGUAGE: str(message.id)}
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")):
        lang = po.parts[-3]
        for message in read(po):
            if message.context in out and message.string and not message.fuzzy:
                out[message.context][lang] = str(message.string)
    return out


@cache
def units(lang: str) -> dict[str, str]:
    """Translations of unit texts (as the data writes them) into ``lang``; empty if none."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "units.po"
    if not path.exists():
        return {}
    return {str(m.id): str(m.string) for m in read(path) if m.id and m.string and not m.fuzzy}
