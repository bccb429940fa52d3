"""Units of the bundled indicator series in Spanish (the data names them in English).

The unit text in ``geodata/regional_indicators.csv`` stays as the source compilation wrote
it; the interface shows it through ``unit_label``. A unit with no translation here is shown
as written.
"""

from __future__ import annotations

__all__ = ["unit_label"]

_ES = {
    "thousand persons (ocupados, 15+), 3 decimals = exact persons": (
        "miles de personas (ocupados, 15 años y más)"
    ),
    "CLP billions (miles de millones), current prices": (
        "miles de millones de pesos, precios corrientes"
    ),
    "CLP billions (miles de millones) of chained pesos, volume at previous-year prices, "
    "reference 2018": (
        "miles de millones de pesos encadenados, volumen a precios del año anterior, "
        "referencia 2018"
    ),
    "CLP billions (miles de millones) of chained pesos, reference 2013": (
        "miles de millones de pesos encadenados, referencia 2013"
    ),
    "thousand persons (ocupados), moving quarter Dec-2012/Jan/Feb-2013": (
        "miles de personas (ocupados), trimestre móvil dic. 2012-feb. 2013"
    ),
    "thousand persons (fuerza de trabajo), moving quarter DEF 2013": (
        "miles de personas (fuerza de trabajo), trimestre móvil DEF 2013"
    ),
    "million CLP per employed person, current prices": (
        "millones de pesos por persona ocupada, precios corrientes"
    ),
    "million CLP per employed person, reference year 2013 (nominal = real)": (
        "millones de pesos por persona ocupada, año de referencia 2013 (nominal = real)"
    ),
    "million CLP per employed person, real (reference-2013 prices)": (
        "millones de pesos por persona ocupada, reales (precios de 2013)"
    ),
    "% annual change, real": "% de variación anual, real",
    "% of population aged 15-64": "% de la población de 15 a 64 años",
    "ratio (approx.)": "razón (aprox.)",
    "Chilean pesos per US dollar (official rate, annual average of monthly averages)": (
        "pesos chilenos por dólar (tipo de cambio observado, promedio anual de promedios mensuales)"
    ),
}


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
    return _ES.get(text, text) if lang == "es" else text
