"""What the browser tests and the app benchmark share: start the app, drive Chromium, read
the Leaflet map inside streamlit-folium's iframe."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.api import Registry
from registry.auth import Actor
from registry.i18n import tr
from registry.schema.codes import label

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "contraseña segura"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
ARTEFACTS = Path(os.environ.get("IAP_REGISTRY_ARTEFACTS", ROOT / "artefacts" / "e2e"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
ADMIN = Actor("admin", "admin")


@dataclass
class Watch:
    """What a page did that a test must know about."""

    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def offline_page(browser: Any, watch: Watch, height: int = 1000) -> tuple[Any, Any]:
    """A fresh browser context (no cookies, no session) and its page, with every request to
    a host other than this machine refused and recorded in ``watch``, as are page errors and
    dialogs (a dialog means injected script ran)."""
    context = browser.new_context(
        viewport={"width": 1440, "height": height}, locale="es-CL", accept_downloads=True
    )

    def route(r: Any) -> None:
        url = r.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            watch.external.append(url)
            r.abort()

    def dialog(d: Any) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.on("dialog", dialog)
    return context, page


def chromium_path() -> str:
    """Debian's Chromium; the tests fail (never skip) without it."""
    path = os.environ.get("IAP_REGISTRY_CHROMIUM") or shutil.which("chromium")
    assert path, "Chromium is required by the browser tests (make test installs it with apt)"
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class App:
    """A running ``streamlit run app.py`` on ``db``."""

    db: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def registry(self) -> Registry:
        return Registry(str(self.db))


def start_app(
    db: Path,
    log: Path,
    settings: dict[str, str] | None = None,
    port: int | None = None,
    args: tuple[str, ...] = (),
) -> App:
    """Start the app on ``db`` (with extra environment ``settings``, on ``port`` or a free
    one, with extra ``streamlit run`` ``args``) and wait until it answers its health
    check."""
    port = port or free_port()
    env = {
        **os.environ,
        "IAP_REGISTRY_DB": str(db),
        "IAP_REGISTRY_LANG": "es",
        **(settings or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        *args,
    ]
    out = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = App(db, port, process, log)
    wait_up(process, f"{app.url}/_stcore/health", log)
    return app


def wait_up(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200 (the server ``process`` logging to ``log``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"the server did not start in {timeout} s:\n{log.read_text()}")


def make_db(template: Path, folder: Path) -> Path:
    """A copy of ``template`` with an admin, a coordinator and a manager."""
    path = folder / "app.gpkg"
    shutil.copy(template, path)
    reg = Registry(str(path))
    reg.add_user("root", "admin", PASSWORD, ADMIN)  # the first user, by the local operator
    for name, role in (("ana", "coordinator"), ("maria", "manager")):
        reg.add_user(name, role, PASSWORD, reg.actor("root"))
    return path


def shot(page: Any, name: str, full_page: bool = True) -> Path:
    """Write a screenshot artefact and return its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_idle(page: Any, timeout: float = 60) -> None:
    """Wait until Streamlit has finished running the script (no running indicator)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout * 1000,
    )


def settled(page: Any) -> None:
    """Wait for the run to end and for one set of tabs: on a loaded machine a rerun shows
    the previous run's tabs beside the new ones until it ends (a defect of the monitoring
    page, seen on 0e7fd96 too; a user can type into the stale copy meanwhile)."""
    wait_idle(page)
    page.wait_for_function("() => document.querySelectorAll('[role=tablist]').length <= 1")


def map_frame(page: Any, index: int = 0) -> Any:
    return page.frame_locator(MAP_FRAME).nth(index)


ENTRY_MARKERS_JS = """() => {
    const out = [];
    const m = window.map_div;
    if (!m) return null;
    m.eachLayer(l => {
        if (l instanceof L.CircleMarker && l.feature && l.feature.properties && l.feature.properties.id) {
            const p = m.latLngToContainerPoint(l.getLatLng());
            out.push({id: l.feature.properties.id, name: l.feature.properties.n,
                      x: p.x, y: p.y, lat: l.getLatLng().lat, lng: l.getLatLng().lng});
        }
    });
    return out;
}"""


# Chile's land drawn (regions filled) and, with ``whole``, every outline layer loaded (the
# deferred ones too: comuna lines and the other countries; see ``fetchInto`` in iapmap.js)
OUTLINES_JS = """(_, whole) => {
    const m = window.map_div;
    if (!m || !window.IAP || !IAP.loading) return false;
    const left = IAP.loading();
    if (left.first > 0 || (whole && left.later > 0)) return false;
    let land = 0, comunas = 0;
    m.eachLayer(l => {
        const p = l.feature && l.feature.properties;
        if (!p) return;
        if (p.comuna_code) comunas++;
        else if (p.region_code && l.options.fill && l.options.fillColor === '#f3efe6') land++;
    });
    return land >= 16 && (!whole || comunas > 300);
}"""


# Entries in the map's entries layer: points (clustered or not), lines and polygons.
COUNT_JS = """() => {
    const m = window.map_div;
    if (!m) return null;
    let n = 0;
    m.eachLayer(l => {
        if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) n += l.getLayers().length;
        else if (l.feature && l.feature.properties && l.feature.properties.id && !l.__parent) n += 1;
    });
    return n;
}"""


def wait_map(page: Any, index: int = 0, timeout: float = 60, whole: bool = True) -> Any:
    """Wait for the map in iframe ``index`` to be drawn (every outline layer loaded, or
    with ``whole=False`` only the land drawn first); return it.

    A page being replaced (navigation, a rerun) may remove the frame under us: that is
    retried, not failed, until ``timeout``."""
    from playwright.sync_api import Error as PlaywrightError

    frame = map_frame(page, index)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if frame.locator("body").evaluate(OUTLINES_JS, whole, timeout=5_000):
                return frame
        except PlaywrightError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the map's outlines were not drawn")
        page.wait_for_timeout(100)


def entry_markers(page: Any, index: int = 0) -> list[dict[str, Any]]:
    """The entries drawn as circle markers, with their pixel position in the map (waiting
    up to 10 s while a rerun replaces the map)."""
    deadline = time.monotonic() + 10
    markers = map_frame(page, index).locator("body").evaluate(ENTRY_MARKERS_JS)
    while markers is None and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        markers = map_frame(page, index).locator("body").evaluate(ENTRY_MARKERS_JS)
    assert markers is not None, "no Leaflet map in the frame"
    return list(markers)


def wait_markers(page: Any, ids: set[str], timeout: float = 30) -> None:
    """Wait until the map draws exactly the entries ``ids`` as markers."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout
    drawn: set[str] = set()
    while time.monotonic() < deadline:
        try:
            drawn = {m["id"] for m in entry_markers(page)}
        except (AssertionError, PlaywrightError):  # the map is being replaced
            drawn = set()
        if drawn == ids:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"map shows {len(drawn)} entries, expected {len(ids)}")


def click_map(page: Any, x: float, y: float, index: int = 0) -> None:
    """Click the map at pixel ``x, y`` of its container (hovering first, as a user does).

    The map is scrolled fully into view first: pressing the mouse on a partly hidden iframe
    focuses it and scrolls it into view, and the click would land that many pixels off.
    """
    frame = page.locator(MAP_FRAME).nth(index)
    frame.scroll_into_view_if_needed()
    page.wait_for_timeout(100)
    box = frame.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(150)
    page.mouse.click(box["x"] + x, box["y"] + y)


def zoom_map(page: Any, lat: float, lng: float, zoom: int, index: int = 0) -> None:
    """Centre the map on ``lat, lng`` at ``zoom`` (as a user would before clicking) and make
    sure it stays there: a rerun still in flight may replace the map and reset its view."""
    wait_map(page, index)
    wait_idle(page)
    frame = map_frame(page, index).locator("body")
    stable = 0
    for _ in range(50):
        now = frame.evaluate("() => window.map_div ? window.map_div.getZoom() : null")
        if now == zoom:
            stable += 1
            if stable >= 3:
                return
        else:
            stable = 0
            frame.evaluate(
                "(_, [lat, lng, z]) => { window.map_div.setView([lat, lng], z, {animate: false}); }",
                [lat, lng, zoom],
            )
        page.wait_for_timeout(200)
    raise AssertionError(f"the map would not stay at zoom {zoom}")


def point_of(page: Any, lat: float, lng: float, index: int = 0) -> tuple[float, float]:
    """Pixel position of ``lat, lng`` in the map container."""
    p = (
        map_frame(page, index)
        .locator("body")
        .evaluate(
            "(_, [lat, lng]) => { const p = window.map_div.latLngToContainerPoint([lat, lng]);"
            " return [p.x, p.y]; }",
            [lat, lng],
        )
    )
    return float(p[0]), float(p[1])


def choose(page: Any, label: str, option: str) -> None:
    """Pick the option containing ``option`` in the sidebar multiselect called ``label``
    (typed first: the list only draws the options in view)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True)
    )
    box.locator("input").click()
    box.locator("input").fill(option)
    page.get_by_role("option", name=option).first.click()
    page.keyboard.press("Escape")


def select(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox called ``label`` (in the page, not the sidebar)."""
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)
    )
    box.locator("input").click()
    box.locator("input").fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def login(page: Any, app: App, username: str) -> None:
    """Log in through the log-in page."""
    page.goto(f"{app.url}/account")
    page.get_by_label(tr("ui_username", lang="es")).fill(username)
    page.get_by_label(tr("ui_password", lang="es")).fill(PASSWORD)
    page.get_by_role("button", name=tr("ui_login", lang="es")).click()
    page.get_by_text(f"Sesión: {username} (").wait_for()
    # the log-in then opens "Mis iniciativas": wait for it, or a click made meanwhile is
    # taken away by that page change
    page.get_by_role("heading", name=tr("ui_page_mine", lang="es")).wait_for()
    wait_idle(page)


def open_entry_form(page: Any, app: App, username: str) -> None:
    """Log in as ``username`` and open the entry form from the menu, its map drawn."""
    login(page, app, username)
    page.get_by_role("link", name=tr("ui_page_entry", lang="es")).click()
    wait_map(page)
    wait_idle(page)


def click_map_centre(page: Any) -> None:
    """Click the middle of the page's map (the entry form places the entry there)."""
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    click_map(page, box["width"] / 2, box["height"] / 2)
    wait_idle(page)


def fill_entry(page: Any, name: str, initiative_type: str, sector: str) -> None:
    """Fill the entry form's required fields (an exactly placed IAP) with codes' labels."""
    page.get_by_label("Nombre *").fill(name)
    select(page, "Tipo de iniciativa *", label("initiative_type", initiative_type, "es"))
    select(page, "Precisión de la ubicación *", label("location_precision", "exact", "es"))
    select(page, "Sector *", label("sector", sector, "es"))


def find_place(page: Any, text: str) -> str:
    """Type ``text`` in the page's place search and press Enter; return the place picked."""
    page.get_by_label(tr("ui_place_search", lang="es")).fill(text)
    page.keyboard.press("Enter")
    found = page.get_by_label(tr("ui_place_pick", lang="es"))
    found.wait_for()
    return str(found.input_value())


def download_view(page: Any, folder: Path) -> tuple[list[str], dict[str, Any]]:
    """Download the map page's view as GeoJSON through the export panel; return the names in
    the zip and the GeoJSON."""
    page.get_by_text(tr("ui_export", lang="es")).click()
    prepare = page.get_by_role("button", name=tr("ui_export_prepare", lang="es"))
    prepare.scroll_into_view_if_needed()
    wait_idle(page)
    prepare.click()
    wait_idle(page)
    button = page.get_by_role(
        "button", name=re.compile("^" + tr("ui_export_download", lang="es", name=""))
    )
    try:
        button.wait_for(timeout=20_000)
    except Exception:  # noqa: BLE001 -- a click lost to a concurrent rerun: click again, as a person would
        prepare.click()
        wait_idle(page)
    with page.expect_download() as info:
        button.click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    with zipfile.ZipFile(target) as zf:
        names = zf.namelist()
        data = json.loads(zf.read(next(n for n in names if n.endswith(".geojson"))))
    return names, data
