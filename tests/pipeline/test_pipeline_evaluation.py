"""Scoring against truth: outcomes, alert truth, first times, GOSPA groups."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.core import Allegiance, DetectionBatch, MeasurementKind, ObjectClass, TrackTable
from dronewall.pipeline.evaluation import EvaluationConfig, RunEvaluator

T0 = 1_700_000_000.0


def _evaluator() -> RunEvaluator:
    # Object 0: hostile quadcopter aimed at site 0; 1: civil airliner; 2: hostile, no target.
    return RunEvaluator(
        t0=T0,
        ids=("quad", "airliner", "stray"),
        object_class=np.array(
            [ObjectClass.QUADCOPTER, ObjectClass.AIRLINER, ObjectClass.FPV], np.int8
        ),
        allegiance=np.array([Allegiance.HOSTILE, Allegiance.CIVIL, Allegiance.HOSTILE], np.int8),
        target_site=np.array([0, -1, -1], np.int32),
        cost_eur=np.array([3500.0, 0.0, 400.0]),
        site_enu=np.array([[0.0, 0.0, 0.0], [10_000.0, 0.0, 0.0]]),
        core_radius_m=np.array([1500.0, 1500.0]),
        config=EvaluationConfig(gospa_c_m=100.0, gospa_p=2.0, detectable_window_s=10.0),
    )


def _tracks(
    t: float, truth: list[int], pos: list[list[float]], confirmed: bool = True
) -> TrackTable:
    n = len(truth)
    x = np.zeros((n, 6))
    x[:, :3] = np.array(pos).reshape(n, 3)
    return TrackTable(
        t=t,
        track_id=np.arange(n, dtype=np.int64),
        status=np.full(n, 1 if confirmed else 0, np.int8),
        x=x,
        P=np.broadcast_to(np.eye(6), (n, 6, 6)).copy(),
        t_first=np.full(n, t),
        t_update=np.full(n, t),
        hits=np.ones(n, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64),
        rcs_dbsm=np.full(n, np.nan),
        sensors=np.ones(n, np.int64),
        truth=np.array(truth, np.int32),
    )


def _radar(
    t: float, truth: list[int], kind: MeasurementKind = MeasurementKind.POSITION
) -> DetectionBatch:
    m = len(truth)
    return DetectionBatch.build(
        t=np.full(m, t),
        sensor=0,
        kind=kind,
        z=np.zeros((m, 3)),
        R=np.eye(3),
        sensor_pos=np.zeros(3),
        truth=np.array(truth, np.int32),
    )


def test_timeline_and_leak() -> None:
    ev = _evaluator()
    alive = np.ones(3, bool)
    far = np.array([[5000.0, 0.0, 100.0], [0.0, 30_000.0, 9000.0], [3000.0, 3000.0, 50.0]])
    ev.observe_detections(_radar(T0 + 5, [0]))
    ev.observe_detections(
        _radar(T0 + 6, [2], MeasurementKind.SIGHTING)
    )  # a sighting does not count
    ev.observe_tick(T0 + 10, _tracks(T0 + 10, [0], [far[0]]), far, alive)
    ev.observe_alert(T0 + 20, 0)
    ev.observe_alert(T0 + 21, 1)  # an alert on the airliner's track is false
    ev.observe_alert(T0 + 22, -1)  # and one on a false track
    inside = far.copy()
    inside[0] = [1000.0, 0.0, 100.0]
    ev.observe_tick(T0 + 30, _tracks(T0 + 30, [0], [inside[0]]), inside, alive)
    threats = {t["id"]: t for t in ev.threats()}
    assert set(threats) == {"quad", "stray"}
    q = threats["quad"]
    assert q["first_detected_s"] == pytest.approx(5.0)
    assert q["first_confirmed_s"] == pytest.approx(10.0)
    assert q["first_alert_s"] == pytest.approx(20.0)
    assert q["reached_core_s"] == pytest.approx(30.0)
    assert q["outcome"] == "leaked"
    assert threats["stray"]["first_detected_s"] is None
    assert threats["stray"]["outcome"] == "left"
    assert (ev.alerts_true, ev.alerts_false) == (1, 2)
    assert ev.threat_cost_eur() == pytest.approx(3900.0)


def test_defeat_before_core_is_defeated_and_stops_leak() -> None:
    ev = _evaluator()
    ev.observe_engagement(0, "interceptor-drone")
    ev.observe_engagement(0, "interceptor-drone")
    ev.observe_defeat(T0 + 15, 0)
    pos = np.array([[500.0, 0.0, 50.0], [0.0, 30_000.0, 9000.0], [9000.0, 0.0, 50.0]])
    alive = np.array([False, True, True])
    ev.observe_tick(T0 + 16, _tracks(T0 + 16, [], []), pos, alive)
    threats = {t["id"]: t for t in ev.threats()}
    assert threats["quad"]["outcome"] == "defeated"
    assert threats["quad"]["engaged_by"] == ["interceptor-drone"]
    assert threats["quad"]["reached_core_s"] is None
    # the stray has no target: the core of any site counts (site 1 at 10 km east)
    assert threats["stray"]["outcome"] == "leaked"


def test_gospa_counts_only_detectable_truth_and_groups() -> None:
    ev = _evaluator()
    pos = np.array([[5000.0, 0.0, 100.0], [0.0, 30_000.0, 9000.0], [3000.0, 3000.0, 50.0]])
    alive = np.ones(3, bool)
    ev.observe_detections(_radar(T0 + 1, [0, 1]))
    # the quad is held 30 m off; the airliner is missed; one false track; the stray is undetected
    tracks = _tracks(T0 + 2, [0, -1], [pos[0] + [30.0, 0.0, 0.0], [-9000.0, 0.0, 0.0]])
    ev.observe_tick(T0 + 2, tracks, pos, alive)
    g = ev.gospa_mean()
    assert g["localisation"] == pytest.approx(900.0)
    assert g["missed"] == pytest.approx(5000.0)  # c^p / 2, the airliner
    assert g["false"] == pytest.approx(5000.0)
    assert g["total"] == pytest.approx(np.sqrt(900.0 + 10_000.0))
    groups = ev.gospa_by_allegiance()
    assert groups["hostile"]["total"] == pytest.approx(30.0)
    assert groups["civil"]["missed"] == pytest.approx(5000.0)
    # 11 s later nothing was detected again: the detectable set is empty
    ev2 = _evaluator()
    ev2.observe_detections(_radar(T0 + 1, [0]))
    ev2.observe_tick(T0 + 12, _tracks(T0 + 12, [], []), pos, alive)
    assert ev2.gospa_mean()["total"] == 0.0


def test_siap_scores_the_same_detectable_truth_and_counts_a_number_change() -> None:
    ev = _evaluator()
    pos = np.array([[5000.0, 0.0, 100.0], [0.0, 30_000.0, 9000.0], [3000.0, 3000.0, 50.0]])
    alive = np.ones(3, bool)
    for k in range(4):
        t = T0 + 1 + k
        ev.observe_detections(_radar(t, [0, 1]))
        # the quad is held 30 m off by track 0, then by track 5 from the third tick on (a
        # track-number change); the airliner is missed; one false track far away
        tracks = _tracks(t, [0, -1], [pos[0] + [30.0, 0.0, 0.0], [-9000.0, 0.0, 0.0]])
        if k >= 2:
            tracks.track_id[0] = 5
        ev.observe_tick(t, tracks, pos, alive)
    s = ev.siap()
    assert s["completeness"] == pytest.approx(0.5)  # the quad held, the airliner missed
    assert s["spuriousness"] == pytest.approx(0.5)  # one of two tracks is false
    assert s["ambiguity"] == pytest.approx(1.0)
    assert s["positional_accuracy_m"] == pytest.approx(30.0)
    assert s["track_number_changes"] == 1
