"""Import (CSV, GeoJSON, GeoPackage) and export (RFC 7946 GeoJSON, GeoPackage, CSV)."""

from registry.io.export import (
    FORMATS,
    export_frame,
    guess_format,
    neutralise_formulas,
    write_dictionary,
)
from registry.io.read import RawRows, read_rows

__all__ = [
    "FORMATS",
    "RawRows",
    "export_frame",
    "guess_format",
    "neutralise_formulas",
    "read_rows",
    "write_dictionary",
]
