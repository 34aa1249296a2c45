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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import F64, I8, I16, I64, B, DetectionBatch, RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.geo.frames import polar_to_enu_jacobian

SensorKind = Literal["radar", "rf", "eoir", "adsb", "sightings", "acoustic"]
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
    remote_id : (K,) bool or None
        Objects that broadcast Remote ID. ``None``: the consumer links (DJI OcuSync, Wi-Fi)
        broadcast it, as EU/US rules require of consumer drones (see :meth:`broadcasts_remote_id`).
    operator_pos : (K, 3) float, m, or None
        ENU position of each object's pilot (operator). ``None``: unknown to the simulator; the
        RF detector then takes the take-off point to be the ground point below the drone.
    """

    pos: F64
    vel: F64
    alive: B
    rcs_m2: F64
    rf_protocol: I16
    icao: I64
    object_class: I8
    remote_id: B | None = None
    operator_pos: F64 | None = None

    def __post_init__(self) -> None:
        k = self.alive.shape[0]
        for name, shape in (
            ("pos", (k, 3)),
            ("vel", (k, 3)),
            ("rcs_m2", (k,)),
            ("rf_protocol", (k,)),
            ("icao", (k,)),
            ("object_class", (k,)),
            ("remote_id", (k,)),
            ("operator_pos", (k, 3)),
        ):
            if getattr(self, name) is None:
                continue
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"Scene.{name} has shape {getattr(self, name).shape}, expected {shape}"
                )

    def __len__(self) -> int:
        return int(self.alive.shape[0])

    def broadcasts_remote_id(self) -> B:
        """``(K,)`` objects broadcasting Remote ID (``remote_id``, or consumer links if unset)."""
        if self.remote_id is not None:
            return self.remote_id
        return np.isin(self.rf_protocol, _CONSUMER_LINKS)


_CONSUMER_LINKS = np.array([int(RfProtocol.DJI_OCUSYNC), int(RfProtocol.WIFI)], dtype=np.int16)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """A sensor's output with what does not fit the :class:`DetectionBatch` columns.

    Attributes
    ----------
    batch : DetectionBatch
        The detections (``M`` rows), what tracking and assessment read.
    attributes : mapping of str to (M,) array
        Further measured values, row-aligned with ``batch`` (e.g. an EO/IR class cue, a
        sighting's description, a Remote ID operator position ``(M, 3)``). Visible to the
        pipeline like the batch itself.
    truth_attributes : mapping of str to (M,) array
        Truth about the rows (why a false report was made, whether a Remote ID was spoofed):
        for scoring only, like ``DetectionBatch.truth``; tracking and assessment never read it.
    """

    batch: DetectionBatch
    attributes: Mapping[str, NDArray[Any]] = field(default_factory=dict)
    truth_attributes: Mapping[str, NDArray[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = len(self.batch)
        for where, table in (
            ("attributes", self.attributes),
            ("truth_attributes", self.truth_attributes),
        ):
            for name, col in table.items():
                if col.shape[:1] != (m,):
                    raise ValueError(
                        f"Observation.{where}[{name!r}] has {col.shape[:1]} rows, expected {m}"
                    )


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


#: Mean earth radius, m (GK: IUGG mean radius 6371.0 km).
EARTH_RADIUS_M = 6_371_000.0


def earth_geometry(s: F64, h_s: float, p: F64) -> tuple[F64, F64]:
    """Ground distance and height above ground of ENU points seen from a sensor on the sphere.

    The run's ENU frame is tangent to the earth at its origin, so a far object at constant height
    has a falling ``up`` coordinate. On a sphere of radius ``R_e`` (:data:`EARTH_RADIUS_M`)
    centred at ``c = (0, 0, -R_e)`` (the frame origin's height is neglected beside ``R_e``):

    .. math::  h_p = h_s + |p - c| - |s - c|, \\quad d = R_e\\,\\angle(p - c, s - c)

    The ground is the ellipsoid (there is no terrain). The sphere for the ellipsoid errs by about
    0.3 % of the curvature drop ``d²/2R_e``, ~10 m at 200 km.

    Parameters
    ----------
    s : (3,) float, m
        Sensor ENU position.
    h_s : float, m
        Sensor height above ground.
    p : (K, 3) float, m
        Object ENU positions.

    Returns
    -------
    d : (K,) float, m
        Great-circle ground distance.
    h_p : (K,) float, m
        Height of each object above ground.
    """
    c = np.array([0.0, 0.0, -EARTH_RADIUS_M])
    ps, ss = p - c, s - c
    np_, ns = np.linalg.norm(ps, axis=1), float(np.linalg.norm(ss))
    cross = np.linalg.norm(np.cross(ps, ss), axis=1)
    d = EARTH_RADIUS_M * np.arctan2(cross, ps @ ss)
    return np.asarray(d, dtype=np.float64), np.asarray(h_s + np_ - ns, dtype=np.float64)


def horizon_range_m(h_a: F64 | float, h_b: F64 | float, k_earth: float) -> F64:
    """Ground distance at which two heights see each other over a ``k``-earth (4/3: radio).

    Refraction bends rays as if the earth had radius ``k R_e``; two points of heights ``h_a``,
    ``h_b`` (m, clipped at 0) see each other up to
    ``sqrt(2 k R_e h_a) + sqrt(2 k R_e h_b)`` (``h ≪ R_e``; Skolnik, 3rd ed., §8.2).
    """
    kr2 = 2.0 * k_earth * EARTH_RADIUS_M
    return np.asarray(
        np.sqrt(kr2 * np.maximum(h_a, 0.0)) + np.sqrt(kr2 * np.maximum(h_b, 0.0)),
        dtype=np.float64,
    )


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


# ---------------------------------------------------------------------------------------------
# properties of objects that every sensor must agree on, drawn without a generator


def object_uniform(index: NDArray[np.integer[Any]], salt: int) -> F64:
    """Uniform ``[0, 1)`` numbers that depend only on ``(index, salt)``: SplitMix64 of both.

    Used for properties of an object that all sensors and all updates must agree on (whether a
    drone spoofs its Remote ID, whether a light aircraft carries ADS-B) without a shared random
    generator: the same object index and salt give the same number in every sensor and call.
    """
    x = np.asarray(index, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x = x + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) * 2.0**-53, dtype=np.float64)


def parse_label_table(
    cfg: object,
    name: str,
    labels: Sequence[str],
    *,
    minimum: float = 0.0,
    require_all: bool = True,
) -> dict[str, float]:
    """Read a ``("label:value", ...)`` field of ``cfg`` into ``{label: value}``.

    Each label must be one of ``labels`` and appear once, with a value ``>= minimum``; with
    ``require_all`` every label must be listed.

    Raises
    ------
    ValueError
        naming the field and the bad entry.
    """
    out: dict[str, float] = {}
    where = f"{type(cfg).__name__}.{name}"
    for entry in getattr(cfg, name):
        label, sep, value = entry.partition(":")
        label = label.strip()
        if not sep or label not in labels:
            raise ValueError(
                f"{where}: bad entry {entry!r}; expected 'label:value' with label one of "
                f"{', '.join(labels)}"
            )
        try:
            v = float(value)
        except ValueError:
            raise ValueError(f"{where}: value of {label!r} is not a number: {value!r}") from None
        if not v >= minimum:
            raise ValueError(f"{where}: value of {label!r} must be >= {minimum}, got {v}")
        if label in out:
            raise ValueError(f"{where}: {label!r} listed twice")
        out[label] = v
    missing = [x for x in labels if x not in out]
    if require_all and missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    return out


CLASS_LABELS: tuple[str, ...] = tuple(c.label for c in ObjectClass)


def class_column(cfg: object, name: str, *, minimum: float = 0.0) -> F64:
    """A per-class field of ``cfg`` (every class listed) as an array indexed by class code."""
    table = parse_label_table(cfg, name, CLASS_LABELS, minimum=minimum)
    return np.array([table[c.label] for c in ObjectClass], dtype=np.float64)
