"""EO/IR (field of view, slewing, Johnson range, class cue) and sightings (alarm, duplicates)."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.core.taxonomy import ObjectClass
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import EoirCamera, Scene, SensorSpec, SightingReports, build_sensor
from dronewall.sensors.base import ParamValue, Sensor, SensorKind
from dronewall.sensors.eoir import ttpf
from dronewall.sensors.sightings import FALSE_CAUSES

FRAME = LocalFrame(51.17, 5.47)


def sensor(kind: SensorKind, *, night: bool = False, **params: ParamValue) -> Sensor:
    spec = SensorSpec(id=kind, kind=kind, lat_deg=51.17, lon_deg=5.47, h_m=0.0, params=params)
    return build_sensor(spec, index=0, frame=FRAME, night=night)


def scene(pos: np.ndarray, cls: int | np.ndarray = 0) -> Scene:
    k = pos.shape[0]
    return Scene(
        pos=pos,
        vel=np.zeros((k, 3)),
        alive=np.ones(k, bool),
        rcs_m2=np.full(k, 0.01),
        rf_protocol=np.full(k, -1, np.int16),
        icao=np.full(k, -1, np.int64),
        object_class=np.broadcast_to(np.asarray(cls, np.int8), (k,)).copy(),
    )


def at_bearing(r: np.ndarray, az_deg: float, up: float = 50.0) -> np.ndarray:
    a = np.radians(az_deg)
    return np.column_stack([r * np.sin(a), r * np.cos(a), np.full(r.shape[0], up)])


def test_eoir_detection_follows_the_johnson_criteria_by_size_and_light() -> None:
    quad = int(ObjectClass.QUADCOPTER)
    for night in (False, True):
        cam = sensor("eoir", night=night, max_targets=100000, dwell_updates=1000)
        assert isinstance(cam, EoirCamera)
        c = cam.config
        n, trials = 300, 6
        ranges = np.array([1000.0, 2000.0, 3000.0, 4000.0])
        pos = at_bearing(np.repeat(ranges, n), 0.0)
        rng = np.random.default_rng(int(night))
        hits = np.zeros(pos.shape[0])
        for _ in range(trials):
            hits[cam.observe(0.0, scene(pos, quad), rng).truth] += 1
        size = 0.35
        p = c.p_detect(np.full(pos.shape[0], size), np.linalg.norm(pos, axis=1), night=night)
        for i in range(ranges.shape[0]):
            sl = slice(i * n, (i + 1) * n)
            pi = float(p[sl].mean())
            f = hits[sl].sum() / (n * trials)
            assert abs(f - pi) <= 4.0 * np.sqrt(pi * (1 - pi) / (n * trials)) + 1e-3
    day, night_cam = sensor("eoir"), sensor("eoir", night=True)
    assert isinstance(day, EoirCamera)
    assert isinstance(night_cam, EoirCamera)
    r = np.array([2500.0])
    small, big = np.array([0.35]), np.array([2.5])
    assert day.config.p_detect(small, r, night=False) > night_cam.config.p_detect(
        small, r, night=True
    )
    assert day.config.p_detect(big, r, night=False) > day.config.p_detect(small, r, night=False)
    # the ACQUIRE curve: P(N50) = 0.5
    assert ttpf(np.array([1.0]), 1.0)[0] == pytest.approx(0.5)


def test_eoir_sees_only_its_field_of_view_and_slews_at_its_rate() -> None:
    cam = sensor("eoir", pd=1.0, fov_deg=20.0, slew_rate_deg_s=10.0, dwell_updates=0)
    assert isinstance(cam, EoirCamera)
    assert cam.pointing_az == pytest.approx(0.0)
    # objects at 0 deg (in view) and 90 deg (out of view), near: resolved for sure
    pos = np.vstack([at_bearing(np.array([300.0]), 0.0), at_bearing(np.array([300.0]), 90.0)])
    rng = np.random.default_rng(3)
    det = cam.observe(0.0, scene(pos, int(ObjectClass.AIRLINER)), rng)
    np.testing.assert_array_equal(det.truth, [0])
    assert cam.pointing_az == pytest.approx(0.0, abs=1e-9)  # stays on its target
    # nothing in view: searches on, by at most slew_rate * period = 10 deg per update
    empty = scene(np.empty((0, 3)))
    cam.observe(1.0, empty, rng)
    assert np.degrees(cam.pointing_az) == pytest.approx(10.0)
    for k in range(7):
        cam.observe(2.0 + k, empty, rng)
    assert np.degrees(cam.pointing_az) == pytest.approx(80.0)
    det = cam.observe(9.0, scene(pos, int(ObjectClass.AIRLINER)), rng)
    np.testing.assert_array_equal(det.truth, [1])  # now the one at 90 deg is in view


def test_eoir_class_cue_is_the_true_class_or_unknown_and_fades_with_range() -> None:
    cam = sensor("eoir", max_targets=100000, dwell_updates=1000)
    assert isinstance(cam, EoirCamera)
    n = 2000
    near = at_bearing(np.full(n, 300.0), 0.0)
    far = at_bearing(np.full(n, 2500.0), 0.0)
    rng = np.random.default_rng(4)
    fpv = int(ObjectClass.FPV)
    for pos, lo, hi in ((near, 0.7, 1.0), (far, 0.0, 0.05)):
        obs = cam.observe_detail(0.0, scene(pos, fpv), rng)
        cue = obs.attributes["class_cue"]
        assert set(np.unique(cue)) <= {-1, fpv}
        frac = float(np.mean(cue == fpv)) if cue.shape[0] else 0.0
        assert lo <= frac <= hi


# --- sightings --------------------------------------------------------------------------------


def sightings(**params: ParamValue) -> SightingReports:
    s = sensor("sightings", **params)
    assert isinstance(s, SightingReports)
    return s


def test_false_reports_grow_after_a_public_alarm_and_decay() -> None:
    base, factor, tau, period = 6.0, 5.0, 1800.0, 60.0
    t_alarm = 3600.0
    s = sightings(
        false_rate_per_hour=base,
        alarm_time_s=t_alarm,
        alarm_factor=factor,
        alarm_decay_s=tau,
        alarm_on_report=False,
        duplicate_mean=0.0,
        period_s=period,
    )
    empty = scene(np.empty((0, 3)))
    runs, windows = 60, 180  # three hours, alarm after the first
    t_end = period * (np.arange(windows) + 1)
    counts = np.zeros(windows)
    rng = np.random.default_rng(5)
    for _ in range(runs):
        counts += [len(s.observe(float(t), empty, rng)) for t in t_end]
    expected = np.array([s.config.false_mean(t - period, t, t_alarm) for t in t_end]) * runs
    # the configured rate, window by window, within Poisson bounds over blocks of 30 minutes
    for blk in range(0, windows, 30):
        o, e = counts[blk : blk + 30].sum(), expected[blk : blk + 30].sum()
        assert abs(o - e) < 4.0 * np.sqrt(e), (blk, o, e)
    before = counts[:60].sum() / (runs * 1.0)  # per hour before the alarm
    just_after = counts[60:70].sum() / (runs * 10 * period / 3600.0)
    assert abs(before - base) < 4.0 * np.sqrt(base / runs)
    assert just_after > 3.0 * base  # ~4.5x base in the first ten minutes
    # the integral: one hour after the alarm = base * (1 h + (F-1) tau (1 - e^-2))
    one_hour = s.config.false_mean(t_alarm, t_alarm + 3600.0, t_alarm)
    assert one_hour == pytest.approx(base * (1 + (factor - 1) * tau / 3600.0 * (1 - np.exp(-2.0))))


def test_first_real_report_raises_the_alarm() -> None:
    s = sightings(false_rate_per_hour=0.0, report_prob_per_hour=0.99, period_s=600.0)
    assert s.alarm_t == np.inf
    drone = scene(at_bearing(np.array([500.0]), 0.0), int(ObjectClass.QUADCOPTER))
    rng = np.random.default_rng(6)
    t = 600.0
    while len(det := s.observe(t, drone, rng)) == 0:
        t += 600.0
    assert s.alarm_t == pytest.approx(det.t_received.min())


def test_duplicates_of_one_event_have_their_own_delays_and_errors() -> None:
    mu = 1.5
    s = sightings(
        false_rate_per_hour=300.0, duplicate_mean=mu, period_s=600.0, alarm_on_report=False
    )
    empty = scene(np.empty((0, 3)))
    rng = np.random.default_rng(7)
    obs = [s.observe_detail(600.0 * (i + 1), empty, rng) for i in range(20)]
    ev = np.concatenate([o.truth_attributes["event"] for o in obs])
    _, per_event = np.unique(ev, return_counts=True)
    n_ev = per_event.shape[0]
    assert n_ev > 800
    assert abs(per_event.mean() - (1 + mu)) < 4.0 * np.sqrt(mu / n_ev)
    b = obs[0]
    e0 = b.truth_attributes["event"]
    dup = np.flatnonzero(np.bincount(e0) >= 2)[0]
    rows = np.flatnonzero(e0 == dup)
    assert np.unique(b.batch.t[rows]).shape[0] == 1  # the same moment seen
    assert np.unique(b.batch.t_received[rows]).shape[0] == rows.shape[0]  # own delays
    assert np.unique(b.batch.z[rows, 0]).shape[0] == rows.shape[0]  # own errors
    # spread of duplicates about their event: the configured per-axis sigma
    z = np.concatenate([o.batch.z[:, :2] for o in obs])
    ev_all = ev
    centred = z - np.array([z[ev_all == e].mean(axis=0) for e in ev_all])
    k = np.bincount(ev_all)[ev_all]
    sel = k >= 2
    est = np.sqrt(np.sum(centred[sel] ** 2 / (1 - 1 / k[sel, None])) / (2 * sel.sum()))
    assert est == pytest.approx(s.config.sigma_h_m, rel=0.1)


def test_false_reports_carry_their_causes_and_descriptions() -> None:
    s = sightings(
        false_rate_per_hour=600.0, duplicate_mean=0.0, period_s=600.0, alarm_on_report=False
    )
    weights = {"aircraft-lights": 0.4, "planet": 0.15, "star": 0.15, "satellite": 0.1}
    weights |= {"lantern": 0.05, "nothing": 0.15}
    rng = np.random.default_rng(8)
    obs = [s.observe_detail(600.0 * (i + 1), scene(np.empty((0, 3))), rng) for i in range(20)]
    cause = np.concatenate([o.truth_attributes["cause"] for o in obs])
    desc = np.concatenate([o.attributes["description"] for o in obs])
    n = cause.shape[0]
    for name, w in weights.items():
        f = np.mean(cause == name)
        assert abs(f - w) < 4.0 * np.sqrt(w * (1 - w) / n), name
        assert np.all(desc[cause == name] == FALSE_CAUSES[name])
    real = s.observe_detail(
        1e5, scene(at_bearing(np.full(300, 800.0), 0.0), int(ObjectClass.QUADCOPTER)), rng
    )
    r = real.batch.truth >= 0
    assert np.all(real.truth_attributes["cause"][r] == "object")
    assert "cause" not in real.attributes
