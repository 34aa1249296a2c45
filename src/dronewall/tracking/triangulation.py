"""Bearing triangulation: closest approach of lines of sight and weighted least-squares fixes.

Data layout
-----------
Batch-first, float64. ``B`` bearings, each from a sensor at ``sensor_pos (B, 3)`` (ENU m) with an
``azimuth (B,)`` (rad, clockwise from north), an ``elevation (B,)`` (rad above the local horizontal,
NaN for an azimuth-only bearing) and their noise variances ``var_az``, ``var_el (B,)`` (rad²).
Bearings are grouped by an integer label ``group (B,)``; results come back per group, ``(G, ...)``,
in ascending label order (:attr:`Triangulation.group`). Pairs of lines are given row by row,
``(K, 3)``.

Maths
-----
The line of sight of a bearing is ``s + t u`` with ``u = (sin az cos el, cos az cos el, sin el)``
(``el = 0`` for an azimuth-only bearing, whose line is horizontal) and ``t > 0`` the range along it.
For two lines, with ``w = s₁ − s₂``, ``b = u₁·u₂`` and ``D = 1 − b²`` (unit ``u``: the ``sin²``
of the angle between the lines)::

    t₁ = (b (u₂·w) − u₁·w) / D        t₂ = (u₂·w − b (u₁·w)) / D

gives the closest points ``s₁ + t₁ u₁`` and ``s₂ + t₂ u₂``, their midpoint and their distance (the
miss distance). Lines closer to parallel than ``min_sin_angle``, or meeting behind a sensor
(``t ≤ 0``), do not triangulate.

A group of bearings is fixed by weighted least squares on the angle residuals,

    p̂ = argmin_p  Σ_b  wrap(az_b − az_b(p))² / σ²_az,b + (el_b − el_b(p))² / σ²_el,b

solved by Gauss–Newton from the closest approach of two of its lines: with ``J`` the stacked angle
Jacobians of :func:`~dronewall.tracking.measurement.polar_geometry` and ``W`` the inverse variances,
``(Jᵀ W J) δ = Jᵀ W r``, ``p ← p + δ`` (step halved while the cost would rise). At the solution the
covariance is ``(Jᵀ W J)⁻¹`` (first order) and the residual ``χ² = rᵀ W r`` has
``dof = #angles − 3`` degrees of freedom under the model: a consistency test of the grouping.

Azimuths do not depend on height, so a group without any elevation constrains only the horizontal
position. Its up is then *not observed*: the fix is placed at ``default_up`` with variance
``unobserved_up_std²``, uncorrelated with the horizontal (a prior, exactly satisfied, which adds
nothing to ``χ²``); ``dof = #azimuths − 2`` and :attr:`Triangulation.up_observed` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.tracking.kalman import cho_solve3, cholesky3
from dronewall.tracking.measurement import (
    DEGENERATE_DISTANCE_M,
    PolarGeometry,
    polar_geometry,
    wrap_angle,
)

F64 = NDArray[np.float64]
Bool = NDArray[np.bool_]
IntA = NDArray[np.int64]

__all__ = [
    "BearingPairs",
    "ClosestApproach",
    "Triangulation",
    "closest_approach",
    "line_of_sight",
    "pair_bearings",
    "triangulate",
]

#: Default smallest sine of the angle between two lines for them to triangulate.
MIN_SIN_ANGLE = 1e-4


def line_of_sight(azimuth: ArrayLike, elevation: ArrayLike) -> F64:
    """Unit line-of-sight vectors ``(B, 3)`` (ENU) of azimuths and elevations (rad, ``(B,)``).

    A NaN elevation gives the horizontal line (``el = 0``).
    """
    az = np.asarray(azimuth, dtype=np.float64)
    el = np.asarray(elevation, dtype=np.float64)
    el = np.where(np.isfinite(el), el, 0.0)
    ce = np.cos(el)
    return np.stack([np.sin(az) * ce, np.cos(az) * ce, np.sin(el)], axis=-1)


@dataclass(frozen=True, slots=True)
class ClosestApproach:
    """Closest approach of ``K`` pairs of lines. NaN in every field of rows that are not ``ok``."""

    #: (K, 3) midpoint of the two closest points, ENU m.
    midpoint: F64
    #: (K,) distance between the closest points, m.
    miss_distance: F64
    #: (K,) parameter ``t₁`` of the closest point on line 1 (m along a unit ``u₁``).
    range1: F64
    #: (K,) parameter ``t₂`` on line 2.
    range2: F64
    #: (K,) bool: not parallel and both ranges positive (the lines meet in front of both sensors).
    ok: Bool


def closest_approach(
    p1: F64, u1: F64, p2: F64, u2: F64, *, min_sin_angle: float = MIN_SIN_ANGLE
) -> ClosestApproach:
    """Closest approach of the lines ``p1 + t₁ u1`` and ``p2 + t₂ u2``, row by row.

    Parameters
    ----------
    p1, p2 : (K, 3) float
        Points on the lines (sensor positions), ENU m.
    u1, u2 : (K, 3) float
        Unit directions (lines of sight).
    min_sin_angle : float
        Lines whose angle has a smaller sine count as parallel.

    Returns
    -------
    ClosestApproach
    """
    p1, u1, p2, u2 = (np.asarray(a, dtype=np.float64) for a in (p1, u1, p2, u2))
    w = p1 - p2
    a = np.einsum("ki,ki->k", u1, u1)
    b = np.einsum("ki,ki->k", u1, u2)
    c = np.einsum("ki,ki->k", u2, u2)
    d = np.einsum("ki,ki->k", u1, w)
    e = np.einsum("ki,ki->k", u2, w)
    den = a * c - b * b
    ok = den > min_sin_angle**2 * a * c
    den_s = np.where(ok, den, 1.0)
    t1 = (b * e - c * d) / den_s
    t2 = (a * e - b * d) / den_s
    q1 = p1 + t1[:, None] * u1
    q2 = p2 + t2[:, None] * u2
    ok &= (t1 > 0.0) & (t2 > 0.0) & np.all(np.isfinite(q1) & np.isfinite(q2), axis=1)
    nan = np.where(ok, 0.0, np.nan)
    return ClosestApproach(
        midpoint=0.5 * (q1 + q2) + nan[:, None],
        miss_distance=np.linalg.norm(q1 - q2, axis=1) + nan,
        range1=t1 + nan,
        range2=t2 + nan,
        ok=ok,
    )


@dataclass(frozen=True, slots=True)
class Triangulation:
    """Least-squares fixes of ``G`` groups of bearings. NaN position/covariance where not ``ok``."""

    #: (G,) int group labels, ascending (row ``g`` is the group labelled ``group[g]``).
    group: IntA
    #: (G, 3) fixed position, ENU m.
    position: F64
    #: (G, 3, 3) its covariance ``(Jᵀ W J)⁻¹``, m²; ``unobserved_up_std²`` on up when not observed.
    covariance: F64
    #: (G,) residual ``χ²`` of the angles at the fix (the unobserved-up prior excluded).
    chi2: F64
    #: (G,) int degrees of freedom of ``chi2``.
    dof: IntA
    #: (G,) int number of usable bearings in the group.
    n_bearings: IntA
    #: (G,) bool: some bearing of the group has an elevation.
    up_observed: Bool
    #: (G,) bool: at least two usable bearings, a valid closest-approach start, a positive
    #: definite normal matrix, a finite fix in front of every sensor of the group.
    ok: Bool


def _segment_sum(values: F64, starts: NDArray[np.intp]) -> F64:
    """Row sums of ``values (B, k)``, sorted by group, over the groups starting at ``starts``."""
    out: F64 = np.add.reduceat(values, starts, axis=0)
    return out


def _symmetrise(A: F64) -> F64:
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def triangulate(
    sensor_pos: F64,
    azimuth: F64,
    elevation: F64,
    var_az: F64,
    var_el: F64,
    group: ArrayLike,
    *,
    default_up: ArrayLike = 0.0,
    unobserved_up_std: float = 1000.0,
    iterations: int = 8,
    min_sin_angle: float = MIN_SIN_ANGLE,
) -> Triangulation:
    """Weighted least-squares position fixes of groups of bearings (Gauss–Newton on the angles).

    Parameters
    ----------
    sensor_pos : (B, 3) float
        Sensor positions, ENU m.
    azimuth : (B,) float
        Azimuths, rad. A bearing with a non-finite azimuth or variance is ignored.
    elevation : (B,) float
        Elevations, rad; NaN for azimuth-only bearings.
    var_az, var_el : (B,) float
        Angle noise variances, rad² (``var_el`` unused where the elevation is NaN).
    group : (B,) int
        Group label of each bearing (any integers).
    default_up : float or (G,) float, m
        Up of the fix of a group without elevations (per group in ascending label order).
    unobserved_up_std : float, m
        The standard deviation stated for that up.
    iterations : int
        Maximum Gauss–Newton iterations. A group stops when its step ``δ`` has
        ``δᵀ (Jᵀ W J) δ < 10⁻¹²`` (a negligible fraction of its uncertainty) or cannot lower the
        cost.
    min_sin_angle : float
        Parallel-line threshold of the closest-approach start.

    Returns
    -------
    Triangulation
        The groups sorted by label.

    Notes
    -----
    The start is the closest approach of the group's first usable bearing with the bearing whose
    line makes the largest angle with it among those from another position, so two bearings from
    one sensor never make a fix on their own. Cost ``O(B)`` per iteration, no loop over groups.
    """
    s_all = np.asarray(sensor_pos, dtype=np.float64).reshape(-1, 3)
    az_all = np.asarray(azimuth, dtype=np.float64).reshape(-1)
    el_all = np.asarray(elevation, dtype=np.float64).reshape(-1)
    vaz_all = np.asarray(var_az, dtype=np.float64).reshape(-1)
    vel_all = np.asarray(var_el, dtype=np.float64).reshape(-1)
    labels, inverse = np.unique(np.asarray(group).astype(np.int64).reshape(-1), return_inverse=True)
    n_groups = labels.shape[0]
    if n_groups == 0:
        return Triangulation(
            group=labels,
            position=np.empty((0, 3)),
            covariance=np.empty((0, 3, 3)),
            chi2=np.empty(0),
            dof=np.empty(0, dtype=np.int64),
            n_bearings=np.empty(0, dtype=np.int64),
            up_observed=np.empty(0, dtype=bool),
            ok=np.empty(0, dtype=bool),
        )
    up0 = np.broadcast_to(np.asarray(default_up, dtype=np.float64), (n_groups,))
    w_up = 1.0 / float(unobserved_up_std) ** 2

    # sort by group: usable bearings first, then by input order (stable)
    usable_all = np.isfinite(az_all) & np.isfinite(vaz_all) & (vaz_all > 0.0)
    usable_all &= np.all(np.isfinite(s_all), axis=1)
    order = np.lexsort((np.arange(az_all.shape[0]), ~usable_all, inverse))
    g = inverse[order].astype(np.intp)
    s, az, el = s_all[order], az_all[order], el_all[order]
    usable = usable_all[order]
    has_el = usable & np.isfinite(el) & np.isfinite(vel_all[order]) & (vel_all[order] > 0.0)
    w_az = np.where(usable, 1.0 / np.where(usable, vaz_all[order], 1.0), 0.0)
    w_el = np.where(has_el, 1.0 / np.where(has_el, vel_all[order], 1.0), 0.0)
    az_m = np.where(usable, az, 0.0)
    el_m = np.where(has_el, el, 0.0)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])

    n_az = np.add.reduceat(usable.astype(np.int64), starts)
    n_el = np.add.reduceat(has_el.astype(np.int64), starts)
    up_observed = n_el > 0
    prior = ~up_observed  # groups whose up is the stated prior

    # closest-approach start: the first usable bearing and its widest-angle partner elsewhere
    u = line_of_sight(az_m, np.where(has_el, el, np.nan))
    anchor = starts[g]
    sin_angle = np.linalg.norm(np.cross(u, u[anchor]), axis=1)
    elsewhere = np.linalg.norm(s - s[anchor], axis=1) > DEGENERATE_DISTANCE_M
    score = np.where(usable & usable[anchor] & elsewhere, sin_angle, -1.0)
    partner = np.lexsort((-score, g))[starts]
    ca = closest_approach(s[starts], u[starts], s[partner], u[partner], min_sin_angle=min_sin_angle)
    alive = ca.ok & (n_az >= 2) & (score[partner] > 0.0)
    p = np.where(alive[:, None], ca.midpoint, 0.0)
    p[:, 2] = np.where(prior, up0, p[:, 2])

    upper = ([0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2])  # the 6 distinct entries of Jᵀ W J

    def residuals(p: F64) -> tuple[F64, F64, PolarGeometry]:
        geo = polar_geometry(p[g] - s)
        r_az = np.where(usable, wrap_angle(az_m - geo.azimuth), 0.0)
        r_el = np.where(has_el, el_m - geo.elevation, 0.0)
        return r_az, r_el, geo

    def prior_terms(p: F64) -> tuple[F64, F64]:
        """The unobserved-up prior (up = default_up, variance unobserved_up_std²): w Δ, w Δ²."""
        dz = np.where(prior, up0 - p[:, 2], 0.0)
        return w_up * dz, w_up * dz * dz

    def cost(p: F64) -> F64:
        r_az, r_el, _ = residuals(p)
        chi2 = np.add.reduceat(w_az * r_az**2 + w_el * r_el**2, starts)
        return chi2 + prior_terms(p)[1]

    def normal_equations(p: F64) -> tuple[F64, F64, F64, F64, Bool]:
        """Per group: ``Jᵀ W J (G,3,3)``, ``Jᵀ W r (G,3)``, cost, angle χ², all angles defined."""
        r_az, r_el, geo = residuals(p)
        Ja, Je = geo.d_azimuth, geo.d_elevation
        rows = np.empty((g.shape[0], 11))
        rows[:, :6] = (w_az[:, None] * Ja[:, upper[0]] * Ja[:, upper[1]]) + (
            w_el[:, None] * Je[:, upper[0]] * Je[:, upper[1]]
        )
        rows[:, 6:9] = (w_az * r_az)[:, None] * Ja + (w_el * r_el)[:, None] * Je
        rows[:, 9] = w_az * r_az**2 + w_el * r_el**2
        rows[:, 10] = usable & ~geo.angle_ok
        sums = _segment_sum(rows, starts)
        A_g = np.empty((n_groups, 3, 3))
        A_g[:, upper[0], upper[1]] = sums[:, :6]
        A_g[:, upper[1], upper[0]] = sums[:, :6]
        A_g[:, 2, 2] += np.where(prior, w_up, 0.0)
        grad_prior, cost_prior = prior_terms(p)
        grad_g = sums[:, 6:9]
        grad_g[:, 2] += grad_prior
        chi2_g = sums[:, 9]
        return A_g, grad_g, chi2_g + cost_prior, chi2_g, sums[:, 10] == 0.0

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        active = alive.copy()  # groups still iterating
        for _ in range(iterations):  # a loop over Gauss–Newton iterations, not over groups
            A, grad, cost_now, _, _ = normal_equations(p)
            delta = cho_solve3(cholesky3(A), grad[:, :, None])[:, :, 0]
            alive &= np.all(np.isfinite(delta), axis=1) | ~active
            active &= alive
            delta = np.where(active[:, None], delta, 0.0)
            # converged once a step moves the fix by a negligible fraction of its uncertainty
            step2 = np.einsum("gi,gij,gj->g", delta, A, delta)
            accepted = ~active
            for _ in range(6):  # step halving while the cost would rise
                accepted |= cost(p + delta) <= cost_now * (1.0 + 1e-12)
                if np.all(accepted):
                    break
                delta = np.where(accepted[:, None], delta, 0.5 * delta)
            p = np.where((active & accepted)[:, None], p + delta, p)
            active &= accepted & (step2 > 1e-12)
            if not np.any(active):
                break

        A, _, _, chi2, defined = normal_equations(p)
        L = cholesky3(A)
        eye = np.broadcast_to(np.eye(3), (n_groups, 3, 3))
        cov = _symmetrise(cho_solve3(L, eye))
    in_front = np.where(usable, np.einsum("bi,bi->b", p[g] - s, u) > 0.0, True)
    all_in_front = np.add.reduceat((~in_front).astype(np.int64), starts) == 0
    ok = alive & defined & all_in_front & (n_az >= 2)
    ok &= np.all(np.isfinite(p), axis=1) & np.all(np.isfinite(cov.reshape(-1, 9)), axis=1)
    ok &= np.all(np.diagonal(cov, axis1=1, axis2=2) > 0.0, axis=1)
    dof = np.where(up_observed, n_az + n_el - 3, n_az - 2).astype(np.int64)
    nan = np.where(ok, 0.0, np.nan)
    return Triangulation(
        group=labels,
        position=p + nan[:, None],
        covariance=cov + nan[:, None, None],
        chi2=chi2 + nan,
        dof=dof,
        n_bearings=n_az.astype(np.int64),
        up_observed=up_observed,
        ok=ok,
    )


@dataclass(frozen=True, slots=True)
class BearingPairs:
    """Candidate pairs of bearings from different sensors whose lines are consistent."""

    #: (P,) int index of the first bearing (``i < j``).
    i: IntA
    #: (P,) int index of the second bearing.
    j: IntA
    #: (P,) residual χ² of the pair's least-squares fix.
    chi2: F64
    #: (P,) int its degrees of freedom (1 with two elevations, else 0).
    dof: IntA
    #: (P, 3) the fix, ENU m (up ``default_up`` when neither bearing has an elevation).
    position: F64
    #: (P, 3, 3) its covariance, m².
    covariance: F64


def pair_bearings(
    sensor: ArrayLike,
    sensor_pos: F64,
    azimuth: F64,
    elevation: F64,
    var_az: F64,
    var_el: F64,
    *,
    max_chi2: float,
    max_range_m: float = np.inf,
    default_up: float = 0.0,
    unobserved_up_std: float = 1000.0,
    min_sin_angle: float = MIN_SIN_ANGLE,
) -> BearingPairs:
    """Candidate pairs of bearings from different sensors that could see the same target.

    Every pair ``i < j`` with ``sensor[i] != sensor[j]`` whose lines meet in front of both sensors
    (closest approach, :func:`closest_approach`) is fixed by :func:`triangulate`; it is kept when
    the fix is ``ok``, its angle residual ``χ² ≤ max_chi2`` (``dof = 1`` when both bearings have
    an elevation, else 0 and ``χ² = 0``: two azimuths always meet) and it lies within
    ``max_range_m`` (horizontal) of both sensors. Choosing among the candidates (a bearing may
    appear in several) is the caller's.

    Parameters
    ----------
    sensor : (B,) int
        Sensor index of each bearing.
    sensor_pos : (B, 3) float
        Sensor positions, ENU m.
    azimuth, elevation, var_az, var_el : (B,) float
        As for :func:`triangulate`.
    max_chi2 : float
        Consistency threshold on the pair's χ² (e.g. the 1-dof quantile).
    max_range_m : float
        Largest horizontal distance of the fix from either sensor, m.
    default_up, unobserved_up_std : float, m
        As for :func:`triangulate`.
    min_sin_angle : float
        Parallel-line threshold.

    Returns
    -------
    BearingPairs
        Ordered by ``(i, j)``.

    Notes
    -----
    All ``B (B − 1) / 2`` pairs are formed: meant for the few bearings of one frame.
    """
    sensor_a = np.asarray(sensor).astype(np.int64).reshape(-1)
    s = np.asarray(sensor_pos, dtype=np.float64).reshape(-1, 3)
    az = np.asarray(azimuth, dtype=np.float64).reshape(-1)
    el = np.asarray(elevation, dtype=np.float64).reshape(-1)
    vaz = np.asarray(var_az, dtype=np.float64).reshape(-1)
    vel = np.asarray(var_el, dtype=np.float64).reshape(-1)
    i, j = np.triu_indices(sensor_a.shape[0], k=1)
    keep = sensor_a[i] != sensor_a[j]
    i, j = i[keep], j[keep]
    u = line_of_sight(az, el)
    ca = closest_approach(s[i], u[i], s[j], u[j], min_sin_angle=min_sin_angle)
    i, j = i[ca.ok], j[ca.ok]
    n_pairs = i.shape[0]
    rows = np.stack([i, j], axis=1).reshape(-1)
    tri = triangulate(
        s[rows],
        az[rows],
        el[rows],
        vaz[rows],
        vel[rows],
        np.repeat(np.arange(n_pairs), 2),
        default_up=default_up,
        unobserved_up_std=unobserved_up_std,
        min_sin_angle=min_sin_angle,
    )
    with np.errstate(invalid="ignore"):
        dist_i = np.hypot(*(tri.position[:, :2] - s[i, :2]).T)
        dist_j = np.hypot(*(tri.position[:, :2] - s[j, :2]).T)
        good = tri.ok & (tri.chi2 <= max_chi2) & (np.maximum(dist_i, dist_j) <= max_range_m)
    return BearingPairs(
        i=i[good].astype(np.int64),
        j=j[good].astype(np.int64),
        chi2=tri.chi2[good],
        dof=tri.dof[good],
        position=tri.position[good],
        covariance=tri.covariance[good],
    )
