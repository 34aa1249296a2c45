"""The scenario library: new fields validate with file/line/field errors; every built-in runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewall.core.errors import ConfigError
from dronewall.sim import Simulation, list_builtin, load_scenario
from dronewall.sim.behaviours import BirdPopulationSpec, FormationSpec, LoiterSpec

BASE = """\
name: t
description: "test"
start: 2025-10-03T19:30:00Z
duration_s: 600
sites: [elsenborn]
sensors:
  - {id: radar, kind: radar, preset: drone-radar, site: elsenborn}
  - {id: mic, kind: acoustic, preset: acoustic-array, site: elsenborn}
objects:
  - behaviour: formation
    id: f
    type: quadcopter
    allegiance: hostile
    target: elsenborn
    count: 6
    shape: vee
    speed_m_s: 12
    waypoints: [[50.48, 6.30, 150], [50.465, 6.225, 150]]
  - behaviour: loiter
    id: l
    type: quadcopter
    allegiance: civil
    remote_id: true
    centre: {site: elsenborn, offset_m: [2000, 0]}
    pattern: racetrack
    radius_m: 100
    length_m: 400
    speed_m_s: 8
    alt_m: 80
    from_bearing_deg: 90
    from_distance_m: 1000
birds:
  - id: b
    centre: {site: elsenborn}
    radius_m: 8000
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def line_of(text: str, anchor: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if anchor in ln)


def test_new_sections_resolve(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, BASE))
    kinds = [type(o) for o in s.objects]
    assert kinds == [FormationSpec, LoiterSpec, BirdPopulationSpec]
    birds = s.objects[2]
    assert isinstance(birds, BirdPopulationSpec)
    assert birds.n_flocks >= 1  # October at Elsenborn with two lakes in reach
    assert {w.id for w in birds.water} == {"lake-butgenbach", "lake-robertville"}
    assert s.sensors[1].kind == "acoustic"


@pytest.mark.parametrize(
    ("old", "new", "anchor", "field", "expect"),
    [
        ("    shape: vee", "    shape: blob", "shape: blob", "objects[0].shape", "vee"),
        ("    count: 6", "    count: 0", "count: 0", "objects[0].count", None),
        (
            "    waypoints: [[50.48, 6.30, 150]",
            "    waypoints: [[50.48, 6.30, 900]",
            "waypoints:",
            "objects[0].waypoints[0]",
            "20-500 m",
        ),
        ("    length_m: 400", "    length_m: 0", "behaviour: loiter", "objects[1]", None),
        ("    speed_m_s: 8", "    speed_m_s: 30", "speed_m_s: 30", "objects[1].speed_m_s", "0-21"),
        (
            "    remote_id: true",
            "    remote_id: yes please",
            "remote_id:",
            "objects[1].remote_id",
            None,
        ),
        ("    radius_m: 8000", "    radius_m: -5", "radius_m: -5", "birds[0].radius_m", None),
        (
            "    radius_m: 8000",
            "    radius_m: 8000\n    month: 13",
            "month: 13",
            "birds[0].month",
            None,
        ),
        (
            "    radius_m: 8000",
            "    radius_m: 8000\n    alt_m: [10, 900]",
            "alt_m: [10, 900]",
            "birds[0].alt_m",
            "5 <=",
        ),
        ("  - id: b\n", "  - id: b\n    colour: grey\n", "colour:", "birds[0].colour", "one of id"),
    ],
)
def test_new_fields_fail_with_file_line_and_field(
    tmp_path: Path, old: str, new: str, anchor: str, field: str, expect: str | None
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    err = info.value
    assert err.source == str(path)
    assert err.field == field, str(err)
    assert err.line == line_of(text, anchor), str(err)
    if expect is not None:
        assert expect in (err.expected or err.message), str(err)


def test_type_without_remote_id_or_hover_is_refused(tmp_path: Path) -> None:
    text = BASE.replace(
        "    type: quadcopter\n    allegiance: civil", "    type: fpv\n    allegiance: civil"
    )
    with pytest.raises(ConfigError, match="cannot broadcast Remote ID") as info:
        load_scenario(write(tmp_path, text))
    assert info.value.field == "objects[1].remote_id"
    hover = (
        BASE.replace(
            "    type: quadcopter\n    allegiance: civil\n    remote_id: true",
            "    type: fixed-wing\n    allegiance: civil",
        )
        .replace("pattern: racetrack", "pattern: hover")
        .replace("    length_m: 400\n", "")
        .replace("speed_m_s: 8", "speed_m_s: 30")
        .replace("alt_m: 80", "alt_m: 150")
    )
    with pytest.raises(ConfigError, match="cannot hover") as info:
        load_scenario(write(tmp_path, hover))
    assert info.value.field == "objects[1].pattern"


@pytest.mark.parametrize("name", [n for n, _ in list_builtin()])
def test_every_builtin_runs_a_short_while(name: str) -> None:
    sim = Simulation(load_scenario(name), seed=3)
    assert np.isfinite(sim.truth.pos).all()
    n = sum(len(sim.sense(k)) for k in range(min(90, sim.n_ticks)))
    assert n > 0


def test_formation_scenario_flies_fifteen_in_formation_over_the_camp() -> None:
    s = load_scenario("elsenborn-formation")
    sim = Simulation(s, seed=0)
    tr = sim.truth
    members = np.array([i.startswith("els-formation-") for i in tr.ids])
    assert members.sum() == 15
    pos = tr.pos[:, members]
    alive = tr.alive[:, members].all(axis=1)
    d = np.linalg.norm(pos[alive, :, None, :2] - pos[alive, None, :, :2], axis=-1)
    # rigid: the distance matrix does not change over the flight (40 m grid, ENU bending < 1 mm)
    np.testing.assert_allclose(d, np.broadcast_to(d[0], d.shape), atol=0.05)
    assert np.sort(d[0], axis=1)[:, 1].min() == pytest.approx(40.0, abs=0.05)
    # the formation passes over the camp: its centre comes within the core radius
    site = s.sites[0]
    centre = pos[alive].mean(axis=1)[:, :2]
    assert np.linalg.norm(centre, axis=1).min() < site.core_radius_m


def test_tihange_drones_loiter_over_the_plant() -> None:
    s = load_scenario("tihange-loiter")
    tr = Simulation(s, seed=0).truth
    site = s.sites[0]
    for oid in ("tih-racetrack", "tih-eight", "tih-hover"):
        j = tr.index(oid)
        r = np.linalg.norm(tr.pos[tr.alive[:, j], j, :2], axis=1)
        in_alert = np.mean(r < site.alert_radius_m) * tr.alive[:, j].sum() * s.tick_s
        assert in_alert > 800.0, oid  # minutes inside the alert radius
    eight = tr.index("tih-eight")
    assert np.linalg.norm(tr.pos[tr.alive[:, eight], eight, :2], axis=1).min() < 20.0
