"""The app's own static files (``registry/ui/static``: Leaflet, the map script, the outlines
and the place names), compressed once per file version instead of on every request.

Streamlit serves that folder at ``/app/static`` (``server.enableStaticServing``) through its
gzip middleware, which compresses each response again: a new browser session loads 3.4 MB
of outlines and scripts, about a quarter of the server's CPU per user flow at 10,000
entries (``bench.app_sessions``). This route, on the same path and ahead of Streamlit's
(``st.App`` tries its own routes first), keeps each file's gzip bytes in memory (keyed by
its path, size and modification time), answers ``If-None-Match`` with 304, and lets
browsers keep a versioned URL (``?v=``, as every URL the app writes has) for a year.

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

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["STATIC_ROOT", "static_route"]

STATIC_ROOT = Path(__file__).resolve().parent / "static"
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


def _resolve(relative: str) -> str | None:
    """The file ``relative`` names inside ``STATIC_ROOT``, or None (outside it, or not a
    regular file)."""
    root = os.path.realpath(STATIC_ROOT)
    target = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, target]) != root or not os.path.isfile(target):
        return None
    return target


async def _serve(request: Request) -> Response:
    path = _resolve(request.path_params["path"])
    if path is None:
        return PlainTextResponse("Not found", status_code=404)
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    # a file already loaded is answered from the event loop; only a first read goes to a thread
    kind, etag, data, packed = _CACHE.get(key) or await run_in_threadpool(_load, *key)
    headers = {
        "ETag": etag,
        "Cache-Control": _YEAR if "v" in request.query_params else "no-cache",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",  # as Streamlit's own static route
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


def static_route() -> Route:
    """The route serving ``STATIC_ROOT`` at ``/app/static/...`` (see the module)."""
    return Route("/app/static/{path:path}", _serve, methods=["GET", "HEAD"])
