"""Regional layers: sourced indicator series, derived indicators and regional context."""

from registry.layers.context import HEADLINE_SERIES, regional_context
from registry.layers.derived import DERIVED, QUADRANTS, convergence, growth, with_derived
from registry.layers.indicators import (
    COLUMNS,
    PERIODS,
    bundled_indicators,
    coverage,
    read_indicator_file,
    validate_indicator_rows,
)

__all__ = [
    "COLUMNS",
    "DERIVED",
    "HEADLINE_SERIES",
    "PERIODS",
    "QUADRANTS",
    "bundled_indicators",
    "convergence",
    "coverage",
    "growth",
    "read_indicator_file",
    "regional_context",
    "validate_indicator_rows",
    "with_derived",
]
