"""The simulation engine: windows, reproducibility, independent streams, kill()."""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.sensors import SensorSpec
from dronewall.sim import Scenario, Simulation, load_scenario

TEXT = """\
name: engine-test
description: "Small scenario for engine tests"
start: 2025-11-01T19:30:00Z
duration_s: 240
tick_s: 2.0
night: false
sites: [kleine-brogel]
sensors:
  - {id: radar, kind: radar, site: kleine-brogel, h_m: 15}
  - {id: asr, kind: radar, preset: air-surveillance-radar, site: kleine-brogel}
  - {id: rf, kind: rf, site: kleine-brogel, offset_m: [1500, 1300]}
  - {id: eoir, kind: eoir, site: kleine-brogel}
  - {id: adsb, kind: adsb, site: kleine-brogel}
  - id: public
    kind: sightings
    site: kleine-brogel
    params: {report_prob_per_hour: 0.99, false_rate_per_hour: 60.0, delay_mean_s: 30.0}
objects:
  - {behaviour: approach, id: quad-1, type: quadcopter, allegiance: hostile,
     target: kleine-brogel, from_bearing_deg: 60, from_distance_m: 2500, speed_m_s: 15,
     alt_m: 150, orbit_radius_m: 800, then: stay}
  - {behaviour: swarm, id: sw, count: 3, type: quadcopter, allegiance: hostile,
     target: kleine-brogel, from_bearing_deg: 200, from_distance_m: 2000, speed_m_s: 12,
     alt_m: 120, orbit_radius_m: 600, then: stay}
  - {behaviour: bird-flock, id: birds, count: 4, centre: {site: kleine-brogel}}
  - {behaviour: civil-traffic, id: civ, types: {airliner: 2}, radius_m: 20000}
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    p: Path = tmp_path_factory.mktemp("sc") / "engine.yaml"
    p.write_text(TEXT, encoding="utf-8")
    return load_scenario(p)


def all_detections(sim: Simulation) -> list[DetectionBatch]:
    return [sim.sense(k) for k in range(sim.n_ticks)]


def same(a: DetectionBatch, b: DetectionBatch) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(getattr(a, f.name), getattr(b, f.name), equal_nan=True) for f in fields(a)
    )


def test_ticks_windows_and_sensor_table(scenario: Scenario) -> None:
    sim = Simulation(scenario, seed=1)
    assert sim.n_ticks == 120
    np.testing.assert_allclose(sim.times, scenario.t0 + 2.0 * np.arange(1, 121))
    assert sim.truth.pos.shape == (120, 10, 3)
    assert [s.index for s in sim.sensors] == list(range(6))
    np.testing.assert_allclose(sim.sensors[0].pos_enu, [0.0, 0.0, 15.0], atol=1e-6)
    assert sim.sensors[2].pos_enu[0] == pytest.approx(1500.0, abs=1.0)
    batches = all_detections(sim)
    for k, b in enumerate(batches):
        assert np.all(np.diff(b.t) >= 0)
        assert np.all(b.t_received > sim.times[k] - 2.0)
        assert np.all(b.t_received <= sim.times[k])
        instrument = b.kind != MeasurementKind.SIGHTING
        np.testing.assert_array_equal(b.t[instrument], b.t_received[instrument])
    d = DetectionBatch.concat(batches)
    sight = d.kind == MeasurementKind.SIGHTING
    assert sight.any()
    assert np.all(d.t_received[sight] > d.t[sight])
    # the 6 s air surveillance radar scans every third 2 s window
    asr_t = np.unique(d.t[d.sensor == 1])
    np.testing.assert_allclose(np.diff(asr_t), 6.0, atol=1e-6)
    # every sensor contributed
    assert set(np.unique(d.sensor).tolist()) == set(range(6))
    # sense is a pure function of k once generated
    assert same(sim.sense(5), batches[5])


def test_same_seed_same_detections_different_seed_different(scenario: Scenario) -> None:
    a = all_detections(Simulation(scenario, seed=42))
    b = all_detections(Simulation(scenario, seed=42))
    assert all(same(x, y) for x, y in zip(a, b, strict=True))
    # order of calls does not matter
    c_sim = Simulation(scenario, seed=42)
    late = c_sim.sense(100)
    assert same(late, a[100])
    c = all_detections(Simulation(scenario, seed=43))
    assert not all(same(x, y) for x, y in zip(a, c, strict=True))


def test_adding_a_sensor_leaves_the_others_draws_unchanged(scenario: Scenario) -> None:
    extra = SensorSpec(id="rf-2", kind="rf", lat_deg=51.18, lon_deg=5.49)
    more = dataclasses.replace(scenario, sensors=(*scenario.sensors, extra))
    a = DetectionBatch.concat(all_detections(Simulation(scenario, seed=9)))
    b = DetectionBatch.concat(all_detections(Simulation(more, seed=9)))
    b_old = b.select(b.sensor < len(scenario.sensors))
    key_a = np.lexsort((a.z[:, 0], a.sensor, a.t))
    key_b = np.lexsort((b_old.z[:, 0], b_old.sensor, b_old.t))
    assert same(a.select(key_a), b_old.select(key_b))
    assert np.any(b.sensor == len(scenario.sensors))


def test_kill_stops_detections_from_then_on(scenario: Scenario) -> None:
    sim = Simulation(scenario, seed=5)
    obj = sim.truth.index("quad-1")
    k_kill = 60
    before = [sim.sense(k) for k in range(k_kill + 1)]
    assert any(np.any(b.truth == obj) for b in before)
    t_kill = float(sim.times[k_kill]) + 0.3
    sim.kill(obj, t_kill)
    after = DetectionBatch.concat([sim.sense(k) for k in range(k_kill + 1, sim.n_ticks)])
    mine = after.truth == obj
    assert np.all(after.t[mine] < t_kill)  # only reports seen before the kill arrive late
    assert not sim.truth.alive[k_kill + 1 :, obj].any()
    assert sim.truth.alive[k_kill, obj]
    with pytest.raises(IndexError):
        sim.kill(len(sim.truth), t_kill)
    with pytest.raises(IndexError):
        sim.sense(sim.n_ticks)


def test_kleine_brogel_senses_every_tick() -> None:
    # speed is measured in benchmarks/sensing_speed.py, not here (the machine is shared)
    sim = Simulation(load_scenario("kleine-brogel-night"), seed=0)
    n = sum(len(sim.sense(k)) for k in range(sim.n_ticks))
    assert n > 1000
