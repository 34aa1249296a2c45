"""Sensor presets (package data) and the factory that builds sensor models from specs.

The presets live in ``sensors/data/presets.yaml``: a mapping ``presets`` of name to ``kind``,
``params`` (every field of the kind's config) and ``sources`` (a source tag per parameter). A
:class:`~dronewall.sensors.base.SensorSpec` names a preset (or takes its kind's default) and may
override single parameters. Errors are :class:`~dronewall.core.errors.ConfigError` naming the
field (``preset``, ``params.<name>``) and what was expected; the scenario loader adds file and line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from dronewall.core.errors import ConfigError
from dronewall.core.yamlio import line_of, load_yaml
from dronewall.geo.frames import LocalFrame
from dronewall.sensors.acoustic import AcousticConfig, AcousticSensor
from dronewall.sensors.adsb import AdsbConfig, AdsbReceiver
from dronewall.sensors.base import SENSOR_KINDS, ParamValue, Sensor, SensorInfo, SensorSpec
from dronewall.sensors.eoir import EoirCamera, EoirConfig
from dronewall.sensors.radar import RadarConfig, RadarSensor
from dronewall.sensors.rf import RfConfig, RfDetector
from dronewall.sensors.sightings import SightingConfig, SightingReports

SensorConfig = RadarConfig | RfConfig | EoirConfig | AdsbConfig | SightingConfig | AcousticConfig

CONFIG_TYPES: Mapping[str, type[SensorConfig]] = {
    "radar": RadarConfig,
    "rf": RfConfig,
    "eoir": EoirConfig,
    "adsb": AdsbConfig,
    "sightings": SightingConfig,
    "acoustic": AcousticConfig,
}

#: The preset a spec of each kind gets when it names none.
DEFAULT_PRESETS: Mapping[str, str] = {
    "radar": "drone-radar",
    "rf": "rf-detector",
    "eoir": "eoir-turret",
    "adsb": "adsb-receiver",
    "sightings": "public-sightings",
    "acoustic": "acoustic-array",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """A named parameter set of one sensor kind, with a source tag per parameter."""

    name: str
    kind: str
    params: Mapping[str, ParamValue]
    sources: Mapping[str, str]


def presets_path() -> Path:
    """The presets file inside the installed package."""
    return Path(str(files("dronewall.sensors") / "data" / "presets.yaml"))


def _param(v: Any) -> ParamValue:
    if isinstance(v, list):
        return tuple(str(x) for x in v)
    if isinstance(v, bool | int | float | str):
        return v
    raise TypeError(f"expected a number, a string or a list, got {type(v).__name__}")


@lru_cache(maxsize=4)
def load_presets(path: Path | None = None) -> Mapping[str, Preset]:
    """Read and check the presets file; every preset must build a valid config.

    Raises
    ------
    ConfigError
        naming the file, line and field of the first problem.
    """
    from dronewall.world.schema import SOURCE_TAG  # the one definition of a source tag

    p = presets_path() if path is None else path
    src = str(p)
    data, lines = load_yaml(p)
    if not isinstance(data, dict) or not isinstance(data.get("presets"), dict):
        raise ConfigError("expected a mapping 'presets'", source=src, line=1, field="presets")
    out: dict[str, Preset] = {}
    for name, entry in data["presets"].items():
        loc: tuple[str | int, ...] = ("presets", name)

        def fail(
            msg: str,
            sub: tuple[str | int, ...] = (),
            expected: str | None = None,
            _loc: tuple[str | int, ...] = loc,
        ) -> ConfigError:
            full = (*_loc, *sub)
            return ConfigError(
                msg,
                source=src,
                line=line_of(lines, full),
                field=".".join(str(x) for x in full),
                expected=expected,
            )

        if not isinstance(entry, dict) or set(entry) != {"kind", "params", "sources"}:
            raise fail(
                "a preset has exactly the keys kind, params, sources",
                expected="kind, params, sources",
            )
        kind = entry["kind"]
        if kind not in SENSOR_KINDS:
            raise fail(f"unknown sensor kind {kind!r}", ("kind",), ", ".join(SENSOR_KINDS))
        params, sources = entry["params"], entry["sources"]
        if not isinstance(params, dict) or not isinstance(sources, dict):
            raise fail("params and sources must be mappings")
        for key in params:
            tag = sources.get(key)
            if not isinstance(tag, str) or not SOURCE_TAG.match(tag):
                raise fail(
                    f"parameter '{key}' has no valid source tag",
                    ("sources", key),
                    "'A', 'GK' (each with an optional '(note)') or 'S: <where>'",
                )
        try:
            conv = {k: _param(v) for k, v in params.items()}
        except TypeError as exc:
            raise fail(str(exc), ("params",)) from exc
        try:
            make_config(kind, conv)
        except ConfigError as exc:
            sub = tuple(exc.field.split(".")) if exc.field else ()
            raise fail(exc.message, sub, exc.expected) from exc
        out[name] = Preset(name=name, kind=kind, params=conv, sources=dict(sources))
    return out


def make_config(kind: str, params: Mapping[str, ParamValue]) -> SensorConfig:
    """Build the config of a ``kind`` from a complete parameter mapping.

    Raises
    ------
    ConfigError
        with ``field`` ``params.<name>`` for an unknown, missing or invalid parameter.
    """
    cls = CONFIG_TYPES[kind]
    names = [f.name for f in dataclasses.fields(cls)]
    for key in params:
        if key not in names:
            raise ConfigError(
                f"unknown {kind} parameter '{key}'",
                field=f"params.{key}",
                expected=f"one of {', '.join(names)}",
            )
    missing = [n for n in names if n not in params]
    if missing:
        raise ConfigError(
            f"missing {kind} parameters {', '.join(missing)}",
            field="params",
            expected=f"all of {', '.join(names)}",
        )
    for f in dataclasses.fields(cls):
        v = params[f.name]
        ok = {
            "float": isinstance(v, int | float) and not isinstance(v, bool),
            "int": isinstance(v, int) and not isinstance(v, bool),
            "bool": isinstance(v, bool),
            "tuple[str, ...]": isinstance(v, tuple),
        }.get(str(f.type), True)
        if not ok:
            raise ConfigError(
                f"{kind} parameter '{f.name}' has the wrong type",
                field=f"params.{f.name}",
                expected=str(f.type),
                actual=repr(v),
            )
    try:
        return cls(**params)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc), field="params") from exc


def spec_config(spec: SensorSpec, presets: Mapping[str, Preset] | None = None) -> SensorConfig:
    """The config of a spec: its preset's parameters with the spec's overrides applied."""
    presets = load_presets() if presets is None else presets
    name = spec.preset or DEFAULT_PRESETS[spec.kind]
    of_kind = sorted(n for n, p in presets.items() if p.kind == spec.kind)
    preset = presets.get(name)
    if preset is None or preset.kind != spec.kind:
        raise ConfigError(
            f"sensor '{spec.id}': no {spec.kind} preset '{name}'",
            field="preset",
            expected=f"one of {', '.join(of_kind)}",
            actual=repr(name),
        )
    return make_config(spec.kind, {**preset.params, **dict(spec.params)})


def build_sensor(
    spec: SensorSpec,
    *,
    index: int,
    frame: LocalFrame,
    night: bool = False,
    presets: Mapping[str, Preset] | None = None,
) -> Sensor:
    """A sensor model for ``spec``, row ``index`` of the run's sensor table, placed in ``frame``."""
    config = spec_config(spec, presets)
    pos = frame.lla_to_enu([spec.lat_deg, spec.lon_deg, spec.h_m])
    if isinstance(config, RadarConfig):
        max_range = config.max_range_m
    elif isinstance(config, EoirConfig):
        max_range = config.range_night_m if night else config.range_day_m
    elif isinstance(config, SightingConfig):
        max_range = config.view_radius_m
    else:
        max_range = config.max_range_m
    info = SensorInfo(
        index=index,
        id=spec.id,
        kind=spec.kind,
        preset=spec.preset or DEFAULT_PRESETS[spec.kind],
        lat_deg=spec.lat_deg,
        lon_deg=spec.lon_deg,
        h_m=spec.h_m,
        pos_enu=pos,
        max_range_m=float(max_range),
        period_s=config.period_s,
    )
    if isinstance(config, RadarConfig):
        return RadarSensor(config, info)
    if isinstance(config, RfConfig):
        return RfDetector(config, info)
    if isinstance(config, EoirConfig):
        return EoirCamera(config, info, night=night)
    if isinstance(config, AdsbConfig):
        return AdsbReceiver(config, info)
    if isinstance(config, AcousticConfig):
        return AcousticSensor(config, info)
    return SightingReports(config, info)


def build_sensors(
    specs: Sequence[SensorSpec], *, frame: LocalFrame, night: bool = False
) -> tuple[Sensor, ...]:
    """Sensor models for ``specs``; the position in ``specs`` is the sensor-table index."""
    return tuple(build_sensor(s, index=i, frame=frame, night=night) for i, s in enumerate(specs))
