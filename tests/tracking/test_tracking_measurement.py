"""Measurement models: Jacobians, angle wrap, exact masking, EKF consistency, initiation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dronewall.core.measurements import MeasurementKind
from dronewall.tracking.kalman import kalman_predict, kalman_update, mahalanobis_pairs
from dronewall.tracking.measurement import (
    LN_2PI,
    cross_covariance_update,
    initial_state,
    innovation,
    linearised_update,
    masked_noise,
    pair_statistics,
    predict_measurement,
    range_rate_update,
    wrap_angle,
)
from dronewall.tracking.models import NearlyConstantVelocityModel

POS, BEAR, SIGHT, POLAR = (int(k) for k in MeasurementKind)
NAN = np.nan


def _spd(raw: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """SPD matrices D (A Aᵀ + 0.1 I) D from raw (..., n, n) entries, D = diag(scale)."""
    n = raw.shape[-1]
    A = raw @ np.swapaxes(raw, -1, -2) + 0.1 * np.eye(n)
    return scale[..., :, None] * A * scale[..., None, :]


def _assert_spd(P: np.ndarray) -> None:
    np.testing.assert_allclose(P, np.swapaxes(P, -1, -2), rtol=0, atol=1e-12 * np.abs(P).max())
    assert np.all(np.linalg.eigvalsh(P) > 0.0)


def _polar(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rho = np.hypot(d[:, 0], d[:, 1])
    return np.hypot(rho, d[:, 2]), np.arctan2(d[:, 0], d[:, 1]), np.arctan2(d[:, 2], rho)


def _h_numeric(kind: int, p: np.ndarray, s: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The measurement function written out plainly for one row (reference)."""
    d = p - s
    rho = np.hypot(d[0], d[1])
    r = np.linalg.norm(d)
    az, el = np.arctan2(d[0], d[1]), np.arctan2(d[2], rho)
    if kind == POLAR:
        return np.array([r, az, el]) if np.isfinite(z[2]) else np.array([rho, az, 0.0])
    if kind == BEAR:
        return np.array([az, el if np.isfinite(z[1]) else 0.0, 0.0])
    return p.copy()


# ---------------------------------------------------------------------------------------------
# prediction and Jacobians

offsets = arrays(
    np.float64,
    (3,),
    elements=st.floats(-2e4, 2e4, allow_nan=False, allow_infinity=False),
).filter(lambda d: np.hypot(d[0], d[1]) > 20.0)


@settings(max_examples=80, deadline=None)
@given(
    d=offsets,
    s=arrays(np.float64, (3,), elements=st.floats(-1e3, 1e3)),
    case=st.sampled_from(["polar3", "polar2", "bearing_el", "bearing_az", "position", "pos2d"]),
)
def test_jacobian_equals_finite_differences(d: np.ndarray, s: np.ndarray, case: str) -> None:
    kind, z = {
        "polar3": (POLAR, np.array([1.0, 1.0, 1.0])),
        "polar2": (POLAR, np.array([1.0, 1.0, NAN])),
        "bearing_el": (BEAR, np.array([1.0, 1.0, NAN])),
        "bearing_az": (BEAR, np.array([1.0, NAN, NAN])),
        "position": (POS, np.array([1.0, 1.0, 1.0])),
        "pos2d": (SIGHT, np.array([1.0, 1.0, NAN])),
    }[case]
    x = np.concatenate([s + d, [3.0, -2.0, 1.0]])
    pred = predict_measurement(np.array([kind], np.int8), x[None], s[None], z[None])
    valid = pred.valid[0]
    np.testing.assert_array_equal(valid, np.isfinite(z) & ([True, True, kind != BEAR]))
    h0 = _h_numeric(kind, x[:3], s, z)
    np.testing.assert_allclose(pred.hx[0][valid], h0[valid], rtol=1e-12, atol=1e-12)
    step = 1e-3
    J = np.zeros((3, 6))
    for c in range(3):
        e = np.zeros(3)
        e[c] = step
        hp, hm = _h_numeric(kind, x[:3] + e, s, z), _h_numeric(kind, x[:3] - e, s, z)
        J[:, c] = wrap_angle(hp - hm) / (2 * step)
    J[~valid] = 0.0
    scale = np.abs(J).max(axis=1, keepdims=True) + 1e-300
    np.testing.assert_allclose(pred.H[0] / scale, J / scale, rtol=0, atol=1e-6)
    assert np.all(pred.H[0][~valid] == 0.0)
    assert np.all(pred.hx[0][~valid] == 0.0)


def test_polar_and_bearing_values() -> None:
    s = np.array([[10.0, 20.0, 5.0]] * 3)
    d = np.array([[300.0, 400.0, 1200.0]] * 3)
    x = np.concatenate([s + d, np.zeros((3, 3))], axis=1)
    z = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, NAN], [1.0, 1.0, NAN]])
    kind = np.array([POLAR, POLAR, BEAR], np.int8)
    pred = predict_measurement(kind, x, s, z)
    az, el = np.arctan2(300.0, 400.0), np.arctan2(1200.0, 500.0)
    np.testing.assert_allclose(pred.hx[0], [1300.0, az, el])
    np.testing.assert_allclose(pred.hx[1], [500.0, az, 0.0])  # 2D radar: horizontal range
    np.testing.assert_allclose(pred.hx[2], [az, el, 0.0])
    np.testing.assert_array_equal(pred.valid, [[1, 1, 1], [1, 1, 0], [1, 1, 0]])


@pytest.mark.parametrize("kind", [BEAR, POLAR])
def test_azimuth_wrap_across_north(kind: int) -> None:
    s = np.zeros((1, 3))
    az_track = np.deg2rad(359.0)
    x = np.array([[5000 * np.sin(az_track), 5000 * np.cos(az_track), 100.0, 0, 0, 0]])
    el = np.arctan2(100.0, 5000.0)
    z = np.array([[5000.0, np.deg2rad(1.0), el]]) if kind == POLAR else np.array([[0.0, el, NAN]])
    if kind == BEAR:
        z[0, 0] = np.deg2rad(1.0)
    kinds = np.array([kind], np.int8)
    pred = predict_measurement(kinds, x, s, z)
    nu = innovation(kinds, z, pred)
    i_az = 1 if kind == POLAR else 0
    np.testing.assert_allclose(nu[0, i_az], np.deg2rad(2.0), atol=1e-9)
    R = np.diag([25.0, np.deg2rad(1.0) ** 2, np.deg2rad(1.0) ** 2])[None]
    P = np.diag([100.0, 100.0, 100.0, 1.0, 1.0, 1.0])[None]
    stats = pair_statistics(x, P, kinds, z, R, s)
    assert stats.d2[0] < 5.0  # about (2° / 1°)² = 4 in azimuth


def test_wrap_angle_range() -> None:
    a = np.array([-np.pi, np.pi, 3 * np.pi, -3 * np.pi + 1e-9, 0.0, 7.0, NAN])
    w = wrap_angle(a)
    np.testing.assert_allclose(w[:4], [np.pi, np.pi, np.pi, -np.pi + 1e-9], atol=1e-8)
    assert w[4] == 0.0
    np.testing.assert_allclose(w[5], 7.0 - 2 * np.pi)
    assert np.isnan(w[6])


def test_degenerate_geometry_is_invalid_not_nan() -> None:
    s = np.array([[100.0, 100.0, 10.0]] * 5)
    at_sensor = s[0]
    above = s[0] + [0.0, 0.0, 500.0]
    x = np.zeros((5, 6))
    x[:, :3] = [at_sensor, above, above, at_sensor, above]
    kind = np.array([POLAR, POLAR, BEAR, BEAR, POLAR], np.int8)
    z = np.array(
        [[1.0, 0.1, 0.1], [500.0, 0.1, 1.5], [0.1, 1.5, NAN], [0.1, 0.1, NAN], [500.0, 0.1, NAN]]
    )
    R = np.broadcast_to(np.diag([25.0, 1e-4, 1e-4]), (5, 3, 3))
    P = np.broadcast_to(np.eye(6) * 100.0, (5, 6, 6))
    stats = pair_statistics(x, P, kind, z, R, s)
    np.testing.assert_array_equal(
        stats.valid,
        [[0, 0, 0], [1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]],
    )
    for a in (stats.nu, stats.S, stats.H, stats.d2, stats.logdet, stats.log_likelihood):
        assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(stats.dof, [0, 1, 0, 0, 0])
    xu, _ = linearised_update(x, P, stats.nu, stats.H, stats.R)
    assert np.all(np.isfinite(xu))
    np.testing.assert_array_equal(xu[[0, 2, 3, 4]], x[[0, 2, 3, 4]])
    np.testing.assert_allclose(xu[1, 2], 500.0 + 10.0 + 0.0, atol=1e-9)  # range 500 agrees


def test_masked_noise_is_exact_unit_block() -> None:
    R = np.array([[[4.0, 1.0, NAN], [1.0, 9.0, NAN], [NAN, NAN, NAN]]])
    valid = np.array([[True, True, False]])
    Rm = masked_noise(R, valid)
    np.testing.assert_array_equal(Rm[0], [[4.0, 1.0, 0.0], [1.0, 9.0, 0.0], [0.0, 0.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# pair statistics and updates against references


@st.composite
def pair_batches(draw: st.DrawFn, max_k: int = 6) -> tuple[np.ndarray, ...]:
    """(kind, x, P, z, R, s) of random pairs of every kind, with random missing components."""
    k = draw(st.integers(1, max_k))
    kind = np.array(
        draw(st.lists(st.sampled_from([POS, BEAR, SIGHT, POLAR]), min_size=k, max_size=k)), np.int8
    )
    s = draw(arrays(np.float64, (k, 3), elements=st.floats(-500.0, 500.0)))
    d = draw(arrays(np.float64, (k, 3), elements=st.floats(-5e3, 5e3)))
    d[:, 0] += np.where(np.hypot(d[:, 0], d[:, 1]) < 50.0, 100.0, 0.0)
    x = np.concatenate([s + d, draw(arrays(np.float64, (k, 3), elements=st.floats(-30, 30)))], 1)
    elems = st.floats(-3.0, 3.0)
    P = _spd(
        draw(arrays(np.float64, (k, 6, 6), elements=elems)),
        draw(arrays(np.float64, (k, 6), elements=st.floats(0.3, 50.0))),
    )
    Rraw = draw(arrays(np.float64, (k, 3, 3), elements=elems))
    noise = draw(arrays(np.float64, (k, 3), elements=st.floats(-2.0, 2.0)))
    missing = draw(arrays(np.bool_, (k, 3)))
    r, az, el = _polar(d)
    rho = np.hypot(d[:, 0], d[:, 1])
    z = np.empty((k, 3))
    R = np.empty((k, 3, 3))
    for i in range(k):
        if kind[i] in (POS, SIGHT):
            R[i] = _spd(Rraw[i], np.full(3, 5.0))
            z[i] = x[i, :3] + noise[i] * 5.0
            if missing[i, 2]:
                z[i, 2] = NAN
        elif kind[i] == POLAR:
            R[i] = _spd(Rraw[i], np.array([5.0, 0.01, 0.01]))
            z[i] = [r[i], az[i], el[i]] + noise[i] * [5.0, 0.01, 0.01]
            if missing[i, 2]:
                z[i, 0] = rho[i] + noise[i, 0] * 5.0
                z[i, 2] = NAN
            if missing[i, 0] and missing[i, 1]:
                z[i, 0] = NAN  # an angle-only plot
        else:
            R[i] = _spd(Rraw[i], np.array([0.01, 0.01, 1.0]))
            z[i] = [az[i], el[i], NAN] + noise[i] * [0.01, 0.01, 0.0]
            if missing[i, 1]:
                z[i, 1] = NAN
        z[i, 0] = wrap_angle(z[i, 0]) if kind[i] == BEAR else z[i, 0]
    return kind, x, P, z, R, s


def _reduced_update(
    x: np.ndarray, P: np.ndarray, nu: np.ndarray, H: np.ndarray, R: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The textbook EKF update on the valid components only (numpy.linalg reference)."""
    if not v.any():
        return x, P, 0.0, 0.0
    Hv, nuv, Rv = H[v], nu[v], R[np.ix_(v, v)]
    S = Hv @ P @ Hv.T + Rv
    K = np.linalg.solve(S, Hv @ P).T
    A = np.eye(6) - K @ Hv
    return (
        x + K @ nuv,
        A @ P @ A.T + K @ Rv @ K.T,
        float(nuv @ np.linalg.solve(S, nuv)),
        float(np.linalg.slogdet(S)[1]),
    )


@settings(max_examples=50, deadline=None)
@given(batch=pair_batches())
def test_invalid_components_equal_reduced_dimension_update(batch: tuple[np.ndarray, ...]) -> None:
    kind, x, P, z, R, s = batch
    stats = pair_statistics(x, P, kind, z, R, s)
    xu, Pu = linearised_update(x, P, stats.nu, stats.H, stats.R)
    for i in range(x.shape[0]):
        v = stats.valid[i]
        x_ref, P_ref, d2_ref, ld_ref = _reduced_update(x[i], P[i], stats.nu[i], stats.H[i], R[i], v)
        np.testing.assert_allclose(xu[i], x_ref, rtol=1e-9, atol=1e-8)
        np.testing.assert_allclose(Pu[i], P_ref, rtol=1e-8, atol=1e-9 * np.abs(P[i]).max())
        np.testing.assert_allclose(stats.d2[i], d2_ref, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(stats.logdet[i], ld_ref, rtol=1e-9, atol=1e-9)
        assert stats.dof[i] == v.sum()
        np.testing.assert_allclose(
            stats.log_likelihood[i],
            -0.5 * (d2_ref + ld_ref + v.sum() * LN_2PI),
            rtol=1e-9,
            atol=1e-9,
        )
    _assert_spd(Pu)


@settings(max_examples=25, deadline=None)
@given(batch=pair_batches())
def test_batched_statistics_equal_row_by_row(batch: tuple[np.ndarray, ...]) -> None:
    kind, x, P, z, R, s = batch
    stats = pair_statistics(x, P, kind, z, R, s)
    for i in range(x.shape[0]):
        one = pair_statistics(
            x[i : i + 1], P[i : i + 1], kind[i : i + 1], z[i : i + 1], R[i : i + 1], s[i : i + 1]
        )
        np.testing.assert_allclose(one.d2[0], stats.d2[i], rtol=1e-12)
        np.testing.assert_allclose(one.S[0], stats.S[i], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(batch=pair_batches())
def test_cross_covariance_update_equals_linearised_update(batch: tuple[np.ndarray, ...]) -> None:
    kind, x, P, z, R, s = batch
    stats = pair_statistics(x, P, kind, z, R, s)
    C = P @ np.swapaxes(stats.H, 1, 2)  # cov(x, z) = P Hᵀ for a current-time measurement
    x1, P1 = linearised_update(x, P, stats.nu, stats.H, stats.R)
    x2, P2 = cross_covariance_update(x, P, stats.nu, C, stats.S)
    np.testing.assert_allclose(x2, x1, rtol=1e-9, atol=1e-8)
    for i in range(x.shape[0]):
        np.testing.assert_allclose(P2[i], P1[i], rtol=1e-7, atol=1e-9 * np.abs(P[i]).max())


@settings(max_examples=40, deadline=None)
@given(
    x=arrays(np.float64, (4, 6), elements=st.floats(-1e4, 1e4)),
    raw=arrays(np.float64, (4, 6, 6), elements=st.floats(-3.0, 3.0)),
    rawR=arrays(np.float64, (4, 3, 3), elements=st.floats(-3.0, 3.0)),
    z=arrays(np.float64, (4, 3), elements=st.floats(-1e4, 1e4)),
)
def test_full_position_equals_kalman_update(
    x: np.ndarray, raw: np.ndarray, rawR: np.ndarray, z: np.ndarray
) -> None:
    P = _spd(raw, np.full((4, 6), 10.0))
    R = _spd(rawR, np.full((4, 3), 3.0))
    kind = np.full(4, POS, np.int8)
    s = np.zeros((4, 3))
    stats = pair_statistics(x, P, kind, z, R, s)
    xu, Pu = linearised_update(x, P, stats.nu, stats.H, stats.R)
    xk, Pk = kalman_update(x, P, z, R)
    np.testing.assert_allclose(xu, xk, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Pu, Pk, rtol=1e-9, atol=1e-9)
    d2, logdet = mahalanobis_pairs(x[:, :3], P[:, :3, :3], z, R, np.arange(4), np.arange(4))
    np.testing.assert_allclose(stats.d2, d2, rtol=1e-9)
    np.testing.assert_allclose(stats.logdet, logdet, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(stats.dof, 3)


def test_non_pd_innovation_covariance_fails_gates() -> None:
    x = np.array([[10.0, 10.0, 10.0, 0, 0, 0]])
    P = np.zeros((1, 6, 6))
    R = np.diag([1.0, -1.0, 1.0])[None]
    stats = pair_statistics(x, P, np.array([POS], np.int8), np.zeros((1, 3)), R, np.zeros((1, 3)))
    assert np.isnan(stats.d2[0])
    assert np.isnan(stats.log_likelihood[0])
    with pytest.raises(np.linalg.LinAlgError):
        linearised_update(x, P, stats.nu, stats.H, stats.R)


# ---------------------------------------------------------------------------------------------
# filter consistency


def test_polar_ekf_nees_is_consistent() -> None:
    """Monte Carlo over rows: a static target seen by a 3D radar, one-point init then EKF."""
    rng = np.random.default_rng(7)
    runs, steps = 400, 15
    truth = np.array([3000.0, 4000.0, 300.0])
    s = np.broadcast_to([0.0, 0.0, 10.0], (runs, 3))
    sig = np.array([10.0, 2e-3, 2e-3])
    R = np.broadcast_to(np.diag(sig**2), (runs, 3, 3))
    kind = np.full(runs, POLAR, np.int8)
    model = NearlyConstantVelocityModel(q_horizontal=1e-6, q_vertical=1e-6)
    r, az, el = _polar((truth - s)[:1])
    z_true = np.array([r[0], az[0], el[0]])

    def measure() -> np.ndarray:
        return z_true + sig * rng.standard_normal((runs, 3))

    x, P, ok = initial_state(
        kind, measure(), R, s, velocity_std=[5.0, 5.0, 5.0], unobserved_up_std=100.0
    )
    assert ok.all()
    x[:, 3:] += 5.0 * rng.standard_normal((runs, 3))  # the true velocity (0) is a prior draw
    x_true = np.concatenate([truth, np.zeros(3)])
    nees_pos, nees_full = [], []
    for _ in range(steps):
        x, P = kalman_predict(x, P, 1.0, model)
        z = measure()
        stats = pair_statistics(x, P, kind, z, R, s)
        x, P = linearised_update(x, P, stats.nu, stats.H, stats.R)
        e = x - x_true
        nees_pos.append(
            np.einsum("ki,ki->k", e[:, :3], np.linalg.solve(P[:, :3, :3], e[:, :3, None])[..., 0])
        )
        nees_full.append(np.einsum("ki,ki->k", e, np.linalg.solve(P, e[..., None])[..., 0]))
        _assert_spd(P)
    # a mean of 400 χ²₃ has sd 0.12, of χ²₆ 0.17; over seeds 0-19 measured 2.77-3.20 (final
    # position), 5.61-6.25 (final full state), 2.90-3.07 (position over all steps)
    assert 2.5 < np.mean(nees_pos[-1]) < 3.5
    assert 5.3 < np.mean(nees_full[-1]) < 6.7
    assert 2.7 < np.mean(nees_pos) < 3.3


# ---------------------------------------------------------------------------------------------
# range rate


def test_range_rate_jacobian_and_error_reduction() -> None:
    rng = np.random.default_rng(3)
    k = 200
    s = rng.uniform(-100, 100, (k, 3))
    p = s + rng.uniform(-3000, 3000, (k, 3))
    v_true = rng.uniform(-20, 20, (k, 3))
    u = (p - s) / np.linalg.norm(p - s, axis=1, keepdims=True)
    rr_true = np.einsum("ki,ki->k", u, v_true)
    x = np.concatenate([p, v_true + rng.normal(0, 10.0, (k, 3))], axis=1)
    P = np.broadcast_to(np.diag([1.0, 1.0, 1.0, 100.0, 100.0, 100.0]), (k, 6, 6)).copy()
    var = np.full(k, 0.25)
    rr = rr_true + 0.5 * rng.standard_normal(k)
    xu, Pu, d2 = range_rate_update(x, P, rr, var, s)
    err_before = np.abs(np.einsum("ki,ki->k", u, x[:, 3:] - v_true))
    err_after = np.abs(np.einsum("ki,ki->k", u, xu[:, 3:] - v_true))
    assert np.mean(err_after) < 0.2 * np.mean(err_before)
    assert np.all(np.isfinite(d2))
    assert np.all(d2 >= 0.0)
    _assert_spd(Pu)
    # the linearisation: the update of a linear-Gaussian scalar with H from finite differences
    i = 0
    h = lambda xx: (xx[:3] - s[i]) @ xx[3:] / np.linalg.norm(xx[:3] - s[i])  # noqa: E731
    H = np.array([(h(x[i] + e) - h(x[i] - e)) / 2e-4 for e in 1e-4 * np.eye(6)])
    S = H @ P[i] @ H + var[i]
    K = P[i] @ H / S
    np.testing.assert_allclose(xu[i], x[i] + K * (rr[i] - h(x[i])), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d2[i], (rr[i] - h(x[i])) ** 2 / S, rtol=1e-6)


def test_range_rate_skips_unmeasured_rows() -> None:
    x = np.array([[1000.0, 0, 0, 5, 0, 0], [1000.0, 0, 0, 5, 0, 0], [0.0, 0, 0, 5, 0, 0]])
    P = np.broadcast_to(np.eye(6), (3, 6, 6)).copy()
    xu, Pu, d2 = range_rate_update(
        x, P, np.array([NAN, 7.0, 7.0]), np.array([1.0, NAN, 1.0]), np.zeros((3, 3))
    )
    np.testing.assert_array_equal(xu, x)
    np.testing.assert_array_equal(Pu, P)
    np.testing.assert_array_equal(d2, 0.0)


# ---------------------------------------------------------------------------------------------
# one-point initiation


def test_initial_state_positions() -> None:
    z = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, NAN], [4.0, 5.0, NAN], [1.0, 1.0, NAN]])
    R = np.broadcast_to(np.diag([4.0, 9.0, 16.0]), (4, 3, 3)).copy()
    R[1:, 2, :] = NAN
    R[1:, :, 2] = NAN
    s = np.array([[0.0, 0.0, 7.0]] * 4)
    kind = np.array([POS, SIGHT, POS, BEAR], np.int8)
    x, P, ok = initial_state(
        kind,
        z,
        R,
        s,
        velocity_std=[1.0, 2.0, 3.0],
        unobserved_up_std=50.0,
        unobserved_up=np.array([0.0, 0.0, 120.0, 0.0]),
    )
    np.testing.assert_array_equal(ok, [True, True, True, False])
    np.testing.assert_allclose(x[0], [1, 2, 3, 0, 0, 0])
    np.testing.assert_allclose(x[1], [4, 5, 0, 0, 0, 0])
    np.testing.assert_allclose(x[2], [4, 5, 120, 0, 0, 0])
    np.testing.assert_allclose(np.diag(P[1]), [4, 9, 2500, 1, 4, 9])
    assert np.all(np.isnan(x[3]))
    assert np.all(np.isnan(P[3]))
    _assert_spd(P[:3])
    x, _, _ = initial_state(kind, z, R, s, velocity_std=[1.0, 1, 1], unobserved_up_std=50.0)
    assert x[1, 2] == 7.0  # default: the sensor's height


def test_initial_state_polar_converted_measurement() -> None:
    rng = np.random.default_rng(11)
    s = np.array([[50.0, -20.0, 5.0]])
    d = np.array([[2000.0, 1500.0, 400.0]])
    r, az, el = _polar(d)
    rho = np.hypot(d[0, 0], d[0, 1])
    sig = np.array([5.0, 1e-3, 2e-3])
    R = np.diag(sig**2)[None]
    z3 = np.array([[r[0], az[0], el[0]]])
    z2 = np.array([[rho, az[0], NAN]])
    R2 = R.copy()
    R2[0, 2, 2] = NAN
    kind = np.array([POLAR, POLAR], np.int8)
    x, P, ok = initial_state(
        kind,
        np.vstack([z3, z2]),
        np.vstack([R, R2]),
        np.vstack([s, s]),
        velocity_std=[5.0, 5.0, 5.0],
        unobserved_up_std=300.0,
    )
    assert ok.all()
    np.testing.assert_allclose(x[0, :3], (s + d)[0], atol=1e-9)
    np.testing.assert_allclose(x[1, :2], (s + d)[0, :2], atol=1e-9)
    assert x[1, 2] == s[0, 2]
    np.testing.assert_allclose(P[1, 2, 2], 300.0**2)
    np.testing.assert_array_equal(P[1, 2, :2], 0.0)
    # Monte Carlo of the polar-to-Cartesian map: J R Jᵀ is its covariance to first order
    n = 200_000
    zz = z3 + sig * rng.standard_normal((n, 3))
    ce = np.cos(zz[:, 2])
    pts = np.stack(
        [
            zz[:, 0] * np.sin(zz[:, 1]) * ce,
            zz[:, 0] * np.cos(zz[:, 1]) * ce,
            zz[:, 0] * np.sin(zz[:, 2]),
        ],
        axis=1,
    )
    C = np.cov(pts.T)
    np.testing.assert_allclose(P[0, :3, :3], C, rtol=0.03, atol=0.03 * np.abs(C).max())
    _assert_spd(P)


def test_initial_state_rejects_bearings_and_bad_rows() -> None:
    kind = np.array([BEAR, POLAR, POS, 9], np.int8)
    z = np.array([[0.1, 0.1, NAN], [0.0, 0.1, 0.1], [NAN, 1.0, 1.0], [1.0, 1.0, 1.0]])
    R = np.broadcast_to(np.eye(3), (4, 3, 3))
    _, _, ok = initial_state(
        kind, z, R, np.zeros((4, 3)), velocity_std=[1.0, 1, 1], unobserved_up_std=1.0
    )
    assert not ok.any()
