"""Import (CSV, GeoJSON, GeoPackage) and export (RFC 7946 GeoJSON, GeoPackage, CSV, Excel).

``formats`` names the export formats (light: the CLI's parser reads it); ``read`` reads rows
from a file, ``export`` writes a frame. Import them by module: this package loads nothing, so
that naming a format does not load geopandas and GDAL.
"""
