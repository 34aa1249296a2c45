"""The tracker on mixed sensors: bearings, polar plots, late data, duplicates, row order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.tracks import TrackStatus
from dronewall.metrics.gospa import gospa, mean_gospa
from dronewall.tracking.tracker import MultiSensorTracker, TrackerConfig

T0 = 1_700_000_000.0
R_POS = np.diag([10.0**2, 10.0**2, 20.0**2])


def _drone(t: float) -> np.ndarray:
    """A drone at 150 m height flying east at 12 m/s, 2 km north of the origin."""
    return np.array([-300.0 + 12.0 * (t - T0), 2000.0, 150.0])


def _bearing(t: float, sensor: int, sensor_pos: np.ndarray, target: np.ndarray,
             rng: np.random.Generator, sd: float = np.radians(1.5),
             elevation: bool = True) -> DetectionBatch:  # fmt: skip
    d = target - sensor_pos
    az = np.arctan2(d[0], d[1]) + rng.normal(0.0, sd)
    el = np.arctan2(d[2], np.hypot(d[0], d[1])) + rng.normal(0.0, sd) if elevation else np.nan
    R = np.zeros((3, 3))
    R[0, 0] = sd**2
    if elevation:
        R[1, 1] = sd**2
    return DetectionBatch.build(
        t=np.array([t]),
        sensor=sensor,
        kind=MeasurementKind.BEARING,
        z=np.array([[az, el, np.nan]]),
        R=R,
        sensor_pos=sensor_pos,
        truth=np.array([0], np.int32),
    )


def _position(t: float, z: np.ndarray, sensor: int = 0, R: np.ndarray = R_POS,
              truth: int = 0) -> DetectionBatch:  # fmt: skip
    z = np.asarray(z, dtype=np.float64).reshape(-1, 3)
    return DetectionBatch.build(
        t=np.full(len(z), t),
        sensor=sensor,
        kind=MeasurementKind.POSITION,
        z=z,
        R=R,
        sensor_pos=np.zeros(3),
        truth=np.full(len(z), truth, np.int32),
    )


def test_two_rf_direction_finders_give_a_confirmed_3d_track_within_three_scans() -> None:
    rng = np.random.default_rng(1)
    s0, s1 = np.array([0.0, 0.0, 10.0]), np.array([1500.0, 0.0, 10.0])
    tracker = MultiSensorTracker(TrackerConfig())
    for k in range(3):
        t = T0 + k
        batch = DetectionBatch.concat(
            [_bearing(t, 0, s0, _drone(t), rng), _bearing(t + 0.2, 1, s1, _drone(t + 0.2), rng)]
        )
        tracker.step(batch, t=t + 0.5)
    snap = tracker.snapshot(T0 + 2.5)
    confirmed = snap.select(snap.confirmed)
    assert len(confirmed) == 1
    err = confirmed.x[0, :3] - _drone(T0 + 2.5)
    sd = np.sqrt(np.diag(confirmed.P[0, :3, :3]))
    assert np.all(np.abs(err) < 4.0 * sd), (err, sd)  # 3-D consistent with its covariance
    assert np.linalg.norm(err) < 150.0
    assert confirmed.sensors[0] == 0b11
    assert tracker.counters["triangulated"] == 1
    # nothing is left over for a bearing-only track
    assert len(tracker.bearing_tracks(T0 + 2.5)) == 0


def test_one_direction_finder_alone_keeps_a_bearing_only_track() -> None:
    rng = np.random.default_rng(2)
    s0 = np.array([0.0, 0.0, 10.0])
    tracker = MultiSensorTracker(TrackerConfig())
    for k in range(5):
        t = T0 + k
        tracker.step(_bearing(t, 0, s0, _drone(t), rng), t=t + 0.5)
    assert len(tracker) == 0  # no 3-D track from one sensor's bearings
    strobes = tracker.bearing_tracks(T0 + 4.5)
    assert int(strobes.confirmed.sum()) == 1
    d = _drone(T0 + 4.5) - s0
    true_az = np.arctan2(d[0], d[1])
    got = strobes.azimuth[strobes.confirmed][0]
    assert abs((got - true_az + np.pi) % (2 * np.pi) - np.pi) < np.radians(4.0)


def test_one_sensors_bearings_do_not_keep_a_firm_track_alive_without_fixes() -> None:
    """A radar track, then only one RF sensor's bearings of the drone (the radar lost it): the
    bearings update the track while a recent fix holds its range, but past the coast bound with
    no fix the 3-D track is deleted (its range would be made up) and the bearings go on as a
    bearing-only track. Seen on ``hobby-drone-park`` with birds: a bird's radar track, left on
    a cooperative drone's RF line, lived on its bearings for minutes and was proposed for
    jamming."""
    rng = np.random.default_rng(4)
    s_rf = np.array([0.0, 0.0, 10.0])
    cfg = TrackerConfig()
    tracker = MultiSensorTracker(cfg)
    for k in range(10):  # radar and RF together: a firm track with fixes
        t = T0 + k
        radar = _position(t, _drone(t) + rng.normal(0.0, 10.0, 3))
        tracker.step(DetectionBatch.concat([radar, _bearing(t + 0.5, 1, s_rf, _drone(t + 0.5),
                                                            rng)]), t=t + 0.5)  # fmt: skip
    (tid,) = tracker.snapshot(T0 + 9.5).track_id[tracker.snapshot(T0 + 9.5).confirmed]
    alive: list[float] = []
    for k in range(10, 60):  # the radar has lost it; the RF sensor keeps reporting
        t = T0 + k
        tracker.step(_bearing(t + 0.5, 1, s_rf, _drone(t + 0.5), rng), t=t + 0.5)
        if tid in tracker.snapshot(t + 0.5).track_id:
            alive.append(t + 0.5 - (T0 + 9.5))
    assert alive, "the track was dropped at the first bearing-only frame"
    lasted = max(alive)
    assert lasted <= cfg.confirmed_max_coast_s + 1.0, lasted  # not kept alive by the bearings
    assert lasted >= min(cfg.confirmed_max_coast_s, cfg.coast_s_per_hit * 10) - 1.0, lasted
    assert len(tracker.snapshot(T0 + 59.5)) == 0  # no 3-D track at a made-up range
    strobes = tracker.bearing_tracks(T0 + 59.5)
    assert int(strobes.confirmed.sum()) == 1  # the drone's direction is still tracked


def test_two_direction_finders_reporting_in_turns_keep_their_track() -> None:
    """Two RF direction finders that report in alternate frames measure the range together:
    their triangulated track is not deleted for lack of a fix, although no frame holds both."""
    rng = np.random.default_rng(5)
    s0, s1 = np.array([0.0, 0.0, 10.0]), np.array([1500.0, 0.0, 10.0])
    tracker = MultiSensorTracker(TrackerConfig())
    for k in range(3):  # both at first: a triangulated, confirmed track
        t = T0 + k
        batch = DetectionBatch.concat(
            [_bearing(t, 0, s0, _drone(t), rng), _bearing(t + 0.2, 1, s1, _drone(t + 0.2), rng)]
        )
        tracker.step(batch, t=t + 0.5)
    (tid,) = tracker.snapshot(T0 + 2.5).track_id
    for k in range(3, 60):  # then one sensor per frame, in turns
        t = T0 + k
        sensor, pos = (0, s0) if k % 2 else (1, s1)
        tracker.step(_bearing(t, sensor, pos, _drone(t), rng), t=t + 0.5)
        snap = tracker.snapshot(t + 0.5)
        assert tid in snap.track_id, f"the track was deleted at frame {k}"
    row = int(np.flatnonzero(snap.track_id == tid)[0])
    assert np.linalg.norm(snap.x[row, :2] - _drone(T0 + 59.5)[:2]) < 150.0


def test_radar_track_fuses_bearings_and_they_sharpen_it() -> None:
    """A coarse radar track takes an RF bearing per scan: cross-range error drops."""
    errs = {}
    for with_rf in (False, True):
        rng = np.random.default_rng(3)
        tracker = MultiSensorTracker(TrackerConfig())
        R_coarse = np.diag([60.0**2, 60.0**2, 60.0**2])
        s_rf = np.array([0.0, 0.0, 10.0])
        e = []
        for k in range(40):
            t = T0 + k
            parts = [_position(t, _drone(t) + rng.multivariate_normal(np.zeros(3), R_coarse), 0,
                               R_coarse)]  # fmt: skip
            if with_rf:
                parts.append(_bearing(t + 0.5, 1, s_rf, _drone(t + 0.5), rng, np.radians(0.3)))
            tracker.step(DetectionBatch.concat(parts), t=t + 0.5)
            snap = tracker.snapshot(t + 0.5)
            if k >= 10:
                assert int(snap.confirmed.sum()) == 1
                e.append(np.linalg.norm(snap.x[snap.confirmed][0, :2] - _drone(t + 0.5)[:2]))
        errs[with_rf] = float(np.sqrt(np.mean(np.square(e))))
    assert errs[True] < 0.7 * errs[False], errs


def test_polar_plots_2d_and_3d_track_like_positions() -> None:
    rng = np.random.default_rng(4)
    radar = np.array([500.0, -500.0, 5.0])
    for two_d in (False, True):
        tracker = MultiSensorTracker(TrackerConfig())
        res = []
        for k in range(30):
            t = T0 + k
            d = _drone(t) - radar
            rng_m = np.hypot(d[0], d[1]) if two_d else np.linalg.norm(d)
            z = np.array([
                rng_m + rng.normal(0, 5.0),
                np.arctan2(d[0], d[1]) + rng.normal(0, 0.005),
                np.nan if two_d else np.arctan2(d[2], np.hypot(d[0], d[1])) + rng.normal(0, 0.005),
            ])  # fmt: skip
            R = np.diag([25.0, 0.005**2, 0.0 if two_d else 0.005**2])
            batch = DetectionBatch.build(
                t=np.array([t]), sensor=0, kind=MeasurementKind.POLAR, z=z[None], R=R,
                sensor_pos=radar,
                range_rate=np.array([np.dot(d, [12.0, 0, 0]) / np.linalg.norm(d)]),
                range_rate_var=np.array([0.25]),
            )  # fmt: skip
            tracker.step(batch, t=t)
            snap = tracker.snapshot(t)
            if k >= 5:
                dims = 2 if two_d else 3
                res.append(gospa(_drone(t)[None, :dims], snap.x[snap.confirmed, :dims], c=100.0))
        m = mean_gospa(res)
        assert m.n_missed == 0
        assert m.n_false == 0
        assert m.total < 25.0


def test_out_of_sequence_radar_feed_is_used_not_dropped() -> None:
    """Sensor 1's plots arrive 4 s late; the track still gains from them (vs. sensor 0 only)."""

    def run(late_feed: bool | None) -> float:
        rng = np.random.default_rng(5)
        tracker = MultiSensorTracker(TrackerConfig())
        pending: list[DetectionBatch] = []
        e = []
        for k in range(60):
            t = T0 + k
            parts = [_position(t, _drone(t) + rng.multivariate_normal(np.zeros(3), R_POS), 0)]
            z1 = _drone(t + 0.5) + rng.multivariate_normal(np.zeros(3), R_POS)
            if late_feed is not None:
                pending.append(_position(t + 0.5, z1, 1))
            if late_feed is False:
                parts.append(pending.pop(0))
            elif late_feed and len(pending) > 4:
                parts.append(pending.pop(0))  # from 4 frames ago
            tracker.step(DetectionBatch.concat(parts), t=t + 0.9)
            snap = tracker.snapshot(t + 0.9)
            if k >= 10:
                assert int(snap.confirmed.sum()) == 1, k
                e.append(np.linalg.norm(snap.x[snap.confirmed][0, :3] - _drone(t + 0.9)))
        if late_feed:
            assert tracker.counters["oosm_updates"] > 40
        return float(np.sqrt(np.mean(np.square(e))))

    alone, in_time, late = run(None), run(False), run(True)
    assert in_time < alone
    assert late < alone, (alone, in_time, late)


def test_duplicate_tracks_of_one_object_are_merged_keeping_the_older_number() -> None:
    """Sensor 1 is first mis-registered by 300 m, then corrected over 10 s: its own track of
    the drone converges on the radar's, and the two are merged into the older number."""
    rng = np.random.default_rng(6)
    tracker = MultiSensorTracker(TrackerConfig())
    ids_seen: set[int] = set()
    for k in range(30):
        t = T0 + k
        bias = np.array([300.0 * min(1.0, max(0.0, (16 - k) / 10.0)), 0.0, 0.0])
        parts = [_position(t, _drone(t) + rng.multivariate_normal(np.zeros(3), R_POS), 0)]
        z = _drone(t + 0.5) + bias + rng.multivariate_normal(np.zeros(3), R_POS)
        parts.append(_position(t + 0.5, z, 1))
        tracker.step(DetectionBatch.concat(parts), t=t + 0.9)
        snap = tracker.snapshot(t + 0.9)
        ids_seen.update(snap.track_id[snap.confirmed].tolist())
    assert len(ids_seen) == 2  # the duplicate was confirmed before it was merged
    assert tracker.counters["merged"] == 1
    snap = tracker.snapshot(T0 + 29.9)
    assert int(snap.confirmed.sum()) == 1
    assert snap.track_id[snap.confirmed][0] == min(ids_seen)
    assert snap.sensors[snap.confirmed][0] == 0b11


def test_formation_drones_seen_by_one_radar_are_never_merged() -> None:
    rng = np.random.default_rng(7)
    tracker = MultiSensorTracker(TrackerConfig(merge_frames=2))
    offsets = np.array([[0.0, 0.0, 0.0], [25.0, 0.0, 0.0], [0.0, 25.0, 0.0]])
    for k in range(40):
        t = T0 + k
        z = _drone(t) + offsets + rng.multivariate_normal(np.zeros(3), R_POS / 4, 3)
        tracker.step(_position(t, z, 0, R_POS / 4), t=t)
    assert tracker.counters["merged"] == 0
    assert int(tracker.snapshot(T0 + 39).confirmed.sum()) == 3


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), associator=st.sampled_from(["gnn", "jpda"]))
def test_results_do_not_depend_on_row_order_within_a_scan(seed: int, associator: str) -> None:
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(8):
        truth = np.array([[100.0 * i + 15.0 * k, 50.0 * i, 100.0] for i in range(4)])
        z = truth + rng.multivariate_normal(np.zeros(3), R_POS, 4)
        clutter = rng.uniform([-500, -500, 0], [1000, 1000, 300], (3, 3))
        frames.append(np.vstack([z, clutter]))
    out = []
    for permute in (False, True):
        tracker = MultiSensorTracker(TrackerConfig(associator=associator))
        prng = np.random.default_rng(seed + 1)
        for k, z in enumerate(frames):
            rows = prng.permutation(len(z)) if permute else np.arange(len(z))
            tracker.step(_position(T0 + k, z[rows]), t=T0 + k)
        snap = tracker.snapshot(T0 + 7)
        order = np.argsort(snap.track_id)
        out.append((snap.track_id[order], snap.x[order], snap.status[order]))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(out[0][2], out[1][2])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_covariances_stay_symmetric_positive_definite(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tracker = MultiSensorTracker(TrackerConfig(associator=("gnn", "jpda")[seed % 2]))
    s_rf = np.array([0.0, 0.0, 10.0])
    for k in range(12):
        t = T0 + k
        parts = [
            _position(t, rng.uniform([-800, 1500, 0], [800, 2500, 400], (5, 3)), 0),
            _bearing(t + 0.3, 1, s_rf, _drone(t), rng),
        ]
        late = _position(t - 3.0, _drone(t - 3.0) + rng.normal(0, 10, 3), 2)
        tracker.step(DetectionBatch.concat([*parts, late]), t=t + 0.5)
        P = tracker.snapshot(t + 0.5).P
        np.testing.assert_allclose(P, np.swapaxes(P, 1, 2), atol=1e-9)
        if len(P):
            assert np.linalg.eigvalsh(P).min() > 0.0


def test_rows_with_bad_values_are_counted_and_skipped() -> None:
    tracker = MultiSensorTracker(TrackerConfig())
    z = np.array([[0.0, 0.0, 100.0], [np.nan, 5.0, 100.0], [10.0, 10.0, 100.0]])
    R = np.broadcast_to(R_POS, (3, 3, 3)).copy()
    R[2, 0, 0] = np.inf
    batch = DetectionBatch.build(
        t=np.full(3, T0), sensor=0, kind=MeasurementKind.POSITION, z=z, R=R,
        sensor_pos=np.zeros(3),
    )  # fmt: skip
    tracker.step(batch, t=T0)
    assert tracker.counters["rows_rejected"] == 2
    assert len(tracker) == 1


def test_track_score_initiator_rejects_clutter_and_confirms_a_target() -> None:
    rng = np.random.default_rng(8)
    lo, hi = np.array([-2000.0, 0.0, 0.0]), np.array([2000.0, 4000.0, 1000.0])
    n_clutter = 20
    cfg = TrackerConfig(initiator="llr", clutter_density=n_clutter / np.prod(hi - lo))
    tracker = MultiSensorTracker(cfg)
    confirmed_false: set[int] = set()
    first_confirmed = None
    for k in range(60):
        t = T0 + k
        z = np.vstack([
            _drone(t) + rng.multivariate_normal(np.zeros(3), R_POS),
            rng.uniform(lo, hi, (rng.poisson(n_clutter), 3)),
        ])  # fmt: skip
        truth = np.full(len(z), -1, np.int32)
        truth[0] = 0
        b = DetectionBatch.build(t=np.full(len(z), t), sensor=0, kind=0, z=z, R=R_POS,
                                 sensor_pos=np.zeros(3), truth=truth)  # fmt: skip
        tracker.step(b, t=t)
        snap = tracker.snapshot(t)
        c = snap.confirmed
        confirmed_false.update(snap.track_id[c & (snap.truth < 0)].tolist())
        if first_confirmed is None and np.any(c & (snap.truth == 0)):
            first_confirmed = k
    assert first_confirmed is not None
    assert first_confirmed <= 3
    assert len(confirmed_false) <= 1
    statuses = tracker.snapshot(T0 + 59).status
    assert TrackStatus.CONFIRMED in statuses.tolist()


def test_a_sighting_reported_three_minutes_late_updates_without_counting_as_a_hit() -> None:
    rng = np.random.default_rng(9)
    tracker = MultiSensorTracker(TrackerConfig(use_sightings=True))
    for k in range(200):
        t = T0 + k
        tracker.step(_position(t, _drone(t) + rng.multivariate_normal(np.zeros(3), R_POS)), t=t)
    before = tracker.snapshot(T0 + 199)
    seen_at = T0 + 20.0
    sighting = DetectionBatch.build(
        t=np.array([seen_at]), sensor=5, kind=MeasurementKind.SIGHTING,
        z=(_drone(seen_at) + np.array([150.0, -80.0, 50.0]))[None], R=np.diag([500.0**2] * 3),
        sensor_pos=np.zeros(3), t_received=np.array([T0 + 200.0]),
    )  # fmt: skip
    tracker.step(sighting, t=T0 + 200)
    after = tracker.snapshot(T0 + 200)
    assert tracker.counters["oosm_updates"] == 1
    assert after.hits.tolist() == before.hits.tolist()  # not a hit
    assert np.all(np.isfinite(after.x))
    assert np.linalg.eigvalsh(after.P).min() > 0.0
    assert after.sensors[0] & (1 << 5) == 0  # sightings do not mark the track as seen by a sensor
    assert len(tracker) == 1  # and never start a track


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 12), k=st.integers(0, 40))
def test_greedy_pairing_in_rounds_equals_the_sequential_greedy(seed: int, n: int, k: int) -> None:
    from dronewall.tracking.tracker import _greedy_pairs

    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, k)
    j = rng.integers(0, n, k)
    keep = i != j
    i, j = i[keep], j[keep]
    cost = rng.integers(0, 5, i.shape[0]).astype(float)  # many ties
    used = np.zeros(n, bool)
    expected = []
    for p in np.lexsort((np.arange(i.shape[0]), cost)):  # the plain greedy, pair by pair
        if not (used[i[p]] or used[j[p]]):
            used[i[p]] = used[j[p]] = True
            expected.append(p)
    np.testing.assert_array_equal(_greedy_pairs(i, j, cost, n), np.sort(expected))


def test_azimuth_only_bearings_are_used_not_rejected() -> None:
    rng = np.random.default_rng(10)
    s0, s1 = np.array([0.0, 0.0, 10.0]), np.array([1500.0, 0.0, 10.0])
    tracker = MultiSensorTracker(TrackerConfig())
    for k in range(3):
        t = T0 + k
        batch = DetectionBatch.concat([
            _bearing(t, 0, s0, _drone(t), rng, elevation=False),
            _bearing(t + 0.2, 1, s1, _drone(t + 0.2), rng, elevation=False),
        ])  # fmt: skip
        tracker.step(batch, t=t + 0.5)
    assert tracker.counters["rows_rejected"] == 0
    snap = tracker.snapshot(T0 + 2.5)
    confirmed = snap.select(snap.confirmed)
    assert len(confirmed) == 1
    # azimuths fix the horizontal position; the height stays unobserved
    assert np.linalg.norm(confirmed.x[0, :2] - _drone(T0 + 2.5)[:2]) < 150.0


def test_a_cooperative_drones_rf_bearing_does_not_feed_a_bird_on_its_line() -> None:
    """An RF detector hears a hobby drone's link and decodes its Remote ID; a bird's radar track
    lies on the line between them. The drone's Remote ID track takes the Remote ID position, so
    without attribution the bearing goes to the bird's track (and with it the drone's RF link),
    as on ``hobby-drone-park`` with birds. Attributed to the Remote ID at its azimuth, the
    bearing may only update the drone's own track, and unused it starts nothing."""
    s_rf = np.array([0.0, 0.0, 10.0])
    rid = (1 << 40) + 5
    az = np.radians(45.0)
    line = np.array([np.sin(az), np.cos(az), 0.0])
    bird_sensors = {}
    for attribute in (False, True):
        rng = np.random.default_rng(8)
        tracker = MultiSensorTracker(TrackerConfig(attribute_bearings=attribute))
        for k in range(30):
            t = T0 + k
            bird = line * (600.0 + 3.0 * k) + np.array([0.0, 0.0, 60.0])
            drone = line * 1500.0 + np.array([0.0, 0.0, 90.0])
            radar = _position(t, bird + rng.normal(0.0, 10.0, 3), truth=1)
            beacon = DetectionBatch.build(
                t=np.array([t + 0.5]),
                sensor=1,
                kind=MeasurementKind.POSITION,
                z=(drone + rng.normal(0.0, 3.0, 3))[None, :],
                R=np.diag([3.0**2, 3.0**2, 5.0**2]),
                sensor_pos=s_rf,
                ident=np.array([rid]),
                truth=np.array([0], np.int32),
            )
            link = _bearing(t + 0.5, 1, s_rf, drone, rng, sd=np.radians(2.0), elevation=False)
            tracker.step(DetectionBatch.concat([radar, beacon, link]), t=t + 0.5)
        snap = tracker.snapshot(T0 + 29.5)
        firm = snap.select(snap.confirmed)
        assert sorted(firm.truth.tolist()) == [0, 1], firm.truth
        assert firm.ident[firm.truth == 0][0] == rid
        assert firm.ident[firm.truth == 1][0] == -1
        bird_sensors[attribute] = int(firm.sensors[firm.truth == 1][0])
        if attribute:
            assert tracker.counters["bearings_attributed"] >= 28  # a 3 σ gate
            assert len(tracker.bearing_tracks(T0 + 29.5)) == 0
    assert bird_sensors[False] & 0b10  # the failure this guards against
    assert bird_sensors[True] == 0b01  # the bird's track is the radar's alone
