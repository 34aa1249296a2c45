"""Bearing-only tracks: one sensor's strobe on one object, tracked in that sensor's angle space.

When a single passive sensor (RF direction finder, EO/IR without rangefinder, acoustic array) sees
an object, no 3-D position can be formed, but the picture still needs a *bearing-only track* (a
strobe line on the map) per sensor and object. :class:`BearingOnlyTracker` keeps those tracks from
the ``BEARING`` rows that the 3-D tracker could not use (not associated with a 3-D track, not
triangulated with another sensor's bearing).

Data layout
-----------
Input: ``BEARING`` rows of a :class:`~dronewall.core.measurements.DetectionBatch`,
``z = (azimuth, elevation or NaN, NaN)`` in radians from ``sensor_pos`` (azimuth clockwise from
north in ``[0, 2π)``), ``R[:2, :2]`` the angle covariance (only ``R[0, 0]`` when the elevation
is NaN). Other kinds, and rows without a finite azimuth and positive ``R[0, 0]``, are ignored; an
elevation whose variance is not usable is dropped (the row is then azimuth only).

Live tracks are a struct of arrays (one row per track, creation order, so ``track_id`` ascends
for the default id source), each at the time ``t_update`` of its last bearing:

================  ============  =========================================================
field             shape         meaning
================  ============  =========================================================
``track_id``      (N,) int64    number from the caller's id source, never reused
``sensor``        (N,) int32    the one sensor whose bearings the track takes
``sensor_pos``    (N, 3)        that sensor's position at the last bearing, m, local ENU
``status``        (N,) int8     :class:`~dronewall.core.tracks.TrackStatus`
``x``             (N, 4)        ``(α, α̇, ε, ε̇)``: azimuth, its rate, elevation, its rate
                                (rad, rad/s) at ``t_update``; ``α`` in ``[0, 2π)``
``P``             (N, 4, 4)     covariance of ``x``
``has_el``        (N,) bool     the elevation half of ``x`` is estimated
``t_first``       (N,)          time of the first bearing, s
``t_update``      (N,)          time of the last bearing, s
``hits``          (N,) int32    bearings taken so far
``misses``        (N,) int32    consecutive frames without a bearing
``history``       (N,) int64    hit bits of the last frames, bit 0 the latest closed frame
``age``           (N,) int32    frames closed since birth
``hit_frame``     (N,) bool     the track took a bearing in the open frame
``truth``         (N,) int32    Boyer-Moore majority truth candidate (evaluation only)
``truth_votes``   (N,) int32    its vote counter
================  ============  =========================================================

A track without elevation (``has_el`` False) keeps the placeholder ``ε = ε̇ = 0`` with unit
variances and no correlation with the azimuth half; the placeholder never enters a gate, a cost or
an update (see the masked measurement model below) and is reported as NaN. The first bearing with
an elevation that such a track takes initialises the elevation half from it.

Output: :class:`BearingTrackTable` from :meth:`BearingOnlyTracker.snapshot`.

Maths
-----
Motion model, per angle, is the nearly constant angular rate model (continuous white-noise
angular acceleration of density ``q``, rad²/s³; Bar-Shalom, Li & Kirubarajan 2001, §6.2.2, applied
to ``(α, α̇)`` and ``(ε, ε̇)`` independently)::

    F₁(Δt) = [[1, Δt], [0, 1]]        Q₁(Δt) = q [[Δt³/3, Δt²/2], [Δt²/2, Δt]]

and ``F = blockdiag(F₁, F₁)``, ``Q = blockdiag(Q₁, Q₁)`` on ``(α, α̇, ε, ε̇)``. Angles are not a
Euclidean frame: an object at range ``r`` crossing at speed ``v`` has ``α̇ ≤ v/r`` and an angular
acceleration that grows as ``1/r`` for a turn, ``1/r²`` for straight flight, so one ``q`` fits a
band of ranges (see :class:`BearingOnlyConfig`). The sensor is assumed stationary, or moving
slowly compared with the object's angular motion.

Measurement model: ``z = H x + w`` with ``H = [[1, 0, 0, 0], [0, 0, 1, 0]]`` when both angles are
used. A pair uses the elevation only when the track has one and the bearing measures one;
otherwise the second row is *masked*: ``H₁ = 0``, ``ν₁ = 0``, ``R₀₁ = 0``, ``R₁₁ = 1``. Then
``S = [[S₀₀, 0], [0, 1]]``, the gain's second column is 0 and every formula below reduces exactly to
the scalar azimuth update, so one batched 2-D kernel serves both kinds of pair::

    ν = (wrap(z_α − α⁻), z_ε − ε⁻)          wrap(a) ∈ [−π, π): azimuth innovations cross north
    S = H P⁻ Hᵀ + R = L Lᵀ                  2x2 Cholesky, written out elementwise
    d² = ‖L⁻¹ ν‖²,  ln det S = 2 Σ ln L_kk  (masked: ν₀²/S₀₀ and ln S₀₀)
    Kᵀ = L⁻ᵀ L⁻¹ H P⁻                       two triangular solves, no inverse
    x⁺ = x⁻ + K ν  (α⁺ wrapped to [0, 2π))
    P⁺ = (I − K H) P⁻ (I − K H)ᵀ + K R Kᵀ   Joseph form

Gating is χ² on ``d²`` with 2 degrees of freedom for pairs that use the elevation and 1 otherwise.
Association per scan is :class:`~dronewall.tracking.association.GNNAssociator` built with
``measurement_dim = 1`` and ``clutter_density = λ`` per radian of azimuth. Its likelihood costs
(see :mod:`dronewall.tracking.association`) are extended to pairs of either dimension by treating
an unmeasured or unused elevation as uniform over a span ``E`` (rad) and, for false bearings,
``λ_2 = λ / E`` per rad². Subtracting the detection's own constant ``[ε measured]·2 ln E`` from
each of its alternatives (which leaves the optimum unchanged) leaves the associator's
``c_new = −2 ln λ`` for every bearing and gives the pair cost passed to it::

    c'_ij = d²_ij + ln det S_ij + u_ij ln(2π / E²),    u_ij = 1 if the pair uses the elevation

on top of which the associator adds ``ln 2π − 2 ln P_D``.

Processing
----------
One :meth:`BearingOnlyTracker.step` is one *frame*. Its usable rows are put in a canonical order
(time, sensor, azimuth, elevation, ``R``, sensor position) so that the result does not depend on
the order of rows within a scan; they are split into *scans* (rows sharing one ``(sensor, t)``)
processed in time order. Per scan, vectorised over all pairs of the scan's bearings with the live
tracks *of that sensor* (bearings of different sensors never share a track; the pairs are formed
densely, ``N_s × M_s``, since a sensor holds tens of strobes, not thousands): predict to the scan
time, gate, associate, update the assigned tracks, and start a tentative track at each unassigned
bearing (in the canonical order, so track numbers are deterministic) with ``α̇ = ε̇ = 0`` and
standard deviation ``init_rate_std``. A bearing older than a track's state is applied at the
state's time (no retrodiction). Tracks stay at the time of their last bearing; predictions are
never stored.

The frame is closed as in :mod:`dronewall.tracking.tracker`: hits and misses per frame; M-of-N
confirmation over frames; a tentative track dies after ``tentative_max_misses`` missed frames or
when M of N has become unreachable; a confirmed track that missed the frame is ``COASTING`` and is
deleted when its last bearing is older than ``max_coast_s`` or its azimuth standard deviation
predicted to the frame time exceeds ``max_azimuth_std``. :meth:`BearingOnlyTracker.drop` removes
tracks at once (the object is now held by a 3-D track).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError
from dronewall.core.measurements import F64, I8, I32, I64, B, DetectionBatch, MeasurementKind
from dronewall.core.tracks import TrackStatus
from dronewall.tracking.association import GNNAssociator
from dronewall.tracking.bank import majority_vote, popcount
from dronewall.tracking.gating import ChiSquareGate

IntP = NDArray[np.intp]

#: A source of track numbers: ``next_id(k)`` returns ``k`` fresh, unique ``int64`` ids, ``(k,)``.
IdSource = Callable[[int], I64]

TWO_PI = 2.0 * math.pi
_MAX_HISTORY_BITS = 62
#: Placeholder variance of the elevation half of a track that has no elevation.
_PLACEHOLDER_VAR = 1.0


# ---------------------------------------------------------------------------------------- kernels


def wrap_pi(angle: ArrayLike) -> F64:
    """Angles wrapped to ``[−π, π)``, rad, same shape as ``angle``."""
    a = np.asarray(angle, dtype=np.float64)
    out: F64 = np.mod(a + math.pi, TWO_PI) - math.pi
    return out


def wrap_2pi(angle: ArrayLike) -> F64:
    """Angles wrapped to ``[0, 2π)``, rad, same shape as ``angle``."""
    a = np.asarray(angle, dtype=np.float64)
    out: F64 = np.mod(a, TWO_PI)
    # mod can round a tiny negative angle up to exactly 2π.
    return np.where(out >= TWO_PI, 0.0, out)


def angular_rate_transition(dt: F64) -> F64:
    """``F (N, 4, 4)`` of the nearly constant angular rate model over steps ``dt (N,)``, s."""
    dt = np.asarray(dt, dtype=np.float64)
    F = np.broadcast_to(np.eye(4), (dt.shape[0], 4, 4)).copy()
    F[:, 0, 1] = dt
    F[:, 2, 3] = dt
    return F


def angular_rate_process_noise(dt: F64, q: float) -> F64:
    """``Q (N, 4, 4)`` of the nearly constant angular rate model.

    Parameters
    ----------
    dt : (N,) float, s
        Steps (``≥ 0``).
    q : float, rad²/s³
        Angular acceleration noise density, the same on azimuth and elevation.
    """
    dt = np.asarray(dt, dtype=np.float64)
    Q = np.zeros((dt.shape[0], 4, 4))
    pp, pv, vv = q * dt**3 / 3.0, q * dt**2 / 2.0, q * dt
    for i in (0, 2):
        Q[:, i, i] = pp
        Q[:, i, i + 1] = pv
        Q[:, i + 1, i] = pv
        Q[:, i + 1, i + 1] = vv
    return Q


def angular_rate_predict(x: F64, P: F64, dt: F64, q: float) -> tuple[F64, F64]:
    """Predict angle states ``x (N, 4)``, ``P (N, 4, 4)`` ahead by ``dt (N,)`` seconds.

    ``x⁻ = F x`` (azimuth wrapped to ``[0, 2π)``), ``P⁻ = F P Fᵀ + Q``, symmetrised.
    """
    F = angular_rate_transition(dt)
    x_pred = np.einsum("nij,nj->ni", F, x)
    x_pred[:, 0] = wrap_2pi(x_pred[:, 0])
    P_pred = F @ P @ np.swapaxes(F, 1, 2) + angular_rate_process_noise(dt, q)
    return x_pred, 0.5 * (P_pred + np.swapaxes(P_pred, 1, 2))


def _masked_model(x: F64, z: F64, R: F64, use_el: B) -> tuple[F64, F64, F64]:
    """Masked ``H (K, 2, 4)``, ``R (K, 2, 2)`` and innovation ``ν (K, 2)`` (see module Maths)."""
    k = x.shape[0]
    H = np.zeros((k, 2, 4))
    H[:, 0, 0] = 1.0
    H[:, 1, 2] = use_el
    R_eff = np.empty((k, 2, 2))
    R_eff[:, 0, 0] = R[:, 0, 0]
    r01 = np.where(use_el, R[:, 0, 1], 0.0)
    R_eff[:, 0, 1] = r01
    R_eff[:, 1, 0] = r01
    R_eff[:, 1, 1] = np.where(use_el, R[:, 1, 1], 1.0)
    nu = np.empty((k, 2))
    nu[:, 0] = wrap_pi(z[:, 0] - x[:, 0])
    nu[:, 1] = np.where(use_el, z[:, 1] - x[:, 2], 0.0)
    return H, R_eff, nu


def _chol2(S: F64) -> tuple[F64, F64, F64]:
    """Lower Cholesky ``(l00, l10, l11)``, each ``(K,)``, of symmetric ``S (K, 2, 2)``.

    NaN where ``S`` is not positive definite.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        l00 = np.sqrt(S[:, 0, 0])
        l10 = S[:, 1, 0] / l00
        l11 = np.sqrt(S[:, 1, 1] - l10 * l10)
    bad = ~((l00 > 0.0) & (l11 > 0.0))
    if np.any(bad):
        l00 = np.where(bad, np.nan, l00)
        l11 = np.where(bad, np.nan, l11)
    return l00, l10, l11


def bearing_innovation(x: F64, P: F64, z: F64, R: F64, use_el: B) -> tuple[F64, F64, F64, F64]:
    """Innovation, its covariance, ``d²`` and ``ln det S`` of paired states and bearings.

    Parameters
    ----------
    x : (K, 4) float
        Predicted states ``(α, α̇, ε, ε̇)``, rad, rad/s.
    P : (K, 4, 4) float
        Their covariances.
    z : (K, 2) float
        Measured ``(α, ε)``, rad (``ε`` ignored where ``use_el`` is False).
    R : (K, 2, 2) float
        Angle noise covariances, rad².
    use_el : (K,) bool
        The pair uses the elevation.

    Returns
    -------
    nu : (K, 2) float
        ``ν``, azimuth part wrapped to ``[−π, π)``; ``ν₁ = 0`` where masked.
    S : (K, 2, 2) float
        ``H P Hᵀ + R`` (``[[S₀₀, 0], [0, 1]]`` where masked).
    d2 : (K,) float
        ``νᵀ S⁻¹ ν``; NaN where ``S`` is not positive definite.
    logdet : (K,) float
        ``ln det S`` (``ln S₀₀`` where masked).
    """
    H, R_eff, nu = _masked_model(x, z, R, use_el)
    S = H @ P @ np.swapaxes(H, 1, 2) + R_eff
    l00, l10, l11 = _chol2(S)
    w0 = nu[:, 0] / l00
    w1 = (nu[:, 1] - l10 * w0) / l11
    with np.errstate(invalid="ignore", divide="ignore"):
        logdet = 2.0 * (np.log(l00) + np.log(l11))
    return nu, S, w0 * w0 + w1 * w1, logdet


def bearing_update(x: F64, P: F64, z: F64, R: F64, use_el: B) -> tuple[F64, F64]:
    """Kalman update (Joseph form) of predicted states with one bearing each.

    Parameters
    ----------
    x, P : (K, 4), (K, 4, 4) float
        Predicted states and covariances.
    z, R, use_el : (K, 2), (K, 2, 2) float, (K,) bool
        Bearings as in :func:`bearing_innovation`; ``S`` must be positive definite.

    Returns
    -------
    x, P : (K, 4), (K, 4, 4) float
        Updated states (azimuth wrapped to ``[0, 2π)``) and symmetric covariances.
    """
    H, R_eff, nu = _masked_model(x, z, R, use_el)
    S = H @ P @ np.swapaxes(H, 1, 2) + R_eff
    l00, l10, l11 = _chol2(S)
    HP = H @ P  # (K, 2, 4) = (P Hᵀ)ᵀ
    # Forward solve L Y = H P, then back solve Lᵀ Kᵀ = Y.
    y0 = HP[:, 0, :] / l00[:, None]
    y1 = (HP[:, 1, :] - l10[:, None] * y0) / l11[:, None]
    k1 = y1 / l11[:, None]
    k0 = (y0 - l10[:, None] * k1) / l00[:, None]
    Kt = np.stack([k0, k1], axis=1)  # (K, 2, 4)
    x_new = x + np.einsum("kmn,km->kn", Kt, nu)
    x_new[:, 0] = wrap_2pi(x_new[:, 0])
    A = np.eye(4) - np.einsum("kmi,kmj->kij", Kt, H)
    K = np.swapaxes(Kt, 1, 2)
    P_new = A @ P @ np.swapaxes(A, 1, 2) + K @ R_eff @ Kt
    return x_new, 0.5 * (P_new + np.swapaxes(P_new, 1, 2))


def _predicted_azimuth_var(P: F64, dt: F64, q: float) -> F64:
    """``P⁻₀₀ (N,)``, rad², of ``P (N, 4, 4)`` predicted by ``dt (N,)`` s, without ``F P Fᵀ``."""
    out: F64 = P[:, 0, 0] + 2.0 * dt * P[:, 0, 1] + dt * dt * P[:, 1, 1] + q * dt**3 / 3.0
    return out


# ------------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True, kw_only=True)
class BearingOnlyConfig:
    """Parameters of :class:`BearingOnlyTracker`.

    Parameters
    ----------
    q_angular : float, rad²/s³
        Angular acceleration noise density on azimuth and elevation. Assumption: the objects of
        interest are drones at 300 m or more, crossing at up to 15 m/s and turning at up to about
        3 m/s²; that gives angular rates up to ``v/r ≈ 0.05`` rad/s and angular accelerations up
        to ``a/r ≈ 0.01`` rad/s² (a straight crossing adds at most ``0.65 (v/r)² ≈ 0.0016``
        rad/s²). With the rule ``q ≈ a² T`` for manoeuvres lasting ``T ≈ 1`` s,
        ``q = 1e-4``. Closer or faster objects need more (``q`` scales as ``1/r²``).
    gate_probability : float
        χ² gate probability; 0.9999 gives ``γ ≈ 15.1`` with 1 dof and ``≈ 18.4`` with 2.
    detection_probability : float
        ``P_D`` per scan in the association costs.
    clutter_density : float, rad⁻¹
        False bearings plus new objects per radian of azimuth per scan. 0.1 is about 0.6 per full
        turn. In one dimension chains of false bearings confirm more easily than in 3-D: measured
        with 2° bearings and the other defaults (1000 frames, seeds 0-2), Poisson false bearings
        uniform in azimuth at 0.5 per frame gave 1-2 false confirmed tracks per 1000 frames, at
        1 per frame 16-26, at 2 per frame about 95.
    elevation_span : float, rad
        ``E``, the span over which an unmeasured elevation or a false bearing's elevation is
        taken as uniform in the costs (``(0, π]``); π/2 is the sky above the horizon.
    init_rate_std : float, rad/s
        Standard deviation of ``α̇`` and ``ε̇`` of a new track (started at rate 0). 0.05 rad/s is
        the largest rate of the objects ``q_angular`` is sized for (15 m/s across at 300 m), so
        their second bearing lies within about 1 σ of the predicted one (``γ`` allows 3.9 σ);
        faster ones need more, at the price of more false confirmations.
    confirm_m, confirm_n : int
        M-of-N confirmation over frames (3 of 5).
    tentative_max_misses : int
        Consecutive missed frames that delete a tentative track.
    max_coast_s : float, s
        A confirmed track whose last bearing is older than this at the frame time is deleted.
    max_azimuth_std : float, rad
        A track that missed the frame is deleted once its azimuth standard deviation predicted to
        the frame time exceeds this (10°; ``math.inf`` turns the test off). With the default
        ``q`` the process noise alone, ``sqrt(q t³/3)``, reaches 10° after 9.7 s, so for a
        precise sensor the two limits agree; a converged track on 2° RF bearings (rate std
        ≈ 0.015 rad/s) reaches it after about 8 s of coasting (measured in the tests).
    """

    q_angular: float = 1e-4
    gate_probability: float = 0.9999
    detection_probability: float = 0.9
    clutter_density: float = 0.1
    elevation_span: float = 0.5 * math.pi
    init_rate_std: float = 0.05
    confirm_m: int = 3
    confirm_n: int = 5
    tentative_max_misses: int = 2
    max_coast_s: float = 10.0
    max_azimuth_std: float = math.radians(10.0)

    def __post_init__(self) -> None:
        for name in ("q_angular", "clutter_density", "init_rate_std", "max_coast_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ConfigError(
                    "must be finite and positive", field=name, expected="> 0", actual=repr(value)
                )
        if not (math.isfinite(self.elevation_span) and 0.0 < self.elevation_span <= math.pi):
            raise ConfigError(
                "must lie in (0, π] rad",
                field="elevation_span",
                expected="0 < E <= pi",
                actual=repr(self.elevation_span),
            )
        if not self.max_azimuth_std > 0.0:  # inf allowed, NaN refused
            raise ConfigError(
                "must be positive (inf: no bound)",
                field="max_azimuth_std",
                expected="> 0 rad",
                actual=repr(self.max_azimuth_std),
            )
        for name in ("gate_probability", "detection_probability"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(
                    "must lie strictly between 0 and 1",
                    field=name,
                    expected="0 < p < 1",
                    actual=repr(value),
                )
        if not 1 <= self.confirm_n <= _MAX_HISTORY_BITS:
            raise ConfigError("must lie in [1, 62]", field="confirm_n", actual=repr(self.confirm_n))
        if not 1 <= self.confirm_m <= self.confirm_n:
            raise ConfigError(
                "M-of-N confirmation needs 1 <= M <= N",
                field="confirm_m",
                expected=f"1 <= confirm_m <= confirm_n = {self.confirm_n}",
                actual=repr(self.confirm_m),
            )
        if self.tentative_max_misses < 1:
            raise ConfigError(
                "must be at least 1",
                field="tentative_max_misses",
                actual=repr(self.tentative_max_misses),
            )

    def gates(self) -> tuple[ChiSquareGate, ChiSquareGate]:
        """The χ² gates for azimuth-only (1 dof) and azimuth-elevation (2 dof) pairs."""
        return (
            ChiSquareGate(probability=self.gate_probability, dof=1),
            ChiSquareGate(probability=self.gate_probability, dof=2),
        )

    def associator(self) -> GNNAssociator:
        """The GNN associator: ``measurement_dim = 1``, ``λ`` per radian of azimuth."""
        return GNNAssociator(
            detection_probability=self.detection_probability,
            clutter_density=self.clutter_density,
            measurement_dim=1,
        )


# -------------------------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True)
class BearingTrackTable:
    """``N`` bearing-only tracks at time ``t``, a struct of arrays.

    Attributes
    ----------
    t : float, s
        Snapshot time (UTC epoch).
    track_id : (N,) int64
        Track numbers.
    sensor : (N,) int32
        The sensor of each track.
    sensor_pos : (N, 3) float, m
        That sensor's position at the track's last bearing, local ENU.
    status : (N,) int8
        :class:`~dronewall.core.tracks.TrackStatus`.
    azimuth, elevation : (N,) float, rad
        Angles predicted to ``t``: azimuth clockwise from north in ``[0, 2π)``; elevation NaN for
        a track without one.
    azimuth_rate, elevation_rate : (N,) float, rad/s
        Angular rates (elevation rate NaN without elevation).
    azimuth_std, elevation_std : (N,) float, rad
        Standard deviations of the predicted angles (NaN without elevation).
    t_first, t_update : (N,) float, s
        Times of the first and last bearing.
    hits : (N,) int32
        Bearings taken.
    truth : (N,) int32
        Majority truth index of the bearings taken, -1 none. For evaluation only.
    """

    t: float
    track_id: I64
    sensor: I32
    sensor_pos: F64
    status: I8
    azimuth: F64
    elevation: F64
    azimuth_rate: F64
    elevation_rate: F64
    azimuth_std: F64
    elevation_std: F64
    t_first: F64
    t_update: F64
    hits: I32
    truth: I32

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @property
    def confirmed(self) -> B:
        """Mask of tracks a person sees: confirmed or coasting."""
        mask: B = self.status != TrackStatus.TENTATIVE
        return mask

    def select(self, index: B | IntP) -> BearingTrackTable:
        """Rows picked by a mask or an index, as a new table."""
        return BearingTrackTable(
            **{
                f.name: (getattr(self, f.name) if f.name == "t" else getattr(self, f.name)[index])
                for f in fields(self)
            }
        )

    @classmethod
    def empty(cls, t: float) -> BearingTrackTable:
        """A table without tracks at time ``t``."""
        e = np.empty(0)
        return cls(
            t=float(t),
            track_id=np.empty(0, np.int64),
            sensor=np.empty(0, np.int32),
            sensor_pos=np.empty((0, 3)),
            status=np.empty(0, np.int8),
            azimuth=e,
            elevation=e.copy(),
            azimuth_rate=e.copy(),
            elevation_rate=e.copy(),
            azimuth_std=e.copy(),
            elevation_std=e.copy(),
            t_first=e.copy(),
            t_update=e.copy(),
            hits=np.empty(0, np.int32),
            truth=np.empty(0, np.int32),
        )


# ---------------------------------------------------------------------------------------- bank


@dataclass(slots=True, kw_only=True)
class _Bank:
    """Live bearing-only tracks; see the module docstring for the layout."""

    track_id: I64
    sensor: I32
    sensor_pos: F64
    status: I8
    x: F64
    P: F64
    has_el: B
    t_first: F64
    t_update: F64
    hits: I32
    misses: I32
    history: I64
    age: I32
    hit_frame: B
    truth: I32
    truth_votes: I32

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @classmethod
    def empty(cls) -> _Bank:
        e = np.empty(0)
        return cls(
            track_id=np.empty(0, np.int64),
            sensor=np.empty(0, np.int32),
            sensor_pos=np.empty((0, 3)),
            status=np.empty(0, np.int8),
            x=np.empty((0, 4)),
            P=np.empty((0, 4, 4)),
            has_el=np.empty(0, np.bool_),
            t_first=e,
            t_update=e.copy(),
            hits=np.empty(0, np.int32),
            misses=np.empty(0, np.int32),
            history=np.empty(0, np.int64),
            age=np.empty(0, np.int32),
            hit_frame=np.empty(0, np.bool_),
            truth=np.empty(0, np.int32),
            truth_votes=np.empty(0, np.int32),
        )

    def extend(self, other: _Bank) -> None:
        if len(other) == 0:
            return
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))

    def compact(self, keep: B) -> None:
        if bool(np.all(keep)):
            return
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[keep])


@dataclass(frozen=True, slots=True)
class _Rows:
    """Usable bearing rows in canonical order: ``z (M, 2)``, ``R (M, 2, 2)``, ``has_el (M,)``."""

    t: F64
    sensor: I32
    z: F64
    R: F64
    has_el: B
    sensor_pos: F64
    truth: I32

    def slice(self, a: int, b: int) -> _Rows:
        return _Rows(*(getattr(self, f.name)[a:b] for f in fields(self)))

    @classmethod
    def from_batch(cls, batch: DetectionBatch) -> _Rows:
        az = batch.z[:, 0]
        R = batch.R[:, :2, :2]
        use = (
            (batch.kind == MeasurementKind.BEARING)
            & np.isfinite(batch.t)
            & np.isfinite(az)
            & np.isfinite(R[:, 0, 0])
            & (R[:, 0, 0] > 0.0)
        )
        idx = np.flatnonzero(use)
        z = np.stack([wrap_2pi(az[idx]), batch.z[idx, 1]], axis=1)
        R = R[idx].copy()
        with np.errstate(invalid="ignore"):
            det = R[:, 0, 0] * R[:, 1, 1] - R[:, 0, 1] * R[:, 1, 0]
            has_el = (
                np.isfinite(z[:, 1])
                & np.all(np.isfinite(R), axis=(1, 2))
                & (R[:, 1, 1] > 0.0)
                & (det > 0.0)
            )
        z[~has_el, 1] = np.nan
        R[~has_el, 0, 1] = 0.0
        R[~has_el, 1, 0] = 0.0
        R[~has_el, 1, 1] = 0.0
        R = 0.5 * (R + np.swapaxes(R, 1, 2))
        t, sensor, spos = batch.t[idx], batch.sensor[idx], batch.sensor_pos[idx]
        # Canonical order: the result must not depend on the row order within a scan. lexsort
        # sorts by the last key first; NaN elevations sort last, consistently.
        keys = (
            spos[:, 2],
            spos[:, 1],
            spos[:, 0],
            R[:, 1, 1],
            R[:, 0, 1],
            R[:, 0, 0],
            z[:, 1],
            z[:, 0],
            sensor,
            t,
        )
        order = np.lexsort(keys)
        return cls(
            t=t[order],
            sensor=sensor[order],
            z=z[order],
            R=R[order],
            has_el=has_el[order],
            sensor_pos=spos[order],
            truth=batch.truth[idx][order],
        )


def _set_elevation(x: F64, P: F64, rows: B, el: F64, var_el: F64, var_rate: float) -> None:
    """Reset the elevation half of ``x``/``P`` (in place) at ``rows``: ``ε = el``, ``ε̇ = 0``."""
    if not np.any(rows):
        return
    x[rows, 2] = el
    x[rows, 3] = 0.0
    P[rows, :2, 2:] = 0.0
    P[rows, 2:, :2] = 0.0
    P[rows, 2, 3] = 0.0
    P[rows, 3, 2] = 0.0
    P[rows, 2, 2] = var_el
    P[rows, 3, 3] = var_rate


# ------------------------------------------------------------------------------------- tracker


class BearingOnlyTracker:
    """Bearing-only (strobe) tracks per sensor and object, in the sensor's angle space.

    Parameters
    ----------
    config : BearingOnlyConfig, optional
        Parameters (defaults if omitted).
    next_id : callable, optional
        Id source: ``next_id(k)`` returns ``k`` fresh track numbers ``(k,) int64``, unique across
        the caller's whole tracker. Defaults to an internal counter from 1.

    Examples
    --------
    >>> bot = BearingOnlyTracker(BearingOnlyConfig())
    >>> bot.step(unused_bearings, t_frame)     # doctest: +SKIP
    >>> strobes = bot.snapshot(t_frame)        # doctest: +SKIP
    """

    def __init__(
        self, config: BearingOnlyConfig | None = None, *, next_id: IdSource | None = None
    ) -> None:
        self._config = BearingOnlyConfig() if config is None else config
        self._gate_az, self._gate_azel = self._config.gates()
        self._associator = self._config.associator()
        self._next_id: IdSource = self._counter if next_id is None else next_id
        self._counter_next = 1
        self._bank = _Bank.empty()
        self._time = math.nan
        self._deleted = np.empty(0, np.int64)
        # Extra pair cost when the elevation is used, ln(2π/E²): see the module docstring.
        self._el_cost = math.log(TWO_PI / self._config.elevation_span**2)

    def _counter(self, k: int) -> I64:
        ids = np.arange(self._counter_next, self._counter_next + k, dtype=np.int64)
        self._counter_next += k
        return ids

    @property
    def config(self) -> BearingOnlyConfig:
        """The tracker's parameters."""
        return self._config

    @property
    def time(self) -> float:
        """Time of the last closed frame, s (NaN before the first one)."""
        return self._time

    @property
    def deleted_ids(self) -> I64:
        """``track_id`` of the tracks deleted by the last :meth:`step`, ascending."""
        return self._deleted.copy()

    def __len__(self) -> int:
        return len(self._bank)

    # ------------------------------------------------------------------ frame

    def step(self, bearings: DetectionBatch, t_frame: float) -> None:
        """Process one frame of bearings, then close the frame at ``t_frame``.

        Parameters
        ----------
        bearings : DetectionBatch
            Rows of any sensors and times within the frame; only ``BEARING`` rows with a finite
            azimuth and ``R[0, 0] > 0`` are used.
        t_frame : float, s
            Frame time (UTC epoch): the tick this call stands for, used for coasting and deletion.
        """
        self._deleted = np.empty(0, np.int64)
        rows = _Rows.from_batch(bearings)
        m = rows.t.shape[0]
        if m:
            new_scan = (np.diff(rows.t) != 0.0) | (np.diff(rows.sensor) != 0)
            bounds = np.concatenate([[0], np.flatnonzero(new_scan) + 1, [m]])
            for a, b in itertools.pairwise(bounds):  # a loop over scans, not bearings
                self._scan(rows.slice(int(a), int(b)))
        self._time = float(t_frame)
        self._close_frame(self._time)

    def _scan(self, scan: _Rows) -> None:
        """Predict, gate, associate, update and initiate for one ``(sensor, t)`` scan."""
        bank, cfg = self._bank, self._config
        t_s = float(scan.t[0])
        m = scan.t.shape[0]
        trk = np.flatnonzero(bank.sensor == scan.sensor[0])
        free: IntP = np.arange(m, dtype=np.intp)
        n = trk.shape[0]
        if n:
            dt = np.maximum(t_s - bank.t_update[trk], 0.0)
            x_pred, P_pred = angular_rate_predict(bank.x[trk], bank.P[trk], dt, cfg.q_angular)
            ti = np.repeat(np.arange(n, dtype=np.intp), m)
            dj = np.tile(np.arange(m, dtype=np.intp), n)
            use_el = bank.has_el[trk][ti] & scan.has_el[dj]
            _, _, d2, logdet = bearing_innovation(
                x_pred[ti], P_pred[ti], scan.z[dj], scan.R[dj], use_el
            )
            inside = np.where(use_el, self._gate_azel.accepts(d2), self._gate_az.accepts(d2))
            cost = d2 + logdet + np.where(use_el, self._el_cost, 0.0)
            asg = self._associator.associate(n, m, ti[inside], dj[inside], cost[inside])
            if len(asg):
                self._update(t_s, scan, trk[asg.track], asg.track, asg.detection, x_pred, P_pred)
            free = asg.unassigned_detections
        if free.shape[0]:
            self._initiate(t_s, scan, free)

    def _update(
        self, t_s: float, scan: _Rows, g: IntP, k: IntP, d: IntP, x_pred: F64, P_pred: F64
    ) -> None:
        """Update bank rows ``g`` (local rows ``k`` of the predictions) with scan rows ``d``."""
        bank, cfg = self._bank, self._config
        had_el = bank.has_el[g]
        det_el = scan.has_el[d]
        x_new, P_new = bearing_update(x_pred[k], P_pred[k], scan.z[d], scan.R[d], had_el & det_el)
        # A track's first elevation starts its elevation half; tracks still without one keep
        # the placeholder.
        start = ~had_el & det_el
        _set_elevation(
            x_new, P_new, start, scan.z[d][start, 1], scan.R[d][start, 1, 1], cfg.init_rate_std**2
        )
        none = ~had_el & ~det_el
        _set_elevation(
            x_new,
            P_new,
            none,
            np.zeros(int(none.sum())),
            np.full(int(none.sum()), _PLACEHOLDER_VAR),
            _PLACEHOLDER_VAR,
        )
        bank.x[g] = x_new
        bank.P[g] = P_new
        bank.has_el[g] = had_el | det_el
        bank.t_update[g] = t_s
        bank.sensor_pos[g] = scan.sensor_pos[d]
        bank.hits[g] += 1
        bank.hit_frame[g] = True
        # Majority vote on the truth label (evaluation only).
        bank.truth[g], bank.truth_votes[g] = majority_vote(
            bank.truth[g], bank.truth_votes[g], scan.truth[d]
        )

    def _initiate(self, t_s: float, scan: _Rows, free: IntP) -> None:
        """Start tentative tracks at scan rows ``free`` (ascending, i.e. canonical order)."""
        cfg = self._config
        k = free.shape[0]
        ids = np.asarray(self._next_id(k), dtype=np.int64).reshape(-1)
        if ids.shape[0] != k:
            raise ConfigError(
                "the id source returned the wrong number of ids",
                field="next_id",
                expected=f"{k} ids",
                actual=f"{ids.shape[0]} ids",
            )
        z, R, has_el = scan.z[free], scan.R[free], scan.has_el[free]
        rate_var = cfg.init_rate_std**2
        x = np.zeros((k, 4))
        x[:, 0] = z[:, 0]
        x[:, 2] = np.where(has_el, z[:, 1], 0.0)
        P = np.zeros((k, 4, 4))
        P[:, 0, 0] = R[:, 0, 0]
        P[:, 0, 2] = np.where(has_el, R[:, 0, 1], 0.0)
        P[:, 2, 0] = P[:, 0, 2]
        P[:, 1, 1] = rate_var
        P[:, 2, 2] = np.where(has_el, R[:, 1, 1], _PLACEHOLDER_VAR)
        P[:, 3, 3] = np.where(has_el, rate_var, _PLACEHOLDER_VAR)
        self._bank.extend(
            _Bank(
                track_id=ids.copy(),
                sensor=scan.sensor[free].astype(np.int32),
                sensor_pos=scan.sensor_pos[free].copy(),
                status=np.full(k, TrackStatus.TENTATIVE, np.int8),
                x=x,
                P=P,
                has_el=has_el.copy(),
                t_first=np.full(k, t_s),
                t_update=np.full(k, t_s),
                hits=np.ones(k, np.int32),
                misses=np.zeros(k, np.int32),
                history=np.zeros(k, np.int64),
                age=np.zeros(k, np.int32),
                hit_frame=np.ones(k, np.bool_),
                truth=scan.truth[free].astype(np.int32),
                truth_votes=np.ones(k, np.int32),
            )
        )

    def _close_frame(self, t_frame: float) -> None:
        """Hit/miss bookkeeping, confirmation and deletion at the end of a frame."""
        bank, cfg = self._bank, self._config
        if len(bank) == 0:
            return
        hit = bank.hit_frame
        window = (1 << cfg.confirm_n) - 1
        bank.history = ((bank.history << 1) | hit.astype(np.int64)) & window
        bank.age += 1
        bank.misses = np.where(hit, 0, bank.misses + 1).astype(np.int32)
        n_hits = popcount(bank.history, cfg.confirm_n)
        tentative = bank.status == TrackStatus.TENTATIVE
        confirm = tentative & (n_hits >= cfg.confirm_m)
        tentative &= ~confirm
        firm = ~tentative
        bank.status = np.where(
            firm, np.where(hit, TrackStatus.CONFIRMED, TrackStatus.COASTING), bank.status
        ).astype(np.int8)
        still_possible = n_hits + np.maximum(cfg.confirm_n - bank.age, 0) >= cfg.confirm_m
        drop = tentative & ((bank.misses >= cfg.tentative_max_misses) | ~still_possible)
        if not math.isnan(t_frame):
            coast = np.maximum(t_frame - bank.t_update, 0.0)
            too_long = firm & (coast > cfg.max_coast_s)
            az_var = _predicted_azimuth_var(bank.P, coast, cfg.q_angular)
            too_vague = az_var > cfg.max_azimuth_std**2
            drop |= ~hit & (too_long | too_vague)
        bank.hit_frame = np.zeros(len(bank), np.bool_)
        self._deleted = np.sort(bank.track_id[drop])
        bank.compact(~drop)

    # --------------------------------------------------------------- control

    def drop(self, track_ids: ArrayLike) -> None:
        """Remove the tracks numbered ``track_ids`` (unknown numbers are ignored).

        Used when the 3-D tracker has triangulated the object and now holds a 3-D track for it.
        """
        ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
        if ids.shape[0] == 0 or len(self._bank) == 0:
            return
        self._bank.compact(~np.isin(self._bank.track_id, ids))

    # --------------------------------------------------------------- output

    def snapshot(self, t: float) -> BearingTrackTable:
        """All live tracks predicted to ``t``, without changing the tracker's state.

        Parameters
        ----------
        t : float, s
            Snapshot time (UTC epoch). Tracks whose last bearing is later than ``t`` are reported
            at their own time (no retrodiction).

        Returns
        -------
        BearingTrackTable
            One row per live track (tentative ones included; see ``.confirmed``).
        """
        bank = self._bank
        if len(bank) == 0:
            return BearingTrackTable.empty(float(t))
        dt = np.maximum(float(t) - bank.t_update, 0.0)
        x, P = angular_rate_predict(bank.x, bank.P, dt, self._config.q_angular)
        el = bank.has_el
        return BearingTrackTable(
            t=float(t),
            track_id=bank.track_id.copy(),
            sensor=bank.sensor.copy(),
            sensor_pos=bank.sensor_pos.copy(),
            status=bank.status.copy(),
            azimuth=x[:, 0],
            elevation=np.where(el, x[:, 2], np.nan),
            azimuth_rate=x[:, 1],
            elevation_rate=np.where(el, x[:, 3], np.nan),
            azimuth_std=np.sqrt(P[:, 0, 0]),
            elevation_std=np.where(el, np.sqrt(P[:, 2, 2]), np.nan),
            t_first=bank.t_first.copy(),
            t_update=bank.t_update.copy(),
            hits=bank.hits.copy(),
            truth=bank.truth.copy(),
        )
