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
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dronewall.core.measurements import F64, I8, I32, I64, B
from dronewall.core.taxonomy import Allegiance
from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import ObjectType

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


ObjectSpec = WaypointsSpec | ApproachSpec | OrbitSpec | SwarmSpec | CivilTrafficSpec | BirdFlockSpec


def spec_count(spec: ObjectSpec) -> int:
    """Number of objects a spec flies."""
    if isinstance(spec, SwarmSpec | CivilTrafficSpec | BirdFlockSpec):
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
) -> Flight:
    k = len(ids)
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
    )


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
    return _flight(ids, [spec.type] * k, spec.allegiance, spec.target_site, pos, vel, alive)


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


def _fly_birds(
    spec: BirdFlockSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator
) -> Flight:
    t_n, k = tau.shape[0], spec.count
    home = _xy(frame, spec.centre)
    jit_amp = 30.0
    v_jit = jitter_speed_bound(jit_amp)
    lo = spec.type.speed_min_m_s + v_jit
    hi = max(spec.type.speed_max_m_s - v_jit, lo)
    v_flock = float(rng.uniform(lo, hi))
    # flock centre: correlated random walk (heading diffuses ~6 deg/sqrt(s)), homing when far out
    dt = np.diff(tau, prepend=tau[0] - (tau[1] - tau[0] if t_n > 1 else 1.0))
    noise = rng.standard_normal(t_n) * np.radians(6.0) * np.sqrt(dt)
    max_turn = np.radians(10.0) * dt
    xy = np.empty((t_n, 2))
    heading = np.empty(t_n)
    p = home + spec.radius_m * 0.5 * np.sqrt(rng.random()) * _u(np.array(rng.uniform(0, 2 * np.pi)))
    h = float(rng.uniform(0.0, 2.0 * np.pi))
    for i in range(t_n):  # a loop over time steps: the homing turn depends on the position
        off = home - p
        if float(np.hypot(off[0], off[1])) > spec.radius_m:
            want = float(np.arctan2(off[0], off[1]))
            err = (want - h + np.pi) % (2.0 * np.pi) - np.pi
            h += float(np.clip(err, -max_turn[i], max_turn[i]))
        h += float(noise[i])
        p = p + v_flock * dt[i] * np.array([np.sin(h), np.cos(h)])
        xy[i] = p
        heading[i] = h
    vel_c = v_flock * _u(heading)
    dpos, dvel = jitter(tau, np.full(k, jit_amp), rng)
    alt = spec.alt_m + rng.uniform(-10.0, 10.0, k)
    pos = np.empty((t_n, k, 3))
    pos[..., :2] = xy[:, None, :] + dpos[..., :2]
    pos[..., 2] = np.maximum(alt[None, :] + dpos[..., 2], 2.0)
    vel = np.empty((t_n, k, 3))
    vel[..., :2] = vel_c[:, None, :] + dvel[..., :2]
    vel[..., 2] = dvel[..., 2]
    alive = np.broadcast_to(_window(tau, spec.start_s, spec.end_s)[:, None], (t_n, k)).copy()
    ids = [f"{spec.id}-{i + 1}" for i in range(k)]
    return _flight(ids, [spec.type] * k, spec.allegiance, -1, pos, vel, alive)


def fly(spec: ObjectSpec, tau: F64, frame: LocalFrame, rng: np.random.Generator) -> Flight:
    """Fly one spec on the tick grid ``tau (T,)`` (s after start) in ``frame``'s flat frame."""
    if isinstance(spec, ApproachSpec | SwarmSpec):
        return _fly_leg(spec, tau, frame, rng)
    if isinstance(spec, CivilTrafficSpec):
        return _fly_civil(spec, tau, frame, rng)
    if isinstance(spec, BirdFlockSpec):
        return _fly_birds(spec, tau, frame, rng)
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
        return _flight([spec.id], [spec.type], spec.allegiance, spec.target_site, pos, vel, alive)
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
    )
