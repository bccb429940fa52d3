"""iap-registry: a geospatial registry of productive-articulation initiatives."""

__version__ = "0.1.0"
