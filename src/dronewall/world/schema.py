"""File schemas of the world data (pydantic, at the edge) and their conversion to catalogue objects.

Also home of :func:`validate_yaml`, which turns a pydantic validation failure into a
:class:`~dronewall.core.errors.ConfigError` that names the file, the line and the field; the
scenario loader uses it too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dronewall.core.errors import ConfigError
from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import Layer, ObjectClass
from dronewall.core.yamlio import Loc, line_of, load_yaml
from dronewall.world.catalogue import (
    BirdHabitat,
    EffectorType,
    ObjectType,
    Site,
    WaterBody,
    World,
)

M = TypeVar("M", bound=BaseModel)

SOURCE_TAG = re.compile(r"^(A|GK)( \(.+\))?$|^S: .+$")
"""A source tag: ``A`` (assumption) or ``GK`` (general knowledge), each with an optional
``(note)``, or ``S: <where>`` (published source)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """An entry whose numeric real-world fields must each have a source tag in ``sources``."""

    sources: dict[str, str]
    sourced_fields: ClassVar[tuple[str, ...]] = ()

    @field_validator("sources")
    @classmethod
    def _tags_well_formed(cls, v: dict[str, str]) -> dict[str, str]:
        for key, tag in v.items():
            if not SOURCE_TAG.match(tag):
                raise ValueError(
                    f"source tag of '{key}' is {tag!r}; expected 'A', 'GK' "
                    "(each with an optional '(note)') or 'S: <where>'"
                )
        return v

    @model_validator(mode="after")
    def _every_figure_sourced(self) -> Sourced:
        missing = [f for f in self.sourced_fields if f not in self.sources]
        if missing:
            raise ValueError(f"no source tag for {', '.join(missing)} in 'sources'")
        return self


class SiteModel(Sourced):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    kind: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    value: float = Field(gt=0, le=100)
    alert_radius_m: float = Field(gt=0)
    core_radius_m: float = Field(gt=0)
    sourced_fields: ClassVar[tuple[str, ...]] = (
        "lat",
        "lon",
        "value",
        "alert_radius_m",
        "core_radius_m",
    )


class EffectorModel(Sourced):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    layer: Literal["ew", "interceptor", "gun", "laser", "vshorad", "shorad", "mrad", "fighter"]
    kinetic: bool
    min_range_m: float = Field(ge=0)
    max_range_m: float = Field(gt=0)
    min_alt_m: float
    max_alt_m: float
    speed_m_s: float | Literal["instant"]
    reaction_s: float = Field(ge=0)
    magazine: int | Literal["unlimited"]
    reload_s: float = Field(ge=0)
    channels: int = Field(ge=1)
    cost_per_engagement_eur: float = Field(ge=0)
    pk: dict[str, float]
    rf_link_only: bool = False
    sourced_fields: ClassVar[tuple[str, ...]] = (
        "min_range_m",
        "max_range_m",
        "min_alt_m",
        "max_alt_m",
        "speed_m_s",
        "reaction_s",
        "magazine",
        "reload_s",
        "channels",
        "cost_per_engagement_eur",
        "pk",
    )

    @field_validator("pk")
    @classmethod
    def _known_classes(cls, v: dict[str, float]) -> dict[str, float]:
        labels = {c.label for c in ObjectClass}
        for k, p in v.items():
            if k not in labels:
                raise ValueError(f"pk names unknown class '{k}'; expected one of {sorted(labels)}")
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"pk of '{k}' is {p}; expected a probability in [0, 1]")
        return v


class ObjectModel(Sourced):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    object_class: str
    speed_min_m_s: float = Field(ge=0)
    speed_max_m_s: float = Field(gt=0)
    alt_min_m: float
    alt_max_m: float
    rcs_m2: float = Field(gt=0)
    cost_eur: float = Field(ge=0)
    rf_protocol: Literal["none", "dji-ocusync", "wifi", "analog-fpv", "elrs", "military-datalink"]
    remote_id: bool
    adsb: bool
    can_hover: bool
    sourced_fields: ClassVar[tuple[str, ...]] = (
        "speed_min_m_s",
        "speed_max_m_s",
        "alt_min_m",
        "alt_max_m",
        "rcs_m2",
        "cost_eur",
    )

    @field_validator("object_class")
    @classmethod
    def _known_class(cls, v: str) -> str:
        labels = {c.label for c in ObjectClass}
        if v not in labels:
            raise ValueError(f"unknown object class '{v}'; expected one of {sorted(labels)}")
        return v


class SitesFile(Strict):
    sites: list[SiteModel]


class EffectorsFile(Strict):
    usd_to_eur: float = Field(gt=0)
    usd_to_eur_source: str
    effectors: list[EffectorModel]


class ObjectsFile(Strict):
    objects: list[ObjectModel]


class WaterBodyModel(Sourced):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0)
    sourced_fields: ClassVar[tuple[str, ...]] = ("lat", "lon", "radius_m")


class BirdsFile(Sourced):
    flocks_per_km2: float = Field(ge=0)
    water_factor: float = Field(ge=1)
    water_margin_m: float = Field(ge=0)
    seasonal_factor: list[float] = Field(min_length=12, max_length=12)
    flock_size: int = Field(ge=1, le=100)
    alt_m: tuple[float, float]
    home_radius_m: float = Field(gt=0)
    water_bodies: list[WaterBodyModel] = Field(default_factory=list)
    sourced_fields: ClassVar[tuple[str, ...]] = (
        "flocks_per_km2",
        "water_factor",
        "water_margin_m",
        "seasonal_factor",
        "flock_size",
        "alt_m",
        "home_radius_m",
    )

    @field_validator("seasonal_factor")
    @classmethod
    def _non_negative(cls, v: list[float]) -> list[float]:
        if min(v) < 0:
            raise ValueError("monthly factors must be >= 0")
        return v

    @model_validator(mode="after")
    def _band(self) -> BirdsFile:
        if not 0 <= self.alt_m[0] <= self.alt_m[1]:
            raise ValueError("alt_m must be [low, high] with 0 <= low <= high")
        return self


def _format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_yaml(model: type[M], path: Path) -> M:
    """Load ``path`` as YAML and validate it against ``model``.

    Raises
    ------
    ConfigError
        naming the file, the line and the field of the first problem, and what was expected.
    """
    data, lines = load_yaml(path)
    return validate_data(model, data, lines, str(path))


def validate_data(model: type[M], data: Any, lines: dict[Loc, int], source: str) -> M:
    """Validate parsed YAML ``data`` against ``model``; see :func:`validate_yaml`."""
    if not isinstance(data, dict):
        raise ConfigError(
            "the top level must be a mapping",
            source=source,
            line=1,
            expected="a mapping of keys to values",
            actual=type(data).__name__,
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        # pydantic adds the union/literal branch name to loc; drop parts not in the document
        while loc and loc not in lines and loc[:-1] in lines and len(loc) > 1:
            if isinstance(loc[-1], str) and loc[-1] not in _keys_at(data, loc[:-1]):
                loc = loc[:-1]
            else:
                break
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        actual = err.get("input")
        raise ConfigError(
            f"{err['msg']}{more}",
            source=source,
            line=line_of(lines, loc),
            field=_format_loc(loc) or None,
            actual=None if isinstance(actual, dict | list) else repr(actual),
        ) from exc


def _keys_at(data: Any, loc: Loc) -> set[str]:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return set(node) if isinstance(node, dict) else set()


_PROTOCOLS = {
    "none": RfProtocol.NONE,
    "dji-ocusync": RfProtocol.DJI_OCUSYNC,
    "wifi": RfProtocol.WIFI,
    "analog-fpv": RfProtocol.ANALOG_FPV,
    "elrs": RfProtocol.ELRS,
    "military-datalink": RfProtocol.MILITARY_DATALINK,
}


def build_world(data_dir: Path) -> World:
    """Read ``sites.yaml``, ``effectors.yaml``, ``objects.yaml`` and ``birds.yaml`` (optional)."""
    sites_f = validate_yaml(SitesFile, data_dir / "sites.yaml")
    eff_f = validate_yaml(EffectorsFile, data_dir / "effectors.yaml")
    obj_f = validate_yaml(ObjectsFile, data_dir / "objects.yaml")

    def unique(ids: list[str], what: str, path: str) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise ConfigError(f"duplicate {what} id '{i}'", source=path, field="id")
            seen.add(i)

    unique([s.id for s in sites_f.sites], "site", str(data_dir / "sites.yaml"))
    unique([e.id for e in eff_f.effectors], "effector", str(data_dir / "effectors.yaml"))
    unique([o.id for o in obj_f.objects], "object", str(data_dir / "objects.yaml"))
    try:
        sites = {
            s.id: Site(
                id=s.id,
                name=s.name,
                kind=s.kind,
                country=s.country,
                lat_deg=s.lat,
                lon_deg=s.lon,
                value=s.value,
                alert_radius_m=s.alert_radius_m,
                core_radius_m=s.core_radius_m,
                sources=dict(s.sources),
            )
            for s in sites_f.sites
        }
        effectors = {
            e.id: EffectorType(
                id=e.id,
                name=e.name,
                layer=Layer.from_label(e.layer),
                kinetic=e.kinetic,
                min_range_m=e.min_range_m,
                max_range_m=e.max_range_m,
                min_alt_m=e.min_alt_m,
                max_alt_m=e.max_alt_m,
                speed_m_s=float("inf") if e.speed_m_s == "instant" else float(e.speed_m_s),
                reaction_s=e.reaction_s,
                magazine=None if e.magazine == "unlimited" else int(e.magazine),
                reload_s=e.reload_s,
                channels=e.channels,
                cost_per_engagement_eur=e.cost_per_engagement_eur,
                pk={ObjectClass.from_label(k): p for k, p in e.pk.items()},
                rf_link_only=e.rf_link_only,
                sources=dict(e.sources),
            )
            for e in eff_f.effectors
        }
        objects = {
            o.id: ObjectType(
                id=o.id,
                name=o.name,
                object_class=ObjectClass.from_label(o.object_class),
                speed_min_m_s=o.speed_min_m_s,
                speed_max_m_s=o.speed_max_m_s,
                alt_min_m=o.alt_min_m,
                alt_max_m=o.alt_max_m,
                rcs_m2=o.rcs_m2,
                cost_eur=o.cost_eur,
                rf_protocol=_PROTOCOLS[o.rf_protocol],
                remote_id=o.remote_id,
                adsb=o.adsb,
                can_hover=o.can_hover,
                sources=dict(o.sources),
            )
            for o in obj_f.objects
        }
    except ValueError as exc:
        raise ConfigError(str(exc), source=str(data_dir)) from exc
    return World(
        sites=sites,
        effectors=effectors,
        objects=objects,
        usd_to_eur=eff_f.usd_to_eur,
        birds=_birds(data_dir / "birds.yaml"),
    )


def _birds(path: Path) -> BirdHabitat | None:
    """The bird habitat of ``path``, ``None`` if the file does not exist."""
    if not path.is_file():
        return None
    f = validate_yaml(BirdsFile, path)
    ids = [w.id for w in f.water_bodies]
    for i, wid in enumerate(ids):
        if wid in ids[:i]:
            raise ConfigError(
                f"duplicate water body id '{wid}'", source=str(path), field=f"water_bodies[{i}].id"
            )
    return BirdHabitat(
        flocks_per_km2=f.flocks_per_km2,
        water_factor=f.water_factor,
        water_margin_m=f.water_margin_m,
        seasonal_factor=tuple(f.seasonal_factor),
        flock_size=f.flock_size,
        alt_band_m=f.alt_m,
        home_radius_m=f.home_radius_m,
        water_bodies=tuple(
            WaterBody(
                id=w.id,
                name=w.name,
                lat_deg=w.lat,
                lon_deg=w.lon,
                radius_m=w.radius_m,
                sources=dict(w.sources),
            )
            for w in f.water_bodies
        ),
        sources=dict(f.sources),
    )
