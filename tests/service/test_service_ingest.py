"""``dronewall serve --ingest``: the live map over live sensor inputs.

An SBS receiver (as dump1090 serves port 30003) runs on 127.0.0.1:0 in a thread; the service's
ingest configuration connects to it, with the Kleine-Brogel defended area. The aircraft it reports
must appear on the map through the whole picture: ``/api/v1/tracks`` shows a confirmed track with
the identity of a cooperative civil aircraft (NEUTRAL) near the reported position, and the
WebSocket stream delivers it; the scenario controls answer 409.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner
from websockets.sync.client import connect

from dronewall.core.errors import ConfigError
from dronewall.service.cli import register
from dronewall.service.runtime import NO_SCENARIO_CONTROL, IngestSettings, load_ingest_area
from dronewall.service.testing import serve_in_thread
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
        assert health["mode"] == "live"
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
