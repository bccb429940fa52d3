"""Units of the bundled indicator series in the UI language (the data names them in English).

The unit text in ``geodata/regional_indicators.csv`` stays as the source compilation wrote
it; the interface shows it through ``unit_label``, translated by the gettext catalogue
``locale/<lang>/LC_MESSAGES/units.po`` (msgid: the unit as written). A unit with no
translation is shown as written.
"""

from __future__ import annotations

from registry.i18n.catalog import units

__all__ = ["unit_label"]


def unit_label(unit: object, lang: str) -> str:
    """The unit ``unit`` (as the data writes it) in ``lang``.

    Examples
    --------
    >>> unit_label("% annual change, real", "es")
    '% de variación anual, real'
    >>> unit_label("% annual change, real", "en")
    '% annual change, real'
    """
    text = "" if unit is None else str(unit)
    return units(lang).get(text, text)
