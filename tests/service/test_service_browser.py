"""Browser tests of the live web map: headless Debian Chromium driven by Playwright (sync API).

One picture service per module runs ``kleine-brogel-night`` live at high speed (uvicorn in a
thread, ``dronewall.service.testing.serve_in_thread``) with one token per role. The tests load the
page and see the base map, see tracks appear and move, approve a proposal as a commander (the card
and the API both change state, the audit log records the reason), fail to approve as a viewer (no
button; a forced POST is 403), show a server 403 on a card clearly, acknowledge an alert as an
operator, replay the picture of an earlier time with the slider, browse the API's /docs with
every request outside the service refused, and save a screenshot.

Never downloads a browser: Chromium must be Debian's ``/usr/bin/chromium``. Set
``DRONEWALL_TEST_SERVICE_URL`` to run them against a service already running with the demo tokens
(``viewer-token`` ... ``admin-token``) instead of starting one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCENARIO = "kleine-brogel-night"
SPEED = 20.0  # x real time: the 1,320 s night lasts about 66 s
VIEWPORT = {"width": 1400, "height": 860}
TIMEOUT_MS = 30_000
APPROVED_STATES = {"approved", "executed", "assessed"}

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (python) is not installed in this environment"
)
if not CHROMIUM.exists():
    pytest.skip(
        "Chromium not found at /usr/bin/chromium: install Debian's chromium package",
        allow_module_level=True,
    )

TOKENS = {
    "viewer": "viewer-token",
    "operator": "operator-token",
    "commander": "commander-token",
    "admin": "admin-token",
}
TOKEN_FILE = """tokens:
  - {token: viewer-token, user: vera, role: viewer, clearances: [BE, NL, LU, NATO]}
  - {token: operator-token, user: otto, role: operator, clearances: [BE, NL, LU, NATO]}
  - {token: commander-token, user: carla, role: commander, clearances: [BE, NL, LU, NATO]}
  - {token: admin-token, user: ada, role: admin, clearances: [BE, NL, LU, NATO]}
"""


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a live picture service running the scenario fast."""
    external = os.environ.get("DRONEWALL_TEST_SERVICE_URL")
    if external:
        yield external.rstrip("/")
        return
    from dronewall.service.settings import ServiceSettings
    from dronewall.service.testing import serve_in_thread

    root = tmp_path_factory.mktemp("browser-service")
    tokens = root / "tokens.yaml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    settings = ServiceSettings(
        scenario=SCENARIO, speed=SPEED, seed=0, tokens=tokens, db=str(root / "events.sqlite")
    )
    with serve_in_thread(settings) as url:
        yield url.rstrip("/")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Api:
    """A small REST client of the service for one role."""

    def __init__(self, base: str, role: str) -> None:
        self.client = httpx.Client(
            base_url=f"{base}/api/v1",
            headers={"Authorization": f"Bearer {TOKENS[role]}"},
            timeout=10.0,
        )

    def get(self, path: str) -> Any:
        r = self.client.get(path)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(path, json=body or {})


@pytest.fixture(scope="module")
def api(service: str) -> Iterator[Callable[[str], Api]]:
    cache: dict[str, Api] = {}

    def get(role: str) -> Api:
        if role not in cache:
            cache[role] = Api(service, role)
        return cache[role]

    yield get
    for client in cache.values():
        client.client.close()


def open_page(browser: Any, service: str, role: str) -> Any:
    """A fresh context (own sessionStorage) with the map loaded for ``role``."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page._dw_errors = errors  # checked by close_page
    page.goto(f"{service}/?token={TOKENS[role]}")
    try:
        page.wait_for_selector(f'{tid("conn-status")}[data-state="connected"]', timeout=TIMEOUT_MS)
    except sync_api.TimeoutError:
        status = page.text_content(tid("conn-status"))
        banner = page.text_content(tid("banner"))
        raise AssertionError(f"page not connected: status {status!r}, banner {banner!r}") from None
    page.wait_for_selector(f'{tid("me")}[data-role="{role}"]', timeout=TIMEOUT_MS)
    return page


def close_page(page: Any) -> None:
    errors = page._dw_errors
    page.context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def wait_until(pred: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """Poll ``pred`` every 0.25 s until it returns something truthy."""
    end = time.monotonic() + timeout_s
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.25)


def track_positions(page: Any) -> dict[str, tuple[float, float]]:
    rows = page.eval_on_selector_all(
        tid("track"), "els => els.map(e => [e.dataset.trackId, e.dataset.lat, e.dataset.lon])"
    )
    return {r[0]: (float(r[1]), float(r[2])) for r in rows}


def pending_proposal(api: Callable[[str], Api]) -> dict[str, Any]:
    """Wait for a pending proposal, then pause the run so that it stays pending."""
    operator = api("operator")
    operator.post("/scenario/resume")

    def find() -> dict[str, Any] | None:
        props = api("commander").get("/proposals?state=pending")["proposals"]
        return next((p for p in props if p["state"] == "proposed"), None)

    wait_until(find, 90, "a pending engagement proposal")
    assert operator.post("/scenario/pause").status_code == 200
    found = find()
    if found is None:  # it expired between the two reads: wait for the next one
        operator.post("/scenario/resume")
        wait_until(find, 90, "a pending engagement proposal")
        operator.post("/scenario/pause")
        found = find()
    assert found is not None
    return found


def test_page_loads_and_shows_base_map(browser: Any, service: str) -> None:
    page = open_page(browser, service, "viewer")
    page.wait_for_selector('#map[data-basemap="loaded"]', timeout=TIMEOUT_MS)
    # Belgium, the Netherlands and Luxembourg drawn as land, plus neighbours.
    assert page.locator("path.basemap-country.benelux").count() == 3
    assert page.locator("path.basemap-country").count() >= 4
    # Site rings and sensors come from the API.
    page.wait_for_selector("path.dw-site-alert", timeout=TIMEOUT_MS)
    assert page.locator("path.dw-site-core").count() >= 1
    assert page.locator("path.dw-sensor").count() >= 1
    # Offline: every request stays on the service (no CDN, no tiles).
    assert page.evaluate(
        "performance.getEntriesByType('resource').every(r => r.name.startsWith(location.origin))"
    )
    # A viewer has no scenario controls.
    assert page.locator(tid("scenario-pause")).count() == 0
    close_page(page)


def test_api_docs_render_offline(browser: Any, service: str) -> None:
    """The /docs page renders the API with every request outside the service refused: an
    operations cell without internet still browses its API."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    refused: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(service):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.goto(f"{service}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=TIMEOUT_MS)
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "els => els.map(e => e.dataset.path || e.textContent)"
    )
    assert any("/api/v1/health" in p for p in paths), paths
    assert any("/api/v1/proposals" in p for p in paths), paths
    assert refused == []
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_tracks_appear_and_move(browser: Any, service: str, api: Callable[[str], Api]) -> None:
    api("operator").post("/scenario/resume")
    page = open_page(browser, service, "viewer")
    page.wait_for_selector(tid("track"), timeout=TIMEOUT_MS)
    first = track_positions(page)
    assert first, "no track drawn"
    # Every drawn track is one the API lists.
    listed = {str(t["track_id"]) for t in api("viewer").get("/tracks")["tracks"]}
    assert set(first) & listed

    def moved() -> bool:
        now = track_positions(page)
        return any(k in first and now[k] != first[k] for k in now)

    wait_until(moved, 20, "a track to move")
    # Each track carries an APP-6 D air symbol (20-digit SIDC, symbol set 01), read in one go.
    shown = page.evaluate(
        """() => ({
            symbols: [...document.querySelectorAll('[data-testid="track"]')].map(
                e => [e.dataset.sidc, e.querySelector('svg') !== null]),
            count: Number(document.querySelector('[data-testid="track-count"]').textContent),
        })"""
    )
    assert shown["symbols"]
    assert all(len(s) == 20 and s[4:6] == "01" and svg for s, svg in shown["symbols"])
    assert shown["count"] == len(shown["symbols"])
    close_page(page)


def test_viewer_cannot_approve(browser: Any, service: str, api: Callable[[str], Api]) -> None:
    prop = pending_proposal(api)
    pid = prop["proposal_id"]
    page = open_page(browser, service, "viewer")
    card = page.locator(f'{tid("proposal-card")}[data-proposal-id="{pid}"]')
    card.wait_for(timeout=TIMEOUT_MS)
    assert card.get_attribute("data-state") == "proposed"
    assert card.locator(tid("proposal-approve")).count() == 0
    assert card.locator(tid("proposal-reject")).count() == 0
    assert "commander" in (card.locator(tid("proposal-readonly")).text_content() or "")
    # Forcing the request from the page with the viewer's token is refused.
    status = page.evaluate(
        """async (pid) => {
            const r = await fetch(`api/v1/proposals/${pid}/approve`, {method: 'POST',
              headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('dronewall.token'),
                        'Content-Type': 'application/json'},
              body: JSON.stringify({reason: 'viewer tries'})});
            return r.status;
        }""",
        pid,
    )
    assert status == 403
    after = {p["proposal_id"]: p for p in api("commander").get("/proposals?state=all")["proposals"]}
    assert after[pid]["state"] == "proposed"
    close_page(page)


def test_server_403_is_shown_on_the_card(
    browser: Any, service: str, api: Callable[[str], Api]
) -> None:
    prop = pending_proposal(api)
    pid = prop["proposal_id"]
    page = open_page(browser, service, "commander")
    page.route(
        "**/api/v1/proposals/*/approve",
        lambda route: route.fulfill(
            status=403,
            content_type="application/json",
            body='{"detail": "role commander not cleared for this fire unit"}',
        ),
    )
    card = page.locator(f'{tid("proposal-card")}[data-proposal-id="{pid}"]')
    card.wait_for(timeout=TIMEOUT_MS)
    approve = card.locator(tid("proposal-approve"))
    assert approve.is_disabled()  # no reason yet
    card.locator(tid("proposal-reason")).fill("test")
    approve.click()
    err = card.locator(tid("proposal-error"))
    err.wait_for(state="visible", timeout=TIMEOUT_MS)
    text = err.text_content() or ""
    assert "403" in text
    assert "forbidden" in text
    assert "not cleared for this fire unit" in text
    assert card.get_attribute("data-state") == "proposed"
    close_page(page)


def test_commander_approves_proposal(browser: Any, service: str, api: Callable[[str], Api]) -> None:
    prop = pending_proposal(api)
    pid = prop["proposal_id"]
    page = open_page(browser, service, "commander")
    card = page.locator(f'{tid("proposal-card")}[data-proposal-id="{pid}"]')
    card.wait_for(timeout=TIMEOUT_MS)
    reason = f"browser test approval of {pid}"
    card.locator(tid("proposal-reason")).fill(reason)
    card.locator(tid("proposal-approve")).click()
    page.wait_for_function(
        """([pid, states]) => {
            const c = document.querySelector(
              `[data-testid="proposal-card"][data-proposal-id="${pid}"]`);
            return c && states.includes(c.dataset.state);
        }""",
        arg=[pid, sorted(APPROVED_STATES)],
        timeout=TIMEOUT_MS,
    )
    assert card.locator(tid("proposal-error")).text_content() == ""
    after = {p["proposal_id"]: p for p in api("commander").get("/proposals?state=all")["proposals"]}
    assert after[pid]["state"] in APPROVED_STATES
    entries = api("admin").get("/audit")["entries"]
    mine = [e for e in entries if e.get("reason") == reason]
    assert mine, f"no audit entry with the reason {reason!r}"
    assert mine[-1]["user"] == "carla"
    assert "approve" in mine[-1]["action"]
    close_page(page)


def test_operator_acknowledges_alert(browser: Any, service: str, api: Callable[[str], Api]) -> None:
    api("operator").post("/scenario/resume")
    wait_until(
        lambda: [
            a for a in api("operator").get("/alerts?state=all")["alerts"] if not a["acknowledged"]
        ],
        60,
        "an unacknowledged alert",
    )
    page = open_page(browser, service, "operator")
    first = page.locator(f'{tid("alert-item")}[data-acknowledged="false"]').first
    first.wait_for(timeout=TIMEOUT_MS)
    aid = first.get_attribute("data-alert-id")
    # Pinned by its id: ``first`` is re-resolved on every use, and a newer alert raised meanwhile
    # sorts above this one, so clicking through ``first`` could acknowledge another alert.
    item = page.locator(f'{tid("alert-item")}[data-alert-id="{aid}"]')
    item.locator(tid("alert-ack")).click()
    page.wait_for_selector(
        f'{tid("alert-item")}[data-alert-id="{aid}"][data-acknowledged="true"]', timeout=TIMEOUT_MS
    )
    alerts = {a["alert_id"]: a for a in api("operator").get("/alerts?state=all")["alerts"]}
    assert alerts[aid]["acknowledged"] is True
    assert alerts[aid]["acknowledged_by"] == "otto"
    close_page(page)


def test_replay_slider_shows_the_past(
    browser: Any, service: str, api: Callable[[str], Api]
) -> None:
    api("operator").post("/scenario/resume")
    page = open_page(browser, service, "viewer")
    page.wait_for_selector(tid("track"), timeout=TIMEOUT_MS)
    health = api("viewer").get("/health")
    t_past = float(health["t_start"]) + 0.5 * (float(health["t"]) - float(health["t_start"]))
    slider = page.locator(tid("replay-slider"))
    slider.evaluate(
        "(el, t) => { el.value = String(Math.round(t)); el.dispatchEvent(new Event('input')); }",
        t_past,
    )
    page.wait_for_selector(f'{tid("replay-mode")}[data-mode="replay"]', timeout=TIMEOUT_MS)
    t_shown = float(slider.input_value())
    expected = api("viewer").get(f"/tracks?at={t_shown}")["tracks"]

    def shown_matches() -> bool:
        return set(track_positions(page)) == {str(t["track_id"]) for t in expected}

    wait_until(shown_matches, 10, "the map to show the tracks of the replayed time")
    first = track_positions(page)
    page.wait_for_timeout(1500)
    assert track_positions(page) == first  # frozen in the past while the run goes on
    page.click(tid("replay-live"))
    page.wait_for_selector(f'{tid("replay-mode")}[data-mode="live"]', timeout=TIMEOUT_MS)
    close_page(page)


def test_speed_is_set_only_on_a_live_scenario(browser: Any, service: str, tmp_path: Path) -> None:
    """The speed selector is enabled on a live scenario; on a recorded run served in replay mode
    (which answers 409 to ``/scenario/speed``) it and pause/resume are disabled, and the slider
    is the way through time."""
    live = open_page(browser, service, "operator")
    live.wait_for_selector(f'{tid("mode")}[data-mode="live"]', timeout=TIMEOUT_MS)
    assert live.locator(tid("scenario-speed")).is_enabled()
    close_page(live)
    if os.environ.get("DRONEWALL_TEST_SERVICE_URL"):
        return  # the replay half needs its own service
    from service_helpers import mixed_scenario

    from dronewall.pipeline import run_scenario
    from dronewall.service.settings import ServiceSettings
    from dronewall.service.testing import serve_in_thread

    run = tmp_path / "run"
    run_scenario(mixed_scenario(tmp_path, duration_s=60), run, seed=0)
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    with serve_in_thread(ServiceSettings(replay=run, tokens=tokens)) as url:
        page = open_page(browser, url.rstrip("/"), "operator")
        page.wait_for_selector(f'{tid("mode")}[data-mode="replay"]', timeout=TIMEOUT_MS)
        speed = page.locator(tid("scenario-speed"))
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"scenario-speed\"]').disabled",
            timeout=TIMEOUT_MS,
        )
        assert "recorded run" in (speed.get_attribute("title") or "")
        assert page.locator(tid("scenario-pause")).is_disabled()
        assert page.locator(tid("scenario-resume")).is_disabled()
        with httpx.Client(base_url=url.rstrip("/"), timeout=10.0) as c:
            r = c.post(
                "/api/v1/scenario/speed",
                json={"speed": 4},
                headers={"Authorization": f"Bearer {TOKENS['operator']}"},
            )
        assert r.status_code == 409
        close_page(page)


def test_reconnects_when_the_stream_drops(
    browser: Any, service: str, api: Callable[[str], Api]
) -> None:
    api("operator").post("/scenario/resume")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sockets: list[Any] = []

    def forward(ws: Any) -> None:
        ws.connect_to_server()  # messages flow both ways untouched
        sockets.append(ws)

    page.route_web_socket("**/api/v1/stream*", forward)
    page.goto(f"{service}/?token={TOKENS['viewer']}")
    status = page.locator(tid("conn-status"))
    page.wait_for_selector(f'{tid("conn-status")}[data-connects="1"]', timeout=TIMEOUT_MS)
    seq_before = int(page.get_attribute("#map", "data-seq") or "0")
    sockets[0].close(code=1012, reason="test drops the stream")
    page.wait_for_selector(f'{tid("conn-status")}[data-drops="1"]', timeout=TIMEOUT_MS)
    page.wait_for_selector(f'{tid("conn-status")}[data-connects="2"]', timeout=TIMEOUT_MS)
    assert status.get_attribute("data-state") == "connected"
    assert len(sockets) == 2
    page.wait_for_function(
        "seq => Number(document.getElementById('map').dataset.seq) > seq",
        arg=seq_before,
        timeout=TIMEOUT_MS,
    )
    context.close()


def test_screenshot_saved(browser: Any, service: str, tmp_path: Path) -> None:
    page = open_page(browser, service, "commander")
    page.wait_for_selector('#map[data-basemap="loaded"]', timeout=TIMEOUT_MS)
    page.wait_for_selector(tid("track"), timeout=TIMEOUT_MS)
    out = tmp_path / "live-map.png"
    page.screenshot(path=str(out))
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert len(data) > 20_000  # a drawn map, not a blank page
    close_page(page)


def test_ingest_mode_names_the_inputs_instead_of_the_scenario_controls(
    browser: Any, tmp_path: Path
) -> None:
    """Over live inputs (``serve --ingest``, a TAK input that has sent nothing yet) an operator
    sees the defended area at once, the inputs named where the scenario controls would be, and
    the input's sensor once it reports."""
    if os.environ.get("DRONEWALL_TEST_SERVICE_URL"):
        pytest.skip("needs its own service over live inputs")
    import socket
    from datetime import UTC, datetime

    from dronewall.service.runtime import IngestSettings
    from dronewall.service.testing import serve_in_thread

    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    config = tmp_path / "ingest.yaml"
    config.write_text(
        "inputs:\n"
        "  - {name: tak, format: cot, listen: 'udp://127.0.0.1:0'}\n"
        "frame_period_s: 0.5\n"
        f"record_dir: '{tmp_path / 'live'}'\n"
        "area: kleine-brogel-night\n",
        encoding="utf-8",
    )
    with serve_in_thread(IngestSettings(ingest=config, tokens=tokens)) as url:
        page = open_page(browser, url, "operator")
        page.wait_for_selector(f'{tid("mode")}[data-mode="ingest"]', timeout=TIMEOUT_MS)
        assert "waiting for data" in (page.text_content(tid("mode")) or "")
        inputs = page.locator(tid("live-inputs"))
        inputs.wait_for(state="visible", timeout=TIMEOUT_MS)
        assert "tak (cot)" in (inputs.text_content() or "")
        assert "ingest.yaml" in (inputs.get_attribute("title") or "")
        # the controls of a scenario run would answer 409 here: not shown
        assert page.locator(tid("scenario-controls")).is_hidden()
        assert page.locator(tid("scenario-pause")).is_hidden()
        # the defended area before any detection: two sites, four fire units, no track
        page.wait_for_selector("path.dw-site-alert", timeout=TIMEOUT_MS)
        assert page.locator("path.dw-site-alert").count() == 2
        assert page.locator(".dw-fire-unit").count() == 4
        assert page.locator(tid("track")).count() == 0
        assert page.locator("path.dw-sensor").count() == 0

        # a TAK position report: the run begins and the input's sensor appears on the map
        viewer = Api(url, "viewer")
        try:
            listed = viewer.get("/inputs")["inputs"]
        finally:
            viewer.client.close()
        host, port = listed[0]["bound"].split(":")
        now = time.time()
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stale = datetime.fromtimestamp(now + 600, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        event = (
            f'<event version="2.0" uid="uav-1" type="a-u-A-M-F-Q" how="m-g" time="{stamp}" '
            f'start="{stamp}" stale="{stale}"><point lat="51.19" lon="5.47" hae="200" ce="15" '
            'le="20"/></event>'
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(event.encode(), (host, int(port)))
        page.wait_for_function(
            "s => !document.querySelector(s).textContent.includes('waiting')",
            arg=tid("mode"),
            timeout=TIMEOUT_MS,
        )
        page.wait_for_selector("path.dw-sensor", timeout=TIMEOUT_MS)
        assert page.locator(tid("scenario-controls")).is_hidden()
        close_page(page)
