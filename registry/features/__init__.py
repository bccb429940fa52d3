"""The live OGC API - Features endpoint (``iap-registry serve-api``).

``service`` holds the framework-free core, ``openapi`` the API definition and ``http`` the
Starlette adapter with its server.
"""

from registry.features.service import ApiError, FeatureService

__all__ = ["ApiError", "FeatureService"]
