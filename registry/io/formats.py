"""The export formats, how a file name picks one, and what keeps a cell from running as a
spreadsheet formula (no readers or writers loaded: the CLI's parser and the light paths read
this)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "FORMULA_START", "guess_format", "neutralise_formulas"]

#: The export formats, by the name the CLI and the app use.
FORMATS = ("geojson", "gpkg", "csv", "xlsx")
# What a spreadsheet may run as a formula when a cell starts with it: = + - @ (and their
# full-width forms, which Excel and LibreOffice read as the same), | (DDE in older Excel),
# % (LibreOffice), and the tab, line and carriage returns that hide what follows.
FORMULA_START = frozenset("=+-@|%\t\r\n\uff1d\uff0b\uff0d\uff20\uff5c\uff05")
_BY_SUFFIX = {"json": "geojson", "geojson": "geojson", "gpkg": "gpkg", "csv": "csv", "xlsx": "xlsx"}


def guess_format(path: str | Path, fmt: str | None = None) -> str:
    """Return the export format from ``fmt`` or the file extension (default GeoJSON).

    Examples
    --------
    >>> guess_format("entries.GPKG"), guess_format("x.txt"), guess_format("x.csv", "xlsx")
    ('gpkg', 'geojson', 'xlsx')
    """
    if fmt:
        return fmt
    return _BY_SUFFIX.get(Path(path).suffix.lower().lstrip("."), "geojson")


def neutralise_formulas(value: object) -> object:
    """Prefix text that Excel would evaluate as a formula with an apostrophe.

    Examples
    --------
    >>> neutralise_formulas("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_formulas("Barrio Inglés")
    'Barrio Inglés'
    >>> neutralise_formulas("\uff1d1+1")
    "'\uff1d1+1"
    """
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value
