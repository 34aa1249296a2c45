"""A short simulated run with EO/IR and an engagement, recorded and replayed from the store.

The run (tihange-loiter, the first 300 s, seed 0: an EO/IR camera gives class cues, the
simulated operator approves the jammer against a loitering drone at about 290 s; the first 120 s
used to hold an interceptor drone launched at a bird's track 2 s old, which the evidence age of
the identity rules now holds back) is recorded in an SQLite store.
Checked: the summary breaks the engagements and their cost down by effector type, in agreement
with the totals and with the store's engagement events; the store gives back the cue column of
the live detections; the stored detections, replayed through a :class:`StreamSession` frame by
frame, give the tracker the same cue counts and the classifier the same class probabilities as
the live run; and the stream summary (a person approving proposals) has the same breakdown.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dronewall.core.measurements import DetectionBatch
from dronewall.picture import EventStore
from dronewall.pipeline.session import RunSession, StreamSession, TickResult
from dronewall.respond import DecisionState
from dronewall.sim import Scenario, load_scenario
from dronewall.world import World, load_world

SCENARIO = "tihange-loiter"
DURATION_S = 300.0


@dataclasses.dataclass
class LiveRun:
    scenario: Scenario
    world: World
    db: Path
    run_id: int
    times: np.ndarray
    frame: Any
    ticks: list[TickResult]
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> LiveRun:
    world = load_world()
    scenario = dataclasses.replace(load_scenario(SCENARIO, world), duration_s=DURATION_S)
    db = tmp_path_factory.mktemp("live") / "events.sqlite"
    with EventStore.open(db) as store:
        session = RunSession(scenario, world, seed=0, store=store)
        ticks = []
        while not session.done:
            ticks.append(session.step())
        summary = session.summary()
        session.finish(summary)
        return LiveRun(
            scenario,
            world,
            db,
            session.run_id,
            session.sim.times.copy(),
            session.sim.frame,
            ticks,
            summary,
        )


def _assert_breakdown(summary: dict[str, Any]) -> None:
    by_n, by_cost = summary["engagements_by_effector"], summary["cost_by_effector_eur"]
    assert summary["engagements"] > 0
    assert sum(by_n.values()) == summary["engagements"]
    assert set(by_cost) == set(by_n)
    assert all(n > 0 for n in by_n.values())
    assert sum(by_cost.values()) == pytest.approx(summary["defence_cost_eur"], rel=1e-12, abs=0)
    assert list(by_n) == sorted(by_n)
    assert list(by_cost) == sorted(by_cost)


def test_run_summary_breaks_engagements_down_by_effector(live: LiveRun) -> None:
    summary = live.summary
    _assert_breakdown(summary)
    assert "rf-jammer" in summary["engagements_by_effector"]  # a jammer shot costs 0 EUR (A)
    with EventStore.open(live.db, create=False) as store:
        engagements = store.events(live.run_id, "engagement")
        stored = store.run(live.run_id).summary
    # the breakdown is what the store's engagement events say
    assert (
        dict(Counter(str(e.payload["effector_id"]) for e in engagements))
        == (summary["engagements_by_effector"])
    )
    cost: dict[str, float] = {}
    for e in engagements:
        key = str(e.payload["effector_id"])
        cost[key] = cost.get(key, 0.0) + float(e.payload["cost_eur"])
    assert cost == summary["cost_by_effector_eur"]
    # and it survives the summary's trip through JSON into the store
    assert stored is not None
    assert stored["engagements_by_effector"] == summary["engagements_by_effector"]
    assert stored["cost_by_effector_eur"] == summary["cost_by_effector_eur"]
    assert (
        json.loads(json.dumps(summary))["cost_by_effector_eur"] == summary["cost_by_effector_eur"]
    )


def test_store_gives_back_the_cue_column_of_the_live_detections(live: LiveRun) -> None:
    live_batch = DetectionBatch.concat([r.batch for r in live.ticks])
    with EventStore.open(live.db, create=False) as store:
        stored = store.detections(live.run_id)
        kinds = {s["idx"]: s["kind"] for s in store.sensors(live.run_id)}
    assert len(stored) == len(live_batch)
    np.testing.assert_array_equal(stored.cue, live_batch.cue)
    np.testing.assert_array_equal(stored.t, live_batch.t)
    cued = stored.cue >= 0
    assert cued.sum() >= 10  # the camera recognised objects ...
    assert (~cued).sum() > cued.sum()  # ... and most rows (radar, RF, unrecognised) carry none
    assert {kinds[int(i)] for i in np.unique(stored.sensor[cued])} == {"eoir"}


def _replay(live: LiveRun, store: EventStore, approve: bool) -> StreamSession:
    """The stored detections of the live run, cut into the live run's ticks (a tick's detections
    have ``times[k-1] < t <= times[k]``), through a stream session; with ``approve`` a person
    approves every proposal at the frame after it was made."""
    with EventStore.open(live.db, create=False) as recorded:
        batch = recorded.detections(live.run_id)
        sensor_ids = [s["sensor_id"] for s in recorded.sensors(live.run_id)]
    frame_of = np.searchsorted(live.times, batch.t, side="left")
    session = StreamSession(
        live.scenario,
        live.world,
        store=store,
        frame=live.frame,
        t0=live.scenario.t0,
        tick_s=live.scenario.tick_s,
        source=f"{live.db} run {live.run_id}",
    )
    for k, t in enumerate(live.times.tolist()):
        if approve:
            for rec in session.book.in_state(DecisionState.PROPOSED):
                session.approve(rec.id, "test", "approve every proposal")
        session.step(batch.select(np.flatnonzero(frame_of == k)), t, sensor_ids)
    return session


def test_replay_from_the_store_gives_the_classifier_the_live_inputs(
    live: LiveRun, tmp_path: Path
) -> None:
    with EventStore.open(tmp_path / "replay.sqlite") as store:
        session = _replay(live, store, approve=False)
        replayed_cues = store.detections(session.run_id).cue
        last = session.last
    assert last is not None
    np.testing.assert_array_equal(
        replayed_cues, DetectionBatch.concat([r.batch for r in live.ticks]).cue
    )
    live_last = live.ticks[-1]
    np.testing.assert_array_equal(last.tracks.track_id, live_last.tracks.track_id)
    np.testing.assert_array_equal(last.tracks.cue_counts, live_last.tracks.cue_counts)
    assert live_last.tracks.cue_counts.sum() > 0
    np.testing.assert_allclose(
        last.assessment.class_probs, live_last.assessment.class_probs, rtol=0, atol=1e-12
    )


def test_stream_summary_breaks_engagements_down_by_effector(live: LiveRun, tmp_path: Path) -> None:
    with EventStore.open(tmp_path / "replay.sqlite") as store:
        session = _replay(live, store, approve=True)
        summary = session.summary()
        engagements = store.events(session.run_id, "engagement")
    _assert_breakdown(summary)
    assert (
        dict(Counter(str(e.payload["effector_id"]) for e in engagements))
        == (summary["engagements_by_effector"])
    )
    assert summary["defence_cost_eur"] == pytest.approx(
        sum(float(e.payload["cost_eur"]) for e in engagements), rel=1e-12, abs=0
    )
