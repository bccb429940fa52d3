"""The HTTP adapter of the OGC API - Features service (Starlette) and its server (uvicorn).

Every route only calls ``FeatureService`` and writes its answer as JSON. The root URL in the
links is the request's own (``X-Forwarded-*`` headers from a proxy are trusted with
``--proxy-headers``), or ``IAP_REGISTRY_API_URL`` when set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry import __version__
from registry.api import Registry
from registry.features import cql2, html, openapi
from registry.features.priority import LARGE, sliced
from registry.features.service import ApiError, FeatureService
from registry.features.service import Response as Answer

__all__ = ["create_app", "serve"]

_JSON = "application/json"
# every answer may be stored, but is checked with the server first: it changes whenever the
# registry's data does, and then its ETag does too
_CACHE_CONTROL = "public, no-cache"


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json(
    status: int,
    media: str,
    body: Any,
    headers: dict[str, str] | None = None,
    pause: Callable[[], None] | None = None,
) -> Response:
    """A JSON answer; with ``pause``, its features are serialised in slices (calling it
    between two), so that one large page does not hold the interpreter for long."""
    features = body.get("features") if isinstance(body, dict) else None
    if pause is None or not isinstance(features, list):
        text = _dumps(body)
    else:
        head = _dumps({k: v for k, v in body.items() if k != "features"})
        parts = [_dumps(features[part])[1:-1] for part in sliced(len(features), pause)]
        text = head[:-1] + ',"features":[' + ",".join(p for p in parts if p) + "]}"
    return Response(text, status_code=status, media_type=media, headers=headers)


def _large(request: Request) -> bool:
    """Whether a request may ask for a large page (``limit`` above ``LARGE``)."""
    try:
        return int(request.query_params.get("limit", "0")) > LARGE
    except ValueError:
        return False


def _html(status: int, page: str, headers: dict[str, str] | None = None) -> Response:
    """An HTML answer; its policy forbids scripts and any resource from elsewhere."""
    extra = {**(headers or {}), "Content-Security-Policy": html.CSP}
    extra["X-Content-Type-Options"] = "nosniff"
    return Response(page, status_code=status, media_type="text/html; charset=utf-8", headers=extra)


def _etag(version: int, request: Request, base: str) -> str:
    """A weak validator of one answer: the data version, the software's (an upgrade may
    change the answers) and what was asked (the URL, the root its links use and the
    formats accepted)."""
    asked = "\n".join((__version__, str(request.url), base, request.headers.get("accept", "")))
    digest = hashlib.sha256(asked.encode()).hexdigest()[:20]
    return f'W/"{version}-{digest}"'


async def _query_body(request: Request) -> str:
    """The CQL2 JSON of a POST to ``/items`` (at most ``cql2.MAX_FILTER`` bytes)."""
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if media not in ("application/json", "application/query-cql-json", "application/cql2+json"):
        raise ApiError(415, "UnsupportedMediaType", "the body: CQL2 JSON")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > cql2.MAX_FILTER:
            raise ApiError(413, "PayloadTooLarge", f"the body: at most {cql2.MAX_FILTER} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "InvalidParameterValue", "the body: not UTF-8") from None


def _wants_html(request: Request) -> bool:
    """HTML for ``f=html``, or for a browser (``text/html`` accepted) that gave no ``f``."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "geojson", "html"):
            raise ApiError(400, "InvalidParameterValue", "f: json, geojson or html")
        return f == "html"
    return "text/html" in request.headers.get("accept", "")


def _fresh(request: Request, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag`` (weak comparison)."""
    wanted = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def create_app(registry: Registry, title: str = "iap-registry") -> Starlette:
    """The Starlette application serving ``registry`` read-only."""
    service = FeatureService(registry, title)  # safe to share between the worker threads

    def base_of(request: Request) -> str:
        return (os.environ.get("IAP_REGISTRY_API_URL") or str(request.base_url)).rstrip("/")

    def endpoint(call: Callable[[Request, str], Any], kind: str) -> Callable[[Request], Any]:
        def handle(request: Request) -> Response:
            base = base_of(request)
            version = registry.data_version()
            etag = _etag(version, request, base)
            headers = {"ETag": etag, "Cache-Control": _CACHE_CONTROL, "Vary": "Accept"}
            if request.method == "POST":  # a query in the body: not a cacheable resource
                headers = {"Cache-Control": "no-store"}
            as_html = False
            try:
                as_html = _wants_html(request)
                if request.method == "GET" and _fresh(request, etag):  # the client's copy
                    return Response(status_code=304, headers=headers)
                large = _large(request)
                # a small request is counted while it runs: large pages wait for it
                small = contextlib.nullcontext() if large else service.priority.small()
                with small, service.pinned(version):  # what the ETag names is what is read
                    answer = call(request, base)
                    if as_html:
                        page = html.page(kind, answer.body, str(request.url), base)
                        return _html(answer.status, page, headers)
                    pause = service.priority.pause if large else None
                    return _json(answer.status, answer.media_type, answer.body, headers, pause)
            except ApiError as exc:
                if as_html:
                    page = html.error(exc.status, exc.body())
                    return _html(exc.status, page)
                return _json(exc.status, _JSON, exc.body())

        async def receive(request: Request) -> Response:
            if request.method == "POST":  # CQL2 JSON in the body (as OWSLib sends it)
                try:
                    request.state.query = await _query_body(request)
                except ApiError as exc:
                    return _json(exc.status, _JSON, exc.body())
            return await run_in_threadpool(handle, request)

        return receive

    def params(request: Request) -> dict[str, str]:
        items = list(request.query_params.multi_items())
        repeated = sorted({k for k, _ in items if sum(1 for j, _ in items if j == k) > 1})
        if repeated:
            raise ApiError(400, "InvalidParameterValue", f"repeated parameter(s): {repeated}")
        out = dict(items)
        query = getattr(request.state, "query", None)
        if query is not None:
            if "filter" in out or "filter-lang" in out:
                raise ApiError(400, "InvalidParameterValue", "filter in both the URL and body")
            out.update({"filter": query, "filter-lang": "cql2-json"})
        return out

    def only_f(request: Request) -> None:
        unknown = sorted(set(params(request)) - {"f"})
        if unknown:
            raise ApiError(400, "InvalidParameterValue", f"unknown parameter(s): {unknown}")

    def landing(request: Request, base: str) -> Any:
        only_f(request)
        return service.landing(base)

    def conformance(request: Request, base: str) -> Any:
        only_f(request)
        return service.conformance()

    def collections(request: Request, base: str) -> Any:
        only_f(request)
        return service.collections(base)

    def collection(request: Request, base: str) -> Any:
        only_f(request)
        return service.collection(request.path_params["cid"], base)

    def queryables(request: Request, base: str) -> Any:
        only_f(request)
        return service.queryables(request.path_params["cid"], base)

    def sortables(request: Request, base: str) -> Any:
        only_f(request)
        return service.queryables(request.path_params["cid"], base, sortables=True)

    def items(request: Request, base: str) -> Any:
        return service.items(request.path_params["cid"], params(request), base)

    def item(request: Request, base: str) -> Any:
        cid, fid = request.path_params["cid"], request.path_params["fid"]
        return service.item(cid, fid, params(request), base)

    def api(request: Request, base: str) -> Any:
        only_f(request)
        body = openapi.document(base, title)
        return Answer(200, "application/vnd.oai.openapi+json;version=3.0", body)

    routes = [
        Route("/", endpoint(landing, "landing")),
        Route("/conformance", endpoint(conformance, "conformance")),
        Route("/api", endpoint(api, "api")),
        Route("/collections", endpoint(collections, "collections")),
        Route("/collections/{cid}", endpoint(collection, "collection")),
        Route("/collections/{cid}/queryables", endpoint(queryables, "queryables")),
        Route("/collections/{cid}/sortables", endpoint(sortables, "queryables")),
        Route("/collections/{cid}/items", endpoint(items, "items"), methods=["GET", "POST"]),
        Route("/collections/{cid}/items/{fid}", endpoint(item, "item")),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _json(404, _JSON, {"code": "NotFound", "description": "no such resource"})

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return _json(405, _JSON, {"code": "MethodNotAllowed", "description": "read-only"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        import anyio.to_thread

        limit = int(os.environ.get("IAP_REGISTRY_API_THREADS", "4"))
        anyio.to_thread.current_default_thread_limiter().total_tokens = limit
        await anyio.to_thread.run_sync(service.warm)  # before the first request is taken
        yield

    # gzip for clients that ask for it (GDAL, QGIS and browsers do), at a level that costs
    # little CPU: a 10,000-feature page is compressed in a fraction of its build time
    gzip = Middleware(GZipMiddleware, minimum_size=1024, compresslevel=4)
    return Starlette(
        routes=routes,
        middleware=[gzip],
        exception_handlers={404: not_found, 405: not_allowed},
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """The application of each worker process of ``serve(workers > 1)``: the registry that
    ``IAP_REGISTRY_API_DB`` names."""
    return create_app(Registry(os.environ["IAP_REGISTRY_API_DB"]))


def serve(
    db: str | None,
    host: str,
    port: int,
    proxy_headers: bool = False,
    workers: int = 1,
    threads: int | None = None,
) -> None:
    """Serve the registry at ``db`` on ``host:port`` until interrupted, in ``workers``
    processes (each with its own snapshots) of ``threads`` request threads each."""
    import uvicorn

    from registry.store import resolve_db

    registry = Registry(db)
    registry.data_version()  # fail now, with the store's message, if it cannot be read
    if threads is not None:
        os.environ["IAP_REGISTRY_API_THREADS"] = str(threads)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": "*" if proxy_headers else None,
        "log_level": "info",
    }
    if workers > 1:
        os.environ["IAP_REGISTRY_API_DB"] = resolve_db(db)
        uvicorn.run("registry.features.http:app_from_env", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(registry), **options)
