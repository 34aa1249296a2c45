"""The ``dronewall ingest`` configuration file: which port speaks what, and where output goes.

A YAML file (see ``docs/ingest.md``)::

    frame: {lat_deg: 51.1681, lon_deg: 5.4702, alt_m: 120.0}   # optional: the tracks' frame
    frame_period_s: 1.0          # tracker frame length
    clock: wall                  # wall: frames close on the wall clock; data: on the data's time
    tracker: tracker.yaml        # optional tracker configuration (relative to this file)
    record_dir: runs/live        # detections.jsonl, tracks.jsonl and summary.json go here
    area: area.yaml              # optional defended area (relative to this file, or a built-in
                                 # scenario's name): the whole picture, not the tracker alone
    store: postgresql://dw@db/dw # optional event store of the picture (default: record_dir/
                                 # events.sqlite); a path or an SQLAlchemy URL
    inputs:
      - name: adsb-rx            # names the input in logs; the sensor id of its records
        format: sbs
        connect: tcp://192.0.2.10:30003
        options: {tz: Europe/Brussels}
      - name: radar-north
        format: asterix
        listen: udp://0.0.0.0:8600
        options:
          radars: [{sac: 25, sic: 201, lat_deg: 51.17, lon_deg: 5.47, alt_m: 140.0}]
      - {name: c-uas-nodes, format: sapient, listen: tcp://0.0.0.0:5020}
    publish:
      cot: [udp://239.2.3.1:6969]
      asterix_cat062: [{url: udp://192.0.2.20:8600, sac: 0, sic: 1}]

Errors name the file, the line and the field (:class:`~dronewall.core.errors.ConfigError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dronewall.adapters.registry import FORMATS
from dronewall.core.errors import ConfigError
from dronewall.core.yamlio import Loc, line_of, load_yaml
from dronewall.sim.scenario import list_builtin


def _endpoint(url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or parts.hostname is None or parts.port is None:
        raise ValueError(
            f"expected {' or '.join(s + '://host:port' for s in schemes)}, got {url!r}"
        )
    return url


class InputSpec(BaseModel):
    """One live input: a name, a wire format, and where to listen or connect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    format: str
    listen: str | None = None
    connect: str | None = None
    sensor: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("format")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in FORMATS:
            raise ValueError(f"unknown format {v!r}; known: {', '.join(FORMATS)}")
        if FORMATS[v].transport == "none":
            raise ValueError(f"format {v!r} has capture files only, no live input")
        return v

    @model_validator(mode="after")
    def _one_endpoint(self) -> InputSpec:
        if (self.listen is None) == (self.connect is None):
            raise ValueError("give exactly one of listen (udp:// or tcp://) and connect (tcp://)")
        if self.listen is not None:
            schemes = ("tcp",) if self.format == "sapient" else ("udp", "tcp")
            _endpoint(self.listen, schemes)
        if self.connect is not None:
            if self.format == "sapient":
                raise ValueError("SAPIENT nodes connect to us: use listen")
            _endpoint(self.connect, ("tcp",))
        return self


class Cat062Target(BaseModel):
    """Where to send our tracks as ASTERIX CAT 062, with our data source identifier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    sac: int = Field(ge=0, le=255)
    sic: int = Field(ge=0, le=255)

    @field_validator("url")
    @classmethod
    def _udp(cls, v: str) -> str:
        return _endpoint(v, ("udp",))


class PublishSpec(BaseModel):
    """Outputs of the live picture: CoT to TAK, CAT 062 to ATM/C2 systems."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cot: list[str] = Field(default_factory=list)
    asterix_cat062: list[Cat062Target] = Field(default_factory=list)

    @field_validator("cot")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        return [_endpoint(u, ("udp", "tcp")) for u in v]


class FrameSpec(BaseModel):
    """A local ENU frame origin (WGS84, ellipsoidal height)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat_deg: float = Field(ge=-90.0, le=90.0)
    lon_deg: float = Field(ge=-180.0, le=180.0)
    alt_m: float = 0.0


class IngestConfig(BaseModel):
    """The whole ingest file (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: list[InputSpec] = Field(min_length=1)
    frame: FrameSpec | None = None
    frame_period_s: float = Field(default=1.0, gt=0.0, le=60.0)
    clock: Literal["wall", "data"] = "wall"
    tracker: str | None = None
    record_dir: str = "runs/ingest"
    publish: PublishSpec = Field(default_factory=PublishSpec)
    area: str | None = Field(default=None, min_length=1)
    """The defended area (:func:`~dronewall.pipeline.area.load_area`): a file relative to the
    configuration's folder, or a built-in scenario's name."""
    store: str | None = Field(default=None, min_length=1)
    """The event store of the picture (with ``area``): a path or an SQLAlchemy URL; default
    ``record_dir/events.sqlite``."""

    @model_validator(mode="after")
    def _store_needs_area(self) -> IngestConfig:
        if self.store is not None and self.area is None:
            raise ValueError("a store records the picture of a defended area: give 'area' too")
        return self

    @model_validator(mode="after")
    def _unique(self) -> IngestConfig:
        names = [i.name for i in self.inputs]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"input names must be unique: {', '.join(sorted(dup))}")
        return self


def load_ingest_config(path: Path) -> IngestConfig:
    """Read and validate an ingest file.

    Raises
    ------
    ConfigError
        Naming the file, the line and the field of the first problem.
    """
    source = str(path)
    data, lines = load_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping", source=source, line=1)
    try:
        config = IngestConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        actual = err.get("input")
        raise ConfigError(
            f"{err['msg']}{more}",
            source=source,
            line=line_of(lines, loc),
            field=".".join(str(p) for p in loc) or None,
            actual=None if isinstance(actual, dict | list) else repr(actual),
        ) from exc
    if config.area is not None and not (Path(path).parent / config.area).is_file():
        names = [name for name, _ in list_builtin()]
        if config.area not in names:
            raise ConfigError(
                "no area file (relative to this file) or built-in scenario of this name",
                source=source,
                line=line_of(lines, ("area",)),
                field="area",
                expected=f"an area file or one of {', '.join(names)}",
                actual=repr(config.area),
            )
    return config
