"""Radar model: Pd follows the radar equation, clutter is Poisson, converted covariance is SPD."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.measurements import MeasurementKind
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import (
    RadarConfig,
    RadarSensor,
    Scene,
    SensorSpec,
    build_sensor,
    converted_covariance,
    enu_to_polar,
    polar_to_enu,
    spec_config,
)

FRAME = LocalFrame(51.1683, 5.47)


def make_scene(
    pos: np.ndarray, rcs_m2: float | np.ndarray = 0.01, radial_speed: float = 10.0
) -> Scene:
    """Objects at ``pos`` flying away from the origin (the radar) at ``radial_speed``."""
    k = pos.shape[0]
    away = pos / np.maximum(np.linalg.norm(pos, axis=1, keepdims=True), 1e-9)
    return Scene(
        pos=pos,
        vel=radial_speed * away,
        alive=np.ones(k, bool),
        rcs_m2=np.broadcast_to(np.asarray(rcs_m2, float), (k,)).copy(),
        rf_protocol=np.full(k, -1, np.int16),
        icao=np.full(k, -1, np.int64),
        object_class=np.zeros(k, np.int8),
    )


def radar(preset: str = "drone-radar", **params: float) -> RadarSensor:
    spec = SensorSpec(
        id="r", kind="radar", lat_deg=51.1683, lon_deg=5.47, h_m=0.0, preset=preset, params=params
    )
    sensor = build_sensor(spec, index=3, frame=FRAME)
    assert isinstance(sensor, RadarSensor)
    return sensor


def ring(ranges_m: np.ndarray, n: int, el_deg: float = 2.0) -> np.ndarray:
    """``n`` points at each range, spread in azimuth, at a fixed elevation."""
    r = np.repeat(ranges_m, n)
    az = np.tile(np.linspace(0.0, 2.0 * np.pi, n, endpoint=False), ranges_m.shape[0])
    el = np.full(r.shape, np.radians(el_deg))
    return polar_to_enu(r, az, el)


def test_pd_falls_with_range_as_the_radar_equation_says() -> None:
    sensor = radar(clutter_per_scan=0.0, clutter_per_km2=0.0)
    cfg = sensor.config
    ranges = np.array([2000.0, 4000.0, 5000.0, 6000.0, 7000.0, 8500.0])
    n, scans = 500, 4
    pos = ring(ranges, n) + sensor.info.pos_enu
    scene = make_scene(pos)
    rng = np.random.default_rng(7)
    hits = np.zeros(pos.shape[0])
    for _ in range(scans):
        det = sensor.observe(0.0, scene, rng)
        hits[det.truth] += 1
    r_true = np.linalg.norm(pos - sensor.info.pos_enu, axis=1)
    pd = cfg.pd(np.full(r_true.shape, 0.01), r_true)
    for i, _ in enumerate(ranges):
        sl = slice(i * n, (i + 1) * n)
        p = float(pd[sl].mean())
        freq = hits[sl].sum() / (n * scans)
        bound = 4.0 * np.sqrt(p * (1.0 - p) / (n * scans)) + 1e-3
        assert abs(freq - p) <= bound, (ranges[i], freq, p)
    # the anchor: Pd 0.5 on 0.01 m² at 5 km (the preset's documented intent)
    assert cfg.pd(np.array([0.01]), np.array([5000.0]))[0] == pytest.approx(0.5, abs=0.01)
    # Swerling 1 law itself
    snr = cfg.snr(np.array([0.01]), np.array([3000.0]))[0]
    assert cfg.pd(np.array([0.01]), np.array([3000.0]))[0] == pytest.approx(
        cfg.pfa ** (1.0 / (1.0 + snr))
    )


def test_detections_are_positions_with_rcs_snr_and_truth() -> None:
    sensor = radar(clutter_per_scan=0.0, clutter_per_km2=0.0)
    pos = ring(np.array([1000.0]), 50) + sensor.info.pos_enu
    det = sensor.observe(12.5, make_scene(pos, 0.5), np.random.default_rng(1))
    assert len(det) == 50  # 0.5 m² at 1 km: Pd = 1 to 1e-9
    assert np.all(det.kind == MeasurementKind.POSITION)
    assert np.all(det.sensor == 3)
    assert np.all(det.t == 12.5)
    assert np.all(det.truth == np.arange(50))
    err = np.linalg.norm(det.z - pos, axis=1)
    assert np.all(err < 100.0)
    # RCS estimate: log-normal about the truth, 3 dB sigma
    rcs_db = 10 * np.log10(det.rcs_m2 / 0.5)
    assert abs(rcs_db.mean()) < 1.5
    assert np.all(np.isfinite(det.snr_db))


def test_out_of_coverage_never_detected() -> None:
    sensor = radar(clutter_per_scan=0.0, clutter_per_km2=0.0)
    cfg = sensor.config
    far = ring(np.array([cfg.max_range_m * 1.05]), 100, el_deg=1.0)
    high = ring(np.array([2000.0]), 100, el_deg=cfg.el_max_deg + 5.0)
    scene = make_scene(np.vstack([far, high]) + sensor.info.pos_enu, 100.0)
    assert len(sensor.observe(0.0, scene, np.random.default_rng(0))) == 0
    dead = dataclasses.replace(make_scene(ring(np.array([500.0]), 10)), alive=np.zeros(10, bool))
    assert len(sensor.observe(0.0, dead, np.random.default_rng(0))) == 0


def test_clutter_count_matches_the_poisson_rate() -> None:
    rate = 3.0
    sensor = radar(clutter_per_scan=rate, clutter_per_km2=0.0)
    cfg = sensor.config
    empty = make_scene(np.empty((0, 3)))
    rng = np.random.default_rng(11)
    scans = 3000
    counts = np.array([len(sensor.observe(0.0, empty, rng)) for _ in range(scans)])
    assert abs(counts.mean() - rate) < 4.0 * np.sqrt(rate / scans)
    assert counts.var() == pytest.approx(rate, rel=0.15)  # Poisson: variance = mean
    for _ in range(20):
        det = sensor.observe(0.0, empty, rng)
        assert np.all(det.truth == -1)
        r, _, el = enu_to_polar(det.z - sensor.info.pos_enu)
        assert np.all((r >= cfg.min_range_m - 1e-6) & (r <= cfg.max_range_m + 1e-6))
        assert np.all(np.degrees(el) <= cfg.clutter_el_max_deg + 1e-9)
        assert np.all(det.rcs_m2 > 0)


def test_air_surveillance_radar_sees_aircraft_far_and_is_blind_to_micro_drones() -> None:
    sensor = radar("air-surveillance-radar", clutter_per_scan=0.0, clutter_per_km2=0.0)
    s = sensor.info.pos_enu
    drones = make_scene(ring(np.array([3000.0, 8000.0]), 300, el_deg=2.0) + s, 0.01)
    rng = np.random.default_rng(5)
    seen = sum(len(sensor.observe(0.0, drones, rng)) for _ in range(5))
    assert seen / (600 * 5) < 0.01
    aircraft = make_scene(ring(np.array([100_000.0]), 400, el_deg=1.0) + s, 1.0, 60.0)
    frac = np.mean([len(sensor.observe(0.0, aircraft, rng)) / 400 for _ in range(5)])
    # Pd 0.8 on 1 m² at 100 km, times the plot filter's pass rate (RCS error 3 dB vs 10 dB margin)
    assert 0.7 < frac < 0.85


def test_radar_config_rejects_bad_values() -> None:
    base = spec_config(SensorSpec(id="r", kind="radar", lat_deg=51.0, lon_deg=5.0))
    assert isinstance(base, RadarConfig)
    with pytest.raises(ValueError, match="pfa"):
        dataclasses.replace(base, pfa=1.5)
    with pytest.raises(ValueError, match="max_range_m"):
        dataclasses.replace(base, max_range_m=-1.0)


@settings(max_examples=200, deadline=None)
@given(
    r=st.floats(10.0, 2e5),
    az=st.floats(0.0, 2 * np.pi),
    el=st.floats(-1.4, 1.4),
    sr=st.floats(0.5, 200.0),
    saz=st.floats(1e-4, 0.1),
    sel=st.floats(1e-4, 0.1),
)
def test_converted_covariance_is_symmetric_positive_definite(
    r: float, az: float, el: float, sr: float, saz: float, sel: float
) -> None:
    R = converted_covariance(np.array([r]), np.array([az]), np.array([el]), sr, saz, sel)[0]
    np.testing.assert_array_equal(R, R.T)
    np.linalg.cholesky(R)  # raises unless positive definite
    # the range direction carries exactly the range variance
    u = polar_to_enu(np.array([1.0]), np.array([az]), np.array([el]))[0]
    assert u @ R @ u == pytest.approx(sr**2, rel=1e-6)


def test_converted_covariance_matches_monte_carlo() -> None:
    rng = np.random.default_rng(2)
    r, az, el = 3000.0, 0.7, 0.1
    s = np.array([5.0, np.radians(0.5), np.radians(1.0)])
    n = 40000
    noisy = np.array([r, az, el]) + rng.standard_normal((n, 3)) * s
    pts = polar_to_enu(noisy[:, 0], noisy[:, 1], noisy[:, 2])
    emp = np.cov(pts.T)
    R = converted_covariance(np.array([r]), np.array([az]), np.array([el]), *s)[0]
    np.testing.assert_allclose(emp, R, rtol=0.05, atol=0.05 * np.abs(R).max())


# --- horizon, Doppler, clutter per area -------------------------------------------------------


def on_sphere(ground_m: np.ndarray, h_m: np.ndarray, az: float = 0.3) -> np.ndarray:
    """ENU points at great-circle distance ``ground_m`` and height ``h_m`` from the origin."""
    from dronewall.sensors.base import EARTH_RADIUS_M as Re

    th = ground_m / Re
    rr = Re + h_m
    horiz = rr * np.sin(th)
    return np.column_stack([horiz * np.sin(az), horiz * np.cos(az), rr * np.cos(th) - Re])


def test_target_below_the_radar_horizon_is_never_detected() -> None:
    from dronewall.sensors.base import horizon_range_m

    spec = SensorSpec(
        id="asr",
        kind="radar",
        lat_deg=51.1683,
        lon_deg=5.47,
        h_m=20.0,
        preset="air-surveillance-radar",
        params={"clutter_per_scan": 0.0, "clutter_per_km2": 0.0},
    )
    sensor = build_sensor(spec, index=0, frame=FRAME)
    assert isinstance(sensor, RadarSensor)
    h_t = np.repeat([300.0, 1000.0, 2000.0], 100)
    hz = horizon_range_m(20.0, h_t, sensor.config.k_earth)
    rng = np.random.default_rng(3)
    below = make_scene(on_sphere(1.03 * hz, h_t) - [0, 0, 20.0] + sensor.info.pos_enu, 1e4, 100.0)
    above = make_scene(on_sphere(0.97 * hz, h_t) - [0, 0, 20.0] + sensor.info.pos_enu, 1e4, 100.0)
    # the geometry puts both sets inside range and elevation coverage: only the horizon differs
    r, _, el = enu_to_polar(below.pos - sensor.info.pos_enu)
    assert np.all(r < sensor.config.max_range_m)
    assert np.all(np.degrees(el) > sensor.config.el_min_deg)
    n_below = sum(len(sensor.observe(0.0, below, rng)) for _ in range(50))
    n_above = sum(len(sensor.observe(0.0, above, rng)) for _ in range(50))
    assert n_below == 0
    assert n_above > 0.9 * 50 * 300


def test_hovering_drone_is_missed_more_than_a_moving_one() -> None:
    sensor = radar(clutter_per_scan=0.0, clutter_per_km2=0.0)
    c = sensor.config
    pos = ring(np.array([3000.0]), 1000, el_deg=3.0) + sensor.info.pos_enu
    moving = make_scene(pos, 0.01, 10.0)
    hovering = make_scene(pos, 0.01, 0.0)
    rng = np.random.default_rng(9)
    scans = 10
    n = pos.shape[0] * scans
    f_move = sum(len(sensor.observe(0.0, moving, rng)) for _ in range(scans)) / n
    f_hover = sum(len(sensor.observe(0.0, hovering, rng)) for _ in range(scans)) / n
    p = float(c.pd(np.array([0.01]), np.array([3000.0]))[0])
    for f, expect in ((f_move, p), (f_hover, p * (1.0 - c.blind_suppression))):
        assert abs(f - expect) < 4.0 * np.sqrt(expect * (1.0 - expect) / n)
    assert f_hover < 0.5 * f_move
    # a target crossing tangentially has no radial speed either: it is in the blind zone too
    tangential = dataclasses.replace(
        moving, vel=np.cross(moving.vel, [0.0, 0.0, 1.0]) / np.cos(np.radians(3.0))
    )
    f_cross = sum(len(sensor.observe(0.0, tangential, rng)) for _ in range(scans)) / n
    assert f_cross < 0.5 * f_move


def test_clutter_per_km2_scales_with_the_covered_area_and_stops_at_the_clutter_horizon() -> None:
    density = 0.01
    spec = SensorSpec(
        id="r",
        kind="radar",
        lat_deg=51.1683,
        lon_deg=5.47,
        h_m=10.0,
        params={"clutter_per_scan": 0.0, "clutter_per_km2": density, "max_range_m": 60000.0},
    )
    sensor = build_sensor(spec, index=0, frame=FRAME)
    assert isinstance(sensor, RadarSensor)
    c = sensor.config
    r_c = c.clutter_range_m(10.0)
    assert r_c < c.max_range_m  # the clutter sources' horizon, ~29 km for a 10 m mast
    mean = density * np.pi * (r_c**2 - c.min_range_m**2) / 1e6
    assert c.clutter_mean(10.0) == pytest.approx(mean)
    empty = make_scene(np.empty((0, 3)))
    rng = np.random.default_rng(4)
    scans = 300
    dets = [sensor.observe(0.0, empty, rng) for _ in range(scans)]
    counts = np.array([len(d) for d in dets])
    assert abs(counts.mean() - mean) < 4.0 * np.sqrt(mean / scans)
    r = np.concatenate([enu_to_polar(d.z - sensor.info.pos_enu)[0] for d in dets])
    assert r.max() <= r_c * 1.01  # range noise only
    # uniform over the area: half of it lies inside r_half
    r_half = np.sqrt(0.5 * (r_c**2 + c.min_range_m**2))
    frac = np.mean(r < r_half)
    assert abs(frac - 0.5) < 4.0 * np.sqrt(0.25 / r.shape[0])
