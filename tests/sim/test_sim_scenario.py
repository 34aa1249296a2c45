"""Scenario files: built-ins load, errors name file, line, field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronewall.core.errors import ConfigError, ScenarioNotFoundError
from dronewall.core.taxonomy import Identity
from dronewall.sim import Scenario, list_builtin, load_scenario
from dronewall.sim.behaviours import ApproachSpec, CivilTrafficSpec
from dronewall.sim.scenario import scenarios_dir

BUILTIN = [
    "brussels-airport-closure",
    "doel-swarm",
    "eastern-flank-raid",
    "elsenborn-formation",
    "hobby-drone-park",
    "kleine-brogel-night",
    "mass-sighting-hoax",
    "shahed-wave-with-jamming",
    "tihange-loiter",
]

SMALL = """\
name: small
description: "A small test scenario"
start: 2025-11-01T19:30:00+01:00
duration_s: 300
night: true
sites: [kleine-brogel, sck-cen-mol]
sensors:
  - {id: radar, kind: radar, preset: drone-radar, site: kleine-brogel, h_m: 15}
  - {id: rf, kind: rf, site: kleine-brogel, offset_m: [1500, 1300]}
fire_units:
  - {id: jammer, effector: rf-jammer, site: kleine-brogel}
roe:
  min_identity: hostile
  no_fire_zones:
    - {name: Peer, lat: 51.1305, lon: 5.4590, radius_m: 1500}
objects:
  - behaviour: approach
    id: quad-1
    type: quadcopter
    allegiance: hostile
    target: kleine-brogel
    from_bearing_deg: 60
    from_distance_m: 3000
    speed_m_s: 14
    alt_m: 150
  - behaviour: civil-traffic
    id: civil
    types: {airliner: 2, light-aircraft: 1}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def line_no(text: str, fragment: str) -> int:
    """1-based line of the first line containing ``fragment``."""
    for i, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return i
    raise AssertionError(fragment)


def test_builtins_are_listed_with_descriptions() -> None:
    got = list_builtin()
    assert [n for n, _ in got] == BUILTIN
    assert all(d and "\n" not in d for _, d in got)


@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_loads_and_says_what_it_reproduces(name: str) -> None:
    s = load_scenario(name)
    assert isinstance(s, Scenario)
    assert s.name == name
    assert s.sensors
    assert s.fire_units
    assert s.objects
    assert 0 < s.n_objects <= 60
    text = (scenarios_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Reproduces")
    assert s.start.tzinfo is not None
    assert s.t0 == s.start.timestamp()


def test_small_file_resolves_everything(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, SMALL))
    assert s.start.utcoffset() is not None
    assert s.start.hour == 18
    assert [x.id for x in s.sites] == ["kleine-brogel", "sck-cen-mol"]
    assert s.frame.lat_deg == pytest.approx(51.1683)
    assert s.tick_s == 1.0
    assert s.n_ticks == 300
    assert s.night
    assert s.roe.min_identity is Identity.HOSTILE
    assert s.roe.no_fire_zones[0].radius_m == 1500
    assert s.fire_units[0].effector.id == "rf-jammer"
    assert s.sensors[1].lat_deg > s.sensors[0].lat_deg  # 1.3 km north
    q = s.objects[0]
    assert isinstance(q, ApproachSpec)
    assert q.target_site == 0
    assert q.type.id == "quadcopter"
    assert q.leg.leave_bearing_deg == 60
    c = s.objects[1]
    assert isinstance(c, CivilTrafficSpec)
    assert c.count == 3
    assert s.n_objects == 4


@pytest.mark.parametrize(
    ("old", "new", "anchor", "field", "expect"),
    [
        # unknown key at top level and inside an object
        ("night: true", "night: true\nweather: rain", "weather:", "weather", "description"),
        (
            "    alt_m: 150",
            "    alt_m: 150\n    colour: red",
            "colour:",
            "objects[0].colour",
            "from_bearing_deg",
        ),
        # wrong type
        ("duration_s: 300", "duration_s: long", "duration_s:", "duration_s", None),
        ("    speed_m_s: 14", "    speed_m_s: fast", "speed_m_s:", "objects[0].speed_m_s", None),
        # unknown names
        (
            "    target: kleine-brogel",
            "    target: kleine-brogl",
            "target:",
            "objects[0].target",
            "kleine-brogel",
        ),
        (
            "sites: [kleine-brogel, sck-cen-mol]",
            "sites: [kleine-brogel, mol]",
            "sites:",
            "sites[1]",
            "sck-cen-mol",
        ),
        (
            "effector: rf-jammer",
            "effector: big-jammer",
            "effector:",
            "fire_units[0].effector",
            "rf-jammer",
        ),
        (
            "    type: quadcopter",
            "    type: quadrocopter",
            "type: quadro",
            "objects[0].type",
            "quadcopter",
        ),
        (
            "preset: drone-radar",
            "preset: huge-radar",
            "huge-radar",
            "sensors[0].preset",
            "drone-radar",
        ),
        (
            "offset_m: [1500, 1300]}",
            "offset_m: [1500, 1300], params: {range_m: 5}}",
            "range_m",
            "sensors[1].params.range_m",
            "max_range_m",
        ),
        (
            "behaviour: civil-traffic",
            "behaviour: airliners",
            "airliners",
            "objects[1].behaviour",
            "civil-traffic",
        ),
        # cross-field checks
        (
            "    target: kleine-brogel",
            "    target: doel",
            "target: doel",
            "objects[0].target",
            "kleine-brogel, sck-cen-mol",
        ),
        (
            "    speed_m_s: 14",
            "    speed_m_s: 40",
            "speed_m_s:",
            "objects[0].speed_m_s",
            "0-21 m/s",
        ),
        (
            "    alt_m: 150",
            "    alt_m: 150\n    start_s: 400",
            "start_s:",
            "objects[0].start_s",
            "[0, 300)",
        ),
        (
            "  - {id: rf, kind: rf,",
            "  - {id: radar, kind: rf,",
            "{id: radar, kind: rf",
            "sensors[1].id",
            "unique",
        ),
    ],
)
def test_errors_name_file_line_field_and_expectation(
    tmp_path: Path, old: str, new: str, anchor: str, field: str, expect: str | None
) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    err = info.value
    assert err.source == str(path)
    assert err.field == field
    assert err.line == line_no(text, anchor), str(err)
    if expect is not None:
        assert err.expected is not None, str(err)
        assert expect in err.expected, str(err)
    assert str(path) in str(err)


def test_wrong_type_message_names_the_expected_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="valid number"):
        load_scenario(write(tmp_path, SMALL.replace("duration_s: 300", "duration_s: long")))


def test_naive_start_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="timezone") as info:
        load_scenario(write(tmp_path, SMALL.replace("+01:00", "")))
    assert info.value.field == "start"


def test_unknown_scenario_lists_the_builtins() -> None:
    with pytest.raises(ScenarioNotFoundError) as info:
        load_scenario("no-such-scenario")
    assert isinstance(info.value, FileNotFoundError)
    for name in BUILTIN:
        assert name in str(info.value)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = Path(__file__).parents[2] / "docs" / "formats" / "scenario.md"
    example = doc.read_text(encoding="utf-8").split("## Example")[1]
    example = example.split("```yaml")[1].split("```")[0]
    s = load_scenario(write(tmp_path, example))
    assert s.n_objects == 9
