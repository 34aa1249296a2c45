"""The whole picture on captures and live inputs: ``replay-capture --area`` and ``ingest`` with an
``area:``.

Real captures from the shared data (ADS-B, Remote ID) must give cooperative, protected (NEUTRAL)
tracks and never a proposal; a synthetic detection file of a quadcopter flying into the core of
Kleine-Brogel (``data/capture_probe.yaml``, simulated) must raise an alert and a proposal that
nobody answers (it expires), all read back from the event store, and must give the same picture
as the simulated session over the same detections. Bad areas are clear errors.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))
from adapters_helpers import shared

from dronewall.cli import app
from dronewall.core.errors import ConfigError, ScenarioNotFoundError
from dronewall.core.measurements import DetectionBatch
from dronewall.core.taxonomy import ObjectClass
from dronewall.formats import read_tracks, write_detections
from dronewall.geo.frames import LocalFrame
from dronewall.picture import Event, EventStore
from dronewall.pipeline.area import load_area
from dronewall.pipeline.capture import replay_capture
from dronewall.pipeline.ingest import Ingest
from dronewall.pipeline.schema import load_ingest_config
from dronewall.pipeline.session import HumanOperator, RunSession, TickResult
from dronewall.report import load_run
from dronewall.sim import Simulation, load_scenario
from dronewall.world import load_world

SBS = ("adsb-beast-sbs", "ulss7_beast_decoded_sbs.txt")
PROBE = Path(__file__).resolve().parent / "data" / "capture_probe.yaml"
UAS = {
    ObjectClass.QUADCOPTER.label,
    ObjectClass.FPV.label,
    ObjectClass.FIXED_WING.label,
    ObjectClass.LOITERING_MUNITION.label,
    ObjectClass.DECOY.label,
}


def _events(db: Path, run_id: int) -> list[Event]:
    with EventStore.open(db, create=False) as store:
        return store.events(run_id)


def _kinds(events: list[Event]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        out[e.kind] = out.get(e.kind, 0) + 1
    return out


def _probe(tmp_path: Path, *, cooperative: bool = False) -> tuple[Path, Path]:
    """The probe scenario (optionally a civil drone broadcasting Remote ID) and a detection file
    of its simulated sensors."""
    text = PROBE.read_text(encoding="utf-8")
    if cooperative:
        text = text.replace(
            "allegiance: hostile  # allegiance", "allegiance: civil\n    remote_id: true"
        )
    scenario_file = tmp_path / "probe.yaml"
    scenario_file.write_text(text, encoding="utf-8")
    world = load_world()
    sim = Simulation(load_scenario(scenario_file, world), world, 0)
    batch = DetectionBatch.concat([sim.sense(k) for k in range(sim.n_ticks)])
    detections = tmp_path / "probe.jsonl"
    write_detections(detections, batch, sim.frame, [s.id for s in sim.sensors])
    return scenario_file, detections


# ------------------------------------------------------------------ real captures


def test_an_adsb_capture_gives_neutral_aircraft_and_never_a_proposal(tmp_path: Path) -> None:
    area = load_area("kleine-brogel-night")
    out = tmp_path / "out"
    s = replay_capture(shared(*SBS), out, area=area).summary
    tracks_only = replay_capture(shared(*SBS), tmp_path / "tracks").summary

    # the same tracker on the same frames: the picture adds to the tracks, it changes none
    assert s["tracks_confirmed"] == tracks_only["tracks_confirmed"] >= 8
    assert s["track_lines"] == tracks_only["track_lines"]
    assert s["scenario"] == "kleine-brogel-night"
    assert s["truth"] is False
    assert set(s["identities_at_end"]) == {"neutral"}
    assert not set(s["classes_at_end"]) & UAS
    assert s["recommendations"] == 0
    assert s["proposals"] == []
    assert s["alerts_warning"] == 0
    assert s["store"] == "events.sqlite"
    assert (out / "report.html").is_file()

    with EventStore.open(out / "events.sqlite", create=False) as store:
        run = store.run(s["run_id"])
        assert run.status == "finished"
        assert run.summary is not None
        assert run.summary["recommendations"] == 0
        assert [x["site_id"] for x in store.sites(run.run_id)] == ["kleine-brogel", "sck-cen-mol"]
        assert len(store.fire_units(run.run_id)) == 4
        (sensor,) = store.sensors(run.run_id)
        assert (sensor["sensor_id"], sensor["kind"]) == ("sbs", "adsb")
        updates = store.track_updates(run.run_id)
        confirmed = updates.status != 0
        assert confirmed.any()
        assert {updates.identity[i] for i in range(len(updates)) if confirmed[i]} == {"neutral"}
        assert len(store.truth(run.run_id)) == 0  # a capture has no truth
        events = store.events(run.run_id)
    kinds = _kinds(events)
    assert "recommendation" not in kinds
    assert kinds["track_confirmed"] == s["tracks_confirmed"]

    # the track file names each confirmed track's class; the report reads the run folder
    tables = read_tracks(out / "tracks.jsonl").tables
    assert tables
    assert all(len(t) for t in tables)
    first = json.loads((out / "tracks.jsonl").read_text().splitlines()[2])
    assert first["class"] not in UAS
    data = load_run(out)
    assert data.run.run_id == s["run_id"]
    assert len(data.tracks) == len(updates)


@pytest.mark.parametrize(
    "parts",
    [
        ("netrid-interuss-test-flights", "zurich.json"),
        ("remoteid-opendroneid", "odid_wifi_bcn_sample.pcap"),
    ],
)
def test_remote_id_drones_are_cooperative_and_protected(
    tmp_path: Path, parts: tuple[str, str]
) -> None:
    area = load_area("kleine-brogel-night")
    s = replay_capture(shared(*parts), tmp_path / "out", area=area).summary
    assert s["tracks_confirmed"] >= 1
    assert set(s["identities_at_end"]) == {"neutral"}  # broadcast Remote ID: civil cooperative
    assert s["recommendations"] == 0
    with EventStore.open(tmp_path / "out" / "events.sqlite", create=False) as store:
        up = store.track_updates(s["run_id"])
        (sensor,) = store.sensors(s["run_id"])
    assert {up.identity[i] for i in range(len(up)) if up.status[i] != 0} == {"neutral"}
    assert sensor["kind"] == "rf"  # told from its Remote ID idents


def test_a_store_elsewhere_holds_the_run_and_the_folder_names_it(tmp_path: Path) -> None:
    db = tmp_path / "shared-store.sqlite"
    out = tmp_path / "out"
    capture = shared("netrid-interuss-test-flights", "zurich.json")
    first = replay_capture(capture, out, area=load_area("tihange-loiter"), db=db).summary
    result = replay_capture(capture, out, area=load_area("tihange-loiter"), db=db)
    second = result.summary
    assert not (out / "events.sqlite").exists()
    # the report is written into the folder from the store elsewhere, of the run it names
    assert result.report == out.resolve() / "report.html"
    assert result.report_error is None
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "tihange-loiter" in report
    assert first["store"] == second["store"] == str(db)
    assert second["run_id"] == first["run_id"] + 1  # runs are appended to the store
    with EventStore.open(db, create=False) as store:
        runs = store.runs()
        assert [r.status for r in runs] == ["finished", "finished"]
        assert runs[-1].summary is not None
        assert runs[-1].summary["detections"] == second["detections"] > 0
        assert runs[-1].config["scenario_source"].endswith("tihange-loiter.yaml")
        assert runs[-1].config["truth"] is False


def test_a_capture_with_nothing_decodable_records_no_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sbs"
    empty.write_text("MSG,3,1,1,ZZZZZZ,1,not,a,date\n", encoding="utf-8")
    s = replay_capture(empty, tmp_path / "out", area=load_area("tihange-loiter")).summary
    assert s["run_id"] is None
    assert s["store"] is None
    assert not (tmp_path / "out" / "events.sqlite").exists()


# ------------------------------------------------------------------ a drone into a core


@pytest.mark.slow
def test_a_drone_into_the_core_is_alerted_and_proposed_and_the_proposals_expire(
    tmp_path: Path,
) -> None:
    scenario_file, detections = _probe(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["replay-capture", str(detections), "--area", str(scenario_file), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "Alerts (warning or above" in printed
    assert "Engagement proposals" in printed
    s = json.loads((out / "summary.json").read_text())
    assert s["format"] == "detections"
    assert s["alerts_warning"] >= 1
    assert {a["site"] for a in s["alerts"]} == {"kleine-brogel"}
    assert s["recommendations"] == len(s["proposals"]) >= 2
    assert s["recommendations_against_protected"] == 0
    assert s["engagements"] == 0  # nobody answers a replay
    states = [p["state"] for p in s["proposals"]]
    assert states[:-1] == ["expired"] * (len(states) - 1)  # the last may still be pending
    assert {p["identity"] for p in s["proposals"]} <= {"suspect", "hostile"}
    assert {p["class"] for p in s["proposals"]} <= UAS
    assert {p["effector"] for p in s["proposals"]} <= {"rf-jammer", "interceptor-drone"}

    # read back from the store: the alerts, the proposals and their expiry by the system
    events = _events(out / "events.sqlite", s["run_id"])
    kinds = _kinds(events)
    assert kinds["recommendation"] == s["recommendations"]
    assert "engagement" not in kinds
    assert "outcome" not in kinds
    warnings = [
        e
        for e in events
        if e.kind == "alert"
        and e.payload["level"] in ("warning", "alarm")
        and e.payload["change"] in ("raised", "escalated")
    ]
    assert warnings
    # never a proposal before a warning
    assert warnings[0].t <= min(e.t for e in events if e.kind == "recommendation")
    decisions = [e for e in events if e.kind == "decision"]
    assert len(decisions) >= s["recommendations"] - 1
    assert {(d.payload["state"], d.payload["who"]) for d in decisions} == {("expired", "system")}
    proposed = {e.track_id for e in events if e.kind == "recommendation"}
    with EventStore.open(out / "events.sqlite", create=False) as store:
        up = store.track_updates(s["run_id"])
        sensors = {x["sensor_id"]: x for x in store.sensors(s["run_id"])}
    rows = [i for i in range(len(up)) if up.track_id[i] in proposed]
    assert {up.identity[i] for i in rows} & {"suspect", "hostile"}
    # sensors of the data that the area declares take its kind and place
    assert sensors["kb-radar"]["kind"] == "radar"
    assert sensors["kb-rf-1"]["kind"] == "rf"

    # the same picture steps on the same detections: the replay is the simulated session with
    # nobody answering, less what only truth gives (leaks into the core)
    world = load_world()
    scenario = load_scenario(scenario_file, world)
    with EventStore.open(tmp_path / "sim.sqlite") as store:
        session = RunSession(
            scenario,
            world,
            seed=0,
            store=store,
            operator=HumanOperator(scenario.policy.proposal_ttl_s),
        )
        while not session.done:
            session.step()
        simulated = [e for e in store.events(session.run_id) if e.kind != "leak"]

    def key(e: Event) -> tuple[Any, ...]:
        p = e.payload
        return (
            round(e.t, 6), e.kind, e.track_id, e.site_id,
            p.get("level"), p.get("effector_id"), p.get("state"), p.get("recommendation_id"),
        )  # fmt: skip

    assert [key(e) for e in events] == [key(e) for e in simulated]


@pytest.mark.slow
def test_a_remote_id_drone_in_the_core_is_never_proposed(tmp_path: Path) -> None:
    scenario_file, detections = _probe(tmp_path, cooperative=True)
    s = replay_capture(detections, tmp_path / "out", area=load_area(scenario_file)).summary
    assert s["tracks_confirmed"] >= 1
    assert "neutral" in s["identities_at_end"]
    assert s["recommendations"] == 0
    events = _events(tmp_path / "out" / "events.sqlite", s["run_id"])
    assert "recommendation" not in _kinds(events)
    with EventStore.open(tmp_path / "out" / "events.sqlite", create=False) as store:
        up = store.track_updates(s["run_id"])
    site = load_world().sites["kleine-brogel"]
    enu = LocalFrame(site.lat_deg, site.lon_deg).lla_to_enu(up.lla)
    in_core = (up.status != 0) & (np.hypot(enu[:, 0], enu[:, 1]) < site.core_radius_m)
    neutral = np.array([i == "neutral" for i in up.identity])
    # the drone's track is neutral from its confirmation on, and circles inside the core
    ids = [
        t for t in np.unique(up.track_id) if neutral[(up.track_id == t) & (up.status != 0)].all()
    ]
    assert (in_core & np.isin(up.track_id, ids)).sum() >= 30


# ------------------------------------------------------------------ live inputs


def test_ingest_with_an_area_records_the_picture_and_writes_the_report(tmp_path: Path) -> None:
    (tmp_path / "area.yaml").write_text(
        "sites: [kleine-brogel]\n"
        "fire_units:\n"
        "  - {id: jammer, effector: rf-jammer, site: kleine-brogel}\n"
        "policy: {proposal_ttl_s: 30}\n",
        encoding="utf-8",
    )
    record_dir = tmp_path / "live"
    (tmp_path / "ingest.yaml").write_text(
        "inputs:\n"
        "  - {name: adsb, format: sbs, listen: 'tcp://127.0.0.1:0'}\n"
        "frame_period_s: 0.5\n"
        "clock: data\n"
        f"record_dir: {record_dir}\n"
        "area: area.yaml\n",
        encoding="utf-8",
    )
    config = load_ingest_config(tmp_path / "ingest.yaml")
    assert config.area is not None
    area = load_area(config.area, relative_to=tmp_path)
    assert area.name == "area"  # an area file without a name takes the file's
    ticks: list[TickResult] = []
    ingest = Ingest(config, area=area, on_tick=ticks.append)
    text = shared(*SBS).read_bytes()

    async def main() -> dict[str, Any]:
        task = asyncio.create_task(ingest.run())
        await asyncio.wait_for(ingest.started.wait(), 10)
        try:
            bound = ingest.inputs[0].bound
            assert bound is not None
            _, writer = await asyncio.open_connection(*bound)
            writer.write(text)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            await asyncio.sleep(2.0)
        finally:
            ingest.stop()
        return await asyncio.wait_for(task, 60)

    summary = asyncio.run(main())
    assert summary["detections"] == 728
    assert sum(len(r.batch) for r in ticks) == 728  # every frame given to the live hook
    assert len(ticks) == summary["frames"]
    assert summary["scenario"] == "area"
    assert set(summary["identities_at_end"]) == {"neutral"}
    assert summary["recommendations"] == 0
    assert summary["tracks_confirmed"] >= 8
    assert summary["store"] == str(record_dir / "events.sqlite")
    assert json.loads((record_dir / "summary.json").read_text())["run_id"] == summary["run_id"]
    assert (record_dir / "report.html").is_file()
    with EventStore.open(record_dir / "events.sqlite", create=False) as store:
        run = store.run(summary["run_id"])
        assert run.status == "finished"
        assert run.summary is not None
        assert run.summary["detections"] == 728
        up = store.track_updates(run.run_id)
        assert len(up) > 0
        assert {up.identity[i] for i in range(len(up)) if up.status[i] != 0} == {"neutral"}
        assert [x["site_id"] for x in store.sites(run.run_id)] == ["kleine-brogel"]


# ------------------------------------------------------------------ bad areas


def test_bad_areas_are_clear_errors(tmp_path: Path) -> None:
    bad_effector = tmp_path / "area.yaml"
    bad_effector.write_text(
        "# defended area\n"
        "sites: [kleine-brogel]\n"
        "fire_units:\n"
        "  - {id: j, effector: death-ray, site: kleine-brogel}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_area(bad_effector)
    e = err.value
    assert (e.source, e.line, e.field) == (str(bad_effector), 4, "fire_units[0].effector")
    assert "death-ray" in str(e)

    unknown_key = tmp_path / "keys.yaml"
    unknown_key.write_text("sites: [kleine-brogel]\n\nzones: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'zones'") as err:
        load_area(unknown_key)
    assert (err.value.source, err.value.line) == (str(unknown_key), 3)

    no_site = tmp_path / "nosite.yaml"
    no_site.write_text("{fire_units: []}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_area(no_site)
    assert (err.value.source, err.value.field) == (str(no_site), "sites")

    a_list = tmp_path / "list.yaml"
    a_list.write_text("- kleine-brogel\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="an area file is a mapping"):
        load_area(a_list)

    with pytest.raises(ScenarioNotFoundError, match="kleine-brogel-night"):
        load_area("kleine-brogel-nite")

    # a built-in scenario is its defended area; what it flies is not used
    kb = load_area("kleine-brogel-night")
    assert [s.id for s in kb.sites] == ["kleine-brogel", "sck-cen-mol"]
    named = tmp_path / "My Base.yaml"
    named.write_text("sites: [volkel]\n", encoding="utf-8")
    assert load_area(named).name == "my-base"
    assert load_area(named).source == str(named)

    # the command line: exit code 2 and the file, line and field
    runner = CliRunner()
    capture = shared("netrid-interuss-test-flights", "zurich.json")
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["replay-capture", str(capture), "--area", str(bad_effector), "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "area.yaml:4" in res.output
    assert "fire_units[0].effector" in res.output
    res = runner.invoke(
        app, ["replay-capture", str(capture), "--db", "x.sqlite", "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "give --area" in res.output
    assert not out.exists()

    # an ingest configuration names its own line and field
    config = tmp_path / "ingest.yaml"
    config.write_text(
        "inputs:\n  - {name: a, format: sbs, connect: 'tcp://127.0.0.1:30003'}\narea: nowhere\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_ingest_config(config)
    assert (err.value.source, err.value.line, err.value.field) == (str(config), 3, "area")
    config.write_text(
        "inputs:\n  - {name: a, format: sbs, connect: 'tcp://127.0.0.1:30003'}\nstore: x.db\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="give 'area' too"):
        load_ingest_config(config)


def test_cli_ingest_with_an_area_prints_the_picture(tmp_path: Path) -> None:
    import socket
    import threading
    import time

    with socket.socket() as probe:  # a free port for the input
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "ingest.yaml"
    config.write_text(
        f"inputs:\n  - {{name: adsb, format: sbs, listen: 'tcp://127.0.0.1:{port}'}}\n"
        f"record_dir: {tmp_path / 'rec'}\n"
        "frame_period_s: 0.5\nclock: data\narea: kleine-brogel-night\n",
        encoding="utf-8",
    )
    text = shared(*SBS).read_bytes()

    def feed() -> None:
        for _ in range(200):  # until the command listens
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
                    conn.sendall(text)
                return
            except OSError:
                time.sleep(0.05)

    sender = threading.Thread(target=feed)
    sender.start()
    result = CliRunner().invoke(app, ["ingest", str(config), "--duration", "6"])
    sender.join()
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())  # as printed, whatever the terminal's width
    assert "picture of kleine-brogel-night" in printed
    assert "0 alert(s) at warning or above, 0 engagement proposal(s)" in printed
    assert "event store:" in printed
    summary = json.loads((tmp_path / "rec" / "summary.json").read_text())
    assert summary["detections"] == 728
    assert set(summary["identities_at_end"]) == {"neutral"}
    assert (tmp_path / "rec" / "report.html").is_file()
