"""RF detector (links, Remote ID, spoofing), ADS-B (NACp errors, light aircraft), acoustic array."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import (
    AcousticSensor,
    AdsbReceiver,
    RfDetector,
    Scene,
    SensorSpec,
    build_sensor,
    spec_config,
)
from dronewall.sensors.adsb import NACP_EPU_M
from dronewall.sensors.base import ParamValue, Sensor, SensorKind
from dronewall.sensors.rf import REMOTE_ID_BASE

FRAME = LocalFrame(51.3253, 4.2592)


def sensor(
    kind: SensorKind, preset: str | None = None, sid: str = "s", **params: ParamValue
) -> Sensor:
    spec = SensorSpec(
        id=sid, kind=kind, lat_deg=51.3253, lon_deg=4.2592, h_m=0.0, preset=preset, params=params
    )
    return build_sensor(spec, index=2, frame=FRAME)


def scene(
    pos: np.ndarray,
    *,
    rf: np.ndarray | int = -1,
    icao: np.ndarray | int = -1,
    cls: np.ndarray | int = 0,
    operator_pos: np.ndarray | None = None,
) -> Scene:
    k = pos.shape[0]
    return Scene(
        pos=pos,
        vel=np.zeros((k, 3)),
        alive=np.ones(k, bool),
        rcs_m2=np.full(k, 0.01),
        rf_protocol=np.broadcast_to(np.asarray(rf, np.int16), (k,)).copy(),
        icao=np.broadcast_to(np.asarray(icao, np.int64), (k,)).copy(),
        object_class=np.broadcast_to(np.asarray(cls, np.int8), (k,)).copy(),
        operator_pos=operator_pos,
    )


def line_north(ranges: np.ndarray, up: float = 100.0) -> np.ndarray:
    return np.column_stack([np.zeros(ranges.shape[0]), ranges, np.full(ranges.shape[0], up)])


# --- RF ---------------------------------------------------------------------------------------


def test_fibre_optic_and_autonomous_drones_are_never_heard() -> None:
    rf = sensor("rf", pd=1.0)
    assert isinstance(rf, RfDetector)
    k = 300
    pos = line_north(np.linspace(10.0, 3000.0, k))  # well inside every link range
    rng = np.random.default_rng(0)
    silent = scene(pos, rf=int(RfProtocol.NONE))  # fpv-fibre, shahed, decoy: rf_protocol none
    assert sum(len(rf.observe(0.0, silent, rng)) for _ in range(200)) == 0
    ocusync = scene(pos, rf=int(RfProtocol.DJI_OCUSYNC))
    assert len(rf.observe(0.0, ocusync, rng)) == k  # pd 1: the control sample is heard


def test_the_catalogue_marks_fibre_optic_and_autonomous_types_silent() -> None:
    from dronewall.world.load import load_world

    objects = load_world().objects
    for oid in ("fpv-fibre", "shahed", "decoy"):
        assert objects[oid].rf_protocol == RfProtocol.NONE


def test_each_link_is_heard_to_its_own_range() -> None:
    rf = sensor("rf", pd=1.0)
    assert isinstance(rf, RfDetector)
    ranges = rf.config.link_range()
    pos = line_north(np.array([1500.0, 2500.0, 3500.0, 4500.0]))
    rng = np.random.default_rng(1)
    for proto in (RfProtocol.DJI_OCUSYNC, RfProtocol.WIFI, RfProtocol.ANALOG_FPV):
        det = rf.observe(0.0, scene(pos, rf=int(proto)), rng)
        heard = np.linalg.norm(pos, axis=1) <= ranges[int(proto)]
        np.testing.assert_array_equal(det.truth, np.flatnonzero(heard))
        assert np.all(det.protocol == int(proto))


def test_remote_id_gives_drone_position_ident_and_operator_position() -> None:
    rf = sensor("rf", "rf-detector-rid", rid_pd=1.0, pd=1.0, spoof_fraction=0.0)
    assert isinstance(rf, RfDetector)
    k = 50
    pos = line_north(np.linspace(100.0, 1200.0, k))
    op = pos * [1, 1, 0] + [300.0, -200.0, 0.0]
    protos = np.where(
        np.arange(k) % 2 == 0, int(RfProtocol.DJI_OCUSYNC), int(RfProtocol.ANALOG_FPV)
    )
    obs = rf.observe_detail(0.0, scene(pos, rf=protos, operator_pos=op), np.random.default_rng(2))
    b = obs.batch
    rid = b.kind == MeasurementKind.POSITION
    assert np.all(b.kind[~rid] == MeasurementKind.BEARING)
    assert len(b.select(~rid)) == k  # a bearing for every link
    # only consumer (OcuSync) drones broadcast Remote ID; analogue FPV does not
    np.testing.assert_array_equal(b.truth[rid], np.arange(0, k, 2))
    assert np.all(b.ident[rid] >= REMOTE_ID_BASE)
    assert np.unique(b.ident[rid]).shape[0] == rid.sum()
    assert np.all(np.linalg.norm(b.z[rid] - pos[b.truth[rid]], axis=1) < 60.0)
    np.testing.assert_allclose(obs.attributes["operator_pos"][rid], op[b.truth[rid]])
    assert np.all(np.isnan(obs.attributes["operator_pos"][~rid]))
    # the same drone keeps its Remote ID from update to update
    again = rf.observe(1.0, scene(pos, rf=protos, operator_pos=op), np.random.default_rng(3))
    r2 = again.kind == MeasurementKind.POSITION
    np.testing.assert_array_equal(again.ident[r2], b.ident[rid])


def test_spoofed_operator_positions_at_the_configured_fraction_and_only_in_truth() -> None:
    frac, offset = 0.2, 2000.0
    a = sensor("rf", "rf-detector-rid", "a", rid_pd=1.0, spoof_fraction=frac, spoof_offset_m=offset)
    b = sensor("rf", "rf-detector-rid", "b", rid_pd=1.0, spoof_fraction=frac, spoof_offset_m=offset)
    assert isinstance(a, RfDetector)
    assert isinstance(b, RfDetector)
    k = 2000
    rng = np.random.default_rng(4)
    pos = np.column_stack([rng.uniform(-800, 800, k), rng.uniform(-800, 800, k), np.full(k, 80.0)])
    op = pos * [1, 1, 0]
    sc = scene(pos, rf=int(RfProtocol.DJI_OCUSYNC), operator_pos=op)
    oa = a.observe_detail(0.0, sc, rng)
    ob = b.observe_detail(5.0, sc, rng)
    rid = oa.batch.kind == MeasurementKind.POSITION
    spoofed = oa.truth_attributes["rid_spoofed"][rid]
    n = int(rid.sum())
    assert n == k
    assert abs(spoofed.mean() - frac) < 4.0 * np.sqrt(frac * (1 - frac) / n)
    # every detector agrees on who spoofs (a property of the drone)
    rid_b = ob.batch.kind == MeasurementKind.POSITION
    np.testing.assert_array_equal(ob.truth_attributes["rid_spoofed"][rid_b], spoofed)
    err = np.linalg.norm(oa.attributes["operator_pos"][rid] - op[oa.batch.truth[rid]], axis=1)
    np.testing.assert_allclose(err[spoofed], offset)
    np.testing.assert_allclose(err[~spoofed], 0.0, atol=1e-9)
    # nothing in the detections says which were spoofed
    assert "rid_spoofed" not in {f.name for f in dataclasses.fields(DetectionBatch)}
    assert "rid_spoofed" not in oa.attributes


# --- ADS-B ------------------------------------------------------------------------------------


@pytest.mark.parametrize("nacp", [7, 9, 10])
def test_adsb_error_follows_the_nacp_95_percent_bound(nacp: int) -> None:
    rx = sensor("adsb", nacp=nacp, pd=1.0)
    assert isinstance(rx, AdsbReceiver)
    k = 4000
    pos = line_north(np.linspace(1e3, 2e5, k), up=9000.0)
    det = rx.observe(
        0.0, scene(pos, icao=0x4840D6, cls=int(ObjectClass.AIRLINER)), np.random.default_rng(nacp)
    )
    assert len(det) == k
    err_h = np.linalg.norm((det.z - pos)[:, :2], axis=1)
    inside = np.mean(err_h <= NACP_EPU_M[nacp])
    assert abs(inside - 0.95) < 4.0 * np.sqrt(0.95 * 0.05 / k)
    np.testing.assert_allclose(det.R[:, 0, 0], (NACP_EPU_M[nacp] / 2.4477) ** 2, rtol=1e-3)


def test_some_light_aircraft_have_no_adsb_and_every_receiver_agrees() -> None:
    frac = 0.3
    a = sensor("adsb", sid="a", pd=1.0, light_without_adsb=frac)
    b = sensor("adsb", sid="b", pd=1.0, light_without_adsb=frac)
    assert isinstance(a, AdsbReceiver)
    assert isinstance(b, AdsbReceiver)
    k = 3000
    cls = np.where(
        np.arange(k) < k // 2, int(ObjectClass.LIGHT_AIRCRAFT), int(ObjectClass.AIRLINER)
    )
    sc = scene(
        line_north(np.linspace(1e3, 1e5, k), up=1500.0), icao=np.arange(k) + 0x400000, cls=cls
    )
    da = a.observe(0.0, sc, np.random.default_rng(5))
    db = b.observe(0.0, sc, np.random.default_rng(6))
    np.testing.assert_array_equal(da.truth, db.truth)
    seen = np.zeros(k, bool)
    seen[da.truth] = True
    assert seen[k // 2 :].all()  # airliners always transmit
    missing = 1.0 - seen[: k // 2].mean()
    assert abs(missing - frac) < 4.0 * np.sqrt(frac * (1 - frac) / (k // 2))
    # light aircraft report a worse NACp (8) than airliners (9)
    light = cls[da.truth] == int(ObjectClass.LIGHT_AIRCRAFT)
    assert da.R[light, 0, 0].min() > da.R[~light, 0, 0].max()


# --- acoustic ---------------------------------------------------------------------------------


def test_acoustic_pd_follows_the_sonar_equation_and_is_bearing_only() -> None:
    ac = sensor("acoustic")
    assert isinstance(ac, AcousticSensor)
    c = ac.config
    n, trials = 400, 5
    ranges = np.array([100.0, 250.0, 300.0, 400.0, 600.0])
    pos = line_north(np.repeat(ranges, n), up=60.0)
    sc = scene(pos, cls=int(ObjectClass.QUADCOPTER))
    rng = np.random.default_rng(7)
    hits = np.zeros(pos.shape[0])
    for _ in range(trials):
        det = ac.observe(0.0, sc, rng)
        hits[det.truth] += 1
        assert np.all(det.kind == MeasurementKind.BEARING)
        assert np.all(np.isnan(det.z[:, 2]))
        assert np.all(np.isfinite(det.z[:, :2]))
    r = np.linalg.norm(pos, axis=1)
    pd = c.pd(ac.source_level(sc.object_class), r)
    for i in range(ranges.shape[0]):
        sl = slice(i * n, (i + 1) * n)
        p = float(pd[sl].mean())
        f = hits[sl].sum() / (n * trials)
        assert abs(f - p) <= 4.0 * np.sqrt(p * (1 - p) / (n * trials)) + 1e-3
    assert pd[0] > 0.95  # short range: a few hundred metres for a quadcopter
    assert pd[-1] < 0.05


def test_acoustic_range_shrinks_with_wind_and_rain_and_grows_with_loudness() -> None:
    calm = sensor("acoustic", weather_noise_db=0.0)
    windy = sensor("acoustic", weather_noise_db=12.0)
    assert isinstance(calm, AcousticSensor)
    assert isinstance(windy, AcousticSensor)
    sl_quad = calm.source_level(np.array([int(ObjectClass.QUADCOPTER)]))
    sl_shahed = calm.source_level(np.array([int(ObjectClass.LOITERING_MUNITION)]))
    r_calm = float(calm.config.detection_range_m(sl_quad)[0])
    r_windy = float(windy.config.detection_range_m(sl_quad)[0])
    assert calm.config.excess_db(sl_quad, np.array([r_calm]))[0] == pytest.approx(0.0, abs=1e-6)
    # 12 dB more noise: range down by ~10^(-12/20) = 0.25 (a little less with absorption)
    assert 0.25 < r_windy / r_calm < 0.3
    assert float(calm.config.detection_range_m(sl_shahed)[0]) > 5 * r_calm
    # measured: at the calm detection range, calm hears half, windy almost nothing
    n = 3000
    sc = scene(line_north(np.full(n, r_calm), up=50.0), cls=int(ObjectClass.QUADCOPTER))
    rng = np.random.default_rng(8)
    f_calm = len(calm.observe(0.0, sc, rng)) / n
    f_windy = len(windy.observe(0.0, sc, rng)) / n
    p_calm = float(calm.config.pd(sl_quad, np.linalg.norm(sc.pos[:1], axis=1))[0])
    assert abs(f_calm - p_calm) < 4.0 * np.sqrt(0.25 / n)
    assert f_windy < 0.02


def test_acoustic_config_rejects_missing_class_levels() -> None:
    base = spec_config(SensorSpec(id="a", kind="acoustic", lat_deg=51.0, lon_deg=5.0))
    with pytest.raises(ValueError, match="source_level_db"):
        dataclasses.replace(base, source_level_db=("quadcopter:80",))
    with pytest.raises(ValueError, match="weather_noise_db"):
        dataclasses.replace(base, weather_noise_db=-3.0)
