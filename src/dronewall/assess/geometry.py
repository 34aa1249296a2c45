"""Track-to-site geometry: range, closest point of approach, time to a site's core.

Data layout
-----------
Tracks: positions ``pos (N, 3)`` and velocities ``vel (N, 3)`` in the run's local ENU frame (m,
m/s). Sites: centres ``site_enu (S, 3)`` in the same frame and radii ``(S,)`` in metres. Every
output is ``(N, S)``, one row per track, one column per site. Geometry is horizontal (east, north):
sites are vertical cylinders, since a drone over a plant threatens it at any height it can fly.

Maths
-----
With the horizontal offset ``d = p - s`` and velocity ``v`` of a track held constant::

    t_cpa = max(0, -(d·v) / (v·v))        (0 for a hovering or receding track)
    cpa   = ‖d + v t_cpa‖

The time to the core of radius ``r_c`` is the smallest ``t ≥ 0`` with ``‖d + v t‖ = r_c``:
0 inside the core, else the first root of ``(v·v) t² + 2 (d·v) t + (d·d − r_c²) = 0`` when it is
real and non-negative, else ``inf`` (the track will not enter the core on its present course).

Heights: ENU ``up`` is measured from the frame's tangent plane, which falls below the ellipsoid with
distance ``ρ`` from the origin by ``ρ² / 2R``; :func:`approx_height_m` adds that back (error under
1 m within 300 km), giving the height above the WGS84 ellipsoid without a geodetic round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B = NDArray[np.bool_]

#: Mean Earth radius (m) for the tangent-plane curvature correction.
EARTH_RADIUS_M = 6_371_000.0

#: Speed below which a track counts as hovering for CPA (m/s).
HOVER_SPEED_M_S = 1e-6


def approx_height_m(enu: F64, origin_h_m: float = 0.0) -> F64:
    """Height above the WGS84 ellipsoid of ENU points (m).

    Parameters
    ----------
    enu : (N, 3) float64
        Positions in a local ENU frame, m.
    origin_h_m : float
        Ellipsoidal height of the frame origin, m.

    Returns
    -------
    (N,) float64
        ``h ≈ h0 + u + (e² + n²) / 2R``, m.
    """
    rho2 = enu[:, 0] ** 2 + enu[:, 1] ** 2
    out: F64 = origin_h_m + enu[:, 2] + rho2 / (2.0 * EARTH_RADIUS_M)
    return out


@dataclass(frozen=True, slots=True)
class SiteGeometry:
    """Horizontal geometry of ``N`` tracks against ``S`` sites; every field ``(N, S)``.

    Attributes
    ----------
    range_m : (N, S) float64
        Horizontal distance from the track to the site centre, m.
    cpa_m : (N, S) float64
        Closest horizontal approach on the present course, m.
    tcpa_s : (N, S) float64
        Time to that closest approach, s, clipped at 0.
    time_to_core_s : (N, S) float64
        Time until the track enters the core radius, s; 0 inside, ``inf`` if never.
    range_rate_m_s : (N, S) float64
        Rate of change of ``range_m``, m/s; negative when closing.
    inside_alert : (N, S) bool
        Within the site's alert radius.
    inside_core : (N, S) bool
        Within the site's core radius.
    """

    range_m: F64
    cpa_m: F64
    tcpa_s: F64
    time_to_core_s: F64
    range_rate_m_s: F64
    inside_alert: B
    inside_core: B


def site_geometry(
    pos: F64, vel: F64, site_enu: F64, alert_radius_m: F64, core_radius_m: F64
) -> SiteGeometry:
    """Range, CPA, TCPA and time to core of every track against every site.

    Parameters
    ----------
    pos, vel : (N, 3) float64
        Track positions (m) and velocities (m/s), ENU.
    site_enu : (S, 3) float64
        Site centres, ENU m.
    alert_radius_m, core_radius_m : (S,) float64
        Site radii, m.

    Returns
    -------
    SiteGeometry
        All fields ``(N, S)``; see the module docstring for the maths.
    """
    d = pos[:, None, :2] - site_enu[None, :, :2]  # (N, S, 2)
    v = np.broadcast_to(vel[:, None, :2], d.shape)  # (N, S, 2)
    dd = np.einsum("nsk,nsk->ns", d, d)
    dv = np.einsum("nsk,nsk->ns", d, v)
    vv = np.einsum("nsk,nsk->ns", v, v)
    rng = np.sqrt(dd)
    moving = vv > HOVER_SPEED_M_S**2
    safe_vv = np.where(moving, vv, 1.0)
    tcpa = np.where(moving, np.maximum(-dv / safe_vv, 0.0), 0.0)
    cpa_vec = d + v * tcpa[..., None]
    cpa = np.sqrt(np.einsum("nsk,nsk->ns", cpa_vec, cpa_vec))
    rc2 = (core_radius_m**2)[None, :]
    inside_core = dd <= rc2
    inside_alert = dd <= (alert_radius_m**2)[None, :]
    # first root of vv t² + 2 dv t + (dd - rc²) = 0
    disc = dv * dv - vv * (dd - rc2)
    with np.errstate(invalid="ignore"):
        t_in = (-dv - np.sqrt(np.maximum(disc, 0.0))) / safe_vv
    enters = moving & (disc >= 0.0) & (t_in >= 0.0)
    ttc = np.where(inside_core, 0.0, np.where(enters, t_in, np.inf))
    safe_rng = np.where(rng > 0.0, rng, 1.0)
    rdot = np.where(rng > 0.0, dv / safe_rng, 0.0)
    return SiteGeometry(
        range_m=rng,
        cpa_m=cpa,
        tcpa_s=tcpa,
        time_to_core_s=ttc,
        range_rate_m_s=rdot,
        inside_alert=inside_alert,
        inside_core=inside_core,
    )
