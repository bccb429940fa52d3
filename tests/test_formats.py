"""Numbers in the reader's language: the fast path for whole numbers agrees with Babel."""

from __future__ import annotations

import numpy as np
import pytest
from babel.numbers import format_decimal

from registry.i18n import number
from registry.i18n.formats import LOCALES


@pytest.mark.parametrize("lang", sorted(LOCALES))
def test_whole_numbers_match_babel(lang: str) -> None:
    values = [0, 7, -7, 999, 1_000, -1_234, 1_234_567, -98_765_432, 10**12, np.int64(80_056)]
    for value in values:
        expected = str(format_decimal(int(value), format="#,##0.###", locale=LOCALES[lang]))
        assert number(value, lang) == expected
        assert number(value, lang, 0) == expected
    assert number(1234.5, lang, 1) == ("1.234,5" if lang == "es" else "1,234.5")
