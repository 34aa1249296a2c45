"""RF detector, EO/IR camera, ADS-B receiver, sighting reports, presets and the factory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dronewall.core.errors import ConfigError
from dronewall.core.measurements import MeasurementKind, RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import (
    AdsbReceiver,
    EoirCamera,
    RfDetector,
    Scene,
    SensorSpec,
    SightingReports,
    build_sensor,
    load_presets,
    spec_config,
)
from dronewall.sensors.base import ParamValue, Sensor, SensorKind

FRAME = LocalFrame(51.3253, 4.2592)


def sensor(kind: SensorKind, *, night: bool = False, **params: ParamValue) -> Sensor:
    spec = SensorSpec(id=kind, kind=kind, lat_deg=51.3253, lon_deg=4.2592, h_m=0.0, params=params)
    return build_sensor(spec, index=1, frame=FRAME, night=night)


def scene(
    pos: np.ndarray,
    *,
    rf: np.ndarray | None = None,
    icao: np.ndarray | None = None,
    cls: np.ndarray | None = None,
) -> Scene:
    k = pos.shape[0]
    return Scene(
        pos=pos,
        vel=np.zeros((k, 3)),
        alive=np.ones(k, bool),
        rcs_m2=np.full(k, 0.01),
        rf_protocol=np.full(k, -1, np.int16) if rf is None else rf.astype(np.int16),
        icao=np.full(k, -1, np.int64) if icao is None else icao.astype(np.int64),
        object_class=np.zeros(k, np.int8) if cls is None else cls.astype(np.int8),
    )


def random_positions(
    rng: np.random.Generator, k: int, r_max: float, up: float = 100.0
) -> np.ndarray:
    rho = r_max * np.sqrt(rng.random(k))
    phi = rng.uniform(0, 2 * np.pi, k)
    return np.column_stack([rho * np.sin(phi), rho * np.cos(phi), np.full(k, up)])


def test_rf_never_hears_silent_objects_nor_beyond_range() -> None:
    rf = sensor("rf")
    assert isinstance(rf, RfDetector)
    rng = np.random.default_rng(0)
    k = 400
    pos = random_positions(rng, k, 2.0 * rf.config.max_range_m)
    protocols = rng.choice([int(p) for p in RfProtocol], k)
    sc = scene(pos, rf=protocols)
    heard = np.zeros(k, bool)
    for _ in range(10):
        det = rf.observe(0.0, sc, rng)
        assert np.all(det.kind == MeasurementKind.BEARING)
        assert np.all(protocols[det.truth] != RfProtocol.NONE)
        assert np.all(det.protocol == protocols[det.truth])
        assert np.all(np.linalg.norm(pos[det.truth, :2], axis=1) <= rf.config.max_range_m + 1)
        assert np.all(np.isnan(det.z[:, 1:]))
        heard[det.truth] = True
    link_range = np.where(protocols >= 0, rf.config.link_range()[np.clip(protocols, 0, None)], 0)
    can = np.linalg.norm(pos, axis=1) <= link_range
    assert heard[can].all()  # pd 0.8 over 10 tries: miss prob 1e-7 each
    assert not heard[~can].any()
    assert not heard[protocols == RfProtocol.MILITARY_DATALINK].any()  # not in the library
    # bearing error has the configured sigma
    errs = []
    for _ in range(20):
        det = rf.observe(0.0, sc, rng)
        true_az = np.arctan2(pos[det.truth, 0], pos[det.truth, 1])
        errs.append(np.angle(np.exp(1j * (det.z[:, 0] - true_az))))
    e = np.concatenate(errs)
    assert np.std(e) == pytest.approx(np.radians(rf.config.sigma_az_deg), rel=0.1)
    assert np.all(det.R[:, 0, 0] == pytest.approx(np.radians(rf.config.sigma_az_deg) ** 2))


def test_adsb_reports_only_cooperative_aircraft_with_their_address() -> None:
    rx = sensor("adsb")
    assert isinstance(rx, AdsbReceiver)
    rng = np.random.default_rng(1)
    k = 200
    pos = random_positions(rng, k, 300_000.0, up=9000.0)
    icao = np.where(rng.random(k) < 0.5, rng.integers(0x400000, 0x500000, k), -1)
    det = rx.observe(0.0, scene(pos, icao=icao), rng)
    assert len(det) > 0
    assert np.all(icao[det.truth] >= 0)
    np.testing.assert_array_equal(det.ident, icao[det.truth])
    assert np.all(np.linalg.norm(pos[det.truth], axis=1) <= rx.config.max_range_m)
    err = det.z - pos[det.truth]
    assert np.std(err[:, :2]) == pytest.approx(rx.config.sigma_h_m, rel=0.25)


def test_eoir_range_depends_on_night_and_serves_the_nearest() -> None:
    day, night = sensor("eoir"), sensor("eoir", night=True)
    assert isinstance(day, EoirCamera)
    assert isinstance(night, EoirCamera)
    assert night.range_m < day.range_m
    between = 0.5 * (night.range_m + day.range_m)
    pos = np.array([[0.0, between, 100.0]])  # north, where the turret first looks
    big = np.array([int(ObjectClass.AIRLINER)])
    rng = np.random.default_rng(2)
    assert sum(len(night.observe(0.0, scene(pos, cls=big), rng)) for _ in range(50)) == 0
    assert sum(len(day.observe(0.0, scene(pos, cls=big), rng)) for _ in range(50)) > 35
    many = np.column_stack([np.zeros(10), np.linspace(100, 1500, 10), np.full(10, 50.0)])
    cam = sensor("eoir", pd=1.0, max_targets=3)
    det = cam.observe(0.0, scene(many), rng)
    np.testing.assert_array_equal(det.truth, [0, 1, 2])
    assert np.all(np.linalg.norm(det.z - many[:3], axis=1) < 30)
    for R in det.R:
        np.linalg.cholesky(R)


def test_sightings_are_late_far_off_and_false_at_the_configured_rate() -> None:
    rate = 20.0
    s = sensor("sightings", false_rate_per_hour=rate, period_s=60.0, duplicate_mean=0.0)
    assert isinstance(s, SightingReports)
    rng = np.random.default_rng(3)
    empty = scene(np.empty((0, 3)))
    windows = 2000
    batches = [s.observe(60.0 * (i + 1), empty, rng) for i in range(windows)]
    n = sum(len(b) for b in batches)
    mean = rate * windows * 60.0 / 3600.0
    assert abs(n - mean) < 4.0 * np.sqrt(mean)
    delays = np.concatenate([b.t_received - b.t for b in batches])
    assert np.all(delays > 0)
    assert np.mean(delays) == pytest.approx(s.config.delay_mean_s, rel=0.1)
    assert all(
        np.all(b.truth == -1) and np.all(b.kind == MeasurementKind.SIGHTING) for b in batches
    )


def test_sightings_of_drones_in_view_at_the_configured_probability() -> None:
    s = sensor(
        "sightings",
        false_rate_per_hour=0.0,
        report_prob_per_hour=0.5,
        period_s=600.0,
        duplicate_mean=0.0,
    )
    assert isinstance(s, SightingReports)
    k = 400
    pos = np.column_stack([np.full(k, 1000.0), np.zeros(k), np.full(k, 100.0)])
    pos[k // 2 :, 0] = s.config.view_radius_m + 5000.0  # out of view
    cls = np.full(k, int(ObjectClass.QUADCOPTER))
    cls[: k // 4] = int(ObjectClass.AIRLINER)  # recognised, not reported
    rng = np.random.default_rng(4)
    hits = np.zeros(k)
    trials = 20
    for _ in range(trials):
        det = s.observe(0.0, scene(pos, cls=cls), rng)
        hits[det.truth] += 1
        assert np.all(det.t_received > det.t)
    assert hits[k // 2 :].sum() == 0
    assert hits[: k // 4].sum() == 0
    p = s.p_report_per_window
    assert p == pytest.approx(1 - 0.5 ** (600 / 3600))
    freq = hits[k // 4 : k // 2].mean() / trials
    assert abs(freq - p) < 4 * np.sqrt(p * (1 - p) / (trials * k / 4))


def test_every_preset_builds_and_is_source_tagged() -> None:
    presets = load_presets()
    assert {p.kind for p in presets.values()} == {
        "radar",
        "rf",
        "eoir",
        "adsb",
        "sightings",
        "acoustic",
    }
    for p in presets.values():
        assert set(p.params) <= set(p.sources)


def test_factory_errors_name_the_field_and_what_was_expected() -> None:
    def spec(**kw: object) -> SensorSpec:
        return SensorSpec(id="x", kind="radar", lat_deg=51.0, lon_deg=5.0, **kw)  # type: ignore[arg-type]

    with pytest.raises(ConfigError) as e1:
        spec_config(spec(params={"max_range": 5.0}))
    assert e1.value.field == "params.max_range"
    assert e1.value.expected is not None
    assert "max_range_m" in e1.value.expected
    with pytest.raises(ConfigError) as e2:
        spec_config(spec(preset="rf-detector"))
    assert e2.value.field == "preset"
    with pytest.raises(ConfigError) as e3:
        spec_config(spec(params={"pfa": True}))
    assert e3.value.field == "params.pfa"
    with pytest.raises(ConfigError, match="pfa"):
        spec_config(spec(params={"pfa": 2.0}))


def test_sensors_do_not_import_sim() -> None:
    code = (
        "import sys, dronewall.sensors; "
        "bad = [m for m in sys.modules if m.startswith('dronewall.sim')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)
