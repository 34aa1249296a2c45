"""Air-object behaviours: the specs a scenario gives and the batched kernels that fly them.

Data layout
-----------
A behaviour spec (one of :data:`ObjectSpec`) describes one object or a group of ``k`` objects.
:func:`fly` turns it into a :class:`Flight`: truth on the tick grid ``tau (T,)`` (seconds after the
scenario start), ``pos (T, k, 3)`` and ``vel (T, k, 3)`` in a *flat* local frame ``(east, north,
alt)`` (metres, m/s, altitude above the ellipsoid taken as the ground), and ``alive (T, k)``.
The simulation concatenates the flights along ``k`` and bends the flat frame onto the ENU tangent
plane (:func:`flat_to_enu`). Kernels are vectorised over time and group members; only the bird
flock integrates a loop over time steps (its heading depends on where it is).

Geometry
--------
Bearings are clockwise from north, ``u(b) = (sin b, cos b)`` the horizontal unit vector of bearing
``b``. An orbit of radius ``r`` at speed ``v`` about ``c`` is ``c + r u(θ)`` with
``θ = θ₀ ± (v/r) t`` (``+``: clockwise seen from above), velocity ``± v (cos θ, -sin θ)``.

A formation holds fixed member offsets ``(right_i, back_i)`` in the frame of its lead's heading
``ψ(t)`` (smoothed over ``turn_s`` so that a corner of the path turns the formation gradually):
``p_i = lead + right_i (cos ψ, -sin ψ) - back_i u(ψ)``; a rigid motion, so member distances are
those of the shape at all times. A loiter pattern is a closed curve ``p(s)`` parameterised by arc
length ``s`` over its perimeter ``L`` (circle ``2πr``; racetrack ``2ℓ + 2πr``; figure-eight ``4πr``,
two tangent circles flown in opposite senses so the heading is continuous at the crossing), flown at
constant speed ``v``: ``s(t) = s₀ + v t mod L``.

Cooperation and jamming (truth only)
------------------------------------
Each flown object carries ``remote_id`` (it broadcasts Remote ID: by default when its type does
and it is not hostile, A) and ``jam_immune`` (neither RF-link nor GNSS jamming stops it: INS or
visual navigation, no command link; by default when its type has no RF link).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dronewall.core.measurements import F64, I8, I32, I64, B, RfProtocol
from dronewall.core.taxonomy import Allegiance
from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import ObjectType, WaterBody

EARTH_RADIUS_M = 6_371_000.0
"""Mean Earth radius used to bend the flat frame onto the tangent plane (GK)."""

GLIDE_SLOPE_RAD = float(np.radians(3.0))
"""Standard ILS glide slope of arrivals (GK)."""

CLIMB_GRADIENT = 0.08
"""Climb gradient of departures, rise over run (A)."""

AIRPORT_LEG_M = 40_000.0
"""Length of the arrival and departure legs drawn in airport traffic (A)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """A point on the ground, WGS84 degrees."""

    lat_deg: float
    lon_deg: float


@dataclass(frozen=True, slots=True, kw_only=True)
class _Common:
    id: str
    type: ObjectType
    allegiance: Allegiance
    target_site: int = -1
    """Index into ``Scenario.sites`` of the site it is after, -1 for none."""
    start_s: float = 0.0
    end_s: float | None = None
    """Seconds after the scenario start the object appears / disappears (``None``: at the end)."""
    remote_id: bool | None = None
    """Broadcasts Remote ID; ``None``: when the type does and the object is not hostile (A)."""
    jamming_immune: bool | None = None
    """Jamming (RF link or GNSS) cannot stop it; ``None``: when the type has no RF link."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WaypointsSpec(_Common):
    """Fly a polyline of ``(lat_deg, lon_deg, alt_m)`` points at constant speed, then vanish."""

    waypoints: tuple[tuple[float, float, float], ...]
    speed_m_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproachLeg:
    """The approach-orbit-egress pattern about a target point.

    Start ``from_distance_m`` out on bearing ``from_bearing_deg`` from ``target``, fly straight in
    to the orbit circle of radius ``orbit_radius_m``, orbit for ``orbit_s``, then either leave on
    bearing ``leave_bearing_deg`` for ``from_distance_m`` and vanish (``then='leave'``) or keep
    orbiting (``then='stay'``). A munition strikes instead (``then='impact'``): it vanishes on
    reaching the circle, whose radius is then its miss distance.
    """

    target: Place
    from_bearing_deg: float
    from_distance_m: float
    speed_m_s: float
    alt_m: float
    orbit_radius_m: float
    orbit_s: float
    then: Literal["leave", "stay", "impact"]
    leave_bearing_deg: float
    clockwise: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproachSpec(_Common):
    """One object flying an :class:`ApproachLeg`."""

    leg: ApproachLeg


@dataclass(frozen=True, slots=True, kw_only=True)
class OrbitSpec(_Common):
    """Circle ``centre`` at ``radius_m``, ``speed_m_s`` and ``alt_m`` from ``phase_deg``."""

    centre: Place
    radius_m: float
    speed_m_s: float
    alt_m: float
    clockwise: bool = True
    phase_deg: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SwarmSpec(_Common):
    """``count`` members flying the same :class:`ApproachLeg` with spread and jitter.

    Member ``i`` (id ``<id>-<i+1>``) draws its entry bearing within ``±bearing_spread_deg / 2``,
    its start within ``start_spread_s``, its speed within ±10 % (clipped to the type's band), its
    orbit radius in ``[0.7, 1] r`` and altitude ``± 15 m``, and adds a smooth random jitter of about
    ``jitter_m``.
    """

    count: int
    leg: ApproachLeg
    bearing_spread_deg: float = 30.0
    start_spread_s: float = 60.0
    jitter_m: float = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CivilTrafficSpec:
    """Civil aircraft on straight tracks: overflights of a disc, or airport arrivals/departures.

    Overflight (``airport is None``): each aircraft crosses the disc of ``radius_m`` about
    ``centre`` on a random heading and offset at a constant altitude drawn from ``alt_band_m``
    (default: the upper part of the type's band) and a speed in the upper half of its speed band;
    entry times are spread so that some are already crossing at the start.

    Airport: alternately an arrival along the runway heading down a 3° glide slope from
    :data:`AIRPORT_LEG_M` out to the runway, and a departure climbing out along it.
    """

    id: str
    types: tuple[tuple[ObjectType, int], ...]
    allegiance: Allegiance
    centre: Place
    radius_m: float
    alt_band_m: tuple[float, float] | None = None
    airport: Place | None = None
    runway_heading_deg: float = 0.0
    start_s: float = 0.0
    end_s: float | None = None

    @property
    def count(self) -> int:
        return sum(n for _, n in self.types)


@dataclass(frozen=True, slots=True, kw_only=True)
class BirdFlockSpec:
    """``count`` birds milling around ``centre`` within about ``radius_m`` at low altitude.

    The flock centre flies a correlated random walk at a constant speed inside the type's band,
    turning home when farther than ``radius_m``; each bird holds a slowly varying offset (tens of
    metres) from the flock centre.
    """

    id: str
    type: ObjectType
    allegiance: Allegiance
    count: int
    centre: Place
    radius_m: float
    alt_m: float
    start_s: float = 0.0
    end_s: float | None = None


FormationShape = Literal["vee", "line-abreast", "column", "grid", "ring"]
LoiterPattern = Literal["circle", "racetrack", "figure-eight", "hover"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FormationSpec(_Common):
    """``count`` members holding a rigid ``shape`` with ``spacing_m`` about a lead on a path.

    The lead flies ``waypoints`` (``(lat_deg, lon_deg, alt_m)``) at ``speed_m_s`` from
    ``start_s``; with ``repeat`` it flies the closed circuit (back to the first point) again and
    again, else the formation vanishes at the last point. Member offsets (see
    :func:`formation_offsets`) turn with the lead's heading, smoothed over ``turn_s``. Member ``i``
    is ``<id>-<i+1>``; member 1 is the lead.
    """

    count: int
    waypoints: tuple[tuple[float, float, float], ...]
    speed_m_s: float
    shape: FormationShape = "vee"
    spacing_m: float = 30.0
    repeat: bool = False
    turn_s: float = 20.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LoiterSpec(_Common):
    """``count`` objects transit to a loiter ``pattern`` about ``centre``, loiter, then leave.

    Each starts ``from_distance_m`` out on ``from_bearing_deg``, flies straight to its entry point
    on the pattern (member ``i`` at arc length ``i L / count``), flies the pattern for
    ``loiter_s`` (``then='stay'``: to the end), then leaves on ``leave_bearing_deg`` for
    ``from_distance_m`` and vanishes. ``radius_m``: circle radius, racetrack turn radius,
    figure-eight lobe radius, hover spread; ``length_m``: the racetrack's straights; ``axis_deg``:
    the bearing of the racetrack's straights and the figure-eight's long axis. ``hover`` holds
    still (speed 0) at ``radius_m`` from the centre, members spread around it.
    """

    count: int
    centre: Place
    pattern: LoiterPattern
    radius_m: float
    speed_m_s: float
    alt_m: float
    from_bearing_deg: float
    from_distance_m: float
    loiter_s: float
    leave_bearing_deg: float
    length_m: float = 0.0
    axis_deg: float = 0.0
    clockwise: bool = True
    then: Literal["leave", "stay"] = "leave"


@dataclass(frozen=True, slots=True, kw_only=True)
class BirdPopulationSpec:
    """``n_flocks`` flocks of ``flock_size`` birds placed at random in a disc, denser over water.

    The counts are fixed when the scenario is loaded (from the seasonal density, see
    :func:`dronewall.world.birds.bird_census`); where each flock mills is drawn per run: over a
    water body with probability ``p_water`` (a body chosen with probability ``water_weights``,
    uniform in its disc), else uniform in the disc of ``radius_m`` about ``centre``. Each flock then
    flies as a :class:`BirdFlockSpec` about its home with ``home_radius_m``, at an altitude drawn in
    ``alt_band_m``. Birds are ``<id>-<flock>-<bird>``.
    """

    id: str
    type: ObjectType
    allegiance: Allegiance
    centre: Place
    radius_m: float
    n_flocks: int
    flock_size: int
    water: tuple[WaterBody, ...]
    water_weights: tuple[float, ...]
    p_water: float
    alt_band_m: tuple[float, float]
    home_radius_m: float = 1000.0
    start_s: float = 0.0
    end_s: float | None = None

    @property
    def count(self) -> int:
        return self.n_flocks * self.flock_size


ObjectSpec = (
    WaypointsSpec
    | ApproachSpec
    | OrbitSpec
    | SwarmSpec
    | FormationSpec
    | LoiterSpec
    | CivilTrafficSpec
    | BirdFlockSpec
    | BirdPopulationSpec
)


def spec_count(spec: ObjectSpec) -> int:
    """Number of objects a spec flies."""
    if isinstance(
        spec,
        SwarmSpec
        | FormationSpec
        | LoiterSpec
        | CivilTrafficSpec
        | BirdFlockSpec
        | BirdPopulationSpec,
    ):
        return spec.count
    return 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Flight:
    """``k`` flown objects: identities and flat-frame truth on the tick grid (see module doc)."""

    ids: tuple[str, ...]
    types: tuple[ObjectType, ...]
    allegiance: I8
    target_site: I32
    icao: I64
    pos: F64
    vel: F64
    alive: B
    remote_id: B
    jam_immune: B


def stable_key(text: str) -> int:
    """A 32-bit key of ``text`` that is the same in every process (for seeding child streams)."""
    return zlib.crc32(text.encode("utf-8"))


def icao_of(object_id: str) -> int:
    """A deterministic 24-bit ICAO address for a simulated aircraft, in the European block."""
    return 0x400000 + stable_key("icao:" + object_id) % 0x100000


# ---------------------------------------------------------------------------------------------
# kernels (flat frame, batched over time T and members k)


def _u(b: F64) -> F64:
    """Unit vectors ``(..., 2)`` of bearings ``b`` (rad)."""
    return np.stack([np.sin(b), np.cos(b)], axis=-1)


def straight(tau: F64, p0: F64, p1: F64, speed: F64, t_start: F64) -> tuple[F64, F64, B]:
    """Fly ``p0 -> p1`` (``(k, 3)``) at ``speed (k,)`` from ``t_start (k,)``.

    Returns
    -------
    pos, vel : (T, k, 3)
        Held at the ends outside the leg; velocity zero there.
    on : (T, k) bool
        On the leg (``0 <= s <= L``).
    """
    d = p1 - p0
    length = np.linalg.norm(d, axis=-1)
    direction = d / np.maximum(length, 1e-9)[:, None]
    s = speed[None, :] * (tau[:, None] - t_start[None, :])
    on = (s >= 0.0) & (s <= length[None, :])
    s_c = np.clip(s, 0.0, length[None, :])
    pos = p0[None] + s_c[..., None] * direction[None]
    vel = np.where(on[..., None], speed[None, :, None] * direction[None], 0.0)
    return pos, vel, on


def orbit(
    tau: F64, centre: F64, radius: F64, omega: F64, theta0: F64, t_start: F64
) -> tuple[F64, F64]:
    """Horizontal orbit positions and velocities ``(T, k, 2)``; ``omega`` signed rad/s."""
    theta = theta0[None, :] + omega[None, :] * (tau[:, None] - t_start[None, :])
    pos = centre[None] + radius[None, :, None] * _u(theta)
    vel = (radius * omega)[None, :, None] * np.stack([np.cos(theta), -np.sin(theta)], axis=-1)
    return pos, vel


def approach(
    tau: F64,
    centre: F64,
    *,
    b_in: F64,
    distance: F64,
    speed: F64,
    alt: F64,
    radius: F64,
    orbit_s: F64,
    b_out: F64,
    then: Literal["leave", "stay", "impact"],
    clockwise: bool,
    t_start: F64,
) -> tuple[F64, F64, B]:
    """The approach-orbit-egress pattern for ``k`` members (angles in rad, all ``(k,)``).

    Parameters
    ----------
    centre : (2,) float, m
        Target point (flat east, north).

    Returns
    -------
    pos, vel : (T, k, 3)
    alive : (T, k) bool
        From ``t_start`` until the end of the egress (``leave``), for ever (``stay``) or until
        reaching the circle (``impact``).
    """
    k = b_in.shape[0]
    u_in = _u(b_in)
    start = centre + distance[:, None] * u_in
    entry = centre + radius[:, None] * u_in
    z = alt[:, None]
    p_start = np.concatenate([start, z], axis=1)
    p_entry = np.concatenate([entry, z], axis=1)
    pos1, vel1, _ = straight(tau, p_start, p_entry, speed, t_start)
    t_orbit = t_start + (distance - radius) / speed
    omega = (1.0 if clockwise else -1.0) * speed / radius
    pos2, vel2 = orbit(tau, np.broadcast_to(centre, (k, 2)), radius, omega, b_in, t_orbit)
    t_exit = t_orbit + orbit_s
    exit_xy = centre + radius[:, None] * _u(b_in + omega * orbit_s)
    p_exit = np.concatenate([exit_xy, z], axis=1)
    p_away = p_exit + np.concatenate([distance[:, None] * _u(b_out), np.zeros((k, 1))], axis=1)
    pos3, vel3, on3 = straight(tau, p_exit, p_away, speed, t_exit)

    t = tau[:, None]
    leg1 = t < t_orbit[None, :]
    leg2 = ~leg1 if then == "stay" else (~leg1 & (t < t_exit[None, :]))
    pos = np.empty((tau.shape[0], k, 3))
    vel = np.zeros((tau.shape[0], k, 3))
    pos[...] = pos3
    vel[...] = vel3
    pos[..., :2] = np.where(leg2[..., None], pos2, pos[..., :2])
    vel[..., :2] = np.where(leg2[..., None], vel2, vel[..., :2])
    pos[..., 2] = z[:, 0][None, :]
    pos = np.where(leg1[..., None], pos1, pos)
    vel = np.where(leg1[..., None], vel1, vel)
    alive = t >= t_start[None, :]
    if then == "leave":
        alive &= leg1 | leg2 | on3
    elif then == "impact":
        alive &= t <= t_orbit[None, :]
    return pos, vel, alive


def polyline(tau: F64, vertices: F64, speed: float, t_start: float) -> tuple[F64, F64, B]:
    """Follow ``vertices (P, 3)`` at ``speed``; returns ``pos, vel (T, 3)`` and ``on (T,)``."""
    seg = np.diff(vertices, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = speed * (tau - t_start)
    on = (s >= 0.0) & (s <= cum[-1])
    s_c = np.clip(s, 0.0, cum[-1])
    pos = np.stack([np.interp(s_c, cum, vertices[:, i]) for i in range(3)], axis=-1)
    i_seg = np.clip(np.searchsorted(cum, s_c, side="right") - 1, 0, seg.shape[0] - 1)
    direction = seg / np.maximum(seg_len, 1e-9)[:, None]
    vel = np.where(on[:, None], speed * direction[i_seg], 0.0)
    return pos, vel, on


def jitter(tau: F64, amp_m: F64, rng: np.random.Generator) -> tuple[F64, F64]:
    """Smooth random offsets ``(T, k, 3)`` of scale ``amp_m (k,)`` and their time derivatives.

    Each axis is a sum of three sinusoids of amplitude ``amp/3`` (vertical ``amp/9``) with periods
    of 60-180 s and random phases, so offsets stay within ``±amp`` and the added speed within
    :func:`jitter_speed_bound`.
    """
    k = amp_m.shape[0]
    omega = 2.0 * np.pi / rng.uniform(60.0, 180.0, (3, k, 3))
    phase = rng.uniform(0.0, 2.0 * np.pi, (3, k, 3))
    a = (amp_m[:, None] / 3.0) * np.array([1.0, 1.0, 1.0 / 3.0])  # (k, 3)
    arg = omega[:, None] * tau[None, :, None, None] + phase[:, None]  # (3, T, k, 3)
    dpos: F64 = np.sum(a[None, None] * np.sin(arg), axis=0)
    dvel: F64 = np.sum((a[None] * omega)[:, None] * np.cos(arg), axis=0)
    return dpos, dvel


def jitter_speed_bound(amp_m: float) -> float:
    """Largest speed (m/s) :func:`jitter` can add: ``√(1 + 1 + 1/9) · amp · 2π / 60 s ≤ 1.5 ·``."""
    return float(1.5 * amp_m * 2.0 * np.pi / 60.0)


def flat_to_enu(pos: F64, vel: F64) -> tuple[F64, F64]:
    """Bend flat-frame ``(e, n, alt)`` onto the ENU tangent plane of the frame origin.

    A point at altitude ``h`` and horizontal distance ``ρ`` from the origin lies
    ``ρ² / 2R`` below the tangent plane: ``up = h - (e² + n²) / 2R`` (to ~1 m at 100 km), and
    ``v_up = v_alt - (e v_e + n v_n) / R``.
    """
    up = pos[..., 2] - (pos[..., 0] ** 2 + pos[..., 1] ** 2) / (2.0 * EARTH_RADIUS_M)
    vup = vel[..., 2] - (pos[..., 0] * vel[..., 0] + pos[..., 1] * vel[..., 1]) / EARTH_RADIUS_M
    return (
        np.concatenate([pos[..., :2], up[..., None]], axis=-1),
        np.concatenate([vel[..., :2], vup[..., None]], axis=-1),
    )


# ---------------------------------------------------------------------------------------------
# specs -> flights


def _xy(frame: LocalFrame, place: Place) -> F64:
    return frame.lla_to_enu([place.lat_deg, place.lon_deg, 0.0])[:2]


def _window(tau: F64, start_s: float, end_s: float | None) -> B:
    end = np.inf if end_s is None else end_s
    return (tau >= start_s) & (tau <= end)


def _flight(
    ids: list[str],
    types: list[ObjectType],
    allegiance: Allegiance,
    target_site: int,
    pos: F64,
    vel: F64,
    alive: B,
    *,
    remote_id: bool | None = False,
    jamming_immune: bool | None = None,
) -> Flight:
    k = len(ids)
    rid = [
        (t.remote_id and allegiance is not Allegiance.HOSTILE) if remote_id is None else remote_id
        for t in types
    ]
    immune = [
        (t.rf_protocol is RfProtocol.NONE) if jamming_immune is None else jamming_immune
        for t in types
    ]
    return Flight(
        ids=tuple(ids),
        types=tuple(types),
        allegiance=np.full(k, int(allegiance), np.int8),
        target_site=np.full(k, target_site, np.int32),
        icao=np.array(
            [icao_of(i) if t.adsb else -1 for i, t in zip(ids, types, strict=True)], dtype=np.int64
        ),
        pos=pos,
        vel=vel,
        alive=alive,
        remote_id=np.array(rid, dtype=np.bool_),
        jam_immune=np.array(immune, dtype=np.bool_),
    )


def _coop(spec: _Common) -> dict[str, bool | None]:
    return {"remote_id": spec.remote_id, "jamming_immune": spec.jamming_immune}


def _fly_leg(
    spec: ApproachSpec | SwarmSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator
) -> Flight:
    leg = spec.leg
    k = spec.count if isinstance(spec, SwarmSpec) else 1
    one = np.ones(k)
    b_in = np.radians(leg.from_bearing_deg) * one
    distance = leg.from_distance_m * one
    speed = leg.speed_m_s * one
    alt = leg.alt_m * one
    radius = leg.orbit_radius_m * one
    t_start = spec.start_s * one
    jit = np.zeros(k)
    if isinstance(spec, SwarmSpec):
        b_in = b_in + np.radians(spec.bearing_spread_deg) * rng.uniform(-0.5, 0.5, k)
        t_start = t_start + rng.uniform(0.0, spec.start_spread_s, k)
        jit = spec.jitter_m * one
        # leave room in the type's band for the jitter's own speed
        v_jit = jitter_speed_bound(spec.jitter_m)
        v_lo = spec.type.speed_min_m_s + v_jit
        v_hi = max(spec.type.speed_max_m_s - v_jit, v_lo)
        speed = np.clip(speed * rng.uniform(0.9, 1.1, k), v_lo, v_hi)
        radius = radius * rng.uniform(0.7, 1.0, k)
        alt = alt + rng.uniform(-15.0, 15.0, k)
        distance = np.maximum(distance * rng.uniform(0.95, 1.05, k), radius)
    pos, vel, alive = approach(
        tau,
        _xy(frame, leg.target),
        b_in=b_in,
        distance=distance,
        speed=speed,
        alt=alt,
        radius=radius,
        orbit_s=leg.orbit_s * one,
        b_out=np.radians(leg.leave_bearing_deg) * one,
        then=leg.then,
        clockwise=leg.clockwise,
        t_start=t_start,
    )
    if isinstance(spec, SwarmSpec):
        dpos, dvel = jitter(tau, jit, rng)
        pos = pos + dpos
        vel = vel + dvel
        ids = [f"{spec.id}-{i + 1}" for i in range(k)]
    else:
        ids = [spec.id]
    alive &= _window(tau, spec.start_s, spec.end_s)[:, None]
    return _flight(
        ids, [spec.type] * k, spec.allegiance, spec.target_site, pos, vel, alive, **_coop(spec)
    )


def _fly_civil(
    spec: CivilTrafficSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator
) -> Flight:
    types = [t for t, n in spec.types for _ in range(n)]
    k = len(types)
    v_min = np.array([t.speed_min_m_s for t in types])
    v_max = np.array([t.speed_max_m_s for t in types])
    duration = float(tau[-1]) if tau.shape[0] else 0.0
    if spec.airport is None:
        c = _xy(frame, spec.centre)
        heading = rng.uniform(0.0, 2.0 * np.pi, k)
        q = rng.uniform(-0.7, 0.7, k) * spec.radius_m
        half = np.sqrt(spec.radius_m**2 - q**2)
        mid = c + q[:, None] * _u(heading + 0.5 * np.pi)
        if spec.alt_band_m is None:
            a_hi = np.array([t.alt_max_m for t in types])
            a_lo = np.maximum(np.array([t.alt_min_m for t in types]), 0.3 * a_hi)
        else:
            a_lo = np.full(k, spec.alt_band_m[0])
            a_hi = np.full(k, spec.alt_band_m[1])
        alt = rng.uniform(a_lo, a_hi)
        speed = rng.uniform(0.5 * (v_min + v_max), v_max)
        p0 = np.concatenate([mid - half[:, None] * _u(heading), alt[:, None]], axis=1)
        p1 = np.concatenate([mid + half[:, None] * _u(heading), alt[:, None]], axis=1)
        t_enter = rng.uniform(-0.9 * 2.0 * half / speed, 0.8 * duration)
    else:
        a = _xy(frame, spec.airport)
        u_rw = _u(np.full(k, np.radians(spec.runway_heading_deg)))
        leg = min(AIRPORT_LEG_M, spec.radius_m)
        arrival = np.arange(k) % 2 == 0
        far_alt = np.where(arrival, leg * np.tan(GLIDE_SLOPE_RAD), leg * CLIMB_GRADIENT)
        runway = np.concatenate([np.broadcast_to(a, (k, 2)), np.full((k, 1), 15.0)], axis=1)
        sign = np.where(arrival, -1.0, 1.0)[:, None]
        far = np.concatenate([a + sign * leg * u_rw, far_alt[:, None]], axis=1)
        p0 = np.where(arrival[:, None], far, runway)
        p1 = np.where(arrival[:, None], runway, far)
        speed = np.where(arrival, rng.uniform(65.0, 80.0, k), rng.uniform(80.0, 110.0, k))
        speed = np.clip(speed, v_min, v_max)
        t_enter = rng.uniform(-0.9 * leg / speed, 0.9 * duration)
    pos, vel, on = straight(tau, p0, p1, speed, t_enter)
    alive = on & _window(tau, spec.start_s, spec.end_s)[:, None]
    ids = [f"{spec.id}-{i + 1}" for i in range(k)]
    return _flight(ids, types, spec.allegiance, -1, pos, vel, alive)


def flock_walk(
    tau: F64, home: F64, p0: F64, h0: F64, speed: F64, radius: F64, noise: F64
) -> tuple[F64, F64]:
    """Flock centres: correlated random walks ``(T, F, 2)`` homing on ``home``, and headings.

    Each of ``F`` flock centres flies at ``speed (F,)`` from ``p0 (F, 2)`` on heading ``h0 (F,)``;
    the heading diffuses by ``noise (T, F)`` (rad per step) and, when farther than ``radius (F,)``
    from ``home (F, 2)``, turns home by at most 10 deg/s. A loop over time steps (the homing turn
    depends on the position), vectorised over flocks.
    """
    t_n = tau.shape[0]
    dt = np.diff(tau, prepend=tau[0] - (tau[1] - tau[0] if t_n > 1 else 1.0))
    max_turn = np.radians(10.0) * dt
    xy = np.empty((t_n, *p0.shape))
    heading = np.empty((t_n, p0.shape[0]))
    p = p0.astype(np.float64).copy()
    h = h0.astype(np.float64).copy()
    for i in range(t_n):
        off = home - p
        far = np.hypot(off[:, 0], off[:, 1]) > radius
        want = np.arctan2(off[:, 0], off[:, 1])
        err = (want - h + np.pi) % (2.0 * np.pi) - np.pi
        h = h + np.where(far, np.clip(err, -max_turn[i], max_turn[i]), 0.0)
        h = h + noise[i]
        p = p + (speed * dt[i])[:, None] * np.stack([np.sin(h), np.cos(h)], axis=-1)
        xy[i] = p
        heading[i] = h
    return xy, heading


def _bird_speed_band(t: ObjectType, jit_amp: float) -> tuple[float, float]:
    v_jit = jitter_speed_bound(jit_amp)
    lo = t.speed_min_m_s + v_jit
    return lo, max(t.speed_max_m_s - v_jit, lo)


_BIRD_JITTER_M = 30.0
"""Scale of each bird's slowly varying offset from its flock centre (A)."""


def _fly_birds(
    spec: BirdFlockSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator
) -> Flight:
    t_n, k = tau.shape[0], spec.count
    home = _xy(frame, spec.centre)
    lo, hi = _bird_speed_band(spec.type, _BIRD_JITTER_M)
    v_flock = float(rng.uniform(lo, hi))
    # flock centre: correlated random walk (heading diffuses ~6 deg/sqrt(s)), homing when far out
    dt = np.diff(tau, prepend=tau[0] - (tau[1] - tau[0] if t_n > 1 else 1.0))
    noise = rng.standard_normal(t_n) * np.radians(6.0) * np.sqrt(dt)
    p = home + spec.radius_m * 0.5 * np.sqrt(rng.random()) * _u(np.array(rng.uniform(0, 2 * np.pi)))
    h = float(rng.uniform(0.0, 2.0 * np.pi))
    xy, heading = flock_walk(
        tau,
        home[None],
        p[None],
        np.array([h]),
        np.array([v_flock]),
        np.array([spec.radius_m]),
        noise[:, None],
    )
    vel_c = v_flock * _u(heading[:, 0])
    dpos, dvel = jitter(tau, np.full(k, _BIRD_JITTER_M), rng)
    alt = spec.alt_m + rng.uniform(-10.0, 10.0, k)
    pos = np.empty((t_n, k, 3))
    pos[..., :2] = xy[:, 0, None, :] + dpos[..., :2]
    pos[..., 2] = np.maximum(alt[None, :] + dpos[..., 2], 2.0)
    vel = np.empty((t_n, k, 3))
    vel[..., :2] = vel_c[:, None, :] + dvel[..., :2]
    vel[..., 2] = dvel[..., 2]
    alive = np.broadcast_to(_window(tau, spec.start_s, spec.end_s)[:, None], (t_n, k)).copy()
    ids = [f"{spec.id}-{i + 1}" for i in range(k)]
    return _flight(ids, [spec.type] * k, spec.allegiance, -1, pos, vel, alive)


def _uniform_disc(rng: np.random.Generator, n: int, radius: F64) -> F64:
    """``n`` points ``(n, 2)`` uniform in discs of ``radius (n,)`` about the origin."""
    r = radius * np.sqrt(rng.random(n))
    return r[:, None] * _u(rng.uniform(0.0, 2.0 * np.pi, n))


def _fly_bird_population(
    spec: BirdPopulationSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator
) -> Flight:
    t_n, f, b = tau.shape[0], spec.n_flocks, spec.flock_size
    k = f * b
    centre = _xy(frame, spec.centre)
    homes = centre + _uniform_disc(rng, f, np.full(f, spec.radius_m))
    if spec.water and spec.p_water > 0.0:
        on_water = rng.random(f) < spec.p_water
        w = np.asarray(spec.water_weights, np.float64)
        pick = rng.choice(len(spec.water), size=f, p=w / w.sum())
        w_lla = [[wb.lat_deg, wb.lon_deg, 0.0] for wb in spec.water]
        w_xy = frame.lla_to_enu(np.array(w_lla))[:, :2][pick]
        w_r = np.array([wb.radius_m for wb in spec.water])[pick]
        homes = np.where(on_water[:, None], w_xy + _uniform_disc(rng, f, w_r), homes)
    lo, hi = _bird_speed_band(spec.type, _BIRD_JITTER_M)
    v = rng.uniform(lo, hi, f)
    dt = np.diff(tau, prepend=tau[0] - (tau[1] - tau[0] if t_n > 1 else 1.0))
    noise = rng.standard_normal((t_n, f)) * np.radians(6.0) * np.sqrt(dt)[:, None]
    radius = np.full(f, spec.home_radius_m)
    p0 = homes + _uniform_disc(rng, f, 0.5 * radius)
    xy, heading = flock_walk(tau, homes, p0, rng.uniform(0.0, 2.0 * np.pi, f), v, radius, noise)
    vel_c = v[None, :, None] * _u(heading)  # (T, F, 2)
    dpos, dvel = jitter(tau, np.full(k, _BIRD_JITTER_M), rng)
    lo_a, hi_a = spec.alt_band_m
    flock_alt = rng.uniform(lo_a, hi_a, f)
    alt = np.clip(np.repeat(flock_alt, b) + rng.uniform(-10.0, 10.0, k), lo_a, hi_a)
    pos = np.empty((t_n, k, 3))
    pos[..., :2] = np.repeat(xy, b, axis=1) + dpos[..., :2]
    pos[..., 2] = np.maximum(alt[None, :] + dpos[..., 2], 2.0)
    vel = np.empty((t_n, k, 3))
    vel[..., :2] = np.repeat(vel_c, b, axis=1) + dvel[..., :2]
    vel[..., 2] = dvel[..., 2]
    alive = np.broadcast_to(_window(tau, spec.start_s, spec.end_s)[:, None], (t_n, k)).copy()
    ids = [f"{spec.id}-{i + 1}-{j + 1}" for i in range(f) for j in range(b)]
    return _flight(ids, [spec.type] * k, spec.allegiance, -1, pos, vel, alive)


# ---------------------------------------------------------------------------------------------
# formations


def formation_offsets(shape: FormationShape, count: int, spacing_m: float) -> F64:
    """Member offsets ``(count, 2)`` as ``(right, back)`` metres from the path point.

    ``vee``: member 0 on the path, then members alternately right and left, each pair one
    ``spacing`` farther back and out; ``line-abreast``: a line across the heading centred on the
    path; ``column``: one behind the other from the path point; ``grid``: rows of
    ``ceil(√count)`` across, centred, rows ``spacing`` apart; ``ring``: evenly on a circle of
    circumference ``count · spacing`` whose front is the path point.
    """
    i = np.arange(count, dtype=np.float64)
    s = float(spacing_m)
    if shape == "vee":
        k = np.ceil(i / 2.0)
        side = np.where(i % 2 == 1, 1.0, -1.0)
        right, back = side * k * s, k * s
    elif shape == "line-abreast":
        right, back = (i - (count - 1) / 2.0) * s, np.zeros(count)
    elif shape == "column":
        right, back = np.zeros(count), i * s
    elif shape == "grid":
        cols = int(np.ceil(np.sqrt(count)))
        right, back = (i % cols - (cols - 1) / 2.0) * s, (i // cols) * s
    else:  # ring
        r = count * s / (2.0 * np.pi)
        a = 2.0 * np.pi * i / count
        right, back = r * np.sin(a), r * (1.0 - np.cos(a))
    out: F64 = np.stack([right, back], axis=-1)
    return out


def _smooth_heading(tau: F64, vel: F64, on: B, turn_s: float) -> F64:
    """Heading ``(T,)`` of ``vel (T, 2)``, held while still, moving-averaged over ``turn_s``."""
    moving = on & (np.hypot(vel[:, 0], vel[:, 1]) > 1e-9)
    if not moving.any():
        return np.zeros(tau.shape[0])
    raw = np.arctan2(vel[:, 0], vel[:, 1])
    idx = np.where(moving, np.arange(tau.shape[0]), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.argmax(moving))
    idx = np.where(idx < 0, first, idx)
    psi = np.unwrap(raw[idx])
    dt = float(np.median(np.diff(tau))) if tau.shape[0] > 1 else 1.0
    w = max(1, round(turn_s / dt))
    if w <= 1 or tau.shape[0] < 2:
        return psi
    pad = np.concatenate([np.full(w // 2, psi[0]), psi, np.full(w - 1 - w // 2, psi[-1])])
    smooth: F64 = np.convolve(pad, np.ones(w) / w, mode="valid")
    return smooth


def _fly_formation(spec: FormationSpec, tau: F64, frame: LocalFrame) -> Flight:
    verts = np.array(
        [[*frame.lla_to_enu([lat, lon, 0.0])[:2], alt] for lat, lon, alt in spec.waypoints]
    )
    if spec.repeat:
        verts = np.concatenate([verts, verts[:1]])
        length = float(np.sum(np.linalg.norm(np.diff(verts, axis=0), axis=1)))
        lap_s = length / spec.speed_m_s
        t_rel = tau - spec.start_s
        tau_path = spec.start_s + np.where(t_rel >= 0.0, np.mod(t_rel, lap_s), t_rel)
        lead, lead_v, on = polyline(tau_path, verts, spec.speed_m_s, spec.start_s)
        on = tau >= spec.start_s
    else:
        lead, lead_v, on = polyline(tau, verts, spec.speed_m_s, spec.start_s)
    psi = _smooth_heading(tau, lead_v[:, :2], on, spec.turn_s)
    off = formation_offsets(spec.shape, spec.count, spec.spacing_m)
    fwd = _u(psi)  # (T, 2)
    right = np.stack([np.cos(psi), -np.sin(psi)], axis=-1)
    k = spec.count
    pos = np.empty((tau.shape[0], k, 3))
    pos[..., :2] = (
        lead[:, None, :2]
        + off[None, :, 0, None] * right[:, None, :]
        - off[None, :, 1, None] * fwd[:, None, :]
    )
    pos[..., 2] = lead[:, None, 2]
    vel: F64 = (
        np.asarray(np.gradient(pos, tau, axis=0))
        if tau.shape[0] > 1
        else np.broadcast_to(lead_v[:, None, :], pos.shape).copy()
    )
    alive = (on & _window(tau, spec.start_s, spec.end_s))[:, None] & np.ones(k, np.bool_)
    vel = np.where(alive[..., None], vel, 0.0)
    ids = [f"{spec.id}-{i + 1}" for i in range(k)]
    return _flight(
        ids, [spec.type] * k, spec.allegiance, spec.target_site, pos, vel, alive, **_coop(spec)
    )


# ---------------------------------------------------------------------------------------------
# loiter patterns


def pattern_perimeter(pattern: LoiterPattern, radius_m: float, length_m: float) -> float:
    """Arc length ``L`` of one lap of a loiter pattern (0 for hover)."""
    if pattern == "circle":
        return float(2.0 * np.pi * radius_m)
    if pattern == "racetrack":
        return float(2.0 * length_m + 2.0 * np.pi * radius_m)
    if pattern == "figure-eight":
        return float(4.0 * np.pi * radius_m)
    return 0.0


def pattern_point(
    pattern: LoiterPattern, s: F64, radius_m: float, length_m: float, clockwise: bool = True
) -> F64:
    """Points ``(..., 2)`` at arc length ``s`` on a pattern, in its own frame ``(across, along)``.

    The pattern frame's second axis is the pattern's axis (``axis_deg`` in the world), centred on
    the loiter centre. ``clockwise=False`` mirrors the pattern across its axis.
    """
    r, ell = float(radius_m), float(length_m)
    lap = pattern_perimeter(pattern, r, ell)
    if pattern == "hover" or lap <= 0.0:
        return np.zeros((*np.shape(s), 2))
    s = np.mod(s, lap)
    if pattern == "circle":
        th = s / r
        xy = r * np.stack([np.sin(th), np.cos(th)], axis=-1)
    elif pattern == "racetrack":
        # up the right straight, over the top turn, down the left straight, round the bottom turn
        half = np.pi * r
        s1, s2, s3 = ell, ell + half, 2.0 * ell + half
        a_top = (s - s1) / r
        a_bot = (s - s3) / r
        straight_r = np.stack([np.full_like(s, r), s - ell / 2.0], axis=-1)
        top = np.stack([r * np.cos(a_top), ell / 2.0 + r * np.sin(a_top)], axis=-1)
        straight_l = np.stack([np.full_like(s, -r), ell / 2.0 - (s - s2)], axis=-1)
        bottom = np.stack([-r * np.cos(a_bot), -ell / 2.0 - r * np.sin(a_bot)], axis=-1)
        xy = np.where(
            (s < s1)[..., None],
            straight_r,
            np.where((s < s2)[..., None], top, np.where((s < s3)[..., None], straight_l, bottom)),
        )
    else:  # figure-eight: upper lobe clockwise from the crossing, lower lobe anticlockwise
        th = s / r
        upper = np.stack([r * np.sin(np.pi + th), r + r * np.cos(np.pi + th)], axis=-1)
        lower = np.stack(
            [r * np.sin(-(th - 2.0 * np.pi)), -r + r * np.cos(th - 2.0 * np.pi)], axis=-1
        )
        xy = np.where((s < 2.0 * np.pi * r)[..., None], upper, lower)
    # the racetrack above runs anticlockwise, the circle and the upper lobe clockwise
    if clockwise == (pattern == "racetrack"):
        xy = xy * np.array([-1.0, 1.0])
    out: F64 = xy
    return out


def _to_world(xy: F64, axis_rad: float) -> F64:
    """Pattern frame ``(across, along)`` to flat ``(east, north)`` for an axis bearing."""
    fwd = np.array([np.sin(axis_rad), np.cos(axis_rad)])
    right = np.array([np.cos(axis_rad), -np.sin(axis_rad)])
    out: F64 = xy[..., :1] * right + xy[..., 1:2] * fwd
    return out


def _fly_loiter(spec: LoiterSpec, tau: F64, frame: LocalFrame) -> Flight:
    k, v = spec.count, spec.speed_m_s
    c = _xy(frame, spec.centre)
    axis = float(np.radians(spec.axis_deg))
    lap = pattern_perimeter(spec.pattern, spec.radius_m, spec.length_m)
    s0: F64 = np.arange(k, dtype=np.float64) * (lap / k)
    if spec.pattern == "hover":
        ang = np.radians(spec.from_bearing_deg) + 2.0 * np.pi * np.arange(k) / k
        entry = c + (spec.radius_m if k > 1 else 0.0) * _u(ang)
    else:
        rel = pattern_point(spec.pattern, s0, spec.radius_m, spec.length_m, spec.clockwise)
        entry = c + _to_world(rel, axis)
    z = np.full((k, 1), spec.alt_m)
    start = c + spec.from_distance_m * _u(np.full(k, np.radians(spec.from_bearing_deg)))
    p_start = np.concatenate([start, z], axis=1)
    p_entry = np.concatenate([entry, z], axis=1)
    t_start = np.full(k, spec.start_s)
    pos1, vel1, _ = straight(tau, p_start, p_entry, np.full(k, v), t_start)
    t_arr = t_start + np.linalg.norm(entry - start, axis=1) / v
    t_exit = t_arr + spec.loiter_s
    t = tau[:, None]
    # on the pattern
    if spec.pattern == "hover":
        pos2 = np.broadcast_to(entry[None], (tau.shape[0], k, 2))
        vel2 = np.zeros((tau.shape[0], k, 2))
        exit_xy = entry
    else:
        s = s0[None, :] + v * np.clip(t - t_arr[None, :], 0.0, None)

        def pf(q: F64) -> F64:
            return _to_world(
                pattern_point(spec.pattern, q, spec.radius_m, spec.length_m, spec.clockwise), axis
            )

        pos2 = c + pf(s)
        h = 0.05
        tangent = pf(s + h) - pf(s - h)
        vel2 = v * tangent / np.maximum(np.linalg.norm(tangent, axis=-1, keepdims=True), 1e-12)
        exit_xy = c + pf(s0 + float(v * spec.loiter_s))
    p_exit = np.concatenate([exit_xy, z], axis=1)
    away = np.concatenate(
        [
            spec.from_distance_m * _u(np.full(k, np.radians(spec.leave_bearing_deg))),
            np.zeros((k, 1)),
        ],
        axis=1,
    )
    pos3, vel3, on3 = straight(tau, p_exit, p_exit + away, np.full(k, v), t_exit)
    leg1 = t < t_arr[None, :]
    leg2 = ~leg1 if spec.then == "stay" else (~leg1 & (t < t_exit[None, :]))
    pos = pos3.copy()
    vel = vel3.copy()
    pos[..., :2] = np.where(leg2[..., None], pos2, pos[..., :2])
    vel[..., :2] = np.where(leg2[..., None], vel2, vel[..., :2])
    pos = np.where(leg1[..., None], pos1, pos)
    vel = np.where(leg1[..., None], vel1, vel)
    pos[..., 2] = spec.alt_m
    alive = t >= t_start[None, :]
    if spec.then == "leave":
        alive &= leg1 | leg2 | on3
    alive &= _window(tau, spec.start_s, spec.end_s)[:, None]
    ids = [f"{spec.id}-{i + 1}" for i in range(k)] if k > 1 else [spec.id]
    return _flight(
        ids, [spec.type] * k, spec.allegiance, spec.target_site, pos, vel, alive, **_coop(spec)
    )


def fly(spec: ObjectSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator) -> Flight:
    """Fly one spec on the tick grid ``tau (T,)`` (s after start) in ``frame``'s flat frame."""
    if isinstance(spec, ApproachSpec | SwarmSpec):
        return _fly_leg(spec, tau, frame, rng)
    if isinstance(spec, CivilTrafficSpec):
        return _fly_civil(spec, tau, frame, rng)
    if isinstance(spec, BirdFlockSpec):
        return _fly_birds(spec, tau, frame, rng)
    if isinstance(spec, BirdPopulationSpec):
        return _fly_bird_population(spec, tau, frame, rng)
    if isinstance(spec, FormationSpec):
        return _fly_formation(spec, tau, frame)
    if isinstance(spec, LoiterSpec):
        return _fly_loiter(spec, tau, frame)
    if isinstance(spec, OrbitSpec):
        omega = (1.0 if spec.clockwise else -1.0) * spec.speed_m_s / spec.radius_m
        xy, vxy = orbit(
            tau,
            _xy(frame, spec.centre)[None],
            np.array([spec.radius_m]),
            np.array([omega]),
            np.radians([spec.phase_deg]),
            np.array([spec.start_s]),
        )
        pos = np.concatenate([xy, np.full((tau.shape[0], 1, 1), spec.alt_m)], axis=-1)
        vel = np.concatenate([vxy, np.zeros((tau.shape[0], 1, 1))], axis=-1)
        alive = _window(tau, spec.start_s, spec.end_s)[:, None]
        return _flight(
            [spec.id], [spec.type], spec.allegiance, spec.target_site, pos, vel, alive,
            **_coop(spec),
        )  # fmt: skip
    verts = np.array(
        [[*frame.lla_to_enu([lat, lon, 0.0])[:2], alt] for lat, lon, alt in spec.waypoints]
    )
    p, v, on = polyline(tau, verts, spec.speed_m_s, spec.start_s)
    alive = on & _window(tau, spec.start_s, spec.end_s)
    return _flight(
        [spec.id],
        [spec.type],
        spec.allegiance,
        spec.target_site,
        p[:, None],
        v[:, None],
        alive[:, None],
        **_coop(spec),
    )
