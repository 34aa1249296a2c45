"""IMM kernels: exact mode switching, mixing and combination against their definitions, a
one-mode IMM equal to a Kalman filter, mode probabilities, and a manoeuvring drone tracked better
than with NCV."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.linalg import expm

from dronewall.core.errors import ConfigError
from dronewall.tracking import imm as imm_module
from dronewall.tracking.imm import (
    InteractingMultipleModel,
    ModeSwitching,
    drone_imm,
    imm_combine,
    imm_mix,
    imm_mix_predict,
    imm_predict,
    imm_update_probabilities,
    single_model,
)
from dronewall.tracking.kalman import kalman_predict, kalman_update, mahalanobis_pairs
from dronewall.tracking.models import (
    CoordinatedTurnModel,
    HoverModel,
    NearlyConstantVelocityModel,
)

RNG_SEED = 20240611


def _spd(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 10.0) -> np.ndarray:
    A = rng.standard_normal((*shape, 6, 6))
    return scale * (A @ np.swapaxes(A, -1, -2) + 0.1 * np.eye(6))


def _random_mixture(n: int, r: int, seed: int = RNG_SEED) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    mu = rng.dirichlet(np.ones(r), size=n)
    x = rng.normal(0.0, 50.0, (n, r, 6))
    P = _spd(rng, (n, r))
    return mu, x, P


# --- mode switching -----------------------------------------------------------------------------

CYCLIC = ModeSwitching(  # left → right → hover → left: complex eigenvalues, not reversible
    mean_sojourn_s=(2.0, 3.0, 4.0),
    jump_probabilities=((0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)),
)
SWITCHINGS = [
    drone_imm().switching,
    CYCLIC,
    ModeSwitching(mean_sojourn_s=(10.0, 1.0)),
]

sojourns = st.lists(st.floats(0.5, 100.0), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(T=sojourns, dt=arrays(np.float64, (5,), elements=st.floats(-50.0, 50.0)))
def test_transition_matrices_are_stochastic(T: list[float], dt: np.ndarray) -> None:
    Pi = ModeSwitching(mean_sojourn_s=tuple(T)).transition_matrix(dt)
    assert Pi.shape == (5, len(T), len(T))
    assert np.all(Pi >= 0.0)
    np.testing.assert_allclose(Pi.sum(axis=2), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sw", SWITCHINGS, ids=["drone", "cyclic", "two"])
def test_transition_matrix_is_the_exact_matrix_exponential(sw: ModeSwitching) -> None:
    dt = np.array([0.0, 0.1, 1.0, 7.5, 300.0])
    Pi = sw.transition_matrix(dt)
    np.testing.assert_array_equal(Pi[0], np.eye(sw.n_modes))
    for k in range(1, dt.shape[0]):
        np.testing.assert_allclose(Pi[k], expm(sw.generator * dt[k]), rtol=1e-10, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0.0, 60.0), b=st.floats(0.0, 60.0), which=st.sampled_from([0, 1, 2]))
def test_transition_matrices_form_a_semigroup(a: float, b: float, which: int) -> None:
    sw = SWITCHINGS[which]
    Pa, Pb, Pab = sw.transition_matrix(np.array([a, b, a + b]))
    np.testing.assert_allclose(Pa @ Pb, Pab, rtol=0, atol=1e-12)


@pytest.mark.parametrize("sw", SWITCHINGS, ids=["drone", "cyclic", "two"])
def test_stationary_distribution_is_preserved(sw: ModeSwitching) -> None:
    pi = sw.stationary_distribution()
    np.testing.assert_allclose(pi @ sw.generator, 0.0, atol=1e-15)
    for P in sw.transition_matrix(np.array([0.3, 5.0, 100.0, -4.0])):
        np.testing.assert_allclose(pi @ P, pi, atol=1e-12)


def test_uniform_jumps_spend_time_in_proportion_to_sojourn() -> None:
    pi = ModeSwitching(mean_sojourn_s=(30.0, 6.0, 6.0, 20.0)).stationary_distribution()
    np.testing.assert_allclose(pi, np.array([30.0, 6.0, 6.0, 20.0]) / 62.0, rtol=1e-12)


def test_backward_steps_use_the_time_reversed_chain() -> None:
    # reversible (uniform jumps): the reversed chain is the chain itself
    sw = drone_imm().switching
    P_fwd, P_back = sw.transition_matrix(np.array([3.0, -3.0]))
    np.testing.assert_allclose(P_back, P_fwd, atol=1e-14)
    # not reversible: P(j at t − d | i at t) = π_j Π_ji(d) / π_i
    pi = CYCLIC.stationary_distribution()
    P_fwd, P_back = CYCLIC.transition_matrix(np.array([3.0, -3.0]))
    np.testing.assert_allclose(P_back, P_fwd.T * pi[None, :] / pi[:, None], atol=1e-14)
    assert not np.allclose(P_back, P_fwd)


def test_ill_conditioned_generator_falls_back_to_pade(monkeypatch: pytest.MonkeyPatch) -> None:
    dt = np.array([0.0, 0.5, 4.0, -2.0])
    expected = CYCLIC.transition_matrix(dt)
    monkeypatch.setattr(imm_module, "_EIG_COND_MAX", 0.0)
    sw = ModeSwitching(
        mean_sojourn_s=CYCLIC.mean_sojourn_s, jump_probabilities=CYCLIC.jump_probabilities
    )
    np.testing.assert_allclose(sw.transition_matrix(dt), expected, atol=1e-12)


def test_one_mode_never_switches() -> None:
    Pi = ModeSwitching(mean_sojourn_s=(5.0,)).transition_matrix(np.array([0.0, 10.0, -1.0]))
    np.testing.assert_array_equal(Pi, np.ones((3, 1, 1)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mean_sojourn_s": ()}, "mean_sojourn_s"),
        ({"mean_sojourn_s": (5.0, 0.0)}, "mean_sojourn_s"),
        ({"mean_sojourn_s": (5.0, float("inf"))}, "mean_sojourn_s"),
        ({"mean_sojourn_s": (5.0, 5.0), "jump_probabilities": ((0.0, 1.0),)}, "jump_probabilities"),
        (
            {"mean_sojourn_s": (5.0, 5.0), "jump_probabilities": ((0.5, 0.5), (1.0, 0.0))},
            "jump_probabilities",
        ),
        (
            {
                "mean_sojourn_s": (5.0, 5.0, 5.0),
                "jump_probabilities": ((0, 1, 1), (1, 0, 0), (1, 0, 0)),
            },
            "jump_probabilities",
        ),
        (
            {"mean_sojourn_s": (5.0, 5.0), "jump_probabilities": ((0.0, -1.0), (1.0, 0.0))},
            "jump_probabilities",
        ),
    ],
)
def test_invalid_switching_is_a_config_error(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        ModeSwitching(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


# --- the IMM configuration ----------------------------------------------------------------------


def test_drone_imm_default_mode_set() -> None:
    imm = drone_imm()
    assert imm.mode_names == ("cruise", "turn_left", "turn_right", "hover")
    cruise, left, right, hover = imm.models
    assert isinstance(cruise, NearlyConstantVelocityModel)
    assert isinstance(left, CoordinatedTurnModel)
    assert isinstance(right, CoordinatedTurnModel)
    assert left.turn_rate > 0.0 > right.turn_rate  # left is counter-clockwise
    assert left.turn_rate == -right.turn_rate
    assert isinstance(hover, HoverModel)
    assert imm.n_modes <= 4  # cost is linear in modes
    np.testing.assert_allclose(sum(imm.initial_probabilities), 1.0)
    np.testing.assert_allclose(
        imm.initial_mode_probabilities(), imm.switching.stationary_distribution()
    )
    custom = drone_imm(turn_rate=-0.6, q_horizontal=9.0, hover_time_constant=5.0)
    assert custom.models[1].turn_rate == 0.6  # type: ignore[attr-defined]
    assert custom.models[2].q_horizontal == 9.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (
            lambda: InteractingMultipleModel(
                models=(), switching=ModeSwitching(mean_sojourn_s=(1.0,))
            ),
            "models",
        ),
        (
            lambda: InteractingMultipleModel(
                models=(NearlyConstantVelocityModel(),),
                switching=ModeSwitching(mean_sojourn_s=(1.0, 2.0)),
            ),
            "switching.mean_sojourn_s",
        ),
        (
            lambda: InteractingMultipleModel(
                models=(NearlyConstantVelocityModel(), HoverModel()),
                switching=ModeSwitching(mean_sojourn_s=(1.0, 2.0)),
                initial_probabilities=(0.7, 0.7),
            ),
            "initial_probabilities",
        ),
        (
            lambda: InteractingMultipleModel(
                models=(NearlyConstantVelocityModel(), HoverModel()),
                switching=ModeSwitching(mean_sojourn_s=(1.0, 2.0)),
                initial_probabilities=(1.0,),
            ),
            "initial_probabilities",
        ),
        (
            lambda: InteractingMultipleModel(
                models=(NearlyConstantVelocityModel(), HoverModel()),
                switching=ModeSwitching(mean_sojourn_s=(1.0, 2.0)),
                mode_names=("a", "a"),
            ),
            "mode_names",
        ),
        (
            lambda: InteractingMultipleModel(
                models=("ncv",),  # type: ignore[arg-type]
                switching=ModeSwitching(mean_sojourn_s=(1.0,)),
            ),
            "models[0]",
        ),
    ],
)
def test_invalid_imm_is_a_config_error(factory: Callable[[], object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        factory()
    assert info.value.field == field


# --- kernels ------------------------------------------------------------------------------------


def _mix_reference(
    mu: np.ndarray, x: np.ndarray, P: np.ndarray, Pi: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Blom & Bar-Shalom's interaction written out one track and one mode pair at a time."""
    n, r, _ = x.shape
    c = np.zeros((n, r))
    x0 = np.zeros_like(x)
    P0 = np.zeros_like(P)
    for k in range(n):
        for j in range(r):
            c[k, j] = sum(Pi[k, i, j] * mu[k, i] for i in range(r))
            w = [Pi[k, i, j] * mu[k, i] / c[k, j] for i in range(r)]
            x0[k, j] = sum(w[i] * x[k, i] for i in range(r))
            for i in range(r):
                d = x[k, i] - x0[k, j]
                P0[k, j] += w[i] * (P[k, i] + np.outer(d, d))
    return c, x0, P0


def test_mix_matches_the_definition() -> None:
    mu, x, P = _random_mixture(7, 4)
    dt = np.linspace(0.1, 20.0, 7)
    Pi = drone_imm().transition_matrix(dt)
    got = imm_mix(mu, x, P, Pi)
    for g, e in zip(got, _mix_reference(mu, x, P, Pi), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(got[0].sum(axis=1), 1.0)
    assert np.all(np.linalg.eigvalsh(got[2]) > 0.0)


def test_mix_with_identity_transitions_changes_nothing() -> None:
    mu, x, P = _random_mixture(5, 3)
    mu[0] = [1.0, 0.0, 0.0]  # modes nobody can reach keep their own estimate, no NaN
    Pi = np.broadcast_to(np.eye(3), (5, 3, 3))
    mu_pred, x0, P0 = imm_mix(mu, x, P, Pi)
    np.testing.assert_array_equal(mu_pred, mu)
    np.testing.assert_allclose(x0, x, rtol=1e-14)
    np.testing.assert_allclose(P0, P, rtol=1e-14)


def test_one_mode_imm_is_a_kalman_filter() -> None:
    model = NearlyConstantVelocityModel(q_horizontal=4.0, q_vertical=1.0)
    imm = single_model(model)
    _, x, P = _random_mixture(6, 1)
    mu = np.ones((6, 1))
    dt = np.array([0.0, 0.2, 1.0, 3.0, 10.0, 0.5])
    mu_pred, x_pred, P_pred = imm_mix_predict(imm, mu, x, P, dt)
    x_kf, P_kf = kalman_predict(x[:, 0], P[:, 0], dt, model)
    np.testing.assert_array_equal(mu_pred, mu)
    np.testing.assert_allclose(x_pred[:, 0], x_kf, rtol=1e-13)
    np.testing.assert_allclose(P_pred[:, 0], P_kf, rtol=1e-13)
    x_c, P_c = imm_combine(mu_pred, x_pred, P_pred)
    np.testing.assert_allclose(x_c, x_kf, rtol=1e-13)
    np.testing.assert_allclose(P_c, P_kf, rtol=1e-13)


def test_predict_runs_each_mode_through_its_own_model() -> None:
    imm = drone_imm()
    _, x, P = _random_mixture(5, 4)
    dt = np.array([0.5, 1.0, 2.0, -1.0, 0.0])
    x_pred, P_pred = imm_predict(imm, x, P, dt)
    for j, model in enumerate(imm.models):
        for k in range(5):  # one track at a time, as the reference
            F = model.transition(dt[k])[0]
            Q = model.process_noise(dt[k])[0]
            np.testing.assert_allclose(x_pred[k, j], F @ x[k, j], rtol=1e-12, atol=1e-9)
            np.testing.assert_allclose(P_pred[k, j], F @ P[k, j] @ F.T + Q, rtol=1e-12, atol=1e-9)


def test_combine_of_identical_modes_is_that_mode() -> None:
    _, x, P = _random_mixture(4, 1)
    mu = np.array([[0.1, 0.2, 0.3, 0.4]] * 4)
    xc, Pc = imm_combine(mu, np.repeat(x, 4, axis=1), np.repeat(P, 4, axis=1))
    np.testing.assert_allclose(xc, x[:, 0], rtol=1e-13)
    np.testing.assert_allclose(Pc, P[:, 0], rtol=1e-13)


def test_combine_adds_the_spread_of_the_means() -> None:
    x = np.zeros((1, 2, 6))
    x[0, 0, 0], x[0, 1, 0] = -3.0, 3.0
    P = np.broadcast_to(np.eye(6), (1, 2, 6, 6))
    xc, Pc = imm_combine(np.array([[0.5, 0.5]]), x, P)
    np.testing.assert_allclose(xc, 0.0, atol=1e-15)
    np.testing.assert_allclose(Pc[0], np.eye(6) + 9.0 * np.diag([1.0, 0, 0, 0, 0, 0]))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**31), dt=st.floats(0.0, 30.0))
def test_mix_predict_combine_keep_covariances_spd(n: int, seed: int, dt: float) -> None:
    mu, x, P = _random_mixture(n, 4, seed)
    mu_pred, x_pred, P_pred = imm_mix_predict(drone_imm(), mu, x, P, np.full(n, dt))
    assert np.all(np.linalg.eigvalsh(P_pred) > 0.0)
    _, Pc = imm_combine(mu_pred, x_pred, P_pred)
    np.testing.assert_array_equal(Pc, np.swapaxes(Pc, 1, 2))
    assert np.all(np.linalg.eigvalsh(Pc) > 0.0)


def test_mode_probabilities_follow_the_likelihood() -> None:
    mu_pred = np.array([[0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])
    ll = np.array([[-5.0, -3.0, -8.0, -5.0], [-10.0, -2.0, -10.0, -10.0]])
    mu = imm_update_probabilities(mu_pred, ll, floor=0.0)
    np.testing.assert_allclose(mu.sum(axis=1), 1.0)
    assert mu[0].argmax() == 1
    assert mu[1, 1] > mu_pred[1, 1]
    assert mu[1, 0] < mu_pred[1, 0]
    bayes = mu_pred * np.exp(ll)
    np.testing.assert_allclose(mu, bayes / bayes.sum(axis=1, keepdims=True), rtol=1e-8)


def test_mode_probabilities_are_stable_for_tiny_likelihoods() -> None:
    mu_pred = np.array([[0.5, 0.5]])
    mu = imm_update_probabilities(mu_pred, np.array([[-2000.0, -2001.0]]), floor=0.0)
    np.testing.assert_allclose(mu, [[1 / (1 + np.e**-1), 1 / (1 + np.e)]], rtol=1e-9)


def test_failed_modes_get_only_the_floor() -> None:
    mu_pred = np.array([[0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1]])
    ll = np.array(
        [
            [np.nan, -1.0, -np.inf, -2.0],
            [np.inf, -1.0, -1.0, -1.0],
            [np.nan, np.nan, -np.inf, np.nan],  # nothing usable: the prior stands
        ]
    )
    mu = imm_update_probabilities(mu_pred, ll, floor=1e-9)
    assert np.all(np.isfinite(mu))
    np.testing.assert_allclose(mu.sum(axis=1), 1.0)
    np.testing.assert_allclose(mu[0, [0, 2]], 1e-9)
    np.testing.assert_allclose(mu[1, 0], 1e-9)
    np.testing.assert_allclose(mu[2], mu_pred[2], rtol=1e-8)


def test_no_mode_dies_forever() -> None:
    mu_pred = np.array([[1.0, 0.0]])
    mu = imm_update_probabilities(mu_pred, np.array([[0.0, -1e6]]), floor=1e-9)
    np.testing.assert_allclose(mu, [[1.0 - 1e-9, 1e-9]])
    assert mu.min() >= 1e-9
    with pytest.raises(ValueError, match="floor"):
        imm_update_probabilities(mu_pred, np.zeros((1, 2)), floor=0.5)


# --- a manoeuvring target: straight, 0.5 rad/s left turn, stop and hover -------------------------

SCAN_S = 1.0
SIGMA_M = 5.0


def _manoeuvre_truth() -> tuple[np.ndarray, np.ndarray]:
    """30 s straight east at 12 m/s, 8 s left turn at 0.5 rad/s, 3 m/s² stop, 30 s hover.

    Integrated at 10 ms steps (midpoint rule), sampled every ``SCAN_S``; returns ``t (K,)`` and
    the true states ``(K, 6)``.
    """
    h, speed, omega, decel = 0.01, 12.0, 0.5, 3.0
    t_turn, t_stop = 30.0, 38.0
    total = t_stop + speed / decel + 30.0
    every = round(SCAN_S / h)
    x = np.array([0.0, 0.0, 100.0, speed, 0.0, 0.0])
    ts, xs = [], []
    for k in range(round(total / h) + 1):  # a loop over time, for the truth only
        t = k * h
        if k % every == 0:
            ts.append(t)
            xs.append(x.copy())
        v = x[3:5]
        sp = float(np.hypot(*v))
        if t < t_turn:
            a = np.zeros(2)
        elif t < t_stop:
            a = omega * np.array([-v[1], v[0]])
        else:
            a = -decel * v / sp if sp > decel * h else -v / h
        x[:2] += h * (v + 0.5 * h * a)
        x[3:5] += h * a
    return np.array(ts), np.array(xs)


PHASES = {"straight": slice(5, 30), "turn": slice(30, 38), "hover": slice(42, None)}


def _track_imm(
    imm: InteractingMultipleModel, ts: np.ndarray, Z: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Filter ``Z (N, K, 3)`` (N Monte Carlo runs as N tracks); estimates and mean mode probs."""
    n, k_max, _ = Z.shape
    r = imm.n_modes
    R = np.broadcast_to(SIGMA_M**2 * np.eye(3), (n * r, 3, 3))
    x = np.concatenate([Z[:, 0], np.zeros((n, 3))], axis=1)
    P = np.broadcast_to(np.diag([SIGMA_M**2] * 3 + [15.0**2] * 3), (n, 6, 6))
    mu = np.broadcast_to(imm.initial_mode_probabilities(), (n, r)).copy()
    xm, Pm = np.repeat(x[:, None], r, axis=1), np.repeat(P[:, None], r, axis=1)
    est = np.zeros((n, k_max, 6))
    est[:, 0] = x
    mus = np.zeros((k_max, r))
    pairs = np.arange(n * r)
    for k in range(1, k_max):  # a loop over scans; tracks and modes are batched
        mu_pred, xp, Pp = imm_mix_predict(imm, mu, xm, Pm, np.full(n, ts[k] - ts[k - 1]))
        xf, Pf = xp.reshape(n * r, 6), Pp.reshape(n * r, 6, 6)
        z = np.repeat(Z[:, k], r, axis=0)
        d2, logdet = mahalanobis_pairs(xf[:, :3], Pf[:, :3, :3], z, R, pairs, pairs)
        ll = -0.5 * (d2 + logdet + 3.0 * np.log(2.0 * np.pi))
        xu, Pu = kalman_update(xf, Pf, z, R)
        xm, Pm = xu.reshape(n, r, 6), Pu.reshape(n, r, 6, 6)
        mu = imm_update_probabilities(mu_pred, ll.reshape(n, r))
        est[:, k], _ = imm_combine(mu, xm, Pm)
        mus[k] = mu.mean(axis=0)
    return est, mus


def _track_ncv(model: NearlyConstantVelocityModel, ts: np.ndarray, Z: np.ndarray) -> np.ndarray:
    n, k_max, _ = Z.shape
    R = np.broadcast_to(SIGMA_M**2 * np.eye(3), (n, 3, 3))
    x = np.concatenate([Z[:, 0], np.zeros((n, 3))], axis=1)
    P = np.broadcast_to(np.diag([SIGMA_M**2] * 3 + [15.0**2] * 3), (n, 6, 6)).copy()
    est = np.zeros((n, k_max, 6))
    est[:, 0] = x
    for k in range(1, k_max):
        x, P = kalman_predict(x, P, np.full(n, ts[k] - ts[k - 1]), model)
        x, P = kalman_update(x, P, Z[:, k], R)
        est[:, k] = x
    return est


def test_imm_tracks_a_manoeuvring_drone_better_than_ncv() -> None:
    ts, truth = _manoeuvre_truth()
    rng = np.random.default_rng(7)
    Z = truth[None, :, :3] + SIGMA_M * rng.standard_normal((100, ts.shape[0], 3))
    est_imm, mus = _track_imm(drone_imm(), ts, Z)
    est_ncv = _track_ncv(NearlyConstantVelocityModel(), ts, Z)

    def rms(est: np.ndarray, sl: slice) -> float:
        return float(np.sqrt(np.mean(np.sum((est[:, sl, :3] - truth[None, sl, :3]) ** 2, axis=2))))

    everything = slice(5, None)
    # measured (seeds 0-5, 100 runs): IMM 5.03-5.17 m, NCV 6.48-6.62 m, ratio 0.775-0.781
    assert rms(est_imm, everything) < 0.85 * rms(est_ncv, everything)
    assert rms(est_imm, PHASES["hover"]) < 0.8 * rms(est_ncv, PHASES["hover"])  # 4.3 vs 6.4 m
    assert rms(est_imm, PHASES["turn"]) < rms(est_ncv, PHASES["turn"])  # 6.6 vs 7.4 m
    # and the right mode wins each phase
    names = drone_imm().mode_names
    assert names[int(mus[25].argmax())] == "cruise"
    assert names[int(mus[36].argmax())] == "turn_left"
    assert names[int(mus[60].argmax())] == "hover"


def test_defective_generators_take_the_expm_path() -> None:
    from dronewall.tracking.imm import _eigendecomposition

    jordan = np.array([[-1.0, 1.0], [0.0, -1.0]])  # defective: eigenvectors parallel
    assert _eigendecomposition(jordan) is None
    assert _eigendecomposition(np.array([[-1.0, 1.0], [1.0, -1.0]])) is not None
