"""The message catalogue: gettext files every translator tool reads, complete in both languages.

A key used in the code and missing from the catalogue, a translation left empty or fuzzy, a
translation whose Spanish source changed (``msgid`` no longer equal to the template's), or
placeholders that differ between languages each fail here, before a page shows a raw key or a
``KeyError``.
"""

from __future__ import annotations

import ast
import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from registry.i18n import LANGUAGES, tr
from registry.i18n.catalog import LOCALE_DIR, read, units
from registry.paths import geodata_dir

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = LOCALE_DIR / "messages.pot"
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _entries(path: Path) -> dict[str, object]:
    return {m.context: m for m in read(path) if m.id and m.context}


def _code_keys() -> tuple[set[str], set[str], set[str]]:
    """Keys passed as literals to ``tr``/``has``, prefixes of f-string keys, all string literals."""
    literal, prefixes, strings = set(), set(), set()
    for path in [*(ROOT / "registry").rglob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and str(head.value).endswith("_"):
                    prefixes.add(str(head.value))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "has")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                literal.add(node.args[0].value)
    return literal, prefixes, strings


def test_every_key_the_code_asks_for_is_in_the_catalogue() -> None:
    keys = set(_entries(TEMPLATE))
    literal, _, _ = _code_keys()
    assert len(literal) > 250, "the scan found too few tr() calls to be reading the code"
    assert sorted(literal - keys) == []


def test_no_key_in_the_catalogue_is_dead() -> None:
    _, prefixes, strings = _code_keys()

    def alive(key: str) -> bool:
        return (
            key in strings
            or any(key.startswith(p) for p in prefixes)
            # built by concatenation, as ``prefix + "import_ok"``
            or any(key[:i] in strings and key[i:] in strings for i in range(1, len(key)))
        )

    dead = [key for key in _entries(TEMPLATE) if not alive(key)]
    assert dead == []


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "es"])
def test_each_translation_is_complete_current_and_keeps_the_placeholders(lang: str) -> None:
    source = _entries(TEMPLATE)
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    translated = _entries(po)
    problems = []
    for key, message in source.items():
        other = translated.get(key)
        if other is None:
            problems.append(f"{key}: missing in {lang}")
            continue
        if not other.string:
            problems.append(f"{key}: not translated")
        if other.fuzzy:
            problems.append(f"{key}: fuzzy (the Spanish changed; check the translation)")
        if other.id != message.id:
            problems.append(f"{key}: translated from an older Spanish text ({other.id!r})")
        names = sorted(PLACEHOLDER.findall(str(message.id)))
        if other.string and sorted(PLACEHOLDER.findall(str(other.string))) != names:
            problems.append(f"{key}: placeholders {names} not kept in {other.string!r}")
    problems += [f"{key}: not in the template" for key in set(translated) - set(source)]
    assert problems == []


def test_the_catalogue_compiles_with_gnu_gettext() -> None:
    """``msgfmt --check`` (what translators' tools run) accepts every file, formats included."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt (Debian package gettext) is needed; `make sysdeps` installs it"
    files = sorted([*LOCALE_DIR.glob("*.pot"), *LOCALE_DIR.glob("*/LC_MESSAGES/*.po")])
    assert len(files) == 4
    for path in files:
        run = subprocess.run(
            [msgfmt, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert run.returncode == 0, f"{path.name}: {run.stderr}"


def test_a_broken_translation_is_caught(tmp_path: Path) -> None:
    """The checks above can fail: a dropped placeholder is flagged by msgfmt too."""
    po = (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    broken = po.replace('msgstr "invalid value: {detail}"', 'msgstr "invalid value: {detalle}"')
    assert broken != po
    path = tmp_path / "messages.po"
    path.write_text(broken, encoding="utf-8")
    run = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True)
    assert run.returncode != 0
    message = _entries(path)["bad_type"]
    assert PLACEHOLDER.findall(str(message.string)) != PLACEHOLDER.findall(str(message.id))


def test_tr_reads_the_gettext_files() -> None:
    assert tr("required", lang="es") == "es obligatorio"
    assert tr("required", lang="en") == "is required"
    assert tr("out_of_range", lang="en", value=5, lo=1, hi=3).startswith("out of range")


def test_every_unit_of_the_bundled_series_has_a_spanish_label() -> None:
    with (geodata_dir() / "regional_indicators.csv").open(encoding="utf-8") as handle:
        written = {row["unit"] for row in csv.DictReader(handle)}
    spanish = units("es")
    assert sorted(written - set(spanish)) == []
    assert all(spanish[unit] != unit for unit in written if re.search(r"[A-Za-z]{4}", unit))


ENGLISH_WORDS = re.compile(
    r"\b(the|and|of|with|from|not|stated|source|launched|selected|first|edition|one|"
    r"programme|in execution|year|entered|related|comuna in|region in)\b",
    re.IGNORECASE,
)


def test_the_bundled_entries_free_text_is_spanish() -> None:
    """Notes, cohorts, street limits and *_detail of the bundled entries: no English left."""
    fields = (
        "notes",
        "cohort",
        "limits_description",
        "sector_detail",
        "strategic_focus_detail",
        "program_detail",
    )
    english = []
    read_texts = 0
    for name in ("iap_examples.csv", "barrios_comerciales.csv"):
        with (geodata_dir() / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for field in fields:
                    text = re.sub(r"https?://\S+|«[^»]*»", "", row.get(field) or "")
                    read_texts += bool(text)
                    if ENGLISH_WORDS.search(text):
                        english.append(f"{row['external_id']} {field}: {row[field]}")
    assert read_texts > 200
    assert english == []
