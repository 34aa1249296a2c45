"""Simulation: scenario files, air-object behaviours, truth, and what the sensors make of it."""

from dronewall.sim.behaviours import (
    ApproachLeg,
    ApproachSpec,
    BirdFlockSpec,
    CivilTrafficSpec,
    ObjectSpec,
    OrbitSpec,
    Place,
    SwarmSpec,
    WaypointsSpec,
)
from dronewall.sim.engine import Simulation
from dronewall.sim.scenario import Scenario, list_builtin, load_scenario
from dronewall.sim.schema import parse_scenario, replace_objects
from dronewall.sim.truth import TruthTable

__all__ = [
    "ApproachLeg",
    "ApproachSpec",
    "BirdFlockSpec",
    "CivilTrafficSpec",
    "ObjectSpec",
    "OrbitSpec",
    "Place",
    "Scenario",
    "Simulation",
    "SwarmSpec",
    "TruthTable",
    "WaypointsSpec",
    "list_builtin",
    "load_scenario",
    "parse_scenario",
    "replace_objects",
]
