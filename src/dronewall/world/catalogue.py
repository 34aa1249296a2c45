"""The world model: protected sites, effector types and air-object types.

These are frozen dataclasses built once at start from the package data files
(``dronewall/world/data/*.yaml``) by :func:`dronewall.world.load_world`. Every real-world figure in
those files carries a source tag in the entry's ``sources`` map: ``S: <where>`` for a published
source, ``GK`` for general knowledge, ``A`` for an assumption to be varied (see the header of each
data file). Units are SI: metres, seconds, m/s, m², euros.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import Layer, ObjectClass


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A protected site: a point with an alert radius and a no-drone core radius."""

    id: str
    name: str
    kind: str
    country: str
    lat_deg: float
    lon_deg: float
    value: float
    """Relative value of the site (0-100) used to weigh threats against it."""
    alert_radius_m: float
    core_radius_m: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 < self.core_radius_m < self.alert_radius_m:
            raise ValueError(
                f"site {self.id}: need 0 < core_radius_m ({self.core_radius_m}) "
                f"< alert_radius_m ({self.alert_radius_m})"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectorType:
    """A kind of effector (weapon or countermeasure) and its engagement envelope.

    ``pk`` is the single-engagement kill probability against each object class: no Pk of a real
    effector is public, so every value is an assumption (``A``) in the data file.
    """

    id: str
    name: str
    layer: Layer
    kinetic: bool
    min_range_m: float
    max_range_m: float
    min_alt_m: float
    max_alt_m: float
    speed_m_s: float
    """Mean fly-out speed of the munition / interceptor; ``inf`` for effects at light speed."""
    reaction_s: float
    """Time from an approved engagement to launch or effect on."""
    magazine: int | None
    """Engagements held ready by one fire unit before a reload; ``None`` for unlimited."""
    reload_s: float
    """Time to reload a fire unit whose magazine is empty."""
    cost_per_engagement_eur: float
    pk: Mapping[ObjectClass, float]
    rf_link_only: bool = False
    """True for jammers: they only defeat targets flown over an RF link (not fibre, not INS)."""
    channels: int = 1
    """Targets one fire unit engages at once (fire channels): engagements in flight together."""
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_range_m < self.max_range_m:
            raise ValueError(f"effector {self.id}: need 0 <= min_range_m < max_range_m")
        if not self.min_alt_m < self.max_alt_m:
            raise ValueError(f"effector {self.id}: need min_alt_m < max_alt_m")
        if self.speed_m_s <= 0:
            raise ValueError(f"effector {self.id}: speed_m_s must be positive")
        if self.channels < 1:
            raise ValueError(f"effector {self.id}: channels must be at least 1")
        for cls, p in self.pk.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"effector {self.id}: pk[{cls.label}]={p} outside [0, 1]")

    def pk_vector(self) -> NDArray[np.float64]:
        """Pk as an array over :class:`ObjectClass` (missing classes are 0)."""
        out = np.zeros(len(ObjectClass))
        for cls, p in self.pk.items():
            out[int(cls)] = p
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectType:
    """A kind of air object the simulator can fly and the classifier may name."""

    id: str
    name: str
    object_class: ObjectClass
    speed_min_m_s: float
    speed_max_m_s: float
    alt_min_m: float
    alt_max_m: float
    rcs_m2: float
    cost_eur: float
    rf_protocol: RfProtocol
    """RF link the object emits; ``NONE`` for fibre-optic, autonomous and non-drone objects."""
    remote_id: bool
    adsb: bool
    can_hover: bool
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.speed_min_m_s <= self.speed_max_m_s:
            raise ValueError(f"object {self.id}: need 0 <= speed_min_m_s <= speed_max_m_s")
        if not self.alt_min_m <= self.alt_max_m:
            raise ValueError(f"object {self.id}: need alt_min_m <= alt_max_m")
        if self.rcs_m2 <= 0:
            raise ValueError(f"object {self.id}: rcs_m2 must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class WaterBody:
    """A lake, river reach or estuary, as a disc, where birds gather."""

    id: str
    name: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.radius_m <= 0:
            raise ValueError(f"water body {self.id}: radius_m must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class BirdHabitat:
    """How many bird flocks fly where and when (see :mod:`dronewall.world.birds`).

    Attributes
    ----------
    flocks_per_km2 : float
        Flocks in the air per km² away from water, at a seasonal factor of 1.
    water_factor : float
        Multiplier of that density over water and within ``water_margin_m`` of its shore.
    water_margin_m : float, m
        Band around each water body's disc counted as "near water".
    seasonal_factor : tuple of 12 floats
        Multiplier per calendar month, January first.
    flock_size : int
        Birds per flock.
    alt_band_m : (float, float), m
        Altitudes flocks fly at.
    home_radius_m : float, m
        Radius within which a flock mills about its home.
    water_bodies : tuple of WaterBody
    """

    flocks_per_km2: float
    water_factor: float
    water_margin_m: float
    seasonal_factor: tuple[float, ...]
    flock_size: int
    alt_band_m: tuple[float, float]
    home_radius_m: float
    water_bodies: tuple[WaterBody, ...]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.seasonal_factor) != 12 or min(self.seasonal_factor) < 0:
            raise ValueError("bird habitat: seasonal_factor needs 12 non-negative monthly values")
        if self.flocks_per_km2 < 0 or self.water_factor < 1 or self.water_margin_m < 0:
            raise ValueError(
                "bird habitat: need flocks_per_km2 >= 0, water_factor >= 1, water_margin_m >= 0"
            )
        if self.flock_size < 1 or self.home_radius_m <= 0:
            raise ValueError("bird habitat: need flock_size >= 1 and home_radius_m > 0")
        if not 0 <= self.alt_band_m[0] <= self.alt_band_m[1]:
            raise ValueError("bird habitat: alt_band_m must be [low, high], 0 <= low <= high")


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """Everything known about the world before a run starts."""

    sites: Mapping[str, Site]
    effectors: Mapping[str, EffectorType]
    objects: Mapping[str, ObjectType]
    usd_to_eur: float
    """Exchange rate used to turn dollar figures into euros (an assumption, see the data file)."""
    birds: BirdHabitat | None = None
    """Bird density and water bodies (``birds.yaml``); ``None`` when the data folder has none."""
