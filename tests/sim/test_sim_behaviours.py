"""Behaviours reach their targets at the speeds their types allow."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.core.taxonomy import Allegiance
from dronewall.geo.frames import LocalFrame
from dronewall.sim import Simulation, load_scenario
from dronewall.sim.behaviours import (
    ApproachLeg,
    ApproachSpec,
    BirdFlockSpec,
    CivilTrafficSpec,
    OrbitSpec,
    Place,
    SwarmSpec,
    WaypointsSpec,
    fly,
)
from dronewall.world import load_world

WORLD = load_world()
SITE = WORLD.sites["kleine-brogel"]
FRAME = LocalFrame(SITE.lat_deg, SITE.lon_deg)
TARGET = Place(lat_deg=SITE.lat_deg, lon_deg=SITE.lon_deg)
TAU = np.arange(1.0, 2001.0)
QUAD = WORLD.objects["quadcopter"]


def leg(**kw: object) -> ApproachLeg:
    base: dict[str, object] = dict(
        target=TARGET,
        from_bearing_deg=60.0,
        from_distance_m=6000.0,
        speed_m_s=12.0,
        alt_m=150.0,
        orbit_radius_m=1000.0,
        orbit_s=600.0,
        then="leave",
        leave_bearing_deg=90.0,
        clockwise=True,
    )
    base.update(kw)
    return ApproachLeg(**base)  # type: ignore[arg-type]


def horiz(pos: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(pos[..., :2], axis=-1))


def test_approach_flies_in_orbits_at_the_radius_then_leaves() -> None:
    spec = ApproachSpec(
        id="q", type=QUAD, allegiance=Allegiance.HOSTILE, target_site=0, start_s=10.0, leg=leg()
    )
    f = fly(spec, TAU, FRAME, np.random.default_rng(0))
    pos, vel, alive = f.pos[:, 0], f.vel[:, 0], f.alive[:, 0]
    t_orbit = 10.0 + (6000.0 - 1000.0) / 12.0
    t_exit = t_orbit + 600.0
    assert not alive[TAU < 10.0].any()
    d = horiz(pos)
    inbound = alive & (t_orbit > TAU)
    assert np.all(np.diff(d[inbound]) < 0)  # closing in
    on_orbit = (t_orbit <= TAU) & (t_exit > TAU)
    np.testing.assert_allclose(d[on_orbit], 1000.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vel[alive], axis=1), 12.0, rtol=1e-9)
    assert np.all(pos[alive, 2] == 150.0)
    t_gone = t_exit + 6000.0 / 12.0
    assert alive[(t_exit < TAU) & (t_gone > TAU)].all()
    assert not alive[t_gone + 1 < TAU].any()


def test_impact_ends_at_the_miss_distance_and_stay_orbits_to_the_end() -> None:
    shahed = WORLD.objects["shahed"]
    hit = ApproachSpec(
        id="s",
        type=shahed,
        allegiance=Allegiance.HOSTILE,
        target_site=0,
        leg=leg(speed_m_s=50.0, orbit_radius_m=150.0, then="impact", from_distance_m=30000.0),
    )
    f = fly(hit, TAU, FRAME, np.random.default_rng(0))
    alive = f.alive[:, 0]
    last = int(np.flatnonzero(alive)[-1])
    assert horiz(f.pos[last, 0]) <= 150.0 + 50.0
    assert not alive[last + 1 :].any()
    stay = ApproachSpec(
        id="q", type=QUAD, allegiance=Allegiance.HOSTILE, target_site=0, leg=leg(then="stay")
    )
    g = fly(stay, TAU, FRAME, np.random.default_rng(0))
    assert g.alive[-1, 0]
    assert horiz(g.pos[-1, 0]) == pytest.approx(1000.0)


def test_swarm_members_spread_but_all_orbit_inside_the_alert_radius() -> None:
    spec = SwarmSpec(
        id="sw",
        type=QUAD,
        allegiance=Allegiance.HOSTILE,
        target_site=0,
        count=6,
        leg=leg(then="stay", from_distance_m=4000.0),
        jitter_m=20.0,
    )
    f = fly(spec, TAU, FRAME, np.random.default_rng(1))
    assert f.ids == tuple(f"sw-{i}" for i in range(1, 7))
    end = horiz(f.pos[-1])
    assert np.all(end < 1000.0 + 60.0)
    assert np.all(end > 700.0 - 60.0)
    assert len(set(np.round(end).tolist())) == 6
    speed = np.linalg.norm(f.vel[f.alive], axis=-1)
    assert np.all(speed >= QUAD.speed_min_m_s)
    assert np.all(speed <= QUAD.speed_max_m_s)


def test_orbit_and_waypoints() -> None:
    o = OrbitSpec(
        id="o",
        type=QUAD,
        allegiance=Allegiance.FRIEND,
        centre=TARGET,
        radius_m=500.0,
        speed_m_s=10.0,
        alt_m=100.0,
    )
    f = fly(o, TAU, FRAME, np.random.default_rng(0))
    np.testing.assert_allclose(horiz(f.pos[:, 0]), 500.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(f.vel[:, 0], axis=1), 10.0)
    end = FRAME.enu_to_lla([3000.0, 4000.0, 0.0])
    w = WaypointsSpec(
        id="w",
        type=QUAD,
        allegiance=Allegiance.HOSTILE,
        speed_m_s=10.0,
        waypoints=((SITE.lat_deg, SITE.lon_deg, 100.0), (float(end[0]), float(end[1]), 200.0)),
    )
    g = fly(w, TAU, FRAME, np.random.default_rng(0))
    alive = g.alive[:, 0]
    n_alive = int(alive.sum())
    assert n_alive == pytest.approx(np.hypot(5000.0, 100.0) / 10.0, abs=1.5)
    last = g.pos[np.flatnonzero(alive)[-1], 0]
    assert np.linalg.norm(last - [3000.0, 4000.0, 200.0]) < 20.0


def test_civil_traffic_and_birds() -> None:
    airliner, light = WORLD.objects["airliner"], WORLD.objects["light-aircraft-no-adsb"]
    c = CivilTrafficSpec(
        id="c",
        types=((airliner, 5), (light, 2)),
        allegiance=Allegiance.CIVIL,
        centre=TARGET,
        radius_m=30000.0,
    )
    f = fly(c, TAU, FRAME, np.random.default_rng(2))
    assert np.all(f.icao[:5] >= 0x400000)
    assert np.all(f.icao[5:] == -1)
    assert len(set(f.icao[:5].tolist())) == 5
    assert np.all(horiz(f.pos[f.alive]) <= 30000.0 + 1.0)
    a = CivilTrafficSpec(
        id="a",
        types=((airliner, 6),),
        allegiance=Allegiance.CIVIL,
        centre=TARGET,
        radius_m=40000.0,
        airport=TARGET,
        runway_heading_deg=250,
    )
    g = fly(a, TAU, FRAME, np.random.default_rng(3))
    arr = g.vel[:, 0::2][g.alive[:, 0::2]]
    assert np.all(arr[:, 2] < 0)  # arrivals descend
    dep = g.vel[:, 1::2][g.alive[:, 1::2]]
    assert np.all(dep[:, 2] > 0)
    bird = WORLD.objects["bird"]
    b = BirdFlockSpec(
        id="b",
        type=bird,
        allegiance=Allegiance.NATURE,
        count=8,
        centre=TARGET,
        radius_m=1000.0,
        alt_m=50.0,
    )
    h = fly(b, np.arange(1.0, 3601.0), FRAME, np.random.default_rng(4))
    assert np.all(horiz(h.pos) < 3000.0)
    assert np.all(h.pos[..., 2] < bird.alt_max_m)
    speed = np.linalg.norm(h.vel, axis=-1)
    assert np.all(speed >= bird.speed_min_m_s)
    assert np.all(speed <= bird.speed_max_m_s)


@pytest.mark.parametrize(
    "name", ["kleine-brogel-night", "doel-swarm", "brussels-airport-closure", "eastern-flank-raid"]
)
def test_builtin_truth_respects_type_bands_and_hostiles_reach_their_target(name: str) -> None:
    sim = Simulation(load_scenario(name), seed=3)
    tr = sim.truth
    speed = np.linalg.norm(tr.vel, axis=-1)
    for j, tid in enumerate(tr.type_ids):
        ty = WORLD.objects[tid]
        s = speed[tr.alive[:, j], j]
        assert s.size > 0, tr.ids[j]
        # 0.5 %: the vertical rate that bends a level track onto the tangent plane
        assert s.min() >= ty.speed_min_m_s * 0.995, tid
        assert s.max() <= ty.speed_max_m_s * 1.005, tid
    site_xy = np.array(
        [sim.frame.lla_to_enu([s.lat_deg, s.lon_deg, 0.0])[:2] for s in sim.scenario.sites]
    )
    for h in np.flatnonzero(tr.allegiance == Allegiance.HOSTILE):
        target = site_xy[tr.target_site[h]]
        d = np.linalg.norm(tr.pos[tr.alive[:, h], h, :2] - target, axis=1)
        alert = sim.scenario.sites[tr.target_site[h]].alert_radius_m
        assert d.min() < alert, tr.ids[h]
