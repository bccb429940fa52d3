"""The app's server: the Streamlit script (``registry/ui/main.py``) with the HTTP routes
that set and clear the session cookie (``registry.ui.routes``) and those serving the app's
static files and Streamlit's front end compressed once (``registry.ui.files``), by
Streamlit's own ASGI application (``st.App``).

Run with ``make run`` or ``streamlit run app.py`` (or ``uvicorn app:app``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from registry.ui.files import FrontEnd, static_route
from registry.ui.routes import ROUTES

app = st.App(
    str(Path(__file__).resolve().parent / "registry" / "ui" / "main.py"),
    routes=[*ROUTES, static_route()],
    middleware=[Middleware(FrontEnd)],
)
