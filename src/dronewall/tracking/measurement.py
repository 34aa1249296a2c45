"""Measurement models of the 6-D ENU state: prediction, EKF Jacobians, masking, pair statistics.

Data layout
-----------
Batch-first, float64, ``K`` rows: each row is one track-detection pair whose track has already
been gathered by the caller, so ``x (K, 6)``, ``P (K, 6, 6)`` sit beside the detection's
``kind (K,) int8``, ``z (K, 3)``, ``R (K, 3, 3)`` and ``sensor_pos (K, 3)`` (the columns of a
:class:`~dronewall.core.DetectionBatch`). The state is ``x = (e, n, u, ve, vn, vu)``, m and m/s,
local ENU. Every measurement is a 3-vector; a NaN component of ``z`` is *not measured*. Angles are
radians: azimuth clockwise from north, ``atan2(east, north)``; elevation above the local
horizontal, ``atan2(up, hypot(east, north))``.

Measurement functions ``h(x)`` by kind, with ``d = p − s`` the target position relative to the
sensor, ``ρ = hypot(d_e, d_n)`` and ``r = ‖d‖``:

============  ==============================  ==============================================
kind          ``h(x)``                        components measured
============  ==============================  ==============================================
POSITION      ``p``                           finite components of ``z`` (2D: NaN up)
SIGHTING      ``p``                           as POSITION
POLAR         ``(r, az, el)``                 3D radar (``z[2]`` finite)
POLAR         ``(ρ, az, —)``                  2D radar (``z[2]`` NaN): horizontal range
BEARING       ``(az, el, —)``                 ``el`` only when ``z[1]`` is finite
============  ==============================  ==============================================

Maths
-----
Jacobians with respect to the position (velocity columns are zero)::

    ∂r/∂p  = dᵀ / r
    ∂ρ/∂p  = (d_e, d_n, 0) / ρ
    ∂az/∂p = (d_n, −d_e, 0) / ρ²
    ∂el/∂p = (−d_e d_u / ρ, −d_n d_u / ρ, ρ) / r²

A component is *invalid* when it is not measured (NaN in ``z``), not part of the kind (BEARING's
third), or its Jacobian does not exist: ranges and angles of a target at the sensor, azimuth and
elevation of a target straight above or below it (``ρ`` or ``r`` below
:data:`DEGENERATE_DISTANCE_M`). Invalid components enter the filter *exactly* as absent, with no
large-variance trick: the innovation is 0, the Jacobian row is 0, and the masked noise has row and
column zeroed with a unit diagonal (:func:`masked_noise`). Then, up to a permutation,

    S = H P Hᵀ + R̃ = blockdiag(S_vv, I)

so ``d² = ν_vᵀ S_vv⁻¹ ν_v``, ``ln det S = ln det S_vv`` (``ln 1 = 0``), the gain column of an
invalid component is ``P H_iᵀ = 0`` and the Joseph update equals the reduced-dimension update on
the valid components ``v``. The Gaussian log-density is taken with ``dof = |v|`` dimensions:

    ln N(ν; 0, S) = −½ (d² + ln det S + dof ln 2π)

Azimuth innovations are wrapped to ``(−π, π]``, so a measurement at 1° of a track at 359° is a 2°
innovation. A range rate (POLAR only, its noise independent of ``z``) is a separate scalar update,
:func:`range_rate_update`, applied after the 3-vector update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.measurements import MeasurementKind
from dronewall.geo.frames import polar_to_enu_jacobian
from dronewall.tracking.kalman import (
    cholesky3,
    cross_covariance_update,
    linearised_update,
    mahalanobis3,
)

F64 = NDArray[np.float64]
Bool = NDArray[np.bool_]
IntA = NDArray[np.int64]

__all__ = [
    "DEGENERATE_DISTANCE_M",
    "LN_2PI",
    "MeasurementPrediction",
    "PairStatistics",
    "PolarGeometry",
    "cross_covariance_update",
    "initial_state",
    "innovation",
    "linearised_update",
    "masked_jacobian",
    "masked_noise",
    "pair_statistics",
    "polar_geometry",
    "predict_measurement",
    "range_rate_update",
    "wrap_angle",
]

#: Below this distance (m) from the sensor a range, and below this horizontal distance an angle,
#: has no derivative: such components are marked invalid instead of producing NaN or inf.
DEGENERATE_DISTANCE_M = 1e-6

#: ``ln 2π``, the per-dimension constant of the Gaussian log-density.
LN_2PI = float(np.log(2.0 * np.pi))

_POSITION = int(MeasurementKind.POSITION)
_BEARING = int(MeasurementKind.BEARING)
_SIGHTING = int(MeasurementKind.SIGHTING)
_POLAR = int(MeasurementKind.POLAR)


def wrap_angle(a: ArrayLike) -> F64:
    """Angles wrapped to ``(−π, π]``, rad (NaN stays NaN)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out: F64 = np.pi - np.mod(np.pi - a, 2.0 * np.pi)
    return out


def _symmetrise(A: F64) -> F64:
    return 0.5 * (A + np.swapaxes(A, -1, -2))


@dataclass(frozen=True, slots=True)
class PolarGeometry:
    """Ranges, angles and their gradients of target offsets ``d = p − s`` (see module maths).

    Gradients are with respect to the target position, ``(K, 3)``; they are 0 where not defined.
    """

    #: (K,) slant range ``r``, m.
    slant_range: F64
    #: (K,) horizontal range ``ρ``, m.
    horizontal_range: F64
    #: (K,) azimuth in ``(−π, π]``, rad, clockwise from north.
    azimuth: F64
    #: (K,) elevation in ``[−π/2, π/2]``, rad.
    elevation: F64
    #: (K, 3) ``∂r/∂p``.
    d_slant_range: F64
    #: (K, 3) ``∂ρ/∂p``.
    d_horizontal_range: F64
    #: (K, 3) ``∂az/∂p``, rad/m.
    d_azimuth: F64
    #: (K, 3) ``∂el/∂p``, rad/m.
    d_elevation: F64
    #: (K,) ``r > DEGENERATE_DISTANCE_M``: the slant range is differentiable.
    range_ok: Bool
    #: (K,) ``ρ > DEGENERATE_DISTANCE_M``: horizontal range, azimuth and elevation are.
    angle_ok: Bool


def polar_geometry(d: F64) -> PolarGeometry:
    """Range, azimuth, elevation and their gradients of offsets ``d (K, 3)`` (m) from a sensor.

    Degenerate rows (target at the sensor, or on its vertical) get zero gradients and a False
    ``range_ok``/``angle_ok`` flag, never NaN or inf.
    """
    d = np.asarray(d, dtype=np.float64)
    de, dn, du = d[:, 0], d[:, 1], d[:, 2]
    rho = np.hypot(de, dn)
    r = np.hypot(rho, du)
    range_ok = r > DEGENERATE_DISTANCE_M
    angle_ok = rho > DEGENERATE_DISTANCE_M
    r_s = np.where(range_ok, r, 1.0)
    rho_s = np.where(angle_ok, rho, 1.0)
    zero = np.zeros_like(de)
    ok_r = range_ok[:, None]
    ok_a = angle_ok[:, None]
    d_r = np.where(ok_r, d / r_s[:, None], 0.0)
    d_rho = np.where(ok_a, np.stack([de / rho_s, dn / rho_s, zero], axis=1), 0.0)
    rho2 = rho_s * rho_s
    d_az = np.where(ok_a, np.stack([dn / rho2, -de / rho2, zero], axis=1), 0.0)
    r2 = r_s * r_s
    k = du / (r2 * rho_s)
    d_el = np.where(ok_a, np.stack([-de * k, -dn * k, rho / r2], axis=1), 0.0)
    return PolarGeometry(
        slant_range=r,
        horizontal_range=rho,
        azimuth=np.arctan2(de, dn),
        elevation=np.arctan2(du, rho),
        d_slant_range=d_r,
        d_horizontal_range=d_rho,
        d_azimuth=d_az,
        d_elevation=d_el,
        range_ok=range_ok,
        angle_ok=angle_ok,
    )


@dataclass(frozen=True, slots=True)
class MeasurementPrediction:
    """Predicted measurements of ``K`` pairs, linearised at the predicted states.

    Invalid components hold 0 in ``hx`` and a zero row in ``H``.
    """

    #: (K, 3) ``h(x)``: m for positions and ranges, rad for angles.
    hx: F64
    #: (K, 3, 6) ``∂h/∂x`` at ``x``.
    H: F64
    #: (K, 3) bool: the component is measured and its model is defined.
    valid: Bool


def _kind_masks(kind: ArrayLike) -> tuple[Bool, Bool, Bool]:
    k = np.asarray(kind).astype(np.int64)
    return (k == _POSITION) | (k == _SIGHTING), k == _POLAR, k == _BEARING


def _azimuth_mask(kind: ArrayLike) -> Bool:
    """(K, 3) bool: which components are azimuths (wrapped in innovations)."""
    _, is_polar, is_bear = _kind_masks(kind)
    return np.stack([is_bear, is_polar, np.zeros_like(is_bear)], axis=1)


def masked_jacobian(H: F64, valid: Bool) -> F64:
    """Jacobians ``H (K, 3, n)`` with the rows of invalid components (``valid (K, 3)``) zeroed."""
    out: F64 = np.where(np.asarray(valid)[:, :, None], np.asarray(H, dtype=np.float64), 0.0)
    return out


def predict_measurement(kind: ArrayLike, x: F64, sensor_pos: F64, z: F64) -> MeasurementPrediction:
    """Predicted measurements and EKF Jacobians of states ``x`` as seen by each row's sensor.

    Parameters
    ----------
    kind : (K,) int
        :class:`~dronewall.core.MeasurementKind` of each row. Unknown kinds get no valid component.
    x : (K, 6) float
        States ``(e, n, u, ve, vn, vu)``, m and m/s.
    sensor_pos : (K, 3) float
        Sensor positions, ENU m.
    z : (K, 3) float
        The measurements. Only their NaN pattern is read: it says which components are measured
        and whether a POLAR row is 3D (``z[2]`` finite) or 2D.

    Returns
    -------
    MeasurementPrediction
        ``hx (K, 3)``, ``H (K, 3, 6)`` (rows of invalid components zero) and ``valid (K, 3)``.
    """
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(sensor_pos, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    n_rows = x.shape[0]
    is_pos, is_polar, is_bear = _kind_masks(kind)
    zf = np.isfinite(z)
    polar3 = is_polar & zf[:, 2]
    polar2 = is_polar & ~zf[:, 2]
    p = x[:, :3]
    g = polar_geometry(p - s)
    eye = np.eye(3)
    E = [np.broadcast_to(eye[i], (n_rows, 3)) for i in range(3)]
    true = np.ones(n_rows, dtype=bool)

    def col(c: list[Bool]) -> list[Bool]:
        return [m[:, None] for m in c]

    c0 = [is_pos, polar3, polar2, is_bear]
    h0 = np.select(c0, [p[:, 0], g.slant_range, g.horizontal_range, g.azimuth], 0.0)
    J0 = np.select(col(c0), [E[0], g.d_slant_range, g.d_horizontal_range, g.d_azimuth], 0.0)
    ok0 = np.select(c0, [true, g.range_ok, g.angle_ok, g.angle_ok], False)
    c1 = [is_pos, is_polar, is_bear]
    h1 = np.select(c1, [p[:, 1], g.azimuth, g.elevation], 0.0)
    J1 = np.select(col(c1), [E[1], g.d_azimuth, g.d_elevation], 0.0)
    ok1 = np.select(c1, [true, g.angle_ok, g.angle_ok], False)
    c2 = [is_pos, polar3]
    h2 = np.select(c2, [p[:, 2], g.elevation], 0.0)
    J2 = np.select(col(c2), [E[2], g.d_elevation], 0.0)
    ok2 = np.select(c2, [true, g.angle_ok], False)

    valid = np.stack([ok0, ok1, ok2], axis=1) & zf
    hx = np.where(valid, np.stack([h0, h1, h2], axis=1), 0.0)
    H = np.zeros((n_rows, 3, 6))
    H[:, :, :3] = np.where(valid[:, :, None], np.stack([J0, J1, J2], axis=1), 0.0)
    return MeasurementPrediction(hx=hx, H=H, valid=valid)


def innovation(kind: ArrayLike, z: F64, prediction: MeasurementPrediction) -> F64:
    """Innovations ``ν = z − h(x)`` (K, 3); azimuths wrapped to ``(−π, π]``; 0 where invalid."""
    z = np.asarray(z, dtype=np.float64)
    nu = z - prediction.hx
    nu = np.where(_azimuth_mask(kind), wrap_angle(nu), nu)
    out: F64 = np.where(prediction.valid, nu, 0.0)
    return out


def masked_noise(R: F64, valid: Bool) -> F64:
    """Noise covariances with invalid components removed exactly.

    Row and column ``i`` of ``R`` are zeroed and ``R_ii = 1`` wherever ``valid[:, i]`` is False
    (whatever ``R`` held there, NaN included). With the matching Jacobian rows zeroed and
    ``ν_i = 0``, ``S = H P Hᵀ + R̃`` has an uncoupled unit entry for ``i``: it adds 0 to ``d²``,
    ``ln 1 = 0`` to ``ln det S``, and its gain column is exactly 0 (see the module docstring).

    Parameters
    ----------
    R : (K, 3, 3) float
        Measurement noise covariances.
    valid : (K, 3) bool
        Valid components.

    Returns
    -------
    (K, 3, 3) float
        Symmetric masked covariances.
    """
    R = np.asarray(R, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    both = valid[:, :, None] & valid[:, None, :]
    Rm = np.where(both, _symmetrise(np.where(both, R, 0.0)), 0.0)
    i = np.arange(3)
    Rm[:, i, i] = np.where(valid, Rm[:, i, i], 1.0)
    return Rm


@dataclass(frozen=True, slots=True)
class PairStatistics:
    """Innovation statistics of ``K`` track-detection pairs (see :func:`pair_statistics`)."""

    #: (K, 3) innovations, 0 in invalid components.
    nu: F64
    #: (K, 3, 3) innovation covariances ``H P Hᵀ + R̃``, unit uncoupled entries where invalid.
    S: F64
    #: (K, 3, 6) Jacobians, zero rows where invalid.
    H: F64
    #: (K, 3, 3) masked noise ``R̃`` (:func:`masked_noise`), to pass to the update.
    R: F64
    #: (K, 3) bool valid components.
    valid: Bool
    #: (K,) ``νᵀ S⁻¹ ν``; NaN where ``S`` is not positive definite (fails every gate).
    d2: F64
    #: (K,) ``ln det S``.
    logdet: F64
    #: (K,) int number of valid components (the χ² degrees of freedom of ``d2``).
    dof: IntA
    #: (K,) ``−½ (d² + ln det S + dof ln 2π)``, the Gaussian log-likelihood of the pair.
    log_likelihood: F64


def pair_statistics(
    x: F64, P: F64, kind: ArrayLike, z: F64, R: F64, sensor_pos: F64
) -> PairStatistics:
    """Innovations, covariances, gating distances and log-likelihoods of track-detection pairs.

    Parameters
    ----------
    x : (K, 6) float
        Predicted states of the paired tracks, m and m/s.
    P : (K, 6, 6) float
        Their covariances.
    kind : (K,) int
        Detection kinds.
    z : (K, 3) float
        Detections (NaN = not measured).
    R : (K, 3, 3) float
        Detection noise covariances.
    sensor_pos : (K, 3) float
        Sensor positions, ENU m.

    Returns
    -------
    PairStatistics
        ``d2`` is χ² with ``dof`` degrees of freedom under the model: gate each row with the
        threshold of its own ``dof``. Rows with ``dof = 0`` carry no information (``d2 = 0``).
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    pred = predict_measurement(kind, x, sensor_pos, z)
    nu = innovation(kind, z, pred)
    Rm = masked_noise(R, pred.valid)
    H = pred.H
    Hp = H[:, :, :3]  # every h depends on the position only: H = [Hp 0]
    S = _symmetrise(Hp @ P[:, :3, :3] @ np.swapaxes(Hp, -1, -2) + Rm)  # S = H P Hᵀ + R̃
    d2, logdet = mahalanobis3(nu, S)
    dof = np.count_nonzero(pred.valid, axis=1).astype(np.int64)
    log_likelihood = -0.5 * (d2 + logdet + dof * LN_2PI)
    return PairStatistics(
        nu=nu,
        S=S,
        H=H,
        R=Rm,
        valid=pred.valid,
        d2=d2,
        logdet=logdet,
        dof=dof,
        log_likelihood=log_likelihood,
    )


def range_rate_update(
    x: F64, P: F64, range_rate: F64, var: F64, sensor_pos: F64
) -> tuple[F64, F64, F64]:
    """Sequential scalar EKF update with a measured range rate (positive opening).

    The sensor is taken as stationary::

        h(x) = (p − s) · v / ‖p − s‖ = uᵀ v,        u = (p − s) / r
        H    = [ (v − h u)ᵀ / r ,  uᵀ ]              (1 x 6)
        S = H P Hᵀ + σ²,   K = P Hᵀ / S,   ν = ṙ − h(x)
        x⁺ = x + K ν,      P⁺ = (I − K H) P (I − K H)ᵀ + σ² K Kᵀ

    Parameters
    ----------
    x : (K, 6) float
        States (typically already updated with the row's 3-vector measurement).
    P : (K, 6, 6) float
        Covariances.
    range_rate : (K,) float, m/s
        Measured range rates; NaN = not measured.
    var : (K,) float, m²/s²
        Their noise variances.
    sensor_pos : (K, 3) float
        Sensor positions, ENU m.

    Returns
    -------
    x : (K, 6) float
    P : (K, 6, 6) float
        Symmetric.
    d2 : (K,) float
        ``ν² / S``, χ² with 1 dof. Rows not updated (range rate or variance NaN, target at the
        sensor, ``S ≤ 0``) come back unchanged with ``d2 = 0``.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    rr = np.asarray(range_rate, dtype=np.float64)
    var = np.asarray(var, dtype=np.float64)
    d = x[:, :3] - np.asarray(sensor_pos, dtype=np.float64)
    v = x[:, 3:]
    r = np.linalg.norm(d, axis=1)
    use = np.isfinite(rr) & np.isfinite(var) & (var >= 0.0) & (r > DEGENERATE_DISTANCE_M)
    r_s = np.where(use, r, 1.0)
    u = d / r_s[:, None]
    h = np.einsum("ki,ki->k", u, v)
    Hr = np.concatenate([(v - h[:, None] * u) / r_s[:, None], u], axis=1)  # (K, 6)
    PHt = np.einsum("kij,kj->ki", P, Hr)
    S = np.einsum("ki,ki->k", Hr, PHt) + np.where(use, var, 0.0)
    use &= S > 0.0
    S_s = np.where(use, S, 1.0)
    nu = np.where(use, rr - h, 0.0)
    K = PHt / S_s[:, None]
    x_new = x + K * nu[:, None]
    A = np.eye(6) - K[:, :, None] * Hr[:, None, :]
    P_new = A @ P @ np.swapaxes(A, 1, 2) + np.where(use, var, 0.0)[:, None, None] * (
        K[:, :, None] * K[:, None, :]
    )
    x_out = np.where(use[:, None], x_new, x)
    P_out = np.where(use[:, None, None], _symmetrise(P_new), P)
    d2 = nu * nu / S_s
    return x_out, P_out, d2


def initial_state(
    kind: ArrayLike,
    z: F64,
    R: F64,
    sensor_pos: F64,
    *,
    velocity_std: ArrayLike,
    unobserved_up_std: ArrayLike,
    unobserved_up: ArrayLike | None = None,
) -> tuple[F64, F64, Bool]:
    """One-point track initiation: a state and covariance from a single detection.

    * POSITION, SIGHTING: position ``z``, covariance ``R``. A NaN up is replaced by
      ``unobserved_up`` (default: the sensor's up) with variance ``unobserved_up_std²``,
      uncorrelated with the horizontal position.
    * POLAR 3D: ``p = s + r (sin az cos el, cos az cos el, sin el)`` with the converted-measurement
      covariance ``J R Jᵀ``, ``J = ∂p/∂(r, az, el)`` (first order; unbiased conversion is not
      applied, which is sound while ``r σ_angle²`` is small against ``σ_r``).
    * POLAR 2D (``z[2]`` NaN): horizontal ``s + ρ (sin az, cos az)`` with ``J₂ R₂ J₂ᵀ`` from the
      range/azimuth block of ``R``; up as unobserved.
    * BEARING: not initiable from one detection (``ok`` False); use
      :func:`dronewall.tracking.triangulation.triangulate`.

    The velocity is 0 with standard deviations ``velocity_std``, uncorrelated with the position.

    Parameters
    ----------
    kind : (K,) int
        Detection kinds.
    z : (K, 3) float
        Measurements.
    R : (K, 3, 3) float
        Their noise covariances.
    sensor_pos : (K, 3) float
        Sensor positions, ENU m.
    velocity_std : (3,) or (K, 3) float, m/s
        Prior velocity standard deviations (east, north, up).
    unobserved_up_std : float or (K,) float, m
        Standard deviation of an unobserved up component.
    unobserved_up : float or (K,) float, m, optional
        Up of a detection without height; default the sensor's up.

    Returns
    -------
    x : (K, 6) float
        States; NaN rows where not ``ok``.
    P : (K, 6, 6) float
        Covariances, symmetric positive definite where ``ok``; NaN rows where not.
    ok : (K,) bool
        Initiated: a known kind, the needed components finite, ``r > 0`` (POLAR) and a positive
        definite position covariance.
    """
    z = np.asarray(z, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    s = np.asarray(sensor_pos, dtype=np.float64)
    n_rows = z.shape[0]
    is_pos, is_polar, _ = _kind_masks(kind)
    up0 = (
        s[:, 2].copy()
        if unobserved_up is None
        else np.broadcast_to(np.asarray(unobserved_up, dtype=np.float64), (n_rows,))
    )
    up_var = np.broadcast_to(np.asarray(unobserved_up_std, dtype=np.float64), (n_rows,)) ** 2
    v_var = np.broadcast_to(np.asarray(velocity_std, dtype=np.float64), (n_rows, 3)) ** 2
    zf = np.isfinite(z)
    has_up = zf[:, 2]
    horizontal_only = np.zeros((n_rows, 3, 3), dtype=bool)
    horizontal_only[:, :2, :2] = True
    # entries of the 3x3 position covariance that come from the measurement (the rest: up prior)
    measured = np.where(has_up[:, None, None], True, horizontal_only)

    # POSITION / SIGHTING
    pos_c = np.where(has_up[:, None], z, np.stack([z[:, 0], z[:, 1], up0], axis=1))
    ok_c = is_pos & zf[:, 0] & zf[:, 1]
    P_c = np.where(measured, R, 0.0)

    # POLAR, 3D and 2D (2D: el = 0 and the range is horizontal; J's third row and column unused)
    r = np.where(zf[:, 0], z[:, 0], 0.0)
    az = np.where(zf[:, 1], z[:, 1], 0.0)
    el = np.where(has_up, z[:, 2], 0.0)
    J = polar_to_enu_jacobian(r, az, el)
    pos_p = s + J[:, :, 0] * r[:, None]
    pos_p[:, 2] = np.where(has_up, pos_p[:, 2], up0)
    Rp = np.where(measured, R, 0.0)
    P_p = np.where(measured, J @ Rp @ np.swapaxes(J, 1, 2), 0.0)
    ok_p = is_polar & zf[:, 0] & zf[:, 1] & (r > 0.0)

    pos = np.where(is_pos[:, None], pos_c, pos_p)
    P_pos = np.where(is_pos[:, None, None], P_c, P_p)
    P_pos[:, 2, 2] = np.where(has_up, P_pos[:, 2, 2], up_var)
    P_pos = _symmetrise(P_pos)
    ok = (ok_c | ok_p) & np.all(np.isfinite(pos), axis=1)
    ok &= np.all(np.isfinite(np.diagonal(cholesky3(P_pos), axis1=1, axis2=2)), axis=1)

    x = np.zeros((n_rows, 6))
    x[:, :3] = pos
    P = np.zeros((n_rows, 6, 6))
    P[:, :3, :3] = P_pos
    i = np.arange(3, 6)
    P[:, i, i] = v_var
    x[~ok] = np.nan
    P[~ok] = np.nan
    return x, P, ok
