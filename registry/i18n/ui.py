"""Labels and messages of the Streamlit app (``registry/ui``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
