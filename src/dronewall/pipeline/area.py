"""The defended area of a replay or a live picture: sites, zones, fire units, rules of engagement.

``dronewall replay-capture --area AREA`` and the ``area:`` of an ingest configuration name it. An
area is a scenario (``docs/formats/scenario.md``) of which only the defence is used:

* ``sites`` (protected sites of the world model), ``origin`` (the picture's ENU frame; default the
  first site), ``fire_units``, ``roe`` (no-fire zones included) and, of ``policy``,
  ``proposal_ttl_s``, ``engagement`` and ``approve_delay_s``, the advice's expected time for a
  person to approve (``EngagementConfig.approval_s``); the simulated operator's ``approve`` is not
  used: on real data a person decides;
* ``sensors``: a sensor of the data with the same id takes its kind and position in the store;
* ``objects``, ``birds``, ``start``, ``duration_s``, ``tick_s`` and ``night`` describe a
  simulation and are not used.

So ``AREA`` is a built-in scenario's name (its defended area: ``--area kleine-brogel-night``), any
scenario file, or an *area file*: a scenario file in which ``name``, ``description``, ``start`` and
``duration_s`` may be left out (``name`` then defaults to the file's name). Every key is checked
by the scenario schema, so errors name the area file, the line and the field exactly as for
scenarios (``area.yaml:7, field 'fire_units[0].effector': unknown effector 'laser'``).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from dronewall.core.errors import ConfigError, ScenarioNotFoundError
from dronewall.core.yamlio import load_yaml
from dronewall.sim import Scenario
from dronewall.sim.scenario import list_builtin, load_scenario
from dronewall.sim.schema import parse_scenario
from dronewall.world import World, load_world

#: Values of the scenario keys an area file may leave out (they describe a simulation).
_SIMULATION_DEFAULTS: dict[str, Any] = {
    "start": "2000-01-01T00:00:00Z",
    "duration_s": 1.0,
}


def _name_of(path: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
    return name or "area"


def load_area(
    area: str | Path, world: World | None = None, *, relative_to: Path | None = None
) -> Scenario:
    """The defended area ``area``: a built-in scenario's name, a scenario file or an area file.

    Parameters
    ----------
    area : str or Path
        A built-in scenario name or a path.
    world : World, optional
        Default: the packaged world model.
    relative_to : Path, optional
        Folder a relative path is taken from (the ingest configuration's folder).

    Raises
    ------
    ScenarioNotFoundError
        Neither a built-in scenario nor a file (the message lists the built-in names).
    ConfigError
        The file is invalid: the error names the area file, the line and the field.
    """
    world = load_world() if world is None else world
    text = str(area)
    builtin = {name for name, _ in list_builtin()}
    path = Path(area)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        if isinstance(area, str) and text in builtin:
            return load_scenario(text, world)
        names = ", ".join(sorted(builtin))
        raise ScenarioNotFoundError(
            f"no built-in scenario or area file '{text}'; built-in scenarios: {names}",
            source=str(path),
            expected=f"an area file or one of {names}",
        )
    data, _ = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(
            "an area file is a mapping (the keys of a scenario file: sites, fire_units, roe, ...)",
            source=str(path),
            line=1,
            actual=type(data).__name__,
        )
    missing = {
        "name": _name_of(path),
        "description": f"defended area of {path.name}",
        **_SIMULATION_DEFAULTS,
    }
    missing = {k: v for k, v in missing.items() if k not in data}
    if not missing:
        return parse_scenario(path, world)
    return _parse_completed(path, data, missing, world)


def _parse_completed(
    path: Path, data: dict[str, Any], missing: dict[str, Any], world: World
) -> Scenario:
    """Parse the area file with the simulation keys it leaves out added after its own lines (so
    that every line number of an error is the file's own)."""
    text = path.read_text(encoding="utf-8")
    block = not text.lstrip().startswith("{") and not re.search(r"^\.\.\.\s*$", text, re.M)
    if block:
        completed = text + ("" if text.endswith("\n") else "\n") + yaml.safe_dump(missing)
    else:  # a flow mapping or an explicit document end: written out again, in one document
        completed = yaml.safe_dump({**data, **missing}, sort_keys=False)
    with tempfile.TemporaryDirectory(prefix="dronewall-area-") as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(completed, encoding="utf-8")
        try:
            scenario = parse_scenario(copy, world)
        except ConfigError as exc:
            # lines of a rewritten file are not the file's own: the field still names the place
            line = exc.line if block else None
            raise dataclasses.replace(exc, source=str(path), line=line) from None
    return dataclasses.replace(scenario, source=str(path))
