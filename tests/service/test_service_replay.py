"""Replay of a recorded run folder: the picture at any time T, read-only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from service_helpers import TestClient, auth

from dronewall.picture import EventStore
from dronewall.service import ServiceSettings, create_app


@pytest.fixture(scope="module")
def replay(short_run: Path, tokens_file: Path) -> Iterator[TestClient]:
    with TestClient(create_app(ServiceSettings(replay=short_run, tokens=tokens_file))) as c:
        yield c


def test_replay_reports_its_run_and_time_span(replay: TestClient, short_run: Path) -> None:
    health = replay.get("/api/v1/health").json()
    assert health["mode"] == "replay"
    info = replay.get("/api/v1/replay", headers=auth("viewer")).json()
    with EventStore.open(short_run / "events.sqlite", create=False) as store:
        run = store.runs()[-1]
        up = store.track_updates(run.run_id)
    assert info["run_id"] == run.run_id
    assert info["t_start"] == run.t0
    assert info["t_end"] == float(up.t.max())


def test_picture_at_any_time_equals_the_store(replay: TestClient, short_run: Path) -> None:
    info = replay.get("/api/v1/replay", headers=auth("viewer")).json()
    with EventStore.open(short_run / "events.sqlite", create=False) as store:
        up = store.track_updates(info["run_id"])
    for dt in (10.0, 60.4, 120.0):
        t = info["t_start"] + dt
        body = replay.get("/api/v1/tracks", params={"at": t}, headers=auth("viewer")).json()
        t_snap = float(up.t[up.t <= t].max())
        assert body["t"] == t_snap
        rows = np.flatnonzero(up.t == t_snap)
        assert sorted(tr["track_id"] for tr in body["tracks"]) == sorted(up.track_id[rows].tolist())
        by_id = {tr["track_id"]: tr for tr in body["tracks"]}
        for r in rows[:5].tolist():
            tr = by_id[int(up.track_id[r])]
            assert tr["lat"] == pytest.approx(up.lla[r, 0], abs=1e-6)
            assert tr["identity"] == up.identity[r]
    # without at: the end of the run; before the start: clamped to the start
    end = replay.get("/api/v1/tracks", headers=auth("viewer")).json()
    assert end["t"] == info["t_end"]
    early = replay.get(
        "/api/v1/tracks", params={"at": info["t_start"] - 1e6}, headers=auth("viewer")
    ).json()
    assert early["t"] == info["t_start"]


def test_replayed_proposals_and_decisions_come_from_the_events(replay: TestClient) -> None:
    props = replay.get("/api/v1/proposals?state=all", headers=auth("viewer")).json()["proposals"]
    assert props
    states = {p["state"] for p in props}
    assert states <= {"proposed", "approved", "rejected", "expired", "executed", "assessed"}
    # the batch run's simulated operator approved after its delay
    decided = [p for p in props if p["decided_by"]]
    assert decided
    assert all("policy" in p["decided_by"] for p in decided)


def test_replay_is_read_only(replay: TestClient, short_run: Path) -> None:
    props = replay.get("/api/v1/proposals?state=all", headers=auth("viewer")).json()["proposals"]
    pid = props[0]["proposal_id"]
    r = replay.post(
        f"/api/v1/proposals/{pid}/approve", json={"reason": "x"}, headers=auth("commander")
    )
    assert r.status_code == 409
    assert replay.post("/api/v1/scenario/pause", headers=auth("operator")).status_code == 409
    alerts = replay.get("/api/v1/alerts?state=all", headers=auth("viewer")).json()["alerts"]
    r = replay.post(f"/api/v1/alerts/{alerts[0]['alert_id']}/acknowledge", headers=auth("admin"))
    assert r.status_code == 409
    assert replay.get("/api/v1/audit", headers=auth("admin")).json()["entries"] == []


def test_replay_stream_sends_the_final_snapshot(replay: TestClient) -> None:
    with replay.websocket_connect("/api/v1/stream?token=viewer-token") as ws:
        snap = ws.receive_json()
    end = replay.get("/api/v1/tracks", headers=auth("viewer")).json()
    assert snap["type"] == "snapshot"
    assert snap["t"] == end["t"]
    assert sorted(snap["tracks"]["track_id"]) == sorted(t["track_id"] for t in end["tracks"])
