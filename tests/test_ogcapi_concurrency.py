"""The OGC API under many clients: no lock around requests, answers equal to one client's,
cache keys that ignore the order of codes, memory bounded in bytes, features built column
by column exactly as row by row, and GDAL's ``resulttype=hits``."""

from __future__ import annotations

import itertools
import json
import math
import random
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely

from registry.api import Registry
from registry.auth import VISITOR
from registry.features.service import COLLECTIONS, FeatureService
from registry.store import Filters
from tests.conftest import ADMIN
from tests.test_ogcapi import _INDICATOR, Server, _get, _start, _stop, served_copy


@pytest.fixture(scope="module")
def server(_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = served_copy(_seeded_template, tmp_path_factory.mktemp("ogcapi-many"))
    yield running
    _stop(running)


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "timeStamp"}


def _plain(value: Any) -> Any:
    """A JSON value of one frame cell, as a row-by-row reader would write it."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _feature(row: Any, geometry_column: str, links: list[dict[str, str]]) -> dict[str, Any]:
    """One feature built from one frame row with plain shapely and Python: the reference
    the service's column-wise pages must equal."""
    properties = {str(k): _plain(v) for k, v in row.items() if k not in (geometry_column, "id")}
    geom = row[geometry_column]
    geometry = None
    if geom is not None and not geom.is_empty:
        oriented = shapely.orient_polygons(geom, exterior_cw=False)  # RFC 7946
        geometry = dict(
            shapely.geometry.mapping(shapely.set_precision(oriented, 1e-6, mode="pointwise"))
        )
    out = {"type": "Feature", "id": str(row["id"]), "geometry": geometry, "properties": properties}
    if links:
        out["links"] = links
    return out


def _served(service: FeatureService, collection: Any, filters: Filters) -> Any:
    """The rows of the service's snapshot that ``filters`` select."""
    snap, rows = service._selected(collection, filters)
    return snap.frame if rows is None else snap.frame.iloc[rows]


def test_features_built_by_column_equal_those_built_by_row(seeded: Registry) -> None:
    entry = seeded.list(Filters(kind=("iap",)), viewer=VISITOR).iloc[0]
    indicator = seeded.add_monitoring("indicator", entry["id"], _INDICATOR, ADMIN)
    seeded.record_value(indicator["id"], "2025-Q1", "25", "Registro de socios", ADMIN)
    service = FeatureService(seeded)
    for cid in COLLECTIONS:
        answer = service.items(cid, {"limit": "10000"}, "http://x").body
        frame = _served(service, COLLECTIONS[cid], Filters())
        expected = []
        for _, row in frame.iterrows():
            links = service._links(COLLECTIONS[cid], row, "http://x")
            expected.append(_feature(row, frame.geometry.name, links))
        assert answer["features"] == expected, cid
        assert answer["numberMatched"] == len(frame) > 0, cid


def test_the_order_of_codes_does_not_multiply_the_cache(seeded: Registry) -> None:
    """The same three sectors in every order (and repeated) are one selection."""
    service = FeatureService(seeded)
    sectors = ["tourism", "fruit", "wine"]
    answers = []
    for order in itertools.permutations(sectors):
        for text in (",".join(order), ",".join([*order, order[0]])):
            answers.append(_stable(service.items("initiatives", {"sector": text}, "b").body))
    assert len(service.selections) == 1
    first = answers[0]
    assert all(a["features"] == first["features"] for a in answers)
    published = seeded.list(Filters(kind=("iap",), sector=tuple(sectors)), viewer=VISITOR)
    assert first["numberMatched"] == len(published) > 0


def test_the_cache_stays_within_its_byte_budget(
    seeded: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAP_REGISTRY_API_CACHE_MB", "0.0005")  # 524 bytes
    service = FeatureService(seeded)
    assert service.selections.budget == 524
    regions = [f"{i:02d}" for i in range(1, 17)]
    for region in regions:
        body = service.items("initiatives", {"region": region}, "b").body
        expected = seeded.list(Filters(kind=("iap",), region=(region,)), viewer=VISITOR)
        assert body["numberMatched"] == len(expected)
        assert service.selections.bytes <= 524 or len(service.selections) == 1


QUERIES = [
    "initiatives/items?limit=7",
    "initiatives/items?limit=5&offset=5",
    "initiatives/items?sector=tourism,wine",
    "initiatives/items?sector=wine,tourism",
    "barrios/items?bbox=-71.7,-33.7,-70.4,-33.2",
    "barrios/items?region=13&limit=3",
    "initiatives/items?bbox=-75,-40,-68,-30&country=CL",
    "regions/items?limit=16",
    "admin1/items?limit=50&offset=100",
    "indicator-values/items",
]


@pytest.mark.parametrize("workers", [1, 2])
def test_many_clients_at_once_get_what_one_client_gets(
    server: Server, workers: int, tmp_path: Path
) -> None:
    """8 clients at once, against one process (4 threads) and two worker processes, get
    exactly what one client alone gets from one process."""
    queries = QUERIES
    alone = {q: _stable(_get(f"{server.url}/collections/{q}")[1]) for q in queries}
    running = (
        server
        if workers == 1
        else _start(str(server.registry.store.url), tmp_path / "api.log", "--workers", "2")
    )
    base = f"{running.url}/collections"
    assert all(a.get("numberMatched", 0) > 0 for a in alone.values()), alone
    seen: list[tuple[str, dict[str, Any]]] = []
    errors: list[BaseException] = []

    def client(seed: int) -> None:
        order = random.Random(seed).choices(queries, k=20)
        try:
            for q in order:
                with urllib.request.urlopen(f"{base}/{q}", timeout=60) as r:
                    seen.append((q, _stable(json.loads(r.read()))))
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if running is not server:
        _stop(running)
    assert not errors, errors
    assert len(seen) == 160
    for q, body in seen:  # the same, but for the server's own address in links
        assert json.loads(json.dumps(body).replace(running.url, server.url)) == alone[q], q


def test_resulttype_hits_answers_the_count_only(server: Server) -> None:
    status, body, _ = _get(f"{server.url}/collections/initiatives/items?resulttype=hits")
    full = _get(f"{server.url}/collections/initiatives/items?limit=10000")[1]
    assert status == 200 and body["features"] == [] and body["numberReturned"] == 0
    assert body["numberMatched"] == full["numberMatched"] == len(full["features"])
    status, body, _ = _get(f"{server.url}/collections/initiatives/items?resulttype=some")
    assert status == 400 and "resulttype" in body["description"]


@pytest.mark.parametrize(
    ("name", "alias", "value"),
    [
        ("initiative_type", "type", "cluster"),
        ("strategic_focus", "focus", "innovation"),
        ("funding_source", "funding", "public_national"),
        ("region_code", "region", "16"),
        ("comuna_code", "comuna", "10201"),
    ],
)
def test_filters_are_named_as_the_properties_they_filter(
    server: Server, name: str, alias: str, value: str
) -> None:
    """``region_code=13`` filters as the older ``region=13`` does; both at once are refused."""
    base = f"{server.url}/collections/initiatives/items?limit=10000"
    status, by_name, _ = _get(f"{base}&{name}={value}")
    by_alias = _get(f"{base}&{alias}={value}")[1]
    assert status == 200 and by_name["numberMatched"] == by_alias["numberMatched"] > 0
    assert [f["id"] for f in by_name["features"]] == [f["id"] for f in by_alias["features"]]
    if name in ("initiative_type", "region_code", "comuna_code"):  # single-valued
        assert all(f["properties"][name] == value for f in by_name["features"])
    status, body, _ = _get(f"{base}&{name}={value}&{alias}={value}")
    assert status == 400 and alias in body["description"]


def _random_filters(rng: random.Random, frame: Any) -> Filters:
    """1-3 filter fields, each with 1-3 codes drawn mostly from the codes the entries have
    (focus and funding also from their lists of others), sometimes one no entry has."""
    columns = {
        "country": ["country"],
        "region": ["region_code"],
        "comuna": ["comuna_code"],
        "initiative_type": ["initiative_type"],
        "sector": ["sector"],
        "program": ["program"],
        "stage": ["stage"],
        "status": ["status"],
        "focus": ["strategic_focus", "strategic_focus_other"],
        "funding": ["funding_source", "funding_source_other"],
    }
    chosen: dict[str, tuple[str, ...]] = {}
    for name in rng.sample(sorted(columns), rng.randint(1, 3)):
        seen = sorted(
            {
                code
                for column in columns[name]
                for text in frame[column].dropna()
                for code in str(text).split("|")
            }
        )
        pool = [*seen, "no_such_code"] if seen else ["no_such_code"]
        chosen[name] = tuple(rng.sample(pool, min(len(pool), rng.randint(1, 3))))
    return Filters(**chosen)


def _same_selections(reg: Registry, rounds: int) -> int:
    """Compare the API's selections (computed on its snapshot) with the store's for random
    filters; return how many selected something."""
    service = FeatureService(reg)
    rng = random.Random(21)
    nonempty = 0
    for k in range(rounds):
        collection = COLLECTIONS["initiatives" if k % 2 else "barrios"]
        snapshot = service._snapshot(collection).frame
        filters = _random_filters(rng, snapshot)
        served = _served(service, collection, filters)
        wanted = Filters(**{**filters.__dict__, "kind": (str(collection.kind),)})
        stored = reg.list(wanted, viewer=VISITOR)
        assert list(served["id"]) == list(stored["id"]), filters
        nonempty += len(stored) > 0
    return nonempty


def test_selections_on_the_snapshot_equal_the_stores(seeded: Registry) -> None:
    """The API selects by codes on its snapshot, without asking the store: the same rows, in
    the same order, as the store's own filters (GeoPackage here, PostGIS below)."""
    assert _same_selections(seeded, 400) > 100


def test_selections_on_the_snapshot_equal_postgis(seeded: Registry, postgis_schema: str) -> None:
    from registry.store.copy import copy_registry

    target = Registry(postgis_schema)
    copy_registry(seeded.store, target.store)
    assert _same_selections(target, 60) > 15


def test_large_pages_are_built_and_serialised_in_slices_identically(
    seeded: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large page is built and written in slices with a pause between two (small
    requests go first there); the document is the same as built at once."""
    import registry.features.service as service_module
    from registry.features import priority
    from registry.features.http import _json

    service = FeatureService(seeded)
    whole = service.items("barrios", {"limit": "10000"}, "http://x").body
    features = whole["features"]
    # the seeded registry is small: "large" above 2 features, slices of 3
    monkeypatch.setattr(priority, "SLICE", 3)
    monkeypatch.setattr(service_module, "LARGE", 2)
    pauses: list[str] = []
    monkeypatch.setattr(service.priority, "pause", lambda: pauses.append("built"))
    sliced = service.items("barrios", {"limit": "10000"}, "http://x").body
    response = _json(200, "application/geo+json", whole, None, lambda: pauses.append("written"))
    between = -(-len(features) // 3) - 1  # pauses between slices of 3
    assert len(features) > 6 and pauses == ["built"] * between + ["written"] * between
    assert sliced["features"] == features
    assert json.loads(bytes(response.body)) == json.loads(json.dumps(whole))


def test_a_large_page_waits_for_small_requests_but_not_forever() -> None:
    import time

    from registry.features.priority import Priority

    gate = Priority(max_wait=0.2)
    started = time.perf_counter()
    gate.pause()  # nothing small is running: no wait
    assert time.perf_counter() - started < 0.05
    with gate.small():
        started = time.perf_counter()
        gate.pause()  # a small request runs: wait, at most max_wait
        assert 0.15 < time.perf_counter() - started < 1
    done = threading.Event()

    def small_request() -> None:
        with gate.small():
            done.wait(5)

    worker = threading.Thread(target=small_request)
    worker.start()
    while not gate.running:
        time.sleep(0.001)
    threading.Timer(0.05, done.set).start()
    started = time.perf_counter()
    gate.pause()  # returns as soon as the small request ends (before max_wait)
    assert time.perf_counter() - started < 0.15
    worker.join()
