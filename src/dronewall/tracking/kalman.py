"""Batched Kalman filter kernels for position measurements, and Mahalanobis gating distances.

Data layout
-----------
Batch-first, float64. ``N`` tracks with state ``x (N, n)`` and covariance ``P (N, n, n)``;
``n = 6`` for the NCV model (``(e, n, u, ve, vn, vu)``, m and m/s, local ENU). Measurements
``z (N, 3)`` are ENU positions in metres with noise covariance ``R (N, 3, 3)`` in m². The update
kernels pair row ``i`` of ``z``/``R`` with row ``i`` of ``x``/``P``; the gating kernels compare
every track with every detection (``(N, M)``) or a list of candidate pairs (``(K,)``).

Maths
-----
Predict (``F``, ``Q`` from the motion model)::

    x⁻ = F x                      P⁻ = F P Fᵀ + Q

Update with ``z = H x + w``, ``w ~ N(0, R)``, ``H = [I3 0]`` unless given::

    ν = z − H x⁻                  innovation
    S = H P⁻ Hᵀ + R = L Lᵀ        innovation covariance and its Cholesky factor
    K = P⁻ Hᵀ S⁻¹                 computed as Kᵀ = L⁻ᵀ (L⁻¹ H P⁻), two triangular solves
    x⁺ = x⁻ + K ν
    P⁺ = (I − K H) P⁻ (I − K H)ᵀ + K R Kᵀ      Joseph form: symmetric PSD for any K

Gating distance and the Gaussian negative log-likelihood's data term::

    d² = νᵀ S⁻¹ ν = ‖L⁻¹ ν‖²      ln det S = 2 Σ ln L_kk

Measurement models other than ``H = [I3 0]`` (polar, bearing, missing components) are linearised
in :mod:`dronewall.tracking.measurement`; their updates are :func:`linearised_update` (the same
Joseph-form update with a per-row Jacobian ``H (K, 3, n)`` and a given innovation) and
:func:`cross_covariance_update` (``x + C S⁻¹ ν``, ``P − C S⁻¹ Cᵀ`` from a cross-covariance ``C``).

For 3x3 ``S`` the Cholesky factor and the triangular solves are written out element by element, so a
million track-detection pairs cost a handful of vectorised array operations and no Python loop and
no LAPACK call per pair. A pair whose ``S`` is not positive definite gets ``d² = NaN``, which fails
every gate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.tracking.models import NearlyConstantVelocityModel

F64 = NDArray[np.float64]
IntP = NDArray[np.intp]

#: Measurement matrix of a position measurement of the NCV state.
H_POSITION: F64 = np.hstack([np.eye(3), np.zeros((3, 3))])
H_POSITION.setflags(write=False)

#: Default number of track-detection pairs evaluated at once by :func:`mahalanobis_pairwise`.
PAIR_CHUNK = 1 << 16

_Elems = tuple[F64, F64, F64, F64, F64, F64]


def _chol3_elements(s00: F64, s01: F64, s02: F64, s11: F64, s12: F64, s22: F64) -> _Elems:
    """Lower Cholesky factor of symmetric 3x3 matrices given elementwise; NaN where not PD.

    Returns ``(l00, l10, l20, l11, l21, l22)`` with the shapes of the inputs.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        l00 = np.sqrt(s00)
        l10 = s01 / l00
        l20 = s02 / l00
        l11 = np.sqrt(s11 - l10 * l10)
        l21 = (s12 - l20 * l10) / l11
        l22 = np.sqrt(s22 - l20 * l20 - l21 * l21)
    # sqrt of 0 gives 0 and then inf/NaN downstream; make "not strictly PD" uniformly NaN.
    bad = ~((l00 > 0.0) & (l11 > 0.0) & (l22 > 0.0))
    if np.any(bad):
        l00, l11, l22 = (np.where(bad, np.nan, v) for v in (l00, l11, l22))
    return l00, l10, l20, l11, l21, l22


def cholesky3(S: F64) -> F64:
    """Closed-form lower Cholesky factors of a batch of 3x3 symmetric matrices.

    Parameters
    ----------
    S : (..., 3, 3) float
        Symmetric matrices (only the lower triangle is read).

    Returns
    -------
    L : (..., 3, 3) float
        Lower triangular with ``L Lᵀ = S``; all-NaN diagonal entries where ``S`` is not positive
        definite (no exception, no warning).
    """
    S = np.asarray(S, dtype=np.float64)
    l00, l10, l20, l11, l21, l22 = _chol3_elements(
        S[..., 0, 0], S[..., 1, 0], S[..., 2, 0], S[..., 1, 1], S[..., 2, 1], S[..., 2, 2]
    )
    L = np.zeros(S.shape)
    L[..., 0, 0] = l00
    L[..., 1, 0] = l10
    L[..., 2, 0] = l20
    L[..., 1, 1] = l11
    L[..., 2, 1] = l21
    L[..., 2, 2] = l22
    return L


def _solve_lower3(L: F64, b: F64) -> F64:
    """Solve ``L y = b`` for lower-triangular ``L (N, 3, 3)`` and ``b (N, 3, k)``."""
    y0 = b[:, 0] / L[:, 0, 0, None]
    y1 = (b[:, 1] - L[:, 1, 0, None] * y0) / L[:, 1, 1, None]
    y2 = (b[:, 2] - L[:, 2, 0, None] * y0 - L[:, 2, 1, None] * y1) / L[:, 2, 2, None]
    return np.stack([y0, y1, y2], axis=1)


def _solve_upper3_transposed(L: F64, y: F64) -> F64:
    """Solve ``Lᵀ x = y`` for lower-triangular ``L (N, 3, 3)`` and ``y (N, 3, k)``."""
    x2 = y[:, 2] / L[:, 2, 2, None]
    x1 = (y[:, 1] - L[:, 2, 1, None] * x2) / L[:, 1, 1, None]
    x0 = (y[:, 0] - L[:, 1, 0, None] * x1 - L[:, 2, 0, None] * x2) / L[:, 0, 0, None]
    return np.stack([x0, x1, x2], axis=1)


def cho_solve3(L: F64, b: F64) -> F64:
    """Solve ``L Lᵀ x = b`` for factors ``L (N, 3, 3)`` of :func:`cholesky3` and ``b (N, 3, k)``.

    Two closed-form triangular solves; NaN rows where ``L`` marks a matrix that is not PD.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return _solve_upper3_transposed(L, _solve_lower3(L, b))


def _symmetrise(P: F64) -> F64:
    return 0.5 * (P + np.swapaxes(P, -1, -2))


def kalman_predict(
    x: F64, P: F64, dt: ArrayLike, model: NearlyConstantVelocityModel
) -> tuple[F64, F64]:
    """Predict states and covariances over per-track time steps.

    Parameters
    ----------
    x : (N, 6) float
        States, m and m/s.
    P : (N, 6, 6) float
        Covariances.
    dt : (N,) or scalar float, s
        Time steps, ``>= 0``.
    model : NearlyConstantVelocityModel
        Supplies ``F(dt)`` and ``Q(dt)``.

    Returns
    -------
    x : (N, 6) float
        ``F x``.
    P : (N, 6, 6) float
        ``F P Fᵀ + Q``, symmetrised.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (x.shape[0],))
    F = model.transition(dt)
    Q = model.process_noise(dt)
    x_pred = np.einsum("nij,nj->ni", F, x)  # x⁻ = F x
    P_pred = F @ P @ np.swapaxes(F, 1, 2) + Q  # P⁻ = F P Fᵀ + Q
    return x_pred, _symmetrise(P_pred)


def innovation(x: F64, P: F64, z: F64, R: F64) -> tuple[F64, F64]:
    """Innovations and their covariances of position measurements, row by row.

    Parameters
    ----------
    x : (N, n) float
        States whose first three components are the ENU position, m.
    P : (N, n, n) float
        Covariances.
    z : (N, 3) float
        Measured positions, m.
    R : (N, 3, 3) float
        Measurement noise covariances, m².

    Returns
    -------
    nu : (N, 3) float
        ``z − H x``, m.
    S : (N, 3, 3) float
        ``H P Hᵀ + R``, m².
    """
    nu = np.asarray(z, dtype=np.float64) - x[:, :3]
    S = P[:, :3, :3] + np.asarray(R, dtype=np.float64)
    return nu, _symmetrise(S)


def kalman_update(x: F64, P: F64, z: F64, R: F64, H: F64 | None = None) -> tuple[F64, F64]:
    """Kalman measurement update in Joseph form, row ``i`` of ``z`` updating track ``i``.

    Parameters
    ----------
    x : (N, n) float
        Predicted states.
    P : (N, n, n) float
        Predicted covariances.
    z : (N, m) float
        Measurements.
    R : (N, m, m) float
        Measurement noise covariances.
    H : (m, n) or (N, m, n) float, optional
        Measurement matrices; default :data:`H_POSITION` (``m = 3``, ``n = 6``), for which the
        Cholesky factor and solves are closed-form.

    Returns
    -------
    x : (N, n) float
        Updated states.
    P : (N, n, n) float
        Updated covariances, symmetric.

    Raises
    ------
    numpy.linalg.LinAlgError
        If an innovation covariance ``S`` is not positive definite.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    n_state = x.shape[1]
    Hm = H_POSITION if H is None else np.asarray(H, dtype=np.float64)
    HP = Hm @ P  # (N, m, n)
    nu = z - np.einsum("...ij,...j->...i", Hm, x)  # ν = z − H x⁻
    S = _symmetrise(HP @ np.swapaxes(Hm, -1, -2) + R)  # S = H P⁻ Hᵀ + R
    if H is None:
        L = cholesky3(S)
        if not np.all(np.isfinite(np.diagonal(L, axis1=1, axis2=2))):
            raise np.linalg.LinAlgError("innovation covariance is not positive definite")
        KT = _solve_upper3_transposed(L, _solve_lower3(L, HP))  # Kᵀ = S⁻¹ H P⁻
    else:
        L = np.asarray(np.linalg.cholesky(S), dtype=np.float64)
        KT = np.linalg.solve(np.swapaxes(L, -1, -2), np.linalg.solve(L, HP))
    K = np.swapaxes(KT, -1, -2)  # (N, n, m)
    x_post = x + np.einsum("nij,nj->ni", K, nu)  # x⁺ = x⁻ + K ν
    A = np.eye(n_state) - K @ Hm  # I − K H
    P_post = A @ P @ np.swapaxes(A, -1, -2) + K @ R @ KT  # Joseph form
    return x_post, _symmetrise(P_post)


def _pair_terms(
    nu0: F64,
    nu1: F64,
    nu2: F64,
    s00: F64,
    s01: F64,
    s02: F64,
    s11: F64,
    s12: F64,
    s22: F64,
) -> tuple[F64, F64]:
    """``d² = ‖L⁻¹ν‖²`` and ``ln det S`` from elementwise innovations and covariances."""
    l00, l10, l20, l11, l21, l22 = _chol3_elements(s00, s01, s02, s11, s12, s22)
    y0 = nu0 / l00
    y1 = (nu1 - l10 * y0) / l11
    y2 = (nu2 - l20 * y0 - l21 * y1) / l22
    d2 = y0 * y0 + y1 * y1 + y2 * y2
    with np.errstate(invalid="ignore", divide="ignore"):
        logdet = 2.0 * (np.log(l00) + np.log(l11) + np.log(l22))
    return d2, logdet


def mahalanobis_pairs(pos: F64, P_pos: F64, z: F64, R: F64, ti: IntP, dj: IntP) -> tuple[F64, F64]:
    """Squared Mahalanobis distances of candidate track-detection pairs.

    Parameters
    ----------
    pos : (N, 3) float
        Predicted track positions, m.
    P_pos : (N, 3, 3) float
        Their covariances, m².
    z : (M, 3) float
        Detected positions, m.
    R : (M, 3, 3) float
        Detection noise covariances, m².
    ti, dj : (K,) int
        Track and detection index of each pair.

    Returns
    -------
    d2 : (K,) float
        ``νᵀ S⁻¹ ν`` with ``ν = z_j − pos_i``, ``S = P_i + R_j``; NaN where ``S`` is not PD.
    logdet : (K,) float
        ``ln det S`` (S in m²).
    """
    return mahalanobis3(z[dj] - pos[ti], P_pos[ti] + R[dj])


def mahalanobis_pairwise(
    x: F64, P: F64, z: F64, R: F64, *, chunk: int = PAIR_CHUNK
) -> tuple[F64, F64]:
    """Squared Mahalanobis distances of every track to every detection.

    ``S_ij = H P_i Hᵀ + R_j`` differs per pair because each detection carries its own ``R``, so each
    pair gets its own (closed-form) Cholesky factor. Tracks are processed in blocks of about
    ``chunk`` pairs so memory stays ``O(chunk)`` beyond the ``(N, M)`` outputs.

    Parameters
    ----------
    x : (N, n) float
        Predicted states, position first (m).
    P : (N, n, n) float
        Predicted covariances.
    z : (M, 3) float
        Detected positions, m.
    R : (M, 3, 3) float
        Detection noise covariances, m².
    chunk : int
        Approximate number of pairs per block.

    Returns
    -------
    d2 : (N, M) float
        ``νᵀ S⁻¹ ν``; NaN where ``S`` is not positive definite.
    logdet : (N, M) float
        ``ln det S_ij``.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    n, m = x.shape[0], z.shape[0]
    d2 = np.empty((n, m))
    logdet = np.empty((n, m))
    if n == 0 or m == 0:
        return d2, logdet
    rows = max(1, chunk // m)
    Pp = _symmetrise(P[:, :3, :3])
    Rs = _symmetrise(R)

    def elem(A: F64, B: F64, a: int, b: int) -> F64:
        out: F64 = A[:, None, a, b] + B[None, :, a, b]
        return out

    for start in range(0, n, rows):  # a loop over blocks of tracks, not over tracks
        blk = slice(start, min(n, start + rows))
        Pb = Pp[blk]
        nu = z[None, :, :] - x[blk, None, :3]  # (b, M, 3)
        d2[blk], logdet[blk] = _pair_terms(
            nu[..., 0],
            nu[..., 1],
            nu[..., 2],
            elem(Pb, Rs, 0, 0),
            elem(Pb, Rs, 0, 1),
            elem(Pb, Rs, 0, 2),
            elem(Pb, Rs, 1, 1),
            elem(Pb, Rs, 1, 2),
            elem(Pb, Rs, 2, 2),
        )
    return d2, logdet


# ---------------------------------------------------------------------------------------------
# general linearised (EKF) updates with a 3-component measurement, row by row


def mahalanobis3(nu: F64, S: F64) -> tuple[F64, F64]:
    """Squared Mahalanobis distances and log-determinants of 3-component innovations.

    Parameters
    ----------
    nu : (K, 3) float
        Innovations.
    S : (K, 3, 3) float
        Their covariances (the off-diagonal entries are symmetrised before use).

    Returns
    -------
    d2 : (K,) float
        ``νᵀ S⁻¹ ν = ‖L⁻¹ ν‖²``; NaN where ``S`` is not positive definite.
    logdet : (K,) float
        ``ln det S = 2 Σ ln L_kk``; NaN where ``S`` is not positive definite.
    """
    nu = np.asarray(nu, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    return _pair_terms(
        nu[:, 0],
        nu[:, 1],
        nu[:, 2],
        S[:, 0, 0],
        0.5 * (S[:, 0, 1] + S[:, 1, 0]),
        0.5 * (S[:, 0, 2] + S[:, 2, 0]),
        S[:, 1, 1],
        0.5 * (S[:, 1, 2] + S[:, 2, 1]),
        S[:, 2, 2],
    )


def _pd_cholesky3(S: F64) -> F64:
    """:func:`cholesky3`, raising ``LinAlgError`` if any ``S`` is not positive definite."""
    L = cholesky3(S)
    if not np.all(np.isfinite(np.diagonal(L, axis1=-2, axis2=-1))):
        raise np.linalg.LinAlgError("innovation covariance is not positive definite")
    return L


def linearised_update(x: F64, P: F64, nu: F64, H: F64, R: F64) -> tuple[F64, F64]:
    """Extended Kalman update with a given innovation and Jacobian, Joseph form, row by row.

    The measurement function has been linearised by the caller (for instance
    :func:`dronewall.tracking.measurement.pair_statistics`)::

        S = H P⁻ Hᵀ + R = L Lᵀ          (3x3, closed-form Cholesky)
        Kᵀ = L⁻ᵀ (L⁻¹ H P⁻)             gain, two triangular solves, no inverse
        x⁺ = x⁻ + K ν
        P⁺ = (I − K H) P⁻ (I − K H)ᵀ + K R Kᵀ

    With ``ν = z − H x⁻``, ``H = [I3 0]`` this is :func:`kalman_update`. A component ``i`` that is
    not measured is passed as ``ν_i = 0``, row ``i`` of ``H`` zero, and row and column ``i`` of
    ``R`` zero with ``R_ii = 1`` (see :func:`dronewall.tracking.measurement.masked_noise`): then
    ``S`` has an uncoupled unit entry there, gain column ``i`` is exactly zero, and the update
    equals the reduced-dimension update on the measured components.

    Parameters
    ----------
    x : (K, n) float
        Predicted states.
    P : (K, n, n) float
        Predicted covariances.
    nu : (K, 3) float
        Innovations ``z − h(x⁻)`` (angles already wrapped).
    H : (K, 3, n) float
        Jacobians ``∂h/∂x`` at ``x⁻``.
    R : (K, 3, 3) float
        Measurement noise covariances.

    Returns
    -------
    x : (K, n) float
        Updated states.
    P : (K, n, n) float
        Updated covariances, symmetric.

    Raises
    ------
    numpy.linalg.LinAlgError
        If an innovation covariance ``S`` is not positive definite (gate first: such pairs have
        ``d² = NaN``).
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    HP = H @ P  # (K, 3, n)
    S = _symmetrise(HP @ np.swapaxes(H, -1, -2) + R)  # S = H P⁻ Hᵀ + R
    L = _pd_cholesky3(S)
    KT = _solve_upper3_transposed(L, _solve_lower3(L, HP))  # Kᵀ = S⁻¹ H P⁻
    K = np.swapaxes(KT, -1, -2)  # (K, n, 3)
    x_post = x + np.einsum("kij,kj->ki", K, nu)  # x⁺ = x⁻ + K ν
    A = np.eye(x.shape[1]) - K @ H  # I − K H
    P_post = A @ P @ np.swapaxes(A, -1, -2) + K @ R @ KT  # Joseph form
    return x_post, _symmetrise(P_post)


def cross_covariance_update(x: F64, P: F64, nu: F64, C: F64, S: F64) -> tuple[F64, F64]:
    """Linear-MMSE update from a state-measurement cross-covariance, row by row.

    For a measurement ``z`` with innovation ``ν`` (covariance ``S``) and cross-covariance
    ``C = cov(x, z) (n x 3)``::

        S = L Lᵀ,   Y = L⁻¹ Cᵀ,   η = L⁻¹ ν
        x⁺ = x + C S⁻¹ ν = x + Yᵀ η
        P⁺ = P − C S⁻¹ Cᵀ = P − Yᵀ Y      (symmetrised)

    This is the update of Bar-Shalom's one-step out-of-sequence algorithm, where ``C`` couples
    the current state with a measurement retrodicted to an earlier time; with ``C = P Hᵀ`` and
    ``S = H P Hᵀ + R`` it equals :func:`linearised_update` (not in Joseph form: ``P⁺`` is as
    well conditioned as the subtraction allows). Unmeasured components are passed as in
    :func:`linearised_update`: ``ν_i = 0``, column ``i`` of ``C`` zero, ``S`` with an uncoupled
    unit entry.

    Parameters
    ----------
    x : (K, n) float
        States.
    P : (K, n, n) float
        Covariances.
    nu : (K, 3) float
        Innovations.
    C : (K, n, 3) float
        Cross-covariances ``cov(x, z)``.
    S : (K, 3, 3) float
        Innovation covariances.

    Returns
    -------
    x : (K, n) float
    P : (K, n, n) float

    Raises
    ------
    numpy.linalg.LinAlgError
        If an ``S`` is not positive definite.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    L = _pd_cholesky3(_symmetrise(np.asarray(S, dtype=np.float64)))
    Y = _solve_lower3(L, np.swapaxes(C, -1, -2))  # (K, 3, n)
    eta = _solve_lower3(L, nu[:, :, None])[:, :, 0]  # (K, 3)
    x_post = x + np.einsum("kji,kj->ki", Y, eta)  # x + C S⁻¹ ν
    P_post = P - np.swapaxes(Y, -1, -2) @ Y  # P − C S⁻¹ Cᵀ
    return x_post, _symmetrise(P_post)


def position_update(x: F64, P: F64, z: F64, R: F64) -> tuple[F64, F64, F64, F64]:
    """Fast update with full 3-D position measurements, and the pairs' gating statistics.

    The hot path of the tracker: ``H = [I₃ 0]`` is never formed. With ``HP = P[:, :3, :]``::

        S = P_pp + R = L Lᵀ       Kᵀ = S⁻¹ HP (two closed-form triangular solves)
        x⁺ = x + K ν              P⁺ = P − K (HP)      (= P − K S Kᵀ for the optimal gain)

    symmetrised. The standard form costs one ``(3 x 6)`` product per row instead of the Joseph
    form's two ``(6 x 6)`` products; for the optimal gain both are the same matrix.

    Parameters
    ----------
    x : (K, 6) float
        Predicted states.
    P : (K, 6, 6) float
        Predicted covariances.
    z : (K, 3) float
        Measured ENU positions, m (all components finite).
    R : (K, 3, 3) float
        Their noise covariances, m².

    Returns
    -------
    x : (K, 6) float
        Updated states (rows with a non-PD ``S`` are returned unchanged).
    P : (K, 6, 6) float
        Updated covariances (unchanged where ``S`` is not PD).
    d2 : (K,) float
        ``νᵀ S⁻¹ ν`` (NaN where ``S`` is not PD).
    logdet : (K,) float
        ``ln det S`` (NaN where ``S`` is not PD).
    """
    HP = P[:, :3, :]
    S = _symmetrise(HP[:, :, :3] + R)
    L = cholesky3(S)
    nu = z - x[:, :3]
    w = _solve_lower3(L, nu[:, :, None])[:, :, 0]  # L⁻¹ ν
    d2: F64 = np.einsum("ki,ki->k", w, w)
    diag = np.diagonal(L, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        logdet: F64 = 2.0 * np.log(diag).sum(axis=1)
    ok = np.all(np.isfinite(diag), axis=1)
    KT = _solve_upper3_transposed(L, _solve_lower3(L, HP))  # (K, 3, 6) = S⁻¹ H P
    x_post = x + np.einsum("kij,ki->kj", KT, nu)
    P_post = _symmetrise(P - np.einsum("kia,kib->kab", KT, HP))
    x_post = np.where(ok[:, None], x_post, x)
    P_post = np.where(ok[:, None, None], P_post, P)
    return x_post, P_post, d2, logdet
