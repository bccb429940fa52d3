"""The OGC API - Features endpoint, read by clients we did not write: GDAL's OAPIF driver
(`ogrinfo`, a paged `ogr2ogr` copy), OWSLib, an OpenAPI validator and schemathesis; served
from a GeoPackage registry and from PostGIS."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import schemathesis
import shapely
from schemathesis.checks import not_a_server_error

from registry.api import Registry
from registry.auth import VISITOR
from registry.features.http import create_app
from registry.store import Filters
from registry.store.copy import copy_registry
from tests.conftest import ADMIN, iap_values, require_tool
from tests.e2e.harness import free_port, wait_up


@dataclass
class Server:
    url: str
    registry: Registry
    process: subprocess.Popen[bytes]
    log: Path


def _start(db: str, log: Path, *extra: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "registry.cli", "--db", db, "serve-api", "--port", str(port)]
    command += extra
    out = log.open("wb")
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_up(process, f"{url}/conformance", log)
    return Server(url, Registry(db), process, log)


def _stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(10)


def served_copy(template: Path, folder: Path) -> Server:
    """The API over a copy of the seeded registry ``template`` in ``folder``, with a draft
    that must never be served and monitoring values of a published entry and the draft."""
    import shutil

    db = folder / "registry.gpkg"
    shutil.copy(template, db)
    reg = Registry(str(db))
    draft = reg.create(iap_values(name="Borrador oculto", status="draft"), ADMIN)
    # monitoring values (made up here, in the test) of a published entry and of the draft
    published = reg.list(Filters(kind=("iap",)), viewer=VISITOR).iloc[0]
    for entry_id in (published["id"], draft["id"]):
        ind = reg.add_monitoring("indicator", entry_id, _INDICATOR, ADMIN)
        for period, value in (("2025-Q1", "25"), ("2025-Q2", "30.5")):
            reg.record_value(ind["id"], period, value, "Registro de socios", ADMIN)
    return _start(str(db), folder / "api.log")


@pytest.fixture(scope="module")
def api(_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = served_copy(_seeded_template, tmp_path_factory.mktemp("ogcapi"))
    yield server
    _stop(server)


_INDICATOR = {"code": "participating_firms", "frequency": "quarterly", "baseline": 20, "target": 40}


def _get(url: str) -> tuple[int, dict[str, Any], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read()), r.headers["content-type"]
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers["content-type"]


def _published(reg: Registry, kind: str, filters: Filters | None = None) -> Any:
    frame = reg.list(filters, viewer=VISITOR)
    return frame[frame["kind"] == kind]


def _ogr(*args: str) -> str:
    result = subprocess.run(
        [require_tool(args[0]), *args[1:]], capture_output=True, text=True, check=True
    )
    assert "ERROR" not in result.stderr, result.stderr
    return result.stdout


def test_gdal_lists_the_collections_and_counts_only_published_entries(api: Server) -> None:
    listing = _ogr("ogrinfo", "-ro", "-q", f"OAPIF:{api.url}")
    assert [line.split(":")[1].split()[0] for line in listing.splitlines()] == [
        "initiatives",
        "barrios",
        "regions",
        "admin1",
        "indicator-values",
    ]
    # the admin-1 units of every country, with the codes entries use (issue 18)
    units = _ogr("ogrinfo", "-ro", "-al", "-where", "id = 'CO-ANT'", f"OAPIF:{api.url}", "admin1")
    assert "region_name (String) = Antioquia" in units and "country (String) = CO" in units
    summary = _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{api.url}", "admin1")
    assert f"Feature Count: {len(api.registry.boundaries('admin1'))}" in summary
    for layer, kind in (("initiatives", "iap"), ("barrios", "barrio_comercial")):
        summary = _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{api.url}", layer)
        expected = len(_published(api.registry, kind))
        assert f"Feature Count: {expected}" in summary
    assert "Feature Count: 16" in _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{api.url}", "regions")
    # the published entry's two values; the draft's are never served
    values = _ogr("ogrinfo", "-ro", "-al", f"OAPIF:{api.url}", "indicator-values")
    assert "Feature Count: 2" in values and "value (Real) = 30.5" in values


def test_entries_link_to_their_monitoring_values(api: Server) -> None:
    from owslib.ogcapi.features import Features

    client = Features(api.url)
    values = client.collection_items("indicator-values", limit=100)
    assert [f["properties"]["period"] for f in values["features"]] == ["2025-Q1", "2025-Q2"]
    first = values["features"][0]
    entry_id = first["properties"]["initiative_id"]
    entry = client.collection_item("initiatives", entry_id)
    assert first["geometry"] == entry["geometry"]  # at the entry's location
    assert (first["properties"]["target"], first["properties"]["unit"]) == (40.0, "empresas")
    [related] = [link for link in entry["links"] if link["rel"] == "related"]
    status, linked, _ = _get(related["href"])
    assert status == 200 and [f["id"] for f in linked["features"]] == [
        f["id"] for f in values["features"]
    ]
    back = [link for link in first["links"] if link["rel"] == "related"][0]["href"]
    assert back.endswith(f"/collections/initiatives/items/{entry_id}")
    status, page, _ = _get(f"{api.url}/collections/indicator-values/items?indicator=exports")
    assert status == 200 and page["numberMatched"] == 0
    for bad in ("indicator=nonsense", "initiative=not-a-uuid", "sector=tourism"):
        assert _get(f"{api.url}/collections/indicator-values/items?{bad}")[0] == 400


def test_gdal_bbox_query_returns_the_entries_inside(api: Server) -> None:
    box = (-71.8, -33.7, -70.4, -32.9)  # Valparaíso and Santiago
    status, page, _ = _get(f"{api.url}/collections/barrios/items?bbox={','.join(map(str, box))}")
    frame = _published(api.registry, "barrio_comercial")
    inside = set(frame[shapely.intersects(frame.geometry.values, shapely.box(*box))]["id"])
    assert status == 200 and inside
    assert {f["id"] for f in page["features"]} == inside
    assert page["numberMatched"] == len(inside)
    # GDAL sends the bbox to the server and counts what comes back
    counted = _ogr("ogrinfo", "-ro", "-so", "-spat", *map(str, box), f"OAPIF:{api.url}", "barrios")
    assert f"Feature Count: {len(inside)}" in counted


def test_paged_ogr2ogr_copy_has_every_published_entry(api: Server, tmp_path: Path) -> None:
    out = tmp_path / "copy.gpkg"
    before = api.log.read_text().count("/collections/barrios/items")
    _ogr(
        "ogr2ogr",
        "-f",
        "GPKG",
        str(out),
        f"OAPIF:{api.url}",
        "initiatives",
        "barrios",
        "-oo",
        "PAGE_SIZE=7",  # several pages, followed by the next links
    )
    pages = api.log.read_text().count("/collections/barrios/items") - before
    published = api.registry.list(None, viewer=VISITOR)
    copied = sum(
        pyogrio.read_info(out, layer=layer)["features"] for layer in ("initiatives", "barrios")
    )
    assert copied == len(published)  # entries without a geometry too
    assert published.geometry.isna().sum() > 0
    barrios = pyogrio.read_dataframe(out, layer="barrios")
    assert set(barrios["id"]) == set(_published(api.registry, "barrio_comercial")["id"])
    assert pages >= len(barrios) // 7
    assert "Borrador oculto" not in set(pyogrio.read_dataframe(out, layer="initiatives")["name"])
    assert "contact_email" not in barrios.columns and "owner" not in barrios.columns


def test_owslib_reads_collections_pages_filters_and_items(api: Server) -> None:
    from owslib.ogcapi.features import Features

    client = Features(api.url)
    assert {c["id"] for c in client.collections()["collections"]} == {
        "initiatives",
        "barrios",
        "regions",
        "admin1",
        "indicator-values",
    }
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in (client.conformance()["conformsTo"])
    )
    page = client.collection_items("barrios", limit=5, offset=5)
    assert page["numberReturned"] == 5
    assert page["numberMatched"] == len(_published(api.registry, "barrio_comercial"))
    assert [link["rel"] for link in page["links"]].count("next") == 1
    tourism = client.collection_items("initiatives", sector="tourism", limit=1000)
    expected = _published(api.registry, "iap", Filters(sector=("tourism",)))
    assert {f["id"] for f in tourism["features"]} == set(expected["id"])
    one = expected.iloc[0]
    item = client.collection_item("initiatives", one["id"])
    assert item["properties"]["name"] == one["name"]
    region = client.collection_item("regions", "13")
    assert region["properties"]["region_name"].startswith("Metropolitana")
    table = api.registry.indicators()
    rows = table[
        (table["indicator"] == "gdp_real_ref2018_per_employed") & (table["region_code"] == "13")
    ].sort_values("year")
    latest = rows.iloc[-1]
    assert region["properties"]["gdp_real_ref2018_per_employed_year"] == int(latest["year"])
    assert region["properties"]["gdp_real_ref2018_per_employed"] == pytest.approx(
        float(latest["value"])
    )


def test_errors_and_what_is_never_served(api: Server) -> None:
    draft = api.registry.list(Filters(q="Borrador oculto"))["id"].iloc[0]
    for url, status in (
        (f"/collections/initiatives/items/{draft}", 404),  # drafts are not published
        ("/collections/initiatives/items/not-a-uuid", 404),
        ("/collections/nowhere/items", 404),
        ("/collections/initiatives/items?sector=nonsense", 400),
        ("/collections/initiatives/items?limit=0", 400),
        ("/collections/initiatives/items?bbox=1,2,3", 400),
        ("/collections/initiatives/items?colour=red", 400),
        ("/collections/initiatives/items?f=xml", 400),
    ):
        code, body, media = _get(api.url + url)
        assert (code, media) == (status, "application/json"), url
        assert body["code"] and body["description"]
    code, page, media = _get(f"{api.url}/collections/initiatives/items?limit=1000")
    assert (code, media) == (200, "application/geo+json")
    assert page["numberMatched"] == len(_published(api.registry, "iap"))
    geometries = [f["geometry"] for f in page["features"]]
    assert all(g is None or g["coordinates"] for g in geometries)
    assert None in geometries  # entries known only to a foreign country
    assert all("contact_email" not in f["properties"] for f in page["features"])


def test_the_openapi_document_validates() -> None:
    from openapi_spec_validator import validate

    from registry.features.openapi import document

    validate(document("http://127.0.0.1:8080", "iap-registry"))


def test_the_api_serves_a_postgis_registry(
    _seeded_template: Path, postgis_schema: str, tmp_path: Path
) -> None:
    copy_registry(Registry(str(_seeded_template)).store, Registry(postgis_schema).store)
    server = _start(postgis_schema, tmp_path / "api.log")
    try:
        summary = _ogr("ogrinfo", "-ro", "-so", f"OAPIF:{server.url}", "barrios")
        expected = len(_published(server.registry, "barrio_comercial"))
        assert expected == 65 and f"Feature Count: {expected}" in summary
    finally:
        _stop(server)


def test_schemathesis_finds_no_server_error(_seeded_template: Path, tmp_path: Path) -> None:
    """Every operation of the OpenAPI document, with generated parameters (valid and not):
    no answer is a server error."""
    import shutil

    from hypothesis import HealthCheck, given, settings

    db = tmp_path / "registry.gpkg"
    shutil.copy(_seeded_template, db)
    schema = schemathesis.openapi.from_asgi("/api", create_app(Registry(str(db))))
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {
        "GET /collections/{collectionId}/items",
        "POST /collections/{collectionId}/items",
        "GET /collections/{collectionId}/queryables",
        "GET /collections/{collectionId}/items/{featureId}",
    } <= labels
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
