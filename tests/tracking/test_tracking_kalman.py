"""Kalman kernels: SPD invariants, batched == one-by-one, agreement with textbook formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dronewall.tracking.kalman import (
    H_POSITION,
    cho_solve3,
    cholesky3,
    cross_covariance_update,
    innovation,
    kalman_predict,
    kalman_update,
    linearised_update,
    mahalanobis3,
    mahalanobis_pairs,
    mahalanobis_pairwise,
)
from dronewall.tracking.models import NearlyConstantVelocityModel

MODEL = NearlyConstantVelocityModel(q_horizontal=4.0, q_vertical=1.0)


def _spd(raw: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """SPD matrices from raw (..., n, n) entries: D (A Aᵀ + 0.1 I) D with D = diag(scale)."""
    n = raw.shape[-1]
    A = raw @ np.swapaxes(raw, -1, -2) + 0.1 * np.eye(n)
    return scale[..., :, None] * A * scale[..., None, :]


@st.composite
def track_batches(draw: st.DrawFn, max_n: int = 6) -> tuple[np.ndarray, ...]:
    """(x, P, z, R, dt) of a random batch of tracks, each with one measurement."""
    n = draw(st.integers(1, max_n))
    elems = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
    rawP = draw(arrays(np.float64, (n, 6, 6), elements=elems))
    rawR = draw(arrays(np.float64, (n, 3, 3), elements=elems))
    scaleP = draw(arrays(np.float64, (n, 6), elements=st.floats(0.1, 100.0)))
    scaleR = draw(arrays(np.float64, (n, 3), elements=st.floats(0.1, 100.0)))
    x = draw(arrays(np.float64, (n, 6), elements=st.floats(-1e4, 1e4)))
    z = draw(arrays(np.float64, (n, 3), elements=st.floats(-1e4, 1e4)))
    dt = draw(arrays(np.float64, (n,), elements=st.floats(0.0, 10.0)))
    return x, _spd(rawP, scaleP), z, _spd(rawR, scaleR), dt


def _assert_spd(P: np.ndarray) -> None:
    np.testing.assert_allclose(P, np.swapaxes(P, -1, -2), rtol=0, atol=1e-9 * np.abs(P).max())
    assert np.all(np.linalg.eigvalsh(P) > 0.0)


@settings(max_examples=60, deadline=None)
@given(batch=track_batches())
def test_predict_and_update_keep_covariances_spd(batch: tuple[np.ndarray, ...]) -> None:
    x, P, z, R, dt = batch
    xp, Pp = kalman_predict(x, P, dt, MODEL)
    _assert_spd(Pp)
    _, Pu = kalman_update(xp, Pp, z, R)
    _assert_spd(Pu)
    # a measurement never increases the position uncertainty
    assert np.all(
        np.trace(Pu[:, :3, :3], axis1=1, axis2=2)
        <= np.trace(Pp[:, :3, :3], axis1=1, axis2=2) * (1 + 1e-9)
    )


@settings(max_examples=40, deadline=None)
@given(batch=track_batches())
def test_batched_update_equals_one_by_one(batch: tuple[np.ndarray, ...]) -> None:
    x, P, z, R, dt = batch
    xb, Pb = kalman_update(*kalman_predict(x, P, dt, MODEL), z, R)
    for i in range(x.shape[0]):
        xi, Pi = kalman_predict(x[i : i + 1], P[i : i + 1], dt[i : i + 1], MODEL)
        xi, Pi = kalman_update(xi, Pi, z[i : i + 1], R[i : i + 1])
        np.testing.assert_allclose(xb[i], xi[0], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(Pb[i], Pi[0], rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(batch=track_batches())
def test_update_matches_textbook_and_general_path(batch: tuple[np.ndarray, ...]) -> None:
    x, P, z, R, _ = batch
    x_fast, P_fast = kalman_update(x, P, z, R)
    x_gen, P_gen = kalman_update(x, P, z, R, H=H_POSITION)
    H = H_POSITION
    for i in range(x.shape[0]):
        S = H @ P[i] @ H.T + R[i]
        K = P[i] @ H.T @ np.linalg.inv(S)  # reference only: the kernel never inverts
        x_ref = x[i] + K @ (z[i] - H @ x[i])
        P_ref = (np.eye(6) - K @ H) @ P[i]  # the short form; equal to Joseph for the optimal K
        scale = np.abs(P[i]).max()
        np.testing.assert_allclose(
            x_fast[i], x_ref, rtol=1e-7, atol=1e-6 * (1 + np.abs(x_ref).max())
        )
        np.testing.assert_allclose(P_fast[i], P_ref, rtol=1e-6, atol=1e-7 * scale)
    np.testing.assert_allclose(x_fast, x_gen, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(P_fast, P_gen, rtol=1e-9, atol=1e-9 * np.abs(P).max())


def test_scalar_case_known_gain() -> None:
    x = np.zeros((1, 6))
    P = np.diag([4.0, 4.0, 4.0, 1.0, 1.0, 1.0])[None]
    R = np.eye(3)[None]
    z = np.array([[5.0, -5.0, 10.0]])
    xu, Pu = kalman_update(x, P, z, R)
    np.testing.assert_allclose(xu[0, :3], 0.8 * z[0])  # K = 4 / (4 + 1)
    np.testing.assert_allclose(np.diag(Pu[0])[:3], 0.8)
    np.testing.assert_allclose(xu[0, 3:], 0.0)


def test_innovation() -> None:
    x = np.array([[1.0, 2.0, 3.0, 9.0, 9.0, 9.0]])
    P = np.diag([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])[None]
    nu, S = innovation(x, P, np.array([[2.0, 2.0, 1.0]]), np.eye(3)[None])
    np.testing.assert_allclose(nu, [[1.0, 0.0, -2.0]])
    np.testing.assert_allclose(S, np.diag([2.0, 3.0, 4.0])[None])


def test_update_rejects_non_pd_innovation_covariance() -> None:
    P = np.zeros((1, 6, 6))
    R = np.zeros((1, 3, 3))
    with pytest.raises(np.linalg.LinAlgError):
        kalman_update(np.zeros((1, 6)), P, np.zeros((1, 3)), R)


@settings(max_examples=40, deadline=None)
@given(raw=arrays(np.float64, (4, 3, 3), elements=st.floats(-3, 3)))
def test_cholesky3_matches_numpy(raw: np.ndarray) -> None:
    S = _spd(raw, np.ones((4, 3)))
    np.testing.assert_allclose(cholesky3(S), np.linalg.cholesky(S), rtol=1e-9, atol=1e-12)


def test_cholesky3_marks_non_pd_with_nan() -> None:
    S = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0]), np.zeros((3, 3))])
    L = cholesky3(S)
    assert np.all(np.isfinite(L[0]))
    assert np.isnan(np.diagonal(L[1])).any()
    assert np.isnan(np.diagonal(L[2])).any()


@settings(max_examples=30, deadline=None)
@given(
    a=track_batches(max_n=5),
    b=track_batches(max_n=7),
    chunk=st.integers(1, 40),
)
def test_pairwise_mahalanobis_matches_solve(
    a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], chunk: int
) -> None:
    x, P = a[0], a[1]
    z, R = b[2], b[3]
    d2, logdet = mahalanobis_pairwise(x, P, z, R, chunk=chunk)
    assert d2.shape == logdet.shape == (x.shape[0], z.shape[0])
    for i in range(x.shape[0]):
        for j in range(z.shape[0]):
            S = P[i, :3, :3] + R[j]
            nu = z[j] - x[i, :3]
            ref = nu @ np.linalg.solve(S, nu)
            np.testing.assert_allclose(d2[i, j], ref, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(logdet[i, j], np.linalg.slogdet(S)[1], rtol=1e-9, atol=1e-9)
    ti, dj = np.meshgrid(np.arange(x.shape[0]), np.arange(z.shape[0]), indexing="ij")
    d2p, ldp = mahalanobis_pairs(x[:, :3], P[:, :3, :3], z, R, ti.ravel(), dj.ravel())
    np.testing.assert_allclose(d2p, d2.ravel(), rtol=1e-12)
    np.testing.assert_allclose(ldp, logdet.ravel(), rtol=1e-12)


def test_pairwise_handles_empty_sets() -> None:
    d2, logdet = mahalanobis_pairwise(
        np.zeros((0, 6)), np.zeros((0, 6, 6)), np.ones((4, 3)), np.ones((4, 3, 3))
    )
    assert d2.shape == logdet.shape == (0, 4)
    d2, _ = mahalanobis_pairwise(
        np.zeros((2, 6)), np.zeros((2, 6, 6)), np.ones((0, 3)), np.ones((0, 3, 3))
    )
    assert d2.shape == (2, 0)


def test_pairwise_non_pd_pair_is_nan_without_warning() -> None:
    P = np.zeros((1, 6, 6))
    d2, _ = mahalanobis_pairwise(
        np.zeros((1, 6)), P, np.ones((2, 3)), np.stack([np.eye(3), np.zeros((3, 3))])
    )
    assert np.isfinite(d2[0, 0])
    assert np.isnan(d2[0, 1])
    np.testing.assert_allclose(d2[0, 0], 3.0)


# ---------------------------------------------------------------------------------------------
# general linearised updates


@settings(max_examples=25, deadline=None)
@given(batch=track_batches())
def test_linearised_update_with_position_jacobian_equals_kalman_update(
    batch: tuple[np.ndarray, ...],
) -> None:
    x, P, z, R, _ = batch
    n = x.shape[0]
    H = np.broadcast_to(H_POSITION, (n, 3, 6))
    xl, Pl = linearised_update(x, P, z - x[:, :3], H, R)
    xk, Pk = kalman_update(x, P, z, R)
    np.testing.assert_allclose(xl, xk, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Pl, Pk, rtol=1e-9, atol=1e-9 * np.abs(P).max())
    _assert_spd(Pl)


@settings(max_examples=25, deadline=None)
@given(batch=track_batches(), raw=arrays(np.float64, (6, 3, 6), elements=st.floats(-2, 2)))
def test_linearised_and_cross_covariance_updates_match_textbook(
    batch: tuple[np.ndarray, ...], raw: np.ndarray
) -> None:
    x, P, z, R, _ = batch
    n = x.shape[0]
    H = raw[:n]
    nu = z * 1e-3
    xl, Pl = linearised_update(x, P, nu, H, R)
    S = H @ P @ np.swapaxes(H, 1, 2) + R
    xc, Pc = cross_covariance_update(x, P, nu, P @ np.swapaxes(H, 1, 2), S)
    for i in range(n):
        Ki = P[i] @ H[i].T @ np.linalg.inv(S[i])  # reference only: the kernels never invert
        x_ref = x[i] + Ki @ nu[i]
        P_ref = P[i] - Ki @ S[i] @ Ki.T
        scale = np.abs(P[i]).max()
        for xo, Po in ((xl[i], Pl[i]), (xc[i], Pc[i])):
            np.testing.assert_allclose(xo, x_ref, rtol=1e-6, atol=1e-6 * (1 + np.abs(x_ref).max()))
            np.testing.assert_allclose(Po, P_ref, rtol=1e-6, atol=1e-7 * scale)
    assert np.all(np.linalg.eigvalsh(Pl) > -1e-9 * np.abs(P).max())


def test_linearised_update_rejects_non_pd() -> None:
    with pytest.raises(np.linalg.LinAlgError):
        linearised_update(
            np.zeros((1, 6)),
            np.zeros((1, 6, 6)),
            np.zeros((1, 3)),
            np.zeros((1, 3, 6)),
            np.zeros((1, 3, 3)),
        )
    with pytest.raises(np.linalg.LinAlgError):
        cross_covariance_update(
            np.zeros((1, 6)),
            np.eye(6)[None],
            np.zeros((1, 3)),
            np.zeros((1, 6, 3)),
            -np.eye(3)[None],
        )


@settings(max_examples=20, deadline=None)
@given(a=track_batches(), b=arrays(np.float64, (6, 3, 2), elements=st.floats(-1e3, 1e3)))
def test_mahalanobis3_and_cho_solve3_match_numpy(a: tuple[np.ndarray, ...], b: np.ndarray) -> None:
    _, _, z, R, _ = a
    n = z.shape[0]
    d2, logdet = mahalanobis3(z, R)
    X = cho_solve3(cholesky3(R), b[:n])
    for i in range(n):
        np.testing.assert_allclose(d2[i], z[i] @ np.linalg.solve(R[i], z[i]), rtol=1e-7)
        np.testing.assert_allclose(logdet[i], np.linalg.slogdet(R[i])[1], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(R[i] @ X[i], b[i], rtol=1e-6, atol=1e-6 * np.abs(b).max())
    d2, logdet = mahalanobis3(np.ones((1, 3)), np.diag([1.0, -1.0, 1.0])[None])
    assert np.isnan(d2[0])
    assert np.isnan(logdet[0])
