"""Importing and exporting spreadsheets in the app, in headless Chromium: an Excel file with
three bad rows is refused row by row and writes nothing; the mended file imports; the map's
Excel export holds the rows of its CSV export."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from registry.i18n import tr
from registry.store import Filters
from tests.e2e.harness import App, login, shot, wait_idle, wait_map

HEADER = [
    "nombre",
    "clase de entrada",
    "tipo de iniciativa",
    "país",
    "precisión de la ubicación",
    "sector",
    "lon",
    "lat",
]
GOOD = [
    "Red lechera de Osorno (importada)",
    "iap",
    "business_network",
    "CL",
    "exact",
    "agri_forestry_livestock",
    -73.13,
    -40.57,
]


def workbook(path: Path, bad: bool) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD)
    if bad:
        sheet.append(["Sin sector", "iap", "cluster", "CL", "exact", "", -73.2, -39.8])  # row 3
        sheet.append(
            ["Tipo inventado", "iap", "no_such_type", "CL", "exact", "tourism", -73.2, -39.8]
        )
        sheet.append(["País inventado", "iap", "cluster", "XX", "exact", "tourism", -73.2, -39.8])
    book.save(path)
    return path


def upload_and_check(page: Any, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(path))
    wait_idle(page)
    button = page.get_by_role("button", name=tr("ui_import_check", lang="es"))
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('button')].some(b => b.innerText.trim() === name && !b.disabled)",
        arg=tr("ui_import_check", lang="es"),
    )
    button.click()
    wait_idle(page)


def test_excel_import_refuses_bad_rows_then_imports_the_mended_file(
    page: Any, app: App, tmp_path: Path
) -> None:
    reg = app.registry()
    before = len(reg.list(None))
    login(page, app, "ana")
    page.get_by_text(tr("ui_import_title", lang="es")).click()
    upload_and_check(page, workbook(tmp_path / "iniciativas.xlsx", bad=True))
    page.get_by_text(tr("import_failed", lang="es", n=3)).wait_for()
    report = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Fila 3")
    report = report.last.inner_text()
    assert sorted(set(re.findall(r"Fila (\d+)", report))) == ["3", "4", "5"], report
    assert "Sector" in report and "Tipo de iniciativa" in report and "País" in report
    page.wait_for_timeout(800)  # the expander animates its height to the new content
    shot(page, "import-report")
    assert len(reg.list(None)) == before  # nothing written
    upload_and_check(page, workbook(tmp_path / "iniciativas-corregidas.xlsx", bad=False))
    page.get_by_text("Archivo correcto: se crearían 1 entrada(s)").wait_for()
    page.get_by_role("button", name=tr("ui_import_run", lang="es")).click()
    # the result in the success message (the progress bar may still show it too)
    page.get_by_test_id("stAlertContentSuccess").get_by_text(
        tr("import_ok", lang="es", created=1, updated=0, unchanged=0)
    ).wait_for()
    made = reg.list(Filters(q="Red lechera de Osorno"))
    assert len(made) == 1
    assert (made["owner"].iloc[0], made["status"].iloc[0]) == ("ana", "draft")
    shot(page, "import-done")


def _download(page: Any, label: str, fmt: str, folder: Path) -> Path:
    page.get_by_text(label, exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name=tr("ui_export_prepare", lang="es")).click()
    wait_idle(page)
    # the button of this format's file: under load the previous format's button can still
    # be on the page, and its file is gone once the page reruns (a cancelled download)
    prefix = tr("ui_export_download", lang="es", name="")
    button = page.get_by_role(
        "button", name=re.compile("^" + re.escape(prefix) + r"iap-registry[.-]" + fmt)
    )
    button.wait_for(timeout=30_000)
    with page.expect_download() as info:
        button.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_map_excel_export_holds_the_csv_rows(page: Any, app: App, tmp_path: Path) -> None:
    page.goto(f"{app.url}/?sector=retail_commerce")
    wait_map(page)
    wait_idle(page)
    page.get_by_text(tr("ui_export", lang="es")).click()
    xlsx = _download(page, "Excel (xlsx)", "xlsx", tmp_path)
    packed = _download(page, "csv", "csv", tmp_path)
    with zipfile.ZipFile(packed) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv") and "dictionary" not in n)
        rows = list(csv.reader(io.StringIO(zf.read(name).decode("utf-8-sig"))))
    book = load_workbook(xlsx, read_only=True)
    sheet = [
        ["" if v is None else str(v) for v in r]
        for r in book.worksheets[0].iter_rows(values_only=True)
    ]
    width = len(rows[0])
    assert len(rows) > 10
    assert [r + [""] * (width - len(r)) for r in sheet] == rows
    assert len(book.sheetnames) == 2  # the data dictionary is the second sheet
