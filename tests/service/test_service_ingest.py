"""``dronewall serve --ingest``: the live map over live sensor inputs.

An SBS receiver (as dump1090 serves port 30003) runs on 127.0.0.1:0 in a thread; the service's
ingest configuration connects to it, with the Kleine-Brogel defended area. The aircraft it reports
must appear on the map through the whole picture: ``/api/v1/tracks`` shows a confirmed track with
the identity of a cooperative civil aircraft (NEUTRAL) near the reported position, and the
WebSocket stream delivers it; the scenario controls answer 409.

Over a TAK input (CoT on UDP, ``listen: udp://127.0.0.1:0``): before anything arrives the service
says ``mode: ingest`` and serves the defended area (sites, no-fire zones, fire units with full
magazines) with no track; a person's CoT sighting raises an alert an operator acknowledges; a
store elsewhere (``--db``) still gets ``report.html`` in ``record_dir``; a drone's CoT positions
(``clock: data``) give a proposal a commander decides, as in a live run.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from service_helpers import TestClient, auth
from typer.testing import CliRunner
from websockets.sync.client import connect

from dronewall.core.errors import ConfigError
from dronewall.picture import EventStore
from dronewall.service import create_app
from dronewall.service.cli import register
from dronewall.service.runtime import NO_SCENARIO_CONTROL, IngestSettings, load_ingest_area
from dronewall.service.testing import serve_in_thread, write_demo_tokens
from dronewall.world import load_world

ICAO = "4CA2D6"
#: Where the aircraft starts (about 6 km west of Kleine-Brogel), its height and its speed east.
LAT0, LON0, ALT_FT, SPEED_E_MS = 51.17, 5.38, 3000, 80.0
#: Seconds between position reports (ADS-B airborne positions come about twice a second).
REPORT_S = 0.25
#: Seconds the receiver keeps reporting; the test stops waiting for the picture after this.
FLIGHT_S = 30.0
AUTH = {"Authorization": "Bearer viewer-token"}


def _sbs(now: float) -> bytes:
    """One SBS MSG 3 (airborne position) line of the aircraft at wall time ``now``."""
    dt = datetime.fromtimestamp(now, UTC)
    day, clock = dt.strftime("%Y/%m/%d"), dt.strftime("%H:%M:%S.%f")[:-3]
    east_m = SPEED_E_MS * (now - _T0[0])
    lon = LON0 + math.degrees(east_m / (6_371_000.0 * math.cos(math.radians(LAT0))))
    fields = ["MSG", "3", "1", "1", ICAO, "1", day, clock, day, clock, "", str(ALT_FT)]
    fields += ["", "", f"{LAT0:.5f}", f"{lon:.5f}", "", "", "", "", "", "0"]
    return (",".join(fields) + "\r\n").encode()


_T0 = [0.0]


class Receiver:
    """A TCP server on 127.0.0.1:0 that streams the aircraft's SBS lines to whoever connects."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="sbs-receiver", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                _T0[0] = time.time()
                while not self.stop.is_set() and time.time() - _T0[0] < FLIGHT_S:
                    try:
                        conn.sendall(_sbs(time.time()))
                    except OSError:
                        break
                    self.sent += 1
                    self.stop.wait(REPORT_S)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _config(tmp_path: Path, port: int, area: bool = True) -> Path:
    path = tmp_path / "ingest.yaml"
    lines = [
        "inputs:",
        f"  - {{name: adsb, format: sbs, connect: 'tcp://127.0.0.1:{port}'}}",
        "frame_period_s: 0.5",
        "clock: wall",
        f"record_dir: '{tmp_path / 'live'}'",
    ]
    if area:
        lines.append("area: kleine-brogel-night")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _aircraft(tracks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The confirmed track nearest to where the aircraft was reported (within 500 m)."""
    best: dict[str, Any] | None = None
    for tr in tracks:
        if tr["status"] != "confirmed" or tr["lat"] is None:
            continue
        if abs(tr["lat"] - LAT0) * 111_000.0 < 500.0 and (best is None or tr["t"] > best["t"]):
            best = tr
    return best


def test_live_sbs_aircraft_is_on_the_map_as_neutral(tmp_path: Path, receiver: Receiver) -> None:
    settings = IngestSettings(ingest=_config(tmp_path, receiver.port))
    with serve_in_thread(settings) as base, httpx.Client(base_url=base, headers=AUTH) as http:
        # the defended area is served before (and while) tracks arrive
        track: dict[str, Any] | None = None
        deadline = time.monotonic() + FLIGHT_S
        while track is None and time.monotonic() < deadline:
            time.sleep(0.5)
            body = http.get("/api/v1/tracks").raise_for_status().json()
            track = _aircraft([{**tr, "t": body["t"]} for tr in body["tracks"]])
        assert track is not None, f"no confirmed track after {receiver.sent} SBS reports"
        assert track["identity"] == "neutral"
        assert track["lon"] > LON0  # it flies east
        assert abs(track["alt_m"] - ALT_FT * 0.3048) < 150.0  # pressure altitude, ISA

        health = http.get("/api/v1/health").raise_for_status().json()
        assert health["mode"] == "ingest"
        assert health["scenario"] == "kleine-brogel-night"
        assert health["running"] is True
        sites = http.get("/api/v1/sites").raise_for_status().json()["sites"]
        assert {s["id"] for s in sites} >= {"kleine-brogel", "sck-cen-mol"}
        sensors = http.get("/api/v1/sensors").raise_for_status().json()["sensors"]
        assert [s["id"] for s in sensors] == ["adsb"]  # recorded as it first reported
        assert sensors[0]["last_report_t"] is not None

        # the WebSocket stream: a snapshot holding the track, then deltas that keep updating it
        ws_url = base.replace("http://", "ws://") + "/api/v1/stream?token=viewer-token"
        with connect(ws_url, open_timeout=10) as ws:
            snap = json.loads(ws.recv(timeout=10))
            assert snap["type"] == "snapshot"
            assert track["track_id"] in snap["tracks"]["track_id"]
            seen: list[tuple[float, str]] = []
            for _ in range(20):
                msg = json.loads(ws.recv(timeout=10))
                cols = msg["tracks"]
                if msg["type"] == "delta" and track["track_id"] in cols["track_id"]:
                    row = cols["track_id"].index(track["track_id"])
                    seen.append((msg["t"], cols["identity"][row]))
                if len(seen) >= 2:
                    break
        assert len(seen) >= 2, "the stream did not update the track"
        assert seen[1][0] > seen[0][0]
        assert {ident for _, ident in seen} == {"neutral"}

        # scenario controls: the frames come from the inputs
        op = {"Authorization": "Bearer operator-token"}
        for path, body_ in (
            ("/api/v1/scenario/start", None),
            ("/api/v1/scenario/pause", None),
            ("/api/v1/scenario/resume", None),
            ("/api/v1/scenario/speed", {"speed": 2.0}),
        ):
            r = http.post(path, headers=op, json=body_)
            assert r.status_code == 409, (path, r.text)
            assert NO_SCENARIO_CONTROL in r.json()["detail"]
    # the service stopped the inputs: the picture's run is finished and reported
    assert (tmp_path / "live" / "summary.json").is_file()
    assert (tmp_path / "live" / "report.html").is_file()
    summary = json.loads((tmp_path / "live" / "summary.json").read_text())
    assert summary["inputs"][0]["records"] > 0
    assert summary["tracks_confirmed"] >= 1


def test_serve_ingest_refuses_a_config_without_an_area_or_with_a_scenario(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.command()
    def other() -> None:  # a second command, so that 'serve' is a subcommand
        """Unused."""

    register(app)
    runner = CliRunner()
    config = _config(tmp_path, 9, area=False)
    r = runner.invoke(app, ["serve", "--ingest", str(config)])
    assert r.exit_code == 2
    assert "field 'area'" in r.output
    assert "needs a defended area" in r.output
    with pytest.raises(ConfigError, match="needs a defended area") as info:
        load_ingest_area(config, load_world())
    assert info.value.field == "area"
    r = runner.invoke(app, ["serve", "--ingest", str(config), "--scenario", "kleine-brogel-night"])
    assert r.exit_code == 2
    assert "only one of them" in r.output


# ------------------------------------------------------------------ a TAK input (CoT on UDP)

#: Kleine-Brogel Air Base (world model), where the CoT reports are placed.
KB_LAT, KB_LON = 51.1681, 5.4702


def _tak_config(tmp_path: Path, clock: str = "wall", more: str = "") -> Path:
    path = tmp_path / "ingest.yaml"
    path.write_text(
        "inputs:\n"
        "  - {name: tak, format: cot, listen: 'udp://127.0.0.1:0'}\n"
        f"{more}"
        f"frame_period_s: {0.5 if clock == 'wall' else 1.0}\n"
        f"clock: {clock}\n"
        f"record_dir: '{tmp_path / 'live'}'\n"
        "area: kleine-brogel-night\n",
        encoding="utf-8",
    )
    return path


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cot(uid: str, how: str, t: float, lat: float, lon: float, hae_m: float) -> bytes:
    """One CoT event of an unknown air atom (a small UAV) at ``t``, stale an hour later."""
    return (
        f'<event version="2.0" uid="{uid}" type="a-u-A-M-F-Q" how="{how}" time="{_iso(t)}" '
        f'start="{_iso(t)}" stale="{_iso(t + 3600.0)}"><point lat="{lat:.6f}" lon="{lon:.6f}" '
        f'hae="{hae_m:.0f}" ce="15" le="20"/></event>'
    ).encode()


def _tak_client(tmp_path: Path, **settings: Any) -> TestClient:
    tokens = write_demo_tokens(tmp_path / "tokens.yaml")
    return TestClient(create_app(IngestSettings(tokens=tokens, **settings)))


def _bound(client: TestClient) -> tuple[str, int]:
    """Where the TAK input listens, as ``GET /inputs`` says."""
    inputs = client.get("/api/v1/inputs", headers=auth("viewer")).json()["inputs"]
    host, port = inputs[0]["bound"].split(":")
    return host, int(port)


def _wait(pred: Callable[[], Any], timeout_s: float, what: str) -> Any:
    end = time.monotonic() + timeout_s
    while not (value := pred()):
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.2)
    return value


def test_the_defended_area_is_served_before_the_first_detection(tmp_path: Path) -> None:
    # a second input: a receiver that is not there (port 9), named with a password in its URL
    receiver = "  - {name: rx, format: sbs, connect: 'tcp://op:secret@127.0.0.1:9'}\n"
    config = _tak_config(tmp_path, more=receiver)
    _, area = load_ingest_area(config, load_world())
    with _tak_client(tmp_path, ingest=config) as client:
        health = client.get("/api/v1/health").json()
        assert health["mode"] == "ingest"
        assert health["scenario"] == "kleine-brogel-night"
        assert health["running"] is True
        assert (health["run_id"], health["t"], health["t_start"]) == (None, None, None)

        def get(path: str, who: str = "viewer") -> Any:
            r = client.get(f"/api/v1/{path}", headers=auth(who))
            assert r.status_code == 200, (path, r.text)
            return r.json()

        sites = get("sites")["sites"]
        assert [s["id"] for s in sites] == [s.id for s in area.sites]
        assert all(s["alert_radius_m"] > s["core_radius_m"] > 0 for s in sites)
        zones = get("zones")["zones"]
        assert [z["name"] for z in zones] == [z.name for z in area.roe.no_fire_zones]
        assert all(z["geometry"]["type"] == "Polygon" for z in zones)
        units = get("effectors")["fire_units"]
        assert [u["id"] for u in units] == [f.id for f in area.fire_units]
        full = [
            f.magazine if f.magazine is not None else f.effector.magazine for f in area.fire_units
        ]
        assert [u["stock"] for u in units] == full  # no engagement yet: full magazines
        assert any(m is not None and m > 0 for m in full)
        assert get("sensors")["sensors"] == []  # none has reported yet
        tracks = get("tracks")
        assert tracks["tracks"] == []
        assert get("alerts?state=all")["alerts"] == []
        assert get("proposals?state=all")["proposals"] == []
        assert client.get("/api/v1/replay", headers=auth("viewer")).status_code == 404
        assert client.get("/api/v1/tracks/1/history", headers=auth("viewer")).status_code == 404

        # where the picture comes from
        inputs = get("inputs")
        assert (inputs["config"], inputs["area"]) == ("ingest.yaml", "kleine-brogel-night")
        tak, rx = inputs["inputs"]
        assert (rx["name"], rx["endpoint"], rx["bound"]) == ("rx", "tcp://127.0.0.1:9", None)
        assert (tak["name"], tak["format"], tak["endpoint"]) == ("tak", "cot", "udp://127.0.0.1:0")
        assert tak["bound"].startswith("127.0.0.1:")
        assert not tak["bound"].endswith(":0")
        assert (tak["records"], tak["bad"]) == (0, 0)
        assert tak["releasability"] == ["BE", "NATO"]
        nl = get("inputs", "nl")  # a Dutch-only viewer: the Belgian inputs are not releasable
        assert nl["inputs"] == []
        assert get("sites", "nl")["sites"] == []

        with client.websocket_connect("/api/v1/stream?token=viewer-token") as ws:
            snap = ws.receive_json()
        assert snap["type"] == "snapshot"
        assert snap["tracks"]["track_id"] == []
        assert snap["status"]["mode"] == "ingest"
        r = client.post("/api/v1/scenario/pause", headers=auth("operator"))
        assert r.status_code == 409
        assert NO_SCENARIO_CONTROL in r.json()["detail"]
    # nothing arrived: no run was recorded, so there is no report; the ingest's summary is written
    live = tmp_path / "live"
    assert json.loads((live / "summary.json").read_text())["run_id"] is None
    assert not (live / "report.html").exists()


def test_a_sighting_is_acknowledged_and_a_store_elsewhere_gets_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _tak_config(tmp_path)
    elsewhere = tmp_path / "elsewhere" / "store.sqlite"
    with _tak_client(tmp_path, ingest=config, db=str(elsewhere)) as client:
        host, port = _bound(client)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            # a person reports a drone 200 m from the base (how h-e: a human estimate)
            sock.sendto(
                _cot("obs-1", "h-e", time.time(), KB_LAT + 0.0018, KB_LON, 150), (host, port)
            )

        def alerts() -> list[dict[str, Any]]:
            body = client.get("/api/v1/alerts?state=all", headers=auth("operator")).json()
            return list(body["alerts"])

        [alert] = _wait(alerts, 20, "the sighting's alert")
        assert alert["kind"] == "report-unconfirmed"
        assert alert["site"] == "kleine-brogel"
        health = client.get("/api/v1/health").json()
        assert health["mode"] == "ingest"
        assert isinstance(health["run_id"], int)
        sensors = client.get("/api/v1/sensors", headers=auth("viewer")).json()["sensors"]
        assert [s["id"] for s in sensors] == ["tak"]
        # sites stay served once the run has begun
        sites = client.get("/api/v1/sites", headers=auth("viewer")).json()["sites"]
        assert {s["id"] for s in sites} == {"kleine-brogel", "sck-cen-mol"}
        r = client.post(
            f"/api/v1/alerts/{alert['alert_id']}/acknowledge",
            headers=auth("operator"),
            json={"note": "patrol sent"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["acknowledged"] is True
        run_id = health["run_id"]
        caplog.set_level(logging.INFO, logger="dronewall.service.runtime")
    live = tmp_path / "live"
    assert not (live / "events.sqlite").exists()  # the run is in the store elsewhere
    summary = json.loads((live / "summary.json").read_text())
    assert summary["store"] == str(elsewhere)
    assert summary["run_id"] == run_id
    report = (live / "report.html").read_text(encoding="utf-8")
    assert "kleine-brogel-night" in report
    assert "Kleine-Brogel" in report
    assert any("report of the live inputs" in m and str(live) in m for m in caplog.messages)
    with EventStore.open(elsewhere, create=False) as store:
        assert store.run(run_id).status == "finished"
        assert [e["action"] for e in store.audit_entries()] == ["acknowledge"]


def test_a_commander_decides_a_proposal_over_live_inputs(tmp_path: Path) -> None:
    config = _tak_config(tmp_path, clock="data")
    with _tak_client(tmp_path, ingest=config) as client:
        host, port = _bound(client)
        # a drone's positions over the last 4 minutes (1 Hz, how m-g: machine, GPS): from 3.5 km
        # north-east it flies at 16 m/s, 200 m up, straight at the base; the data clock cuts the
        # frames, so they are all tracked at once
        t0 = time.time() - 240.0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for k in range(240):
                d = max(3500.0 - 16.0 * k, 200.0)
                lat = KB_LAT + math.degrees(d * math.cos(math.radians(60.0)) / 6_371_000.0)
                lon = KB_LON + math.degrees(
                    d
                    * math.sin(math.radians(60.0))
                    / (6_371_000.0 * math.cos(math.radians(KB_LAT)))
                )
                sock.sendto(_cot("uav-1", "m-g", t0 + k, lat, lon, 200.0), (host, port))
                if k % 20 == 19:
                    time.sleep(0.02)  # the datagrams are not dropped by a full socket buffer

        def pending() -> list[dict[str, Any]]:
            body = client.get("/api/v1/proposals", headers=auth("commander")).json()
            return list(body["proposals"])

        prop = _wait(pending, 30, "an engagement proposal")[0]
        assert prop["site"] == "kleine-brogel"
        pid = prop["proposal_id"]
        body = {"reason": "hostile approach confirmed by the tower"}
        r = client.post(f"/api/v1/proposals/{pid}/approve", headers=auth("viewer"), json=body)
        assert r.status_code == 403
        r = client.post(f"/api/v1/proposals/{pid}/approve", headers=auth("commander"), json=body)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "approved"
        assert r.json()["decided_by"] == "carla (commander)"
        entries = client.get("/api/v1/audit", headers=auth("admin")).json()["entries"]
        assert [(e["action"], e["item"], e["reason"]) for e in entries] == [
            ("approve", pid, body["reason"])
        ]
    assert (tmp_path / "live" / "report.html").is_file()  # the default store: the ingest's report
