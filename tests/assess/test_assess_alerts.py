from __future__ import annotations

import numpy as np
from assess_helpers import make_tracks, sighting

from dronewall.assess.alerts import AlertConfig, AlertEventKind, AlertManager
from dronewall.core.measurements import DetectionBatch
from dronewall.core.taxonomy import AlertLevel

SITE_ENU = np.zeros((1, 3))


def manager(**kw) -> AlertManager:
    return AlertManager(
        site_ids=("kb",),
        site_names=("Kleine-Brogel",),
        site_enu=SITE_ENU,
        alert_radius_m=np.array([5000.0]),
        config=AlertConfig(**kw),
    )


def tick(m: AlertManager, t: float, scores, ids=None, protected=None):
    n = len(scores)
    return m.update(
        t,
        track_id=np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, np.int64),
        eligible=np.ones(n, bool),
        protected=np.zeros(n, bool) if protected is None else np.asarray(protected),
        score=np.asarray(scores, float).reshape(n, 1),
        explain=lambda i, j: f"track row {i}",
    )


def test_noisy_score_around_a_threshold_does_not_flap() -> None:
    m = manager()
    rng = np.random.default_rng(1)
    events = []
    for k in range(300):
        events += tick(m, float(k), [0.2 + rng.uniform(-0.06, 0.06)])
    assert [e.kind for e in events] == [AlertEventKind.RAISED]
    assert events[0].level == AlertLevel.WATCH


def test_raise_is_immediate_lowering_waits_for_the_hold_time() -> None:
    m = manager(hold_s=15.0)
    assert tick(m, 0.0, [0.1]) == []
    (e,) = tick(m, 1.0, [0.75])
    assert (e.kind, e.level, e.previous) == (
        AlertEventKind.RAISED,
        AlertLevel.ALARM,
        AlertLevel.NONE,
    )
    for k in range(2, 16):
        assert tick(m, float(k), [0.35]) == [], k  # below 0.55 for 13 s: still ALARM
    (e,) = tick(m, 17.0, [0.35])
    assert (e.kind, e.level, e.previous) == (
        AlertEventKind.LOWERED,
        AlertLevel.WARNING,
        AlertLevel.ALARM,
    )
    assert tick(m, 18.0, [0.5]) == []  # between WARNING and ALARM: stays WARNING
    (e,) = tick(m, 19.0, [0.72])
    assert (e.kind, e.level) == (AlertEventKind.ESCALATED, AlertLevel.ALARM)


def test_each_change_is_reported_once() -> None:
    m = manager()
    events = []
    for k in range(50):
        events += tick(m, float(k), [0.45])
    assert len(events) == 1
    assert events[0].level == AlertLevel.WARNING


def test_escalation_then_clearing() -> None:
    m = manager(hold_s=5.0)
    kinds = []
    for k, s in enumerate([0.25, 0.45, 0.8] + [0.0] * 8):
        kinds += [(e.kind, e.level) for e in tick(m, float(k), [s])]
    assert kinds == [
        (AlertEventKind.RAISED, AlertLevel.WATCH),
        (AlertEventKind.ESCALATED, AlertLevel.WARNING),
        (AlertEventKind.ESCALATED, AlertLevel.ALARM),
        (AlertEventKind.CLEARED, AlertLevel.NONE),
    ]


def test_a_level_cap_holds_a_young_track_at_watch_then_lets_it_rise() -> None:
    """The assess stage caps a track younger than its evidence age at WATCH: the score may
    say ALARM, the alert waits; once the cap lifts it escalates at once."""
    m = manager()

    def capped(t: float, score: float, cap: AlertLevel) -> list:
        return m.update(
            t,
            track_id=np.array([0], np.int64),
            eligible=np.ones(1, bool),
            protected=np.zeros(1, bool),
            score=np.array([[score]]),
            explain=lambda i, j: "row",
            max_level=np.array([cap], np.int8),
        )

    (e,) = capped(0.0, 0.8, AlertLevel.WATCH)
    assert (e.kind, e.level) == (AlertEventKind.RAISED, AlertLevel.WATCH)
    assert capped(5.0, 0.8, AlertLevel.WATCH) == []
    (e,) = capped(10.0, 0.8, AlertLevel.ALARM)
    assert (e.kind, e.level, e.previous) == (
        AlertEventKind.ESCALATED,
        AlertLevel.ALARM,
        AlertLevel.WATCH,
    )


def test_deleted_and_protected_tracks_are_cleared_at_once() -> None:
    m = manager()
    tick(m, 0.0, [0.8, 0.5], ids=[4, 9])
    ev = tick(m, 1.0, [0.8], ids=[9], protected=[True])
    got = {(e.track_id, e.kind, e.level) for e in ev}
    assert got == {
        (4, AlertEventKind.CLEARED, AlertLevel.NONE),
        (9, AlertEventKind.CLEARED, AlertLevel.NONE),
    }
    assert any(e.reason == "track deleted" for e in ev)
    assert tick(m, 2.0, [0.8], ids=[9], protected=[True]) == []


# -- human sightings ----------------------------------------------------------------------------


def reports(m: AlertManager, t: float, det: DetectionBatch, x=(), confirmed=None, candidate=None):
    tr = (
        make_tracks(t, list(x), confirmed=confirmed, t_first=t - 100.0)
        if x
        else make_tracks(t, np.empty((0, 6)))
    )
    cand = tr.confirmed if candidate is None else np.asarray(candidate)
    return m.update_reports(t, det, tr, cand)


def test_sighting_opens_an_unconfirmed_report_and_is_merged() -> None:
    m = manager(report_ttl_s=600.0)
    (e,) = reports(m, 100.0, sighting(60.0, 100.0, [2000, 1000, 150]))
    assert e.kind == AlertEventKind.REPORT_UNCONFIRMED
    assert e.level == AlertLevel.WATCH
    assert e.track_id == -1
    assert e.site_id == "kb"
    # a second person reporting the same thing shortly after: merged, no new event
    assert reports(m, 130.0, sighting(90.0, 130.0, [2300, 900, 150])) == []
    assert m.open_reports() == ((e.report_id, "kb", 2),)
    # outside the alert radius: nothing
    assert reports(m, 140.0, sighting(140.0, 140.0, [9000, 0, 100])) == []
    # nothing corroborates it: expires 600 s after it arrived
    assert reports(m, 699.0, DetectionBatch.empty()) == []
    (x,) = reports(m, 700.0, DetectionBatch.empty())
    assert x.kind == AlertEventKind.REPORT_EXPIRED
    assert x.level == AlertLevel.NONE
    assert m.open_reports() == ()


def test_sighting_is_corroborated_by_a_nearby_confirmed_track() -> None:
    m = manager()
    reports(m, 100.0, sighting(60.0, 100.0, [2000, 1000, 150]))
    # at t=120 a track 600 m east of the report moving east at 10 m/s: at t=60 it was 0 m away
    (e,) = reports(m, 120.0, DetectionBatch.empty(), x=[[2600, 1000, 150, 10, 0, 0]])
    assert e.kind == AlertEventKind.REPORT_CORROBORATED
    assert e.track_id == 0
    assert m.open_reports() == ()


def test_protected_or_far_tracks_do_not_corroborate() -> None:
    m = manager(report_ttl_s=100.0)
    reports(m, 100.0, sighting(60.0, 100.0, [2000, 1000, 150]))
    assert (
        reports(m, 110.0, DetectionBatch.empty(), x=[[2000, 1000, 150, 0, 0, 0]], candidate=[False])
        == []
    )
    assert reports(m, 120.0, DetectionBatch.empty(), x=[[4500, 3000, 150, 0, 0, 0]]) == []
    (e,) = reports(m, 200.0, DetectionBatch.empty(), x=[[4500, 3000, 150, 0, 0, 0]])
    assert e.kind == AlertEventKind.REPORT_EXPIRED


def test_retrigger_within_the_hold_is_the_same_alert_and_keeps_its_acknowledgement() -> None:
    import pytest

    from dronewall.core.errors import InputError

    m = manager(hold_s=5.0, retrigger_hold_s=60.0)
    (e1,) = tick(m, 0.0, [0.45])  # WARNING
    assert e1.new_alert
    assert e1.alert_id
    rec = m.book.acknowledge(e1.alert_id, "duty officer", 3.0)
    assert (rec.acknowledged_by, rec.acknowledged_t) == ("duty officer", 3.0)
    events = []
    for k in range(1, 12):  # falls to 0.1: cleared after the 5 s hold
        events += tick(m, float(k), [0.1])
    assert [e.kind for e in events] == [AlertEventKind.CLEARED]
    assert events[0].alert_id == e1.alert_id
    assert m.book.open_alerts() == ()
    (e2,) = tick(m, 30.0, [0.45])  # back within 60 s: the same alert, re-opened
    assert e2.kind == AlertEventKind.RAISED
    assert e2.alert_id == e1.alert_id
    assert not e2.new_alert
    assert "re-triggered" in e2.reason
    again = m.book.get(e1.alert_id)
    assert again.retriggers == 1
    assert again.acknowledged_by == "duty officer"
    assert m.book.unacknowledged() == ()
    assert len(m.book.alerts()) == 1
    # cleared again, and back after the hold: a new alert, to be acknowledged
    for k in range(31, 40):
        tick(m, float(k), [0.1])
    (e3,) = tick(m, 200.0, [0.45])
    assert e3.new_alert
    assert e3.alert_id != e1.alert_id
    assert [r.alert_id for r in m.book.unacknowledged()] == [e3.alert_id]
    # escalation is a new episode at the higher level
    (e4,) = tick(m, 201.0, [0.8])
    assert e4.kind == AlertEventKind.ESCALATED
    assert e4.new_alert
    assert m.book.get(e4.alert_id).level == AlertLevel.ALARM
    assert m.book.unacknowledged()[0].alert_id == e4.alert_id  # highest level first
    with pytest.raises(InputError):
        m.book.acknowledge("alert-999999", "x", 1.0)
    with pytest.raises(InputError):
        m.book.acknowledge(e4.alert_id, " ", 1.0)
    m.book.acknowledge(e4.alert_id, "first", 202.0)
    assert m.book.acknowledge(e4.alert_id, "second", 203.0).acknowledged_by == "first"


def test_deleted_track_closes_its_alert() -> None:
    m = manager()
    (e1,) = tick(m, 0.0, [0.45], ids=[7])
    (e2,) = tick(m, 1.0, [], ids=[])
    assert e2.kind == AlertEventKind.CLEARED
    assert e2.alert_id == e1.alert_id
    assert not m.book.get(e1.alert_id).is_open
