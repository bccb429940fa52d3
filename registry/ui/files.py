"""Static files compressed once per file version instead of on every request, or never:
the app's own (``registry/ui/static``: Leaflet, the map script, the outlines and the place
names) and Streamlit's own front end (its scripts, styles and fonts).

Streamlit serves the app's folder at ``/app/static`` (``server.enableStaticServing``)
through its gzip middleware, which compresses each response again: a new browser session
loads 3.4 MB of outlines and scripts, about a quarter of the server's CPU per user flow at
10,000 entries (``bench.app_sessions``). Its own front end (``/static/...``, 3-4 MB per new
browser) it sends uncompressed, read from disk in 64 KB pieces through a worker thread each:
about 0.3 s of server CPU per new browser (fetching the files a new page loads, five times,
and reading the server's CPU time; 0.08 s through here).

The route for the app's files (on the same path, ahead of Streamlit's: ``st.App`` tries its
own routes first) and the ``FrontEnd`` middleware (Streamlit reserves ``/static/`` from the
app's routes) keep each file's bytes and gzip bytes in memory, keyed by its path, size and
modification time, and answer ``If-None-Match`` with 304. Browsers keep a versioned URL of
the app's files (``?v=``, as every URL the app writes has) and every file of Streamlit's
front end (their names change with their content, and Streamlit marks them so too) for a
year.

Written here rather than taken from Starlette: its ``StaticFiles`` neither precompresses
nor keeps compressed bytes, and Streamlit's gzip middleware leaves a response that is
already encoded as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import threading
from pathlib import Path

import streamlit
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["STATIC_ROOT", "STREAMLIT_ASSETS", "FrontEnd", "static_route"]

STATIC_ROOT = Path(__file__).resolve().parent / "static"
# Streamlit's front end: its scripts, styles and fonts, at /static/... (hashed names)
STREAMLIT_ASSETS = Path(streamlit.__file__).resolve().parent / "static" / "static"
_TYPES = {".geojson": "application/geo+json", ".json": "application/json"}
_TEXT = ("text/", "application/json", "application/geo+json", "application/javascript")
_MIN_GZIP = 500  # bytes; smaller files go as they are (as Streamlit's middleware does)
_YEAR = "public, max-age=31536000, immutable"
_LOCK = threading.Lock()
# (path, size, mtime_ns) -> (content type, ETag, bytes, gzip bytes or None)
_CACHE: dict[tuple[str, int, int], tuple[str, str, bytes, bytes | None]] = {}


def _content_type(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    guessed = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(_TEXT) else guessed


def _load(path: str, size: int, mtime_ns: int) -> tuple[str, str, bytes, bytes | None]:
    """The file's type, ETag, bytes and gzip bytes (once per version of the file)."""
    key = (path, size, mtime_ns)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    data = Path(path).read_bytes()
    kind = _content_type(path)
    packed = None
    if len(data) >= _MIN_GZIP and kind.startswith(_TEXT):
        packed = gzip.compress(data, compresslevel=9, mtime=0)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    entry = (kind, etag, data, packed)
    with _LOCK:
        for old in [k for k in _CACHE if k[0] == path]:  # an earlier version of the file
            del _CACHE[old]
        _CACHE[key] = entry
    return entry


def _resolve(root: Path, relative: str) -> str | None:
    """The file ``relative`` names inside ``root``, or None (outside it, or not a regular
    file)."""
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, relative))
    if os.path.commonpath([base, target]) != base or not os.path.isfile(target):
        return None
    return target


async def _answer(request: Request, path: str, versioned: bool) -> Response:
    """The file at ``path`` as ``request`` asks for it: kept by browsers for a year when
    ``versioned`` or when the URL has ``?v=``, else revalidated."""
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    # a file already loaded is answered from the event loop; only a first read goes to a
    # thread
    kind, etag, data, packed = _CACHE.get(key) or await run_in_threadpool(_load, *key)
    headers = {
        "ETag": etag,
        "Cache-Control": _YEAR if versioned or "v" in request.query_params else "no-cache",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",  # as Streamlit's own static routes
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    body = data
    if packed is not None and "gzip" in request.headers.get("accept-encoding", "").lower():
        body = packed
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=kind)
    return Response(body, headers=headers, media_type=kind)


async def _serve(request: Request) -> Response:
    path = _resolve(STATIC_ROOT, request.path_params["path"])
    if path is None:
        return PlainTextResponse("Not found", status_code=404)
    return await _answer(request, path, versioned=False)


def static_route() -> Route:
    """The route serving ``STATIC_ROOT`` at ``/app/static/...`` (see the module)."""
    return Route("/app/static/{path:path}", _serve, methods=["GET", "HEAD"])


class FrontEnd:
    """ASGI middleware answering requests for Streamlit's front end (``/static/...``, files
    of ``STREAMLIT_ASSETS``) as the module says; anything else goes on to ``app``.

    A middleware, not a route: Streamlit reserves ``/static/`` from the app's routes. What
    is no file of the front end (another path, a folder, a path leading out of it) goes on
    to Streamlit as it is.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/static/") and scope["method"] in ("GET", "HEAD"):
            found = _resolve(STREAMLIT_ASSETS, path.removeprefix("/static/"))
            if found is not None:
                response = await _answer(Request(scope, receive), found, versioned=True)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
