"""The loaded scenario and where scenarios are found.

A scenario says where and when, which protected sites, which sensors and fire units stand where,
the rules of engagement and operator policy, and what flies. :class:`Scenario` is a frozen bundle of
plain dataclasses: the simulation never sees the file schema (:mod:`dronewall.sim.schema`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import yaml

from dronewall.core.errors import ScenarioNotFoundError
from dronewall.geo.frames import LocalFrame
from dronewall.sensors.base import SensorSpec
from dronewall.sim.behaviours import ObjectSpec, spec_count
from dronewall.world.catalogue import Site, World
from dronewall.world.deployment import FireUnitSpec, OperatorPolicy, RulesOfEngagement
from dronewall.world.load import load_world

# ---------------------------------------------------------------------------------------------
# the resolved scenario


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A loaded, validated scenario with every name resolved against the world model.

    Attributes
    ----------
    start : datetime
        Start, tz-aware UTC.
    t0 : float
        ``start`` as UTC epoch seconds.
    frame : LocalFrame
        The run's ENU frame (the ``origin`` given, else the first site), at height 0.
    objects : tuple of ObjectSpec
        What flies; groups (swarm, civil traffic, bird flock) expand to several objects.
    """

    name: str
    description: str
    source: str
    start: datetime
    t0: float
    duration_s: float
    tick_s: float
    night: bool
    frame: LocalFrame
    sites: tuple[Site, ...]
    sensors: tuple[SensorSpec, ...]
    fire_units: tuple[FireUnitSpec, ...]
    roe: RulesOfEngagement
    policy: OperatorPolicy
    objects: tuple[ObjectSpec, ...]

    @property
    def n_ticks(self) -> int:
        """Number of ticks ``T``: ``ceil(duration_s / tick_s)``."""
        return max(1, math.ceil(self.duration_s / self.tick_s - 1e-9))

    @property
    def n_objects(self) -> int:
        """Number of simulated objects once groups are expanded."""
        return sum(spec_count(s) for s in self.objects)

    def site_index(self, site_id: str) -> int:
        """Index of ``site_id`` in :attr:`sites` (``KeyError`` if not in the scenario)."""
        for i, s in enumerate(self.sites):
            if s.id == site_id:
                return i
        raise KeyError(site_id)


def scenarios_dir() -> Path:
    """The folder of the built-in scenarios inside the installed package."""
    return Path(str(files("dronewall.sim") / "scenarios"))


def list_builtin() -> list[tuple[str, str]]:
    """Built-in scenarios as ``(name, description)``, sorted by name."""
    out = []
    for p in sorted(scenarios_dir().glob("*.yaml")):
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        out.append((p.stem, str(data.get("description", "")) if isinstance(data, dict) else ""))
    return out


def load_scenario(name_or_path: str | Path, world: World | None = None) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path.

    Raises
    ------
    ScenarioNotFoundError
        if it is neither a built-in name nor an existing file (the message lists the built-ins).
    ConfigError
        naming file, line and field when the file is invalid.
    """
    builtin = {name for name, _ in list_builtin()}
    text = str(name_or_path)
    if isinstance(name_or_path, str) and text in builtin:
        path = scenarios_dir() / f"{text}.yaml"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            names = ", ".join(sorted(builtin))
            raise ScenarioNotFoundError(
                f"no built-in scenario or file '{text}'; built-in scenarios: {names}",
                source=text,
                expected=f"a file path or one of {names}",
            )
    from dronewall.sim.schema import parse_scenario  # the file schema sits above this module

    return parse_scenario(path, load_world() if world is None else world)
