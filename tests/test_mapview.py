"""The map's payload: every entry up to the detail limit, one circle per place above it."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from registry.schema.codes import label
from registry.ui import mapview

ROWS = [
    # id, comuna, region, country, sector, geometry
    ("a", "13101", "13", "CL", "tourism", "POINT (-70.60 -33.40)"),
    ("b", "13101", "13", "CL", "tourism", "POINT (-70.70 -33.50)"),
    ("c", "13101", "13", "CL", "energy", "LINESTRING (-70.65 -33.45, -70.64 -33.45)"),
    ("d", "05101", "05", "CL", "energy", "POINT (-71.60 -33.05)"),
    ("e", None, "08", "CL", None, "POINT (-73.00 -36.80)"),
    ("f", None, None, "AR", "tourism", "POINT (-58.40 -34.60)"),
]


def frame(rows: list[tuple] = ROWS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "name": [f"Entrada {r[0]}" for r in rows],
            "kind": ["iap"] * len(rows),
            "location_precision": ["exact"] * len(rows),
            "comuna_code": [r[1] for r in rows],
            "region_code": [r[2] for r in rows],
            "country": [r[3] for r in rows],
            "sector": [r[4] for r in rows],
        },
        geometry=gpd.GeoSeries.from_wkt([r[5] for r in rows], crs=4326),
    )


PLACES = {"comuna:13101": "Santiago", "comuna:05101": "Valparaíso", "region:08": "Biobío"}


def test_up_to_the_limit_every_entry_is_drawn() -> None:
    payload = mapview.entries_payload(frame(), "sector", "es", PLACES, limit=6)
    assert not payload.grouped and payload.total == 6
    ids = list(payload.points["id"])
    ids += [f["properties"]["id"] for f in payload.shapes["features"]]
    assert sorted(ids) == ["a", "b", "c", "d", "e", "f"]
    assert isinstance(payload.layer("es"), mapview.EntriesLayer)
    # the points' columns: each entry's values by index
    cols = payload.points
    d = cols["id"].index("d")
    assert (cols["x"][d], cols["y"][d], cols["n"][d]) == (-71.6, -33.05, "Entrada d")
    assert cols["k"][cols["ki"][d]] == label("kind", "iap", "es")
    legend = {row["code"]: row["color"] for row in payload.legend}
    assert cols["c"][cols["ci"][d]] == legend["energy"]
    assert cols["a"][d] == 0


def test_above_the_limit_one_circle_per_place() -> None:
    payload = mapview.entries_payload(frame(), "sector", "es", PLACES, limit=5)
    assert payload.grouped and payload.total == 6
    groups = {g["k"]: g for g in payload.groups}
    assert set(groups) == {"comuna:13101", "comuna:05101", "region:08", "country:AR"}
    santiago = groups["comuna:13101"]
    assert santiago["n"] == "Santiago"
    assert santiago["s"] == "3 entradas · Turismo 2 · Energía 1"
    # the mean of its entries (a line counts at a point on it)
    anchor = shapely.point_on_surface(shapely.from_wkt(ROWS[2][5]))
    assert santiago["x"] == pytest.approx((-70.60 - 70.70 + anchor.x) / 3, abs=1e-5)
    assert santiago["y"] == pytest.approx((-33.40 - 33.50 + anchor.y) / 3, abs=1e-5)
    legend = {row["code"]: row["color"] for row in payload.legend}
    assert santiago["c"] == legend["tourism"]  # the most frequent value's colour
    assert groups["region:08"]["s"] == "1 entrada · (sin dato) 1"
    assert groups["region:08"]["c"] == mapview.OTHER
    assert groups["country:AR"]["n"] == "AR"  # no name given: the code
    assert santiago["r"] > groups["comuna:05101"]["r"]  # sized by count
    assert isinstance(payload.layer("es"), mapview.GroupsLayer)
    english = mapview.entries_payload(frame(), "sector", "en", PLACES, limit=5)
    in_english = {g["k"]: g["s"] for g in english.groups}
    assert in_english["comuna:13101"] == "3 entries · Tourism 2 · Energy 1"
    assert in_english["comuna:05101"] == "1 entry · Energy 1"


def test_one_place_above_the_limit_is_drawn_in_detail() -> None:
    rows = [r for r in ROWS if r[1] == "13101"]
    payload = mapview.entries_payload(frame(rows), "sector", "es", PLACES, limit=2)
    assert not payload.grouped
    assert (len(payload.points["id"]), len(payload.shapes["features"])) == (2, 1)


def test_grouping_leaves_the_shared_frame_untouched() -> None:
    entries = frame()
    before = entries.geometry.to_wkt().tolist()
    mapview.entries_payload(entries, "sector", "es", PLACES, limit=5)
    assert entries.geometry.to_wkt().tolist() == before


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert mapview.detail_max() == mapview.DETAIL_MAX
    monkeypatch.setenv("IAP_REGISTRY_MAP_DETAIL_MAX", "4")
    assert mapview.entries_payload(frame(), "sector", "es", PLACES).grouped
    monkeypatch.setenv("IAP_REGISTRY_MAP_DETAIL_MAX", "many")  # not a number: the default
    assert mapview.detail_max() == mapview.DETAIL_MAX


def test_a_click_picks_the_named_circle_else_the_nearest() -> None:
    groups = mapview.entries_payload(frame(), "sector", "es", PLACES, limit=5).groups
    assert mapview.pick_group(groups, -33.0, -71.5, "Valparaíso\n1 entrada")["k"] == (
        "comuna:05101"
    )
    # the click lands at the edge of a circle, nearer another centre: the tooltip decides
    assert mapview.pick_group(groups, -33.3, -70.9, "Valparaíso")["k"] == "comuna:05101"
    assert mapview.pick_group(groups, -34.6, -58.5, None)["k"] == "country:AR"
    assert mapview.pick_group([], 0, 0, None) is None


def test_place_names_cannot_break_out_of_the_script() -> None:
    hostile = {"comuna:13101": "</script><img src=x onerror=alert(1)>\u2028'\""}
    payload = mapview.entries_payload(frame(), "sector", "es", hostile, limit=5)
    html = _rendered(payload)
    assert "</script><img" not in html and "\u2028" not in html
    assert "\\u003c/script\\u003e\\u003cimg" in html


def _rendered(payload: mapview.MapPayload) -> str:
    import folium

    m = folium.Map(tiles=None)
    payload.layer("es").add_to(m)
    return m.get_root().render()


@pytest.mark.parametrize(
    "name", ["{{ 7*7 }}", "{% if x %}", "{# c", "{{'map_div'}}", "{%", "a}}{{b"]
)
def test_entry_names_are_never_read_as_templates(name: str) -> None:
    """folium renders each layer's script and then compiles it as a Jinja template: a name
    with template syntax was evaluated on the server ("{{ 7*7 }}" drawn as "49") or broke
    every map it was on ("{%")."""
    data = frame()
    data.loc[0, "name"] = name
    html = _rendered(mapview.entries_payload(data, "sector", "es", PLACES, limit=6))
    script = html[html.index("IAP.entries(") + len("IAP.entries(") :]
    points = json.JSONDecoder().raw_decode(script)[0]
    assert points["n"][0] == name
