"""The scenario file schema (pydantic, at the edge) and its resolution into a :class:`Scenario`.

Files are validated with pydantic (unknown keys are errors) through
:func:`dronewall.world.schema.validate_data`, so every error is a
:class:`~dronewall.core.errors.ConfigError` naming the file, the line, the field and what was
expected; names of sites, object types, effectors and sensor presets are resolved against the world
model and the sensor presets with errors of the same form. The format is documented with an example
in ``docs/formats/scenario.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import Allegiance, Identity
from dronewall.core.yamlio import Loc, line_of, load_yaml
from dronewall.geo.frames import LocalFrame
from dronewall.sensors.base import ParamValue, SensorSpec
from dronewall.sensors.factory import spec_config
from dronewall.sim.behaviours import (
    ApproachLeg,
    ApproachSpec,
    BirdFlockSpec,
    BirdPopulationSpec,
    CivilTrafficSpec,
    FormationSpec,
    LoiterSpec,
    ObjectSpec,
    OrbitSpec,
    Place,
    SwarmSpec,
    WaypointsSpec,
    jitter_speed_bound,
)
from dronewall.sim.scenario import Scenario
from dronewall.world.birds import bird_census
from dronewall.world.catalogue import ObjectType, Site, World
from dronewall.world.deployment import (
    FireUnitSpec,
    NoFireZone,
    OperatorPolicy,
    RulesOfEngagement,
)
from dronewall.world.schema import validate_data

ID = r"^[a-z0-9][a-z0-9-]*$"

# ---------------------------------------------------------------------------------------------
# file schema (pydantic, at the edge)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Placed(_Strict):
    """A ground position: ``site`` (a world site id) or ``lat``/``lon``, plus ``offset_m``."""

    site: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    offset_m: tuple[float, float] = (0.0, 0.0)
    """East and north offset in metres from the site or point."""

    @model_validator(mode="after")
    def _one_way(self) -> _Placed:
        by_site = self.site is not None
        by_point = self.lat is not None or self.lon is not None
        if by_site == by_point or (by_point and (self.lat is None or self.lon is None)):
            raise ValueError("give either 'site' or both 'lat' and 'lon'")
        return self


class PlaceModel(_Placed):
    pass


class SensorModel(_Placed):
    id: str = Field(pattern=ID)
    kind: Literal["radar", "rf", "eoir", "adsb", "sightings", "acoustic"]
    h_m: float = 10.0
    preset: str | None = None
    params: dict[str, float | int | bool | str | list[str]] = Field(default_factory=dict)


class FireUnitModel(_Placed):
    id: str = Field(pattern=ID)
    effector: str
    h_m: float = 0.0
    magazine: int | None = Field(default=None, ge=0)
    nation: str = Field(default="BE", pattern=r"^[A-Z]{2}$")


class NoFireZoneModel(_Placed):
    name: str
    radius_m: float = Field(gt=0)


class RoeModel(_Strict):
    kinetic_allowed: bool = True
    jamming_allowed: bool = True
    min_identity: Literal["suspect", "hostile"] = "suspect"
    no_fire_zones: list[NoFireZoneModel] = Field(default_factory=list)


class PolicyModel(_Strict):
    approve_delay_s: float = Field(default=20.0, ge=0)
    proposal_ttl_s: float = Field(default=60.0, gt=0)
    approve: bool = True
    engagement: Literal["cost-aware", "most-capable-first"] = "cost-aware"
    """The advice's firing doctrine (``EngagementConfig.policy``)."""


Behaviour = Literal[
    "waypoints", "approach", "orbit", "swarm", "formation", "loiter", "civil-traffic", "bird-flock"
]
AllegianceLabel = Literal["hostile", "civil", "friend", "nature"]


class _ObjectBase(_Strict):
    behaviour: Behaviour
    id: str = Field(pattern=ID)
    allegiance: AllegianceLabel
    start_s: float = Field(default=0.0, ge=0)
    end_s: float | None = Field(default=None, gt=0)


class _Single(_ObjectBase):
    type: str
    target: str | None = None
    remote_id: bool | None = None
    """Broadcasts Remote ID; default: when the type does and it is not hostile."""
    jamming_immune: bool | None = None
    """Jamming (RF link or GNSS) cannot stop it; default: when the type has no RF link."""


class WaypointsModel(_Single):
    waypoints: list[tuple[float, float, float]] = Field(min_length=2)
    """``[lat_deg, lon_deg, alt_m]`` points."""
    speed_m_s: float = Field(gt=0)


class _LegFields(_Strict):
    from_bearing_deg: float
    from_distance_m: float = Field(gt=0)
    speed_m_s: float = Field(gt=0)
    alt_m: float
    orbit_radius_m: float = Field(default=1000.0, gt=0)
    orbit_s: float = Field(default=600.0, ge=0)
    then: Literal["leave", "stay", "impact"] = "leave"
    leave_bearing_deg: float | None = None
    clockwise: bool = True

    @model_validator(mode="after")
    def _outside(self) -> _LegFields:
        if self.from_distance_m < self.orbit_radius_m:
            raise ValueError("from_distance_m must be at least orbit_radius_m")
        return self


class ApproachModel(_Single, _LegFields):
    target: str


class OrbitModel(_Single):
    centre: PlaceModel
    radius_m: float = Field(gt=0)
    speed_m_s: float = Field(gt=0)
    alt_m: float
    clockwise: bool = True
    phase_deg: float = 0.0


class SwarmModel(_Single, _LegFields):
    target: str
    count: int = Field(ge=1, le=200)
    bearing_spread_deg: float = Field(default=30.0, ge=0, le=360)
    start_spread_s: float = Field(default=60.0, ge=0)
    jitter_m: float = Field(default=20.0, ge=0)


class FormationModel(_Single):
    count: int = Field(ge=1, le=200)
    shape: Literal["vee", "line-abreast", "column", "grid", "ring"] = "vee"
    spacing_m: float = Field(default=30.0, gt=0)
    waypoints: list[tuple[float, float, float]] = Field(min_length=2)
    """``[lat_deg, lon_deg, alt_m]`` points of the formation's path."""
    speed_m_s: float = Field(gt=0)
    repeat: bool = False
    turn_s: float = Field(default=20.0, ge=0)


class LoiterModel(_Single):
    count: int = Field(default=1, ge=1, le=200)
    centre: PlaceModel | None = None
    """Default: the ``target`` site."""
    pattern: Literal["circle", "racetrack", "figure-eight", "hover"] = "circle"
    radius_m: float = Field(default=300.0, ge=0)
    length_m: float = Field(default=0.0, ge=0)
    axis_deg: float = 0.0
    speed_m_s: float = Field(gt=0)
    alt_m: float
    from_bearing_deg: float
    from_distance_m: float = Field(gt=0)
    loiter_s: float = Field(default=600.0, ge=0)
    then: Literal["leave", "stay"] = "leave"
    leave_bearing_deg: float | None = None
    clockwise: bool = True

    @model_validator(mode="after")
    def _pattern_size(self) -> LoiterModel:
        if self.pattern != "hover" and self.radius_m <= 0:
            raise ValueError(f"a {self.pattern} pattern needs radius_m > 0")
        if self.pattern == "racetrack" and self.length_m <= 0:
            raise ValueError("a racetrack needs length_m > 0 (its straights)")
        if self.pattern != "racetrack" and self.length_m != 0:
            raise ValueError("length_m is for the racetrack pattern only")
        if self.centre is None and self.target is None:
            raise ValueError("give a 'centre' or a 'target' site to loiter over")
        return self


class CivilTrafficModel(_ObjectBase):
    types: dict[str, int] = Field(min_length=1)
    """Object type id -> number of aircraft."""
    allegiance: AllegianceLabel = "civil"
    centre: PlaceModel | None = None
    radius_m: float = Field(default=40000.0, gt=0)
    alt_m: tuple[float, float] | None = None
    airport: str | None = None
    runway_heading_deg: float = 0.0


class BirdFlockModel(_ObjectBase):
    type: str = "bird"
    allegiance: AllegianceLabel = "nature"
    count: int = Field(ge=1, le=500)
    centre: PlaceModel
    radius_m: float = Field(default=1000.0, gt=0)
    alt_m: float = 50.0


OBJECT_MODELS: Mapping[str, type[_ObjectBase]] = {
    "waypoints": WaypointsModel,
    "approach": ApproachModel,
    "orbit": OrbitModel,
    "swarm": SwarmModel,
    "formation": FormationModel,
    "loiter": LoiterModel,
    "civil-traffic": CivilTrafficModel,
    "bird-flock": BirdFlockModel,
}


class BirdsModel(_Strict):
    """A bird population in a disc, from the seasonal density of ``world/data/birds.yaml``."""

    id: str = Field(pattern=ID)
    centre: PlaceModel
    radius_m: float = Field(gt=0, le=100_000)
    density_factor: float = Field(default=1.0, ge=0, le=100)
    month: int | None = Field(default=None, ge=1, le=12)
    """Calendar month of the seasonal factor; default: the month of ``start``."""
    flock_size: int | None = Field(default=None, ge=1, le=100)
    alt_m: tuple[float, float] | None = None
    type: str = "bird"
    start_s: float = Field(default=0.0, ge=0)
    end_s: float | None = Field(default=None, gt=0)


class ScenarioFile(_Strict):
    name: str = Field(pattern=ID)
    description: str = Field(min_length=1)
    start: AwareDatetime
    duration_s: float = Field(gt=0)
    tick_s: float = Field(default=1.0, gt=0)
    night: bool = False
    origin: PlaceModel | None = None
    sites: list[str] = Field(min_length=1)
    sensors: list[SensorModel] = Field(default_factory=list)
    fire_units: list[FireUnitModel] = Field(default_factory=list)
    roe: RoeModel = Field(default_factory=RoeModel)
    policy: PolicyModel = Field(default_factory=PolicyModel)
    objects: list[dict[str, Any]] = Field(default_factory=list)
    """Each validated against the model of its ``behaviour`` (see :data:`OBJECT_MODELS`)."""
    birds: list[BirdsModel] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# resolution


class _Resolver:
    """Resolves names against the world and turns file models into dataclasses, with lines."""

    def __init__(self, world: World, lines: dict[Loc, int], source: str) -> None:
        self.world = world
        self.lines = lines
        self.source = source

    def error(
        self, msg: str, loc: Loc, *, expected: str | None = None, actual: str | None = None
    ) -> ConfigError:
        return ConfigError(
            msg,
            source=self.source,
            line=line_of(self.lines, loc),
            field=_format_loc(loc) or None,
            expected=expected,
            actual=actual,
        )

    def site(self, site_id: str, loc: Loc) -> Site:
        s = self.world.sites.get(site_id)
        if s is None:
            raise self.error(
                f"unknown site '{site_id}'",
                loc,
                expected=f"a site id of the world model: {', '.join(sorted(self.world.sites))}",
                actual=repr(site_id),
            )
        return s

    def place(self, p: _Placed, loc: Loc) -> Place:
        if p.site is not None:
            s = self.site(p.site, (*loc, "site"))
            lat, lon = s.lat_deg, s.lon_deg
        else:
            assert p.lat is not None  # checked by the model
            assert p.lon is not None
            lat, lon = p.lat, p.lon
        if p.offset_m != (0.0, 0.0):
            lla = LocalFrame(lat, lon).enu_to_lla([p.offset_m[0], p.offset_m[1], 0.0])
            lat, lon = float(lla[0]), float(lla[1])
        return Place(lat_deg=lat, lon_deg=lon)

    def object_type(self, type_id: str, loc: Loc) -> ObjectType:
        t = self.world.objects.get(type_id)
        if t is None:
            raise self.error(
                f"unknown object type '{type_id}'",
                loc,
                expected=f"one of {', '.join(sorted(self.world.objects))}",
                actual=repr(type_id),
            )
        return t


def _format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_fields_at(model: type[BaseModel], path: Loc) -> list[str] | None:
    """Field names of the (nested) model found by walking ``path`` from ``model``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _validate(
    model: type[BaseModel], data: Any, lines: dict[Loc, int], source: str, prefix: Loc = ()
) -> BaseModel:
    """:func:`validate_data` with unknown keys explained and a location ``prefix`` added."""
    sub = {loc[len(prefix) :]: ln for loc, ln in lines.items() if loc[: len(prefix)] == prefix}
    try:
        return validate_data(model, data, sub, source)
    except ConfigError as exc:
        field_path: Loc = _parse_field(exc.field)
        message, expected = exc.message, exc.expected
        if message.startswith("Extra inputs are not permitted") and field_path:
            allowed = _model_fields_at(model, field_path[:-1])
            message = (
                f"unknown key '{field_path[-1]}'" + message[len("Extra inputs are not permitted") :]
            )
            if allowed is not None:
                expected = f"one of {', '.join(allowed)}"
        full = (*prefix, *field_path)
        raise ConfigError(
            message,
            source=source,
            line=line_of(lines, full) if field_path or prefix else exc.line,
            field=_format_loc(full) or None,
            expected=expected,
            actual=exc.actual,
        ) from exc


def _parse_field(field: str | None) -> Loc:
    if not field:
        return ()
    out: list[str | int] = []
    for dotted in field.split("."):
        head, *idx = dotted.split("[")
        if head:
            out.append(head)
        out.extend(int(i.rstrip("]")) for i in idx)
    return tuple(out)


def parse_scenario(path: Path, world: World) -> Scenario:
    """Load and resolve the scenario file at ``path`` against ``world``."""
    source = str(path)
    data, lines = load_yaml(path)
    f = _validate(ScenarioFile, data, lines, source)
    assert isinstance(f, ScenarioFile)
    r = _Resolver(world, lines, source)

    sites = tuple(r.site(s, ("sites", i)) for i, s in enumerate(f.sites))
    site_ids = [s.id for s in sites]
    for i, sid in enumerate(site_ids):
        if sid in site_ids[:i]:
            raise r.error(f"site '{sid}' listed twice", ("sites", i))

    if f.origin is None:
        frame = LocalFrame(sites[0].lat_deg, sites[0].lon_deg)
    else:
        o = r.place(f.origin, ("origin",))
        frame = LocalFrame(o.lat_deg, o.lon_deg)

    start = f.start.astimezone(UTC)
    t0 = start.timestamp()
    duration = f.duration_s

    sensors = tuple(_sensor(r, m, ("sensors", i)) for i, m in enumerate(f.sensors))
    _unique([s.id for s in sensors], "sensor", "sensors", r)
    fire_units = tuple(_fire_unit(r, m, ("fire_units", i)) for i, m in enumerate(f.fire_units))
    _unique([u.id for u in fire_units], "fire unit", "fire_units", r)

    roe = RulesOfEngagement(
        kinetic_allowed=f.roe.kinetic_allowed,
        jamming_allowed=f.roe.jamming_allowed,
        min_identity=Identity.SUSPECT if f.roe.min_identity == "suspect" else Identity.HOSTILE,
        no_fire_zones=tuple(
            NoFireZone(
                name=z.name, radius_m=z.radius_m, **_latlon(r.place(z, ("roe", "no_fire_zones", i)))
            )
            for i, z in enumerate(f.roe.no_fire_zones)
        ),
    )
    policy = OperatorPolicy(
        approve_delay_s=f.policy.approve_delay_s,
        proposal_ttl_s=f.policy.proposal_ttl_s,
        approve=f.policy.approve,
        engagement=f.policy.engagement,
    )

    objects: list[ObjectSpec] = []
    for i, raw in enumerate(f.objects):
        objects.append(_object(r, raw, i, site_ids, sites, frame, duration, lines))
    for i, b in enumerate(f.birds):
        pop = _birds(r, b, ("birds", i), start.month, duration)
        if pop is not None:
            objects.append(pop)
    ids = [o.id for o in objects]
    for i, b in enumerate(f.birds):
        if ids.count(b.id) > 1:
            raise r.error(
                f"bird population id '{b.id}' is also an object id", ("birds", i, "id"),
                expected="unique ids",
            )  # fmt: skip
    _unique(
        [o.id for o in objects if not isinstance(o, BirdPopulationSpec)], "object", "objects", r
    )

    return Scenario(
        name=f.name,
        description=f.description,
        source=source,
        start=start,
        t0=t0,
        duration_s=duration,
        tick_s=f.tick_s,
        night=f.night,
        frame=frame,
        sites=sites,
        sensors=sensors,
        fire_units=fire_units,
        roe=roe,
        policy=policy,
        objects=tuple(objects),
    )


def _latlon(p: Place) -> dict[str, float]:
    return {"lat_deg": p.lat_deg, "lon_deg": p.lon_deg}


def _unique(ids: list[str], what: str, key: str, r: _Resolver) -> None:
    for i, x in enumerate(ids):
        if x in ids[:i]:
            raise r.error(f"duplicate {what} id '{x}'", (key, i, "id"), expected="unique ids")


def _sensor(r: _Resolver, m: SensorModel, loc: Loc) -> SensorSpec:
    p = r.place(m, loc)
    params: dict[str, ParamValue] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in m.params.items()
    }
    spec = SensorSpec(id=m.id, kind=m.kind, h_m=m.h_m, preset=m.preset, params=params, **_latlon(p))
    try:
        spec_config(spec)
    except ConfigError as exc:
        sub = _parse_field(exc.field)
        raise r.error(exc.message, (*loc, *sub), expected=exc.expected, actual=exc.actual) from exc
    return spec


def _fire_unit(r: _Resolver, m: FireUnitModel, loc: Loc) -> FireUnitSpec:
    eff = r.world.effectors.get(m.effector)
    if eff is None:
        raise r.error(
            f"unknown effector '{m.effector}'",
            (*loc, "effector"),
            expected=f"one of {', '.join(sorted(r.world.effectors))}",
            actual=repr(m.effector),
        )
    p = r.place(m, loc)
    return FireUnitSpec(
        id=m.id, effector=eff, h_m=m.h_m, magazine=m.magazine, nation=m.nation, **_latlon(p)
    )


def _object(
    r: _Resolver,
    raw: dict[str, Any],
    i: int,
    site_ids: list[str],
    sites: tuple[Site, ...],
    frame: LocalFrame,
    duration: float,
    lines: dict[Loc, int],
) -> ObjectSpec:
    loc: Loc = ("objects", i)
    behaviour = raw.get("behaviour")
    if not isinstance(behaviour, str) or behaviour not in OBJECT_MODELS:
        raise r.error(
            "unknown or missing behaviour" if behaviour is not None else "missing 'behaviour'",
            (*loc, "behaviour"),
            expected=f"one of {', '.join(OBJECT_MODELS)}",
            actual=None if behaviour is None else repr(behaviour),
        )
    m = _validate(OBJECT_MODELS[behaviour], raw, lines, r.source, loc)
    assert isinstance(m, _ObjectBase)

    if m.start_s >= duration:
        raise r.error(
            "start_s is not before the end of the scenario",
            (*loc, "start_s"),
            expected=f"a time in [0, {duration:g}) s",
            actual=f"{m.start_s:g}",
        )
    if m.end_s is not None and not m.start_s < m.end_s:
        raise r.error(
            "end_s must come after start_s",
            (*loc, "end_s"),
            expected=f"> {m.start_s:g}",
            actual=f"{m.end_s:g}",
        )

    def target_index(target: str | None, key: str = "target") -> int:
        if target is None:
            return -1
        if target not in site_ids:
            r.site(target, (*loc, key))  # an unknown site id gets the world's list
            raise r.error(
                f"target '{target}' is not a site of this scenario",
                (*loc, key),
                expected=f"one of the scenario's sites: {', '.join(site_ids)}",
                actual=repr(target),
            )
        return site_ids.index(target)

    def check_band(t: ObjectType, speed: float | None, alt: float | None) -> None:
        if speed is not None and not t.speed_min_m_s <= speed <= t.speed_max_m_s:
            raise r.error(
                f"speed outside the band of object type '{t.id}'",
                (*loc, "speed_m_s"),
                expected=f"{t.speed_min_m_s:g}-{t.speed_max_m_s:g} m/s",
                actual=f"{speed:g}",
            )
        if alt is not None and not t.alt_min_m <= alt <= t.alt_max_m:
            raise r.error(
                f"altitude outside the band of object type '{t.id}'",
                (*loc, "alt_m"),
                expected=f"{t.alt_min_m:g}-{t.alt_max_m:g} m",
                actual=f"{alt:g}",
            )

    def check_waypoints(t: ObjectType, waypoints: list[tuple[float, float, float]]) -> None:
        for j, (lat, lon, alt) in enumerate(waypoints):
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise r.error(
                    "waypoint outside WGS84 bounds",
                    (*loc, "waypoints", j),
                    expected="[lat_deg, lon_deg, alt_m]",
                )
            if not t.alt_min_m <= alt <= t.alt_max_m:
                raise r.error(
                    f"waypoint altitude outside the band of '{t.id}'",
                    (*loc, "waypoints", j),
                    expected=f"{t.alt_min_m:g}-{t.alt_max_m:g} m",
                    actual=f"{alt:g}",
                )

    alleg = Allegiance[m.allegiance.upper()]
    if isinstance(m, _Single):
        otype = r.object_type(m.type, (*loc, "type"))
        common: dict[str, Any] = {
            "id": m.id,
            "type": otype,
            "allegiance": alleg,
            "target_site": target_index(m.target),
            "start_s": m.start_s,
            "end_s": m.end_s,
            "remote_id": m.remote_id,
            "jamming_immune": m.jamming_immune,
        }
        if m.remote_id and not otype.remote_id:
            raise r.error(
                f"object type '{otype.id}' cannot broadcast Remote ID",
                (*loc, "remote_id"),
                expected="false, or a type with remote_id: true in the world model",
            )
        if isinstance(m, FormationModel):
            check_band(otype, m.speed_m_s, None)
            check_waypoints(otype, m.waypoints)
            return FormationSpec(
                **common,
                count=m.count,
                waypoints=tuple(m.waypoints),
                speed_m_s=m.speed_m_s,
                shape=m.shape,
                spacing_m=m.spacing_m,
                repeat=m.repeat,
                turn_s=m.turn_s,
            )
        if isinstance(m, LoiterModel):
            check_band(otype, None if m.pattern == "hover" else m.speed_m_s, m.alt_m)
            if m.pattern == "hover" and not otype.can_hover:
                raise r.error(
                    f"object type '{otype.id}' cannot hover",
                    (*loc, "pattern"),
                    expected="circle, racetrack or figure-eight, or a type with can_hover",
                )
            if not otype.speed_min_m_s <= m.speed_m_s <= otype.speed_max_m_s:
                raise r.error(
                    f"speed outside the band of object type '{otype.id}'",
                    (*loc, "speed_m_s"),
                    expected=f"{otype.speed_min_m_s:g}-{otype.speed_max_m_s:g} m/s",
                    actual=f"{m.speed_m_s:g}",
                )
            if m.centre is not None:
                centre = r.place(m.centre, (*loc, "centre"))
            else:
                tgt_site = sites[common["target_site"]]
                centre = Place(lat_deg=tgt_site.lat_deg, lon_deg=tgt_site.lon_deg)
            return LoiterSpec(
                **common,
                count=m.count,
                centre=centre,
                pattern=m.pattern,
                radius_m=m.radius_m,
                length_m=m.length_m,
                axis_deg=m.axis_deg,
                speed_m_s=m.speed_m_s,
                alt_m=m.alt_m,
                from_bearing_deg=m.from_bearing_deg,
                from_distance_m=m.from_distance_m,
                loiter_s=m.loiter_s,
                then=m.then,
                leave_bearing_deg=(
                    m.from_bearing_deg if m.leave_bearing_deg is None else m.leave_bearing_deg
                ),
                clockwise=m.clockwise,
            )
        if isinstance(m, ApproachModel | SwarmModel):
            check_band(otype, m.speed_m_s, m.alt_m)
            if isinstance(m, SwarmModel) and m.jitter_m > 0:
                room = otype.speed_max_m_s - otype.speed_min_m_s
                if 2.0 * jitter_speed_bound(m.jitter_m) > room:
                    raise r.error(
                        "jitter_m too large for the type's speed band",
                        (*loc, "jitter_m"),
                        expected="a smaller jitter",
                    )
            tgt = sites[common["target_site"]]
            leg = ApproachLeg(
                target=Place(lat_deg=tgt.lat_deg, lon_deg=tgt.lon_deg),
                from_bearing_deg=m.from_bearing_deg,
                from_distance_m=m.from_distance_m,
                speed_m_s=m.speed_m_s,
                alt_m=m.alt_m,
                orbit_radius_m=m.orbit_radius_m,
                orbit_s=m.orbit_s,
                then=m.then,
                leave_bearing_deg=(
                    m.from_bearing_deg if m.leave_bearing_deg is None else m.leave_bearing_deg
                ),
                clockwise=m.clockwise,
            )
            if isinstance(m, SwarmModel):
                return SwarmSpec(
                    **common,
                    count=m.count,
                    leg=leg,
                    bearing_spread_deg=m.bearing_spread_deg,
                    start_spread_s=m.start_spread_s,
                    jitter_m=m.jitter_m,
                )
            return ApproachSpec(**common, leg=leg)
        if isinstance(m, OrbitModel):
            check_band(otype, m.speed_m_s, m.alt_m)
            return OrbitSpec(
                **common,
                centre=r.place(m.centre, (*loc, "centre")),
                radius_m=m.radius_m,
                speed_m_s=m.speed_m_s,
                alt_m=m.alt_m,
                clockwise=m.clockwise,
                phase_deg=m.phase_deg,
            )
        assert isinstance(m, WaypointsModel)
        check_band(otype, m.speed_m_s, None)
        check_waypoints(otype, m.waypoints)
        return WaypointsSpec(**common, waypoints=tuple(m.waypoints), speed_m_s=m.speed_m_s)

    if isinstance(m, CivilTrafficModel):
        types = tuple((r.object_type(tid, (*loc, "types", tid)), n) for tid, n in m.types.items())
        for tid, n in m.types.items():
            if n < 1:
                raise r.error(
                    "a type's count must be at least 1",
                    (*loc, "types", tid),
                    expected=">= 1",
                    actual=str(n),
                )
        airport = None
        if m.airport is not None:
            a = r.site(m.airport, (*loc, "airport"))
            airport = Place(lat_deg=a.lat_deg, lon_deg=a.lon_deg)
        centre = (
            r.place(m.centre, (*loc, "centre"))
            if m.centre is not None
            else airport or Place(lat_deg=frame.lat_deg, lon_deg=frame.lon_deg)
        )
        if m.alt_m is not None and not 0 <= m.alt_m[0] <= m.alt_m[1]:
            raise r.error("alt_m must be [low, high] with 0 <= low <= high", (*loc, "alt_m"))
        return CivilTrafficSpec(
            id=m.id,
            types=types,
            allegiance=alleg,
            centre=centre,
            radius_m=m.radius_m,
            alt_band_m=m.alt_m,
            airport=airport,
            runway_heading_deg=m.runway_heading_deg,
            start_s=m.start_s,
            end_s=m.end_s,
        )
    assert isinstance(m, BirdFlockModel)
    otype = r.object_type(m.type, (*loc, "type"))
    check_band(otype, None, m.alt_m)
    return BirdFlockSpec(
        id=m.id,
        type=otype,
        allegiance=alleg,
        count=m.count,
        centre=r.place(m.centre, (*loc, "centre")),
        radius_m=m.radius_m,
        alt_m=m.alt_m,
        start_s=m.start_s,
        end_s=m.end_s,
    )


def _birds(
    r: _Resolver, m: BirdsModel, loc: Loc, start_month: int, duration: float
) -> BirdPopulationSpec | None:
    """The bird population of a ``birds:`` entry (``None`` when it expects no flock)."""
    habitat = r.world.birds
    if habitat is None:
        raise r.error(
            "the world model has no bird habitat (world/data/birds.yaml)",
            loc,
            expected="a world data folder with birds.yaml",
        )
    otype = r.object_type(m.type, (*loc, "type"))
    if m.start_s >= duration:
        raise r.error(
            "start_s is not before the end of the scenario",
            (*loc, "start_s"),
            expected=f"a time in [0, {duration:g}) s",
            actual=f"{m.start_s:g}",
        )
    if m.end_s is not None and not m.start_s < m.end_s:
        raise r.error("end_s must come after start_s", (*loc, "end_s"), expected=f"> {m.start_s:g}")
    band = habitat.alt_band_m if m.alt_m is None else m.alt_m
    if not otype.alt_min_m <= band[0] <= band[1] <= otype.alt_max_m:
        raise r.error(
            f"alt_m must be [low, high] inside the band of object type '{otype.id}'",
            (*loc, "alt_m"),
            expected=f"{otype.alt_min_m:g} <= low <= high <= {otype.alt_max_m:g} m",
            actual=f"[{band[0]:g}, {band[1]:g}]",
        )
    centre = r.place(m.centre, (*loc, "centre"))
    census = bird_census(
        habitat,
        centre.lat_deg,
        centre.lon_deg,
        m.radius_m,
        start_month if m.month is None else m.month,
        m.density_factor,
    )
    if census.n_flocks == 0:
        return None
    return BirdPopulationSpec(
        id=m.id,
        type=otype,
        allegiance=Allegiance.NATURE,
        centre=centre,
        radius_m=m.radius_m,
        n_flocks=census.n_flocks,
        flock_size=habitat.flock_size if m.flock_size is None else m.flock_size,
        water=census.water,
        water_weights=census.water_weights,
        p_water=census.p_water,
        alt_band_m=(float(band[0]), float(band[1])),
        home_radius_m=habitat.home_radius_m,
        start_s=m.start_s,
        end_s=m.end_s,
    )


def replace_objects(scenario: Scenario, objects: tuple[ObjectSpec, ...]) -> Scenario:
    """A copy of ``scenario`` flying ``objects`` instead (for tests and studies)."""
    return dataclasses.replace(scenario, objects=objects)
