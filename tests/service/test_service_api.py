"""REST API per endpoint and role: auth, releasability, proposals, alerts, audit, control."""

from __future__ import annotations

import re
from typing import Any

from service_helpers import LIVE_TICKS, TestClient, auth, service, step


def _pending(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/v1/proposals", headers=auth("commander"))
    assert r.status_code == 200
    props: list[dict[str, Any]] = r.json()["proposals"]
    return props


def test_health_needs_no_token_and_reports_the_live_run(live: TestClient) -> None:
    body = live.get("/api/v1/health").json()
    assert body["mode"] == "live"
    assert body["status"] == "ok"
    assert body["t_start"] < body["t"] < body["t_end"]
    assert body["t"] - body["t_start"] == float(LIVE_TICKS)
    assert body["paused"] is False


def test_docs_page_loads_swagger_ui_from_the_service_not_a_cdn(live: TestClient) -> None:
    """/docs works in an offline operations cell: Swagger UI comes from the package."""
    r = live.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "/openapi.json" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    assert not re.search(r"https?://", " ".join(urls)), urls  # nothing from another host
    for url in urls:
        asset = live.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    assert "SwaggerUIBundle" in live.get("/docs/assets/swagger-ui-bundle.js").text
    assert live.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not served
    assert "/docs" not in live.get("/openapi.json").json()["paths"]


def test_missing_or_unknown_token_is_401(live: TestClient) -> None:
    assert live.get("/api/v1/tracks").status_code == 401
    r = live.get("/api/v1/tracks", headers={"Authorization": "Bearer nope-nope-nope"})
    assert r.status_code == 401
    assert "token" in r.json()["detail"]


def test_me_names_user_role_and_clearances(live: TestClient) -> None:
    assert live.get("/api/v1/me", headers=auth("nl")).json() == {
        "user": "nils",
        "role": "viewer",
        "clearances": ["NL"],
    }


def test_tracks_carry_the_contract_fields_and_belgian_labels(live: TestClient) -> None:
    body = live.get("/api/v1/tracks", headers=auth("viewer")).json()
    assert body["tracks"], f"the live picture has tracks after {LIVE_TICKS} s"
    for tr in body["tracks"]:
        assert tr["status"] in {"tentative", "confirmed", "coasting"}
        assert 50.0 < tr["lat"] < 52.5
        assert 4.0 < tr["lon"] < 7.0
        assert 0.0 <= tr["threat"] <= 1.0
        assert tr["sigma_h_m"] > 0
        # fed by Belgian sensors, by the Dutch radar at Volkel, or by both (then NATO only)
        assert tr["releasability"] in (["BE", "NATO"], ["NATO", "NL"], ["NATO"])
    assert any(tr["releasability"] == ["BE", "NATO"] for tr in body["tracks"])
    assert any(tr["identity"] in {"suspect", "hostile"} for tr in body["tracks"])


def test_nl_viewer_sees_only_dutch_items(live: TestClient) -> None:
    h, full = auth("nl"), auth("viewer")
    every = live.get("/api/v1/tracks", headers=full).json()["tracks"]
    dutch = {t["track_id"] for t in every if "NL" in t["releasability"]}
    seen = live.get("/api/v1/tracks", headers=h).json()["tracks"]
    assert {t["track_id"] for t in seen} == dutch
    assert len(seen) < len(every)
    for path, key in (("alerts?state=all", "alerts"), ("proposals?state=all", "proposals")):
        mine = live.get(f"/api/v1/{path}", headers=h).json()[key]
        assert all("NL" in i["releasability"] for i in mine)
        assert len(mine) < len(live.get(f"/api/v1/{path}", headers=full).json()[key])
    assert [s["id"] for s in live.get("/api/v1/sites", headers=h).json()["sites"]] == ["volkel"]
    assert [s["id"] for s in live.get("/api/v1/sensors", headers=h).json()["sensors"]] == [
        "vk-radar"
    ]
    units = live.get("/api/v1/effectors", headers=h).json()["fire_units"]
    assert [u["id"] for u in units] == ["vk-gun"]
    # a cleared viewer sees both nations
    sites = live.get("/api/v1/sites", headers=auth("viewer")).json()["sites"]
    assert {s["id"]: s["releasability"] for s in sites}["volkel"] == ["NATO", "NL"]
    assert len(sites) == 3
    # a Belgian track by id is hidden from the NL viewer (404, not 403)
    tid = next(t["track_id"] for t in every if "NL" not in t["releasability"])
    assert live.get(f"/api/v1/tracks/{tid}/history", headers=auth("viewer")).status_code == 200
    assert live.get(f"/api/v1/tracks/{tid}/history", headers=h).status_code == 404


def test_track_history_is_the_recorded_trail(live: TestClient) -> None:
    tracks = live.get("/api/v1/tracks", headers=auth("viewer")).json()["tracks"]
    confirmed = [t for t in tracks if t["status"] != "tentative"]
    tid = confirmed[0]["track_id"]
    hist = live.get(f"/api/v1/tracks/{tid}/history", headers=auth("viewer")).json()
    assert hist["track_id"] == tid
    assert len(hist["t"]) == len(hist["lat"]) == len(hist["lon"]) == len(hist["alt_m"]) > 3
    assert hist["t"] == sorted(hist["t"])
    since = hist["t"][-2]
    short = live.get(
        f"/api/v1/tracks/{tid}/history", params={"since": since}, headers=auth("viewer")
    ).json()
    assert short["t"] == hist["t"][-2:]


def test_tracks_at_a_past_time_come_from_the_store(live: TestClient) -> None:
    now = live.get("/api/v1/tracks", headers=auth("viewer")).json()
    t0 = live.get("/api/v1/health").json()["t_start"]
    past = live.get("/api/v1/tracks", params={"at": t0 + 30.5}, headers=auth("viewer")).json()
    assert past["t"] == t0 + 30.0
    assert past["tracks"]
    assert {t["track_id"] for t in past["tracks"]} != {t["track_id"] for t in now["tracks"]}
    at_now = live.get("/api/v1/tracks", params={"at": now["t"]}, headers=auth("viewer")).json()
    assert sorted(t["track_id"] for t in at_now["tracks"]) == sorted(
        t["track_id"] for t in now["tracks"]
    )
    assert live.get("/api/v1/tracks?at=nan", headers=auth("viewer")).status_code == 422


def test_viewer_and_operator_cannot_approve(live: TestClient) -> None:
    props = _pending(live)
    assert props, f"a proposal is pending at t0 + {LIVE_TICKS} s"
    pid = props[0]["proposal_id"]
    for who in ("viewer", "operator"):
        r = live.post(f"/api/v1/proposals/{pid}/approve", json={"reason": "go"}, headers=auth(who))
        assert r.status_code == 403, r.text
        assert "commander" in r.json()["detail"]
    assert _pending(live)[0]["state"] == "proposed"


def test_approval_needs_a_reason(live: TestClient) -> None:
    pid = _pending(live)[0]["proposal_id"]
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": 5}, None):
        r = live.post(f"/api/v1/proposals/{pid}/approve", json=body, headers=auth("commander"))
        assert r.status_code == 422, (body, r.text)
        assert isinstance(r.json()["detail"], str)
    r = live.post(
        f"/api/v1/proposals/{pid}/approve", json={"reason": "   "}, headers=auth("commander")
    )
    assert r.status_code == 422
    assert _pending(live)[0]["state"] == "proposed"


def test_commander_approves_with_reason_audited_and_executed(live: TestClient) -> None:
    prop = _pending(live)[0]
    pid = prop["proposal_id"]
    assert prop["expires_t"] > prop["t"]
    assert prop["explanation"]
    r = live.post(
        f"/api/v1/proposals/{pid}/approve",
        json={"reason": "hostile quad inside the alert ring"},
        headers=auth("commander"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved"
    assert r.json()["decided_by"] == "carla (commander)"
    # a second decision is a conflict and changes nothing
    r2 = live.post(
        f"/api/v1/proposals/{pid}/reject", json={"reason": "changed mind"}, headers=auth("admin")
    )
    assert r2.status_code == 409
    entries = live.get("/api/v1/audit", headers=auth("admin")).json()["entries"]
    mine = [e for e in entries if e["item"] == pid]
    assert [(e["user"], e["role"], e["action"], e["reason"]) for e in mine] == [
        ("carla", "commander", "approve", "hostile quad inside the alert ring")
    ]
    assert mine[0]["wall_time"] > 1.7e9
    # the next tick commits it to its fire unit: executed, and the store records the decision
    step(live, 1)
    every = live.get("/api/v1/proposals?state=all", headers=auth("viewer")).json()["proposals"]
    assert {p["proposal_id"]: p["state"] for p in every}[pid] in {"executed", "assessed"}
    st = service(live)
    assert st.view is not None
    decisions = [
        e
        for e in st.view.store.events(st.view.run_id, ["decision"])
        if e.payload["recommendation_id"] == pid
    ]
    assert decisions
    assert decisions[0].payload["who"] == "carla (commander)"
    assert decisions[0].payload["why"] == "hostile quad inside the alert ring"


def test_unknown_proposal_is_404(live: TestClient) -> None:
    r = live.post("/api/v1/proposals/nope/approve", json={"reason": "x"}, headers=auth("commander"))
    assert r.status_code == 404


def test_operator_acknowledges_alert_viewer_cannot(live: TestClient) -> None:
    alerts = live.get("/api/v1/alerts?state=all", headers=auth("viewer")).json()["alerts"]
    assert alerts
    assert {a["level"] for a in alerts} <= {"none", "watch", "warning", "alarm"}
    aid = alerts[0]["alert_id"]
    r = live.post(f"/api/v1/alerts/{aid}/acknowledge", json={}, headers=auth("viewer"))
    assert r.status_code == 403
    r = live.post(
        f"/api/v1/alerts/{aid}/acknowledge",
        json={"note": "seen on radar"},
        headers=auth("operator"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged"] is True
    assert r.json()["acknowledged_by"] == "oscar"
    entries = live.get("/api/v1/audit", headers=auth("admin")).json()["entries"]
    assert ("oscar", "acknowledge", aid, "seen on radar") in {
        (e["user"], e["action"], e["item"], e["reason"]) for e in entries
    }
    assert live.post("/api/v1/alerts/nope/acknowledge", headers=auth("operator")).status_code == 404


def test_audit_is_admin_only(live: TestClient) -> None:
    for who in ("viewer", "operator", "commander"):
        assert live.get("/api/v1/audit", headers=auth(who)).status_code == 403


def test_deployment_endpoints(live: TestClient) -> None:
    h = auth("viewer")
    zones = live.get("/api/v1/zones", headers=h).json()["zones"]
    assert {z["name"] for z in zones} == {"Peer", "Kleine-Brogel village"}
    ring = zones[0]["geometry"]["coordinates"][0]
    assert zones[0]["geometry"]["type"] == "Polygon"
    assert ring[0] == ring[-1]
    sensors = live.get("/api/v1/sensors", headers=h).json()["sensors"]
    kinds = {s["id"]: s["kind"] for s in sensors}
    assert kinds["kb-radar"] == "radar"
    assert kinds["peer-public"] == "sightings"
    radar = next(s for s in sensors if s["id"] == "kb-radar")
    assert radar["status"] == "ok"
    assert radar["last_report_t"] is not None
    units = {u["id"]: u for u in live.get("/api/v1/effectors", headers=h).json()["fire_units"]}
    assert units["kb-piorun"]["layer"] == "vshorad"
    assert units["kb-piorun"]["max_range_m"] > 1000
    assert units["kb-piorun"]["stock"] is None or units["kb-piorun"]["stock"] >= 0


def test_scenario_control_roles_and_audit(live: TestClient) -> None:
    assert live.post("/api/v1/scenario/pause", headers=auth("viewer")).status_code == 403
    r = live.post("/api/v1/scenario/speed", json={"speed": 500}, headers=auth("operator"))
    assert r.status_code == 422
    r = live.post("/api/v1/scenario/speed", json={"speed": 4}, headers=auth("operator"))
    assert r.status_code == 200
    assert r.json()["speed"] == 4
    r = live.post("/api/v1/scenario/pause", headers=auth("operator"))
    assert r.status_code == 200
    assert r.json()["paused"] is True
    assert live.get("/api/v1/scenario", headers=auth("viewer")).json()["paused"] is True
    actions = [
        e["action"] for e in live.get("/api/v1/audit", headers=auth("admin")).json()["entries"]
    ]
    assert "scenario.speed" in actions
    assert "scenario.pause" in actions
