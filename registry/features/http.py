"""The HTTP adapter of the OGC API - Features service (Starlette) and its server (uvicorn).

Every route only calls ``FeatureService`` and writes its answer as JSON. The root URL in the
links is the request's own (``X-Forwarded-*`` headers from a proxy are trusted with
``--proxy-headers``), or ``IAP_REGISTRY_API_URL`` when set.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.api import Registry
from registry.features import openapi
from registry.features.service import ApiError, FeatureService

__all__ = ["create_app", "serve"]

_JSON = "application/json"


def _json(status: int, media: str, body: Any) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type=media)


def create_app(registry: Registry, title: str = "iap-registry") -> Starlette:
    """The Starlette application serving ``registry`` read-only."""
    service = FeatureService(registry, title)  # safe to share between the worker threads

    def base_of(request: Request) -> str:
        return (os.environ.get("IAP_REGISTRY_API_URL") or str(request.base_url)).rstrip("/")

    def endpoint(call: Callable[[Request, str], Any]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            try:
                answer = call(request, base_of(request))
            except ApiError as exc:
                return _json(exc.status, _JSON, exc.body())
            return _json(answer.status, answer.media_type, answer.body)

        return handle

    def params(request: Request) -> dict[str, str]:
        items = list(request.query_params.multi_items())
        repeated = sorted({k for k, _ in items if sum(1 for j, _ in items if j == k) > 1})
        if repeated:
            raise ApiError(400, "InvalidParameterValue", f"repeated parameter(s): {repeated}")
        return dict(items)

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

    def items(request: Request, base: str) -> Any:
        return service.items(request.path_params["cid"], params(request), base)

    def item(request: Request, base: str) -> Any:
        cid, fid = request.path_params["cid"], request.path_params["fid"]
        return service.item(cid, fid, params(request), base)

    def api(request: Request) -> Response:
        body = openapi.document(base_of(request), title)
        return _json(200, "application/vnd.oai.openapi+json;version=3.0", body)

    routes = [
        Route("/", endpoint(landing)),
        Route("/conformance", endpoint(conformance)),
        Route("/api", api),
        Route("/collections", endpoint(collections)),
        Route("/collections/{cid}", endpoint(collection)),
        Route("/collections/{cid}/items", endpoint(items)),
        Route("/collections/{cid}/items/{fid}", endpoint(item)),
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
        yield

    return Starlette(
        routes=routes,
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
