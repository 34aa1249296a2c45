"""Motion models (NCV, coordinated turn, hover): F and Q against numerical discretisation, time
consistency in both directions, positive definiteness, limits, config validation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import quad_vec
from scipy.linalg import expm

from dronewall.core.errors import ConfigError
from dronewall.tracking.models import (
    CoordinatedTurnModel,
    HoverModel,
    MotionModel,
    NearlyConstantVelocityModel,
    ct_process_noise,
    ct_transition,
    hover_process_noise,
    hover_transition,
    ncv_process_noise,
    ncv_transition,
)

dts = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)


def test_transition_moves_position_by_velocity_times_dt() -> None:
    F = ncv_transition(np.array([0.5, 2.0]))
    assert F.shape == (2, 6, 6)
    x = np.array([1.0, 2.0, 3.0, 10.0, -4.0, 0.5])
    np.testing.assert_allclose(F[1] @ x, [21.0, -6.0, 4.0, 10.0, -4.0, 0.5])
    np.testing.assert_allclose(F[0] @ x, [6.0, 0.0, 3.25, 10.0, -4.0, 0.5])


def test_scalar_dt_gives_a_batch_of_one() -> None:
    assert ncv_transition(1.0).shape == (1, 6, 6)
    assert ncv_process_noise(1.0, 1.0, 1.0).shape == (1, 6, 6)


def test_process_noise_per_axis_blocks() -> None:
    Q = ncv_process_noise(np.array([2.0]), q_horizontal=3.0, q_vertical=0.5)[0]
    # east axis: q [[dt³/3, dt²/2], [dt²/2, dt]]
    np.testing.assert_allclose(
        Q[np.ix_([0, 3], [0, 3])], 3.0 * np.array([[8 / 3, 2.0], [2.0, 2.0]])
    )
    np.testing.assert_allclose(
        Q[np.ix_([2, 5], [2, 5])], 0.5 * np.array([[8 / 3, 2.0], [2.0, 2.0]])
    )
    # no coupling between axes
    off_axis = np.ones((6, 6), dtype=bool)
    for i in range(3):
        off_axis[np.ix_([i, i + 3], [i, i + 3])] = False
    assert np.all(Q[off_axis] == 0.0)


def test_zero_dt_adds_no_noise() -> None:
    np.testing.assert_array_equal(ncv_process_noise(np.zeros(3), 5.0, 5.0), np.zeros((3, 6, 6)))
    np.testing.assert_array_equal(ncv_transition(np.zeros(1))[0], np.eye(6))


@settings(max_examples=50, deadline=None)
@given(a=dts, b=dts, qh=st.floats(0.0, 50.0), qv=st.floats(0.0, 50.0))
def test_predicting_in_two_steps_equals_one_step(a: float, b: float, qh: float, qv: float) -> None:
    model = NearlyConstantVelocityModel(q_horizontal=qh, q_vertical=qv)
    Fa, Fb, Fab = (model.transition(np.array([d]))[0] for d in (a, b, a + b))
    Qa, Qb, Qab = (model.process_noise(np.array([d]))[0] for d in (a, b, a + b))
    np.testing.assert_allclose(Fb @ Fa, Fab, atol=1e-9)
    np.testing.assert_allclose(Fb @ Qa @ Fb.T + Qb, Qab, rtol=1e-9, atol=1e-9 * (1 + Qab.max()))


@settings(max_examples=50, deadline=None)
@given(dt=dts, qh=st.floats(0.0, 50.0), qv=st.floats(0.0, 50.0))
def test_process_noise_is_symmetric_psd(dt: float, qh: float, qv: float) -> None:
    Q = ncv_process_noise(np.array([dt]), qh, qv)[0]
    np.testing.assert_array_equal(Q, Q.T)
    assert np.linalg.eigvalsh(Q).min() >= -1e-9 * (1.0 + Q.max())


def test_position_noise_trace_matches_q() -> None:
    model = NearlyConstantVelocityModel(q_horizontal=2.0, q_vertical=1.0)
    dt = np.array([0.0, 1.0, 3.0])
    expected = np.trace(model.process_noise(dt)[:, :3, :3], axis1=1, axis2=2)
    np.testing.assert_allclose(model.position_noise_trace(dt), expected)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_invalid_noise_density_is_a_config_error(bad: float) -> None:
    with pytest.raises(ConfigError):
        NearlyConstantVelocityModel(q_horizontal=bad)
    with pytest.raises(ValueError, match="process noise"):
        NearlyConstantVelocityModel(q_vertical=bad)


# --- shared machinery for the CT and hover models ----------------------------------------------

G_NOISE = np.vstack([np.zeros((3, 3)), np.eye(3)])  # white acceleration enters the velocity


def _ct_generator(omega: float) -> np.ndarray:
    A = np.zeros((6, 6))
    A[:3, 3:] = np.eye(3)
    A[3, 4], A[4, 3] = -omega, omega  # v̇ = ω J v horizontally
    return A


def _hover_generator(tau: float) -> np.ndarray:
    A = np.zeros((6, 6))
    A[:3, 3:] = np.eye(3)
    A[3:, 3:] = -np.eye(3) / tau
    return A


def _van_loan(A: np.ndarray, q: tuple[float, float, float], dt: float) -> tuple[np.ndarray, ...]:
    """Numerical ``F = e^{A dt}`` and ``Q = ∫₀^dt F G Q_c Gᵀ Fᵀ`` by van Loan's (1978) method."""
    n = A.shape[0]
    M = np.zeros((2 * n, 2 * n))
    M[:n, :n] = -A
    M[:n, n:] = G_NOISE @ np.diag(q) @ G_NOISE.T
    M[n:, n:] = A.T
    C = expm(M * dt)
    F = C[n:, n:].T
    return F, F @ C[:n, n:]


def _assert_spd(Q: np.ndarray) -> None:
    np.testing.assert_array_equal(Q, np.swapaxes(Q, -1, -2))
    np.linalg.cholesky(Q)  # raises unless positive definite


MODELS: list[MotionModel] = [
    CoordinatedTurnModel(turn_rate=0.5, q_horizontal=3.0, q_vertical=0.7),
    CoordinatedTurnModel(turn_rate=-0.12, q_horizontal=3.0, q_vertical=0.7),
    HoverModel(time_constant=3.0, q_horizontal=3.0, q_vertical=0.7),
    HoverModel(time_constant=0.5, q_horizontal=3.0, q_vertical=0.7),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
@pytest.mark.parametrize("dt", [1e-3, 0.1, 1.0, 1.4, -2.0])
def test_closed_forms_match_van_loan(model: MotionModel, dt: float) -> None:
    if isinstance(model, CoordinatedTurnModel):
        A = _ct_generator(model.turn_rate)
    else:
        assert isinstance(model, HoverModel)
        A = _hover_generator(model.time_constant)
    F_num, Q_num = _van_loan(A, (model.q_horizontal, model.q_horizontal, model.q_vertical), dt)
    np.testing.assert_allclose(model.transition(dt)[0], F_num, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(
        model.process_noise(dt)[0], Q_num, rtol=1e-10, atol=1e-12 * np.abs(Q_num).max()
    )


def test_hover_noise_matches_quadrature_when_dt_is_many_time_constants() -> None:
    # van Loan's block exponential cancels catastrophically at dt/τ ≫ 1; integrate directly.
    model = HoverModel(time_constant=0.5, q_horizontal=3.0, q_vertical=0.7)
    A = _hover_generator(0.5)
    GQG = G_NOISE @ np.diag([3.0, 3.0, 0.7]) @ G_NOISE.T

    def integrand(s: float) -> np.ndarray:
        F = expm(A * s)
        out: np.ndarray = F @ GQG @ F.T
        return out

    Q_num, _ = quad_vec(integrand, 0.0, 7.0, epsabs=1e-12, epsrel=1e-12)
    np.testing.assert_allclose(model.process_noise(7.0)[0], Q_num, rtol=1e-9)


def test_models_satisfy_the_motion_model_protocol() -> None:
    for model in [NearlyConstantVelocityModel(), *MODELS]:
        assert isinstance(model, MotionModel)


# --- coordinated turn ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(omega=st.floats(-2.0, 2.0), dt=st.floats(-20.0, 20.0))
def test_ct_rotates_velocity_by_omega_dt(omega: float, dt: float) -> None:
    F = ct_transition(np.array([dt]), omega)[0]
    v = np.array([7.0, -3.0])
    c, s = np.cos(omega * dt), np.sin(omega * dt)
    np.testing.assert_allclose(F[3:5, 3:5] @ v, [c * 7.0 + s * 3.0, s * 7.0 - c * 3.0], atol=1e-12)
    assert np.all(F[3:5, :3] == 0.0)
    assert F[5, 5] == 1.0  # vertical NCV
    assert F[2, 5] == dt


def test_ct_left_turn_is_counter_clockwise_on_a_circle() -> None:
    omega, speed = 0.5, 10.0
    model = CoordinatedTurnModel(turn_rate=omega)
    x = np.array([0.0, 0.0, 50.0, speed, 0.0, 0.0])  # heading east
    quarter = model.transition(np.pi / 2 / omega)[0] @ x
    radius = speed / omega  # centre of a left turn is to the north
    np.testing.assert_allclose(quarter, [radius, radius, 50.0, 0.0, speed, 0.0], atol=1e-9)
    # every intermediate position is on the circle of radius v/ω about (0, R)
    pts = np.einsum("kij,j->ki", model.transition(np.linspace(-20.0, 20.0, 41)), x)
    np.testing.assert_allclose(np.hypot(pts[:, 0], pts[:, 1] - radius), radius, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(pts[:, 3], pts[:, 4]), speed, rtol=1e-12)


@pytest.mark.parametrize("omega", [0.0, 1e-12, -1e-9, 1e-6])
def test_ct_tends_to_ncv_as_the_turn_rate_vanishes(omega: float) -> None:
    dt = np.array([0.01, 1.0, 30.0, -5.0])
    # the leading differences are O(ω): (1 − cos ωt)/ω ≈ ω t²/2 in F, q ω t³/6 in Q_pv
    tol_F = abs(omega) * 30.0**2
    tol_Q = 4.0 * abs(omega) * 30.0**3
    np.testing.assert_allclose(ct_transition(dt, omega), ncv_transition(dt), rtol=0, atol=tol_F)
    Q_ct = ct_process_noise(dt, omega, 4.0, 1.0)
    Q_ncv = ncv_process_noise(dt, 4.0, 1.0)
    np.testing.assert_allclose(Q_ct, Q_ncv, rtol=1e-14, atol=tol_Q)
    if omega == 0.0:
        np.testing.assert_array_equal(ct_transition(dt, omega), ncv_transition(dt))


def test_ct_noise_is_smooth_across_the_series_switch() -> None:
    theta = 0.1  # where f2 switches from its series to the closed form
    dt = np.array([theta * (1 - 1e-9), theta * (1 + 1e-9)])
    Q = ct_process_noise(dt, 1.0, 1.0, 1.0)
    np.testing.assert_allclose(Q[0], Q[1], rtol=1e-8)


# --- hover (integrated Ornstein–Uhlenbeck) --------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(tau=st.floats(0.1, 100.0), dt=st.floats(-10.0, 60.0))
def test_hover_velocity_decays_exponentially(tau: float, dt: float) -> None:
    F = hover_transition(np.array([dt]), tau)[0]
    x = np.array([1.0, 2.0, 3.0, 4.0, -5.0, 0.5])
    decay = np.exp(-dt / tau)
    np.testing.assert_allclose((F @ x)[3:], x[3:] * decay, rtol=1e-12)
    # the position moves by τ (1 − e^{−dt/τ}) v: at most the stopping distance τ v
    np.testing.assert_allclose((F @ x)[:3], x[:3] + tau * (1 - decay) * x[3:], rtol=1e-12)


def test_hover_stops_after_a_few_time_constants() -> None:
    model = HoverModel(time_constant=2.0, q_horizontal=1.0, q_vertical=1.0)
    x = np.array([0.0, 0.0, 0.0, 10.0, 0.0, 0.0])
    far = model.transition(np.array([1e3]))[0] @ x
    np.testing.assert_allclose(far, [20.0, 0.0, 0.0, 0.0, 0.0, 0.0], atol=1e-9)
    # stationary velocity variance q τ / 2, position random walk q τ² per second
    Q = model.process_noise(np.array([1e3, 1e3 + 1.0]))
    np.testing.assert_allclose(Q[0, 3, 3], 1.0 * 2.0 / 2.0, rtol=1e-12)
    np.testing.assert_allclose(Q[1, 0, 0] - Q[0, 0, 0], 1.0 * 2.0**2, rtol=1e-9)


def test_hover_tends_to_ncv_for_long_time_constants() -> None:
    dt = np.array([1e-3, 1.0, 10.0])
    model = HoverModel(time_constant=1e9, q_horizontal=4.0, q_vertical=1.0)
    np.testing.assert_allclose(model.transition(dt), ncv_transition(dt), atol=1e-7)
    np.testing.assert_allclose(
        model.process_noise(dt), ncv_process_noise(dt, 4.0, 1.0), rtol=1e-7, atol=1e-20
    )


def test_hover_noise_is_smooth_across_the_series_switch() -> None:
    u = 0.05  # where g(u) switches from its series to the closed form
    Q = hover_process_noise(np.array([u * (1 - 1e-9), u * (1 + 1e-9)]), 1.0, 1.0, 1.0)
    np.testing.assert_allclose(Q[0], Q[1], rtol=1e-8)


# --- all models -----------------------------------------------------------------------------------


@st.composite
def motion_models(draw: st.DrawFn) -> MotionModel:
    qh = draw(st.floats(1e-3, 50.0))
    qv = draw(st.floats(1e-3, 50.0))
    if draw(st.booleans()):
        omega = draw(st.one_of(st.floats(-2.0, 2.0), st.sampled_from([0.0, 1e-12, -1e-7])))
        return CoordinatedTurnModel(turn_rate=omega, q_horizontal=qh, q_vertical=qv)
    tau = draw(st.floats(0.1, 1e4))
    return HoverModel(time_constant=tau, q_horizontal=qh, q_vertical=qv)


@settings(max_examples=80, deadline=None)
@given(model=motion_models(), dt=st.floats(1e-3, 100.0))
def test_process_noise_is_symmetric_positive_definite(model: MotionModel, dt: float) -> None:
    _assert_spd(model.process_noise(np.array([dt]))[0])


@settings(max_examples=60, deadline=None)
@given(model=motion_models(), a=st.floats(-10.0, 10.0), b=st.floats(-10.0, 10.0))
def test_models_are_consistent_over_time_either_direction(
    model: MotionModel, a: float, b: float
) -> None:
    if isinstance(model, HoverModel):
        # Backward hover steps amplify by e^{|dt|/τ}: beyond ~e^20 the products below lose all
        # digits in float64 (the tracker never retrodicts a hover mode that far).
        assume(max(abs(a), abs(b), abs(a + b)) / model.time_constant <= 20.0)
    F = model.transition(np.array([a, b, a + b, -a]))
    Q = model.process_noise(np.array([a, b, a + b]))
    # round-off scales with the terms summed, which backward hover steps amplify (cond ~ e^{|a|/τ})
    cond = np.abs(F[0]).max() * np.abs(F[3]).max()
    np.testing.assert_allclose(F[0] @ F[3], np.eye(6), atol=1e-12 * cond)  # F(a) F(−a) = I
    np.testing.assert_allclose(F[1] @ F[0], F[2], rtol=1e-9, atol=1e-9 * np.abs(F[1]).max())
    FQF = F[1] @ Q[0] @ F[1].T
    scale = 1.0 + max(np.abs(FQF).max(), np.abs(Q[1]).max())
    np.testing.assert_allclose(FQF + Q[1], Q[2], rtol=1e-7, atol=1e-9 * scale)


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_position_noise_trace_matches_q_for_every_model(model: MotionModel) -> None:
    dt = np.array([0.0, 1e-3, 1.0, 3.0, 40.0])
    expected = np.trace(model.process_noise(dt)[:, :3, :3], axis1=1, axis2=2)
    np.testing.assert_allclose(model.position_noise_trace(dt), expected, rtol=1e-12)


def test_models_batch_over_dt() -> None:
    dt = np.array([0.2, 1.0, -3.0])
    for model in MODELS:
        F, Q = model.transition(dt), model.process_noise(dt)
        assert F.shape == Q.shape == (3, 6, 6)
        for k in range(3):
            np.testing.assert_array_equal(F[k], model.transition(dt[k])[0])
            np.testing.assert_array_equal(Q[k], model.process_noise(dt[k])[0])


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: CoordinatedTurnModel(turn_rate=float("nan")), "turn_rate"),
        (lambda: CoordinatedTurnModel(turn_rate=float("inf")), "turn_rate"),
        (lambda: CoordinatedTurnModel(turn_rate=0.3, q_horizontal=-1.0), "q_horizontal"),
        (lambda: HoverModel(time_constant=0.0), "time_constant"),
        (lambda: HoverModel(time_constant=float("nan")), "time_constant"),
        (lambda: HoverModel(q_vertical=float("inf")), "q_vertical"),
    ],
)
def test_invalid_ct_and_hover_parameters_are_config_errors(
    factory: Callable[[], object], field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        factory()
    assert info.value.field == field
