"""WebSocket stream: snapshot then one columnar delta per tick, filtered by clearance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import TestClient, auth, mixed_scenario, step

from dronewall.service import ServiceSettings, create_app
from dronewall.service.picture import COLUMNS


@pytest.fixture(scope="module")
def app_client(folder: Path, tokens_file: Path) -> Iterator[TestClient]:
    settings = ServiceSettings(
        scenario=str(mixed_scenario(folder)),
        db=str(folder / "stream.sqlite"),
        tokens=tokens_file,
        autostart=False,
    )
    with TestClient(create_app(settings)) as client:
        step(client, 20)
        yield client


def _columnar(cols: dict[str, list[Any]]) -> int:
    assert list(cols) == list(COLUMNS)
    lengths = {len(v) for v in cols.values()}
    assert len(lengths) == 1, lengths
    return lengths.pop()


def test_unknown_token_is_refused(app_client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect),
        app_client.websocket_connect("/api/v1/stream?token=wrong-token") as ws,
    ):
        ws.receive_text()


def test_snapshot_then_deltas_that_rebuild_the_picture(app_client: TestClient) -> None:
    with app_client.websocket_connect("/api/v1/stream?token=viewer-token") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot"
        n = _columnar(snap["tracks"])
        assert n > 0
        assert snap["status"]["mode"] == "live"
        picture = {
            tid: dict(zip(COLUMNS, row, strict=True))
            for tid, row in zip(
                snap["tracks"]["track_id"],
                zip(*(snap["tracks"][c] for c in COLUMNS), strict=True),
                strict=True,
            )
        }
        seq, t = snap["seq"], snap["t"]
        for _ in range(5):
            step(app_client, 1)
            msg = ws.receive_json()
            assert msg["type"] == "delta"
            assert msg["seq"] == seq + 1
            assert msg["t"] == t + 1.0
            seq, t = msg["seq"], msg["t"]
            _columnar(msg["tracks"])
            for tid in msg["removed"]:
                picture.pop(tid)
            for row in zip(*(msg["tracks"][c] for c in COLUMNS), strict=True):
                picture[row[0]] = dict(zip(COLUMNS, row, strict=True))
        # the picture rebuilt from the deltas equals the REST picture now
        rest = app_client.get("/api/v1/tracks", headers=auth("viewer")).json()
        assert rest["t"] == t
        assert {tr["track_id"]: {c: tr[c] for c in COLUMNS} for tr in rest["tracks"]} == picture


def test_stream_is_filtered_by_clearance(app_client: TestClient) -> None:
    with app_client.websocket_connect("/api/v1/stream?token=nl-viewer-token") as ws:
        snap = ws.receive_json()
        full = app_client.get("/api/v1/tracks", headers=auth("viewer")).json()["tracks"]
        dutch = {tr["track_id"] for tr in full if "NL" in tr["releasability"]}
        assert set(snap["tracks"]["track_id"]) == dutch
        assert len(dutch) < len(full)
        for _ in range(3):
            step(app_client, 1)
            msg = ws.receive_json()
            full = app_client.get("/api/v1/tracks", headers=auth("viewer")).json()["tracks"]
            dutch = {tr["track_id"] for tr in full if "NL" in tr["releasability"]}
            assert set(msg["tracks"]["track_id"]) <= dutch
            assert all("NL" in a["releasability"] for a in msg["alerts"])
            assert all("NL" in p["releasability"] for p in msg["proposals"])


def test_pause_is_pushed_as_a_status_delta(app_client: TestClient) -> None:
    with app_client.websocket_connect("/api/v1/stream?token=viewer-token") as ws:
        ws.receive_json()
        r = app_client.post("/api/v1/scenario/pause", headers=auth("operator"))
        assert r.status_code == 200
        msg = ws.receive_json()
        assert msg["type"] == "delta"
        assert msg["status"]["paused"] is True
        assert msg["tracks"]["track_id"] == []
