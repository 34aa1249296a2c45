"""What every sensor model shares: the scene it observes, its spec and table row, polar geometry.

Data layout
-----------
A :class:`Scene` is the truth of ``K`` air objects at one instant, struct of arrays, batch-first:
positions ``pos (K, 3)`` and velocities ``vel (K, 3)`` in the run's local ENU frame (metres,
metres per second), an ``alive (K,)`` mask and the static properties a sensor may physically sense
(radar cross-section, RF link, ADS-B address, class). A sensor model turns a scene into a
:class:`~dronewall.core.measurements.DetectionBatch` in the same frame.

Polar geometry
--------------
Seen from a sensor at ``s``, a point ``p`` with ``d = p - s = (e, n, u)`` has range ``r = |d|``,
azimuth ``az = atan2(e, n)`` (clockwise from north, in ``[0, 2π)``) and elevation
``el = atan2(u, hypot(e, n))``:

.. math::  d = r\\,(\\sin az \\cos el,\\; \\cos az \\cos el,\\; \\sin el)

A measurement with independent Gaussian errors ``σ_r, σ_az, σ_el`` converted to ENU has the
first-order (linearised) covariance

.. math::  R = J\\,\\mathrm{diag}(σ_r^2, σ_{az}^2, σ_{el}^2)\\,J^T, \\quad
    J = \\partial d / \\partial (r, az, el)

evaluated at the measured values. ``J`` has full rank for ``r > 0`` and ``|el| < π/2``, so ``R`` is
symmetric positive definite there. The bias of converted measurements (Bar-Shalom, Li &
Kirubarajan 2001, §10.4.3) is neglected: it is ``≈ r σ_az² / 2``, centimetres at the accuracies
used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, get_args

import numpy as np

from dronewall.core.measurements import F64, I8, I16, I64, B, DetectionBatch
from dronewall.geo.frames import polar_to_enu_jacobian

SensorKind = Literal["radar", "rf", "eoir", "adsb", "sightings"]
SENSOR_KINDS: tuple[str, ...] = get_args(SensorKind)

ParamValue = float | int | bool | str | tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """Truth of ``K`` objects at one time, as a sensor may sense it (see the module docstring).

    Attributes
    ----------
    pos : (K, 3) float, m
        ENU positions.
    vel : (K, 3) float, m/s
        ENU velocities.
    alive : (K,) bool
        Objects that exist (launched, not yet landed, left or destroyed).
    rcs_m2 : (K,) float, m²
        Mean radar cross-section.
    rf_protocol : (K,) int16
        :class:`~dronewall.core.measurements.RfProtocol` of the object's link, ``NONE`` (-1) if
        silent.
    icao : (K,) int64
        ADS-B 24-bit address of a cooperative object, -1 for none.
    object_class : (K,) int8
        :class:`~dronewall.core.taxonomy.ObjectClass` (humans reporting sightings use it).
    """

    pos: F64
    vel: F64
    alive: B
    rcs_m2: F64
    rf_protocol: I16
    icao: I64
    object_class: I8

    def __post_init__(self) -> None:
        k = self.alive.shape[0]
        for name, shape in (
            ("pos", (k, 3)),
            ("vel", (k, 3)),
            ("rcs_m2", (k,)),
            ("rf_protocol", (k,)),
            ("icao", (k,)),
            ("object_class", (k,)),
        ):
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"Scene.{name} has shape {getattr(self, name).shape}, expected {shape}"
                )

    def __len__(self) -> int:
        return int(self.alive.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSpec:
    """A sensor as a scenario deploys it: where it stands, which preset, which overrides.

    ``h_m`` is the antenna height above the WGS84 ellipsoid, which the simulator takes as the
    ground (there is no terrain model): a mast height. ``preset`` names an entry of
    ``sensors/data/presets.yaml`` (``None``: the default preset of ``kind``); ``params`` overrides
    single fields of the preset's config.
    """

    id: str
    kind: SensorKind
    lat_deg: float
    lon_deg: float
    h_m: float = 10.0
    preset: str | None = None
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in SENSOR_KINDS:
            raise ValueError(
                f"sensor {self.id}: unknown kind {self.kind!r}; expected one of "
                f"{', '.join(SENSOR_KINDS)}"
            )
        if not -90.0 <= self.lat_deg <= 90.0 or not -180.0 <= self.lon_deg <= 180.0:
            raise ValueError(f"sensor {self.id}: position outside WGS84 bounds")


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorInfo:
    """One row of the run's sensor table (what ``DetectionBatch.sensor`` indexes).

    Attributes
    ----------
    index : int
        Row in the sensor table, the value of ``DetectionBatch.sensor``.
    pos_enu : (3,) float, m
        Position in the run's local ENU frame.
    max_range_m : float
        Farthest range at which it reports anything (the sighting area's radius plus visual
        range for human reports).
    """

    index: int
    id: str
    kind: SensorKind
    preset: str
    lat_deg: float
    lon_deg: float
    h_m: float
    pos_enu: F64
    max_range_m: float
    period_s: float


class Sensor(Protocol):
    """A sensor model: observes a scene at one time, vectorised over the objects."""

    @property
    def info(self) -> SensorInfo: ...

    @property
    def period_s(self) -> float:
        """Time between observations (scan period, update period, report integration window)."""
        ...

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Detections of the observation at time ``t`` (UTC epoch s) of ``scene``."""
        ...


# ---------------------------------------------------------------------------------------------
# polar geometry, batched over rows


def enu_to_polar(d: F64) -> tuple[F64, F64, F64]:
    """Range, azimuth and elevation of ENU offsets.

    Parameters
    ----------
    d : (M, 3) float, m
        Offsets from the sensor.

    Returns
    -------
    r : (M,) float, m
    az : (M,) float, rad
        Clockwise from north, in ``[0, 2π)``.
    el : (M,) float, rad
        Above the local horizontal.
    """
    horiz = np.hypot(d[:, 0], d[:, 1])
    r = np.hypot(horiz, d[:, 2])
    az = np.mod(np.arctan2(d[:, 0], d[:, 1]), 2.0 * np.pi)
    el = np.arctan2(d[:, 2], horiz)
    return r, az, el


def polar_to_enu(r: F64, az: F64, el: F64) -> F64:
    """ENU offsets ``(M, 3)`` of ranges ``r`` (m), azimuths and elevations (rad) ``(M,)``."""
    ce = np.cos(el)
    return np.stack([r * np.sin(az) * ce, r * np.cos(az) * ce, r * np.sin(el)], axis=-1)


def converted_covariance(
    r: F64, az: F64, el: F64, sigma_r_m: float, sigma_az_rad: float, sigma_el_rad: float
) -> F64:
    """Covariance ``(M, 3, 3)`` of polar measurements converted to ENU: ``J diag(σ²) Jᵀ``."""
    J = polar_to_enu_jacobian(r, az, el)
    s2 = np.array([sigma_r_m**2, sigma_az_rad**2, sigma_el_rad**2])
    R: F64 = np.einsum("mik,k,mjk->mij", J, s2, J)
    return 0.5 * (R + np.swapaxes(R, -1, -2))


def wrap_2pi(a: F64) -> F64:
    """Angles wrapped into ``[0, 2π)``."""
    return np.mod(a, 2.0 * np.pi)


def require_positive(cfg: object, *names: str) -> None:
    """Raise ``ValueError`` unless every named field of ``cfg`` is > 0 (config validators)."""
    for n in names:
        v = getattr(cfg, n)
        if not v > 0:
            raise ValueError(f"{type(cfg).__name__}.{n} must be positive, got {v}")


def require_probability(cfg: object, *names: str) -> None:
    """Raise ``ValueError`` unless every named field of ``cfg`` lies in ``[0, 1]``."""
    for n in names:
        v = getattr(cfg, n)
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{type(cfg).__name__}.{n} must be a probability in [0, 1], got {v}")


class _Periodic(Protocol):
    @property
    def period_s(self) -> float: ...


ConfigT = TypeVar("ConfigT", bound=_Periodic)


class SensorModel(Generic[ConfigT]):
    """Common part of the sensor models: their config, their row of the sensor table, their period.

    Subclasses implement :meth:`Sensor.observe`; this class gives them ``config``, ``info`` and
    ``period_s`` so that each satisfies the :class:`Sensor` protocol.
    """

    def __init__(self, config: ConfigT, info: SensorInfo) -> None:
        self.config = config
        self._info = info

    @property
    def info(self) -> SensorInfo:
        return self._info

    @property
    def period_s(self) -> float:
        return self.config.period_s
