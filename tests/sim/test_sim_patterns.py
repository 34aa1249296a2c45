"""Formation, loiter and bird-population truth has the geometry its spec states."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.core.taxonomy import Allegiance
from dronewall.geo.frames import LocalFrame
from dronewall.sim import load_scenario
from dronewall.sim.behaviours import (
    BirdPopulationSpec,
    FormationSpec,
    LoiterSpec,
    Place,
    fly,
    formation_offsets,
    pattern_perimeter,
    pattern_point,
)
from dronewall.world import load_world

WORLD = load_world()
SITE = WORLD.sites["tihange"]
FRAME = LocalFrame(SITE.lat_deg, SITE.lon_deg)
CENTRE = Place(lat_deg=SITE.lat_deg, lon_deg=SITE.lon_deg)
QUAD = WORLD.objects["quadcopter"]
TAU = np.arange(1.0, 3001.0)
RNG = np.random.default_rng(0)


def pairwise(p: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(p[..., :, None, :2] - p[..., None, :, :2], axis=-1))


@pytest.mark.parametrize("shape", ["vee", "line-abreast", "column", "grid", "ring"])
def test_formation_is_rigid_and_follows_its_path(shape: str) -> None:
    wps = ((50.56, 5.30, 150.0), (50.53, 5.27, 150.0), (50.52, 5.30, 160.0))
    spec = FormationSpec(
        id="f", type=QUAD, allegiance=Allegiance.HOSTILE, count=9, waypoints=wps,
        speed_m_s=12.0, shape=shape, spacing_m=40.0, start_s=10.0,  # type: ignore[arg-type]
    )  # fmt: skip
    fl = fly(spec, TAU, FRAME, RNG)
    alive = fl.alive[:, 0]
    assert alive.any()
    assert not alive[-1]
    assert np.all(fl.alive == fl.alive[:, :1])
    d = pairwise(fl.pos[alive])
    # a rigid formation: every member distance is the shape's, at every tick (corners included)
    want = pairwise(formation_offsets(shape, 9, 40.0))  # type: ignore[arg-type]
    np.testing.assert_allclose(d, np.broadcast_to(want, d.shape), atol=1e-6)
    nearest = np.sort(d[0], axis=1)[:, 1]
    assert nearest.max() <= 40.0 * 1.5
    assert nearest.min() >= 40.0 * 0.9
    # the lead point is on the path: vee member 0 sits on it, at the path's altitude
    if shape == "vee":
        ends = FRAME.lla_to_enu(np.array([[w[0], w[1], 0.0] for w in wps]))[:, :2]
        first = fl.pos[alive][0, 0, :2]
        assert np.linalg.norm(first - ends[0]) < 15.0
    speed = np.linalg.norm(fl.vel[alive][5:-5, 0, :2], axis=-1)
    assert np.median(speed) == pytest.approx(12.0, rel=0.02)


def test_formation_repeat_keeps_flying_the_circuit() -> None:
    wps = ((50.54, 5.28, 150.0), (50.53, 5.26, 150.0), (50.525, 5.28, 150.0))
    spec = FormationSpec(
        id="f", type=QUAD, allegiance=Allegiance.HOSTILE, count=4, waypoints=wps,
        speed_m_s=15.0, repeat=True,
    )  # fmt: skip
    fl = fly(spec, TAU, FRAME, RNG)
    assert fl.alive.all()
    c = fl.pos[:, 0, :2]
    # stays near the circuit for the whole run (never runs away)
    assert np.max(np.linalg.norm(c - c.mean(axis=0), axis=1)) < 3000.0


@pytest.mark.parametrize(
    ("pattern", "radius", "length"),
    [("circle", 400.0, 0.0), ("racetrack", 250.0, 1200.0), ("figure-eight", 300.0, 0.0)],
)
def test_pattern_is_arc_length_parameterised_and_closed(
    pattern: str, radius: float, length: float
) -> None:
    lap = pattern_perimeter(pattern, radius, length)  # type: ignore[arg-type]
    s = np.linspace(0.0, lap, 20001)
    p = pattern_point(pattern, s, radius, length)  # type: ignore[arg-type]
    step = np.linalg.norm(np.diff(p, axis=0), axis=1)
    np.testing.assert_allclose(step, lap / 20000, rtol=1e-3)  # unit speed, no jump
    np.testing.assert_allclose(p[0], p[-1], atol=1e-6)  # closed


def loiter(pattern: str, **kw: object) -> LoiterSpec:
    base: dict[str, object] = dict(
        id="l", type=QUAD, allegiance=Allegiance.HOSTILE, count=2, centre=CENTRE,
        pattern=pattern, radius_m=300.0, speed_m_s=10.0, alt_m=150.0, from_bearing_deg=180.0,
        from_distance_m=5000.0, loiter_s=1200.0, leave_bearing_deg=90.0, start_s=0.0,
    )  # fmt: skip
    base.update(kw)
    return LoiterSpec(**base)  # type: ignore[arg-type]


def test_racetrack_loiter_stays_in_its_stadium_then_leaves() -> None:
    spec = loiter("racetrack", length_m=1000.0, axis_deg=90.0, radius_m=200.0)
    fl = fly(spec, TAU, FRAME, RNG)
    pos, vel = fl.pos, fl.vel
    lap = pattern_perimeter("racetrack", 200.0, 1000.0)
    rel = pattern_point("racetrack", np.array([0.0, lap / 2]), 200.0, 1000.0)
    entry = np.stack([rel[:, 1], -rel[:, 0]], axis=-1)  # axis 90 deg: along = east
    t_arr = np.linalg.norm(entry - np.array([0.0, -5000.0]), axis=1) / 10.0
    on = (TAU[:, None] > t_arr[None] + 1.0) & (TAU[:, None] < t_arr[None] + 1199.0)
    x_along = pos[..., 0][on]  # axis 90 deg: the straights run east-west
    y_across = pos[..., 1][on]
    # a stadium: |across| <= r, |along| <= L/2 + r, and on its outline
    assert np.abs(y_across).max() <= 200.0 + 1.0
    assert np.abs(x_along).max() <= 500.0 + 200.0 + 1.0
    outline = np.where(
        np.abs(x_along) <= 500.0,
        np.abs(np.abs(y_across) - 200.0),
        np.abs(np.hypot(np.abs(x_along) - 500.0, y_across) - 200.0),
    )
    assert outline.max() < 1.0
    np.testing.assert_allclose(np.linalg.norm(vel[..., :2][on], axis=-1), 10.0, rtol=1e-3)
    assert not fl.alive[-1].any()  # left and vanished
    assert np.all(pos[..., 2][fl.alive] == 150.0)


def test_figure_eight_crosses_the_centre_and_hover_holds_still() -> None:
    fl = fly(loiter("figure-eight", count=1), TAU, FRAME, RNG)
    d = np.linalg.norm(fl.pos[:, 0, :2], axis=-1)
    inside = (TAU > 600) & (TAU < 1600)
    assert d[inside].min() < 15.0  # passes over the centre (the plant) every half lap
    assert d[inside].max() == pytest.approx(600.0, abs=15.0)  # lobes of radius 300 each side
    h = fly(loiter("hover", count=3, radius_m=100.0), TAU, FRAME, RNG)
    still = (TAU > 700) & (TAU < 1500)
    assert np.all(np.linalg.norm(h.vel[still], axis=-1) == 0.0)
    np.testing.assert_allclose(np.linalg.norm(h.pos[still][..., :2], axis=-1), 100.0, atol=1e-6)
    assert np.ptp(h.pos[still], axis=0).max() == 0.0


def test_loiter_stay_keeps_circling() -> None:
    fl = fly(loiter("circle", then="stay", loiter_s=0.0), TAU, FRAME, RNG)
    late = TAU > 1000
    assert fl.alive[late].all()
    np.testing.assert_allclose(np.linalg.norm(fl.pos[late][..., :2], axis=-1), 300.0, atol=1e-6)


def test_bird_population_is_denser_over_water() -> None:
    habitat = WORLD.birds
    assert habitat is not None
    water = tuple(w for w in habitat.water_bodies if w.id == "meuse-huy")
    spec = BirdPopulationSpec(
        id="b", type=WORLD.objects["bird"], allegiance=Allegiance.NATURE, centre=CENTRE,
        radius_m=8000.0, n_flocks=400, flock_size=1, water=water, water_weights=(1.0,),
        p_water=0.5, alt_band_m=(20.0, 200.0), home_radius_m=300.0,
    )  # fmt: skip
    fl = fly(spec, TAU[:60], FRAME, np.random.default_rng(3))
    w_xy = FRAME.lla_to_enu([water[0].lat_deg, water[0].lon_deg, 0.0])[:2]
    d = np.linalg.norm(fl.pos[0, :, :2] - w_xy, axis=-1)
    near = np.mean(d < water[0].radius_m + 600.0)
    # half the flocks home on the water (radius 600 m, milling within 300 m), the rest spread
    # over the 8 km disc (where the same disc would hold ~1 %)
    assert 0.4 < near < 0.62
    speed = np.linalg.norm(fl.vel[..., :2], axis=-1)
    bird = WORLD.objects["bird"]
    assert speed.min() >= bird.speed_min_m_s - 1e-9
    assert speed.max() <= bird.speed_max_m_s + 1e-9
    assert fl.pos[..., 2].min() >= 2.0
    assert fl.pos[..., 2].max() <= 200.0 + 10.0
    assert len(set(fl.ids)) == 400


def test_scenario_truth_flags_remote_id_and_jamming_immunity() -> None:
    from dronewall.sim import Simulation

    sim = Simulation(load_scenario("hobby-drone-park"), seed=0)
    tr = sim.truth
    hobby = np.array([i.startswith("hobby-") for i in tr.ids])
    assert tr.remote_id[hobby].all()
    assert not tr.remote_id[~hobby].any()
    wave = Simulation(load_scenario("shahed-wave-with-jamming"), seed=0).truth
    munition = np.array([i.startswith(("shahed-", "decoy-")) for i in wave.ids])
    assert wave.jam_immune[munition].all()
    # a hostile quadcopter keeps its Remote ID off unless told otherwise
    kb = Simulation(load_scenario("kleine-brogel-night"), seed=0).truth
    assert not kb.remote_id.any()
