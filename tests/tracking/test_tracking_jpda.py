"""JPDA marginals: brute force, textbook PDA, BP vs exact, invariances, extremes, parameters."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError, InputError
from dronewall.tracking.jpda import JPDAAssociator, JPDAResult, jpda_probabilities

Problem = tuple[int, int, np.ndarray, np.ndarray, np.ndarray]


def _brute_force(
    n: int,
    m: int,
    ti: np.ndarray,
    dj: np.ndarray,
    ll: np.ndarray,
    p_d: np.ndarray,
    p_g: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """β per pair and β_t0 per track by listing every joint event, in plain probabilities."""
    choices = [[None, *[k for k in range(len(ti)) if ti[k] == t]] for t in range(n)]
    beta = np.zeros(len(ti))
    miss = np.zeros(n)
    total = 0.0
    for event in itertools.product(*choices):
        used = [int(dj[k]) for k in event if k is not None]
        if len(set(used)) != len(used):
            continue
        weight = 1.0
        for t, k in enumerate(event):
            if k is None:
                weight *= 1.0 - p_d[t] * p_g
            else:
                weight *= p_d[t] * math.exp(ll[k]) / lam
        total += weight
        for t, k in enumerate(event):
            if k is None:
                miss[t] += weight
            else:
                beta[k] += weight
    return beta / total, miss / total


def _random_problem(seed: int, n: int, m: int, p_gated: float, lo: float = -20.0) -> Problem:
    rng = np.random.default_rng(seed)
    ti, dj = np.nonzero(rng.random((n, m)) < p_gated)
    order = rng.permutation(ti.shape[0])
    ll = rng.uniform(lo, 5.0, ti.shape[0])
    return n, m, ti[order].astype(np.intp), dj[order].astype(np.intp), ll


def _track_sums(r: JPDAResult, ti: np.ndarray) -> np.ndarray:
    return r.beta_miss + np.bincount(ti, weights=r.beta, minlength=r.beta_miss.shape[0])


def _detection_sums(r: JPDAResult, dj: np.ndarray) -> np.ndarray:
    return np.bincount(dj, weights=r.beta, minlength=r.p_unassociated.shape[0])


def _max_error(a: JPDAResult, b: JPDAResult) -> float:
    return max(
        float(np.abs(a.beta - b.beta).max(initial=0.0)),
        float(np.abs(a.beta_miss - b.beta_miss).max(initial=0.0)),
    )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 4),
    m=st.integers(0, 4),
    p=st.floats(0.0, 1.0),
    per_track=st.booleans(),
    p_g=st.floats(0.5, 1.0),
    log10_lam=st.floats(-4.0, 0.0),
)
def test_exact_matches_brute_force(
    seed: int, n: int, m: int, p: float, per_track: bool, p_g: float, log10_lam: float
) -> None:
    _, _, ti, dj, ll = _random_problem(seed, n, m, p)
    rng = np.random.default_rng(seed + 7)
    common = rng.uniform(0.01, 0.99)
    p_d = rng.uniform(0.0, 0.99, n) if per_track else np.full(n, common)
    lam = 10.0**log10_lam
    r = jpda_probabilities(n, m, ti, dj, ll, p_d if per_track else common, p_g, lam)
    beta, miss = _brute_force(n, m, ti, dj, ll, p_d, p_g, lam)
    assert r.exact.all()
    np.testing.assert_allclose(r.beta, beta, rtol=0.0, atol=1e-9)
    np.testing.assert_allclose(r.beta_miss, miss, rtol=0.0, atol=1e-9)
    np.testing.assert_allclose(
        r.p_unassociated, 1.0 - np.bincount(dj, weights=beta, minlength=m), atol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    m=st.integers(1, 12),
    p=st.floats(0.05, 0.8),
    max_states=st.sampled_from([0, 4, 1024]),
)
def test_probabilities_are_distributions(
    seed: int, n: int, m: int, p: float, max_states: int
) -> None:
    _, _, ti, dj, ll = _random_problem(seed, n, m, p)
    r = jpda_probabilities(n, m, ti, dj, ll, 0.9, 0.999, 1e-3, max_exact_states=max_states)
    for a in (r.beta, r.beta_miss, r.p_unassociated):
        assert np.all(np.isfinite(a))
        assert np.all((a >= 0.0) & (a <= 1.0))
    np.testing.assert_allclose(_track_sums(r, ti), 1.0, atol=1e-12)
    # ≤ 1 for exact clusters and at BP's fixed point; BP stopped by its sweep cap before
    # converging (measured: 5 of 2,230 random BP clusters) may exceed it a little (≤ 5e-4 seen)
    sums = _detection_sums(r, dj)
    gated = r.cluster_of_detection >= 0
    settled = gated & r.converged[np.maximum(r.cluster_of_detection, 0)]
    assert np.all(sums[settled] <= 1.0 + 1e-9)
    assert np.all(sums <= 1.0 + 1e-2)
    np.testing.assert_allclose(r.p_unassociated, np.clip(1.0 - _detection_sums(r, dj), 0, 1))


def _gaussian_log_density(nu: np.ndarray, S: np.ndarray) -> float:
    d2 = float(nu @ np.linalg.solve(S, nu))
    return -0.5 * (d2 + math.log(np.linalg.det(2.0 * math.pi * S)))


def test_single_track_clusters_match_textbook_pda() -> None:
    rng = np.random.default_rng(3)
    n, p_g, lam = 40, 0.9999, 1e-7
    p_d = rng.uniform(0.5, 0.95, n)
    ti, dj, ll, density = [], [], [], []
    m = 0
    for t in range(n):
        A = rng.normal(0.0, 20.0, (3, 3))
        S = A @ A.T + 25.0 * np.eye(3)
        for _ in range(int(rng.integers(1, 6))):
            nu = rng.multivariate_normal(np.zeros(3), S)
            ti.append(t)
            dj.append(m)
            ll.append(_gaussian_log_density(nu, S))
            density.append(
                math.exp(-0.5 * nu @ np.linalg.solve(S, nu))
                / math.sqrt(np.linalg.det(2 * math.pi * S))
            )
            m += 1
    ti_a, dj_a = np.array(ti), np.array(dj)
    r = jpda_probabilities(n, m, ti_a, dj_a, np.array(ll), p_d, p_g, lam)
    # Bar-Shalom & Fortmann: L_j = P_D N_j / λ, β_j = L_j / (1 − P_D P_G + Σ L), β_0 likewise
    L = p_d[ti_a] * np.array(density) / lam
    den = 1.0 - p_d * p_g + np.bincount(ti_a, weights=L, minlength=n)
    np.testing.assert_allclose(r.beta, L / den[ti_a], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(r.beta_miss, (1.0 - p_d * p_g) / den, rtol=1e-10, atol=1e-14)
    assert r.n_clusters == n
    assert r.exact.all()


def test_one_detection_shared_by_several_tracks() -> None:
    ll = np.array([-12.0, -10.0, -14.0])
    p_d = np.array([0.9, 0.6, 0.8])
    r = jpda_probabilities(3, 2, [0, 1, 2], [1, 1, 1], ll, p_d, 0.99, 1e-5)
    psi = p_d * np.exp(ll) / 1e-5 / (1.0 - p_d * 0.99)
    np.testing.assert_allclose(r.beta, psi / (1.0 + psi.sum()), rtol=1e-12)
    np.testing.assert_allclose(r.beta_miss, 1.0 - psi / (1.0 + psi.sum()), rtol=1e-12)
    np.testing.assert_allclose(r.p_unassociated, [1.0, 1.0 / (1.0 + psi.sum())], rtol=1e-12)
    np.testing.assert_array_equal(r.cluster_of_detection, [-1, 0])


def _tree_problem(seed: int, n_nodes: int) -> Problem:
    """A random bipartite tree: each new node hangs on an existing node of the other kind."""
    rng = np.random.default_rng(seed)
    kinds = [0, 1]  # node 0 a track, node 1 a detection, joined
    index = [0, 0]
    edges = [(0, 0)]
    n = m = 1
    for _ in range(n_nodes - 2):
        kind = int(rng.integers(0, 2))
        others = [i for i, k in enumerate(kinds) if k != kind]
        parent = others[int(rng.integers(0, len(others)))]
        if kind == 0:
            edges.append((n, index[parent]))
            index.append(n)
            n += 1
        else:
            edges.append((index[parent], m))
            index.append(m)
            m += 1
        kinds.append(kind)
    ti, dj = (np.array(c, dtype=np.intp) for c in zip(*edges, strict=True))
    ll = np.asarray(rng.uniform(-15.0, 0.0, ti.shape[0]), dtype=np.float64)
    return n, m, ti, dj, ll


@pytest.mark.parametrize("seed", range(6))
def test_bp_is_exact_on_trees(seed: int) -> None:
    n, m, ti, dj, ll = _tree_problem(seed, 20 + 15 * seed)
    exact = jpda_probabilities(n, m, ti, dj, ll, 0.9, 0.999, 1e-4, max_exact_states=1 << 16)
    bp = jpda_probabilities(
        n, m, ti, dj, ll, 0.9, 0.999, 1e-4, max_exact_states=0, bp_tolerance=1e-13
    )
    assert exact.exact.all()
    assert not bp.exact.all()
    assert bp.converged.all()
    assert _max_error(exact, bp) < 1e-6


def test_exact_recursion_merges_states_on_a_band() -> None:
    # track t gates detections t, t+1, t+2 (full of loops); in track order at most two used
    # detections are still live, so 4 states suffice: exact, checked against brute force
    n = 6
    ti = np.repeat(np.arange(n), 3)
    dj = ti + np.tile([0, 1, 2], n)
    rng = np.random.default_rng(5)
    ll = rng.uniform(-12.0, -4.0, ti.shape[0])
    perm = rng.permutation(n)  # the recursion finds the band whatever the track numbering
    r = jpda_probabilities(n, n + 2, perm[ti], dj, ll, 0.9, 0.999, 1e-4, max_exact_states=4)
    assert r.exact.all()
    beta, miss = _brute_force(n, n + 2, ti, dj, ll, np.full(n, 0.9), 0.999, 1e-4)
    np.testing.assert_allclose(r.beta, beta, atol=1e-12)
    np.testing.assert_allclose(r.beta_miss[perm], miss, atol=1e-12)


def test_long_caterpillar_is_exact_with_two_states() -> None:
    # a spine of 40 tracks and 41 detections (track t gates t and t + 1) with two more detections
    # per track that only it gates: one cluster of 121 detections (two mask words) whose
    # recursion needs 2 states per step; a tree, so BP is exact on it as well
    n = 40
    spine_t = np.repeat(np.arange(n), 2)
    spine_d = spine_t + np.tile([0, 1], n)
    leaf_t = np.repeat(np.arange(n), 2)
    leaf_d = n + 1 + np.arange(2 * n)
    ti = np.concatenate([spine_t, leaf_t])
    dj = np.concatenate([spine_d, leaf_d])
    m = 3 * n + 1
    ll = np.random.default_rng(6).uniform(-12.0, -6.0, ti.shape[0])
    r = jpda_probabilities(n, m, ti, dj, ll, 0.9, 0.999, 1e-4, max_exact_states=2)
    bp = jpda_probabilities(
        n, m, ti, dj, ll, 0.9, 0.999, 1e-4, max_exact_states=0, bp_tolerance=1e-13
    )
    assert r.exact.all()
    assert r.n_clusters == 1
    assert not bp.exact.any()
    assert _max_error(r, bp) < 1e-6


def test_bp_accuracy_on_medium_clusters() -> None:
    # Measured over 200 random clusters of 5-8 tracks x 5-8 detections (p = 0.5, ℓ ~ U(−20, 5)):
    # the largest error per cluster has median ~2e-5 and mean ~0.01. BP is overconfident on
    # tight loops (see the next test), hence loose bounds on the worst case.
    errors = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        n, m = (int(v) for v in rng.integers(5, 9, 2))
        _, _, ti, dj, ll = _random_problem(seed, n, m, 0.5)
        lam = 10.0 ** rng.uniform(-4.0, 0.0)
        a = jpda_probabilities(n, m, ti, dj, ll, 0.9, 0.99, lam, max_exact_states=1 << 16)
        b = jpda_probabilities(n, m, ti, dj, ll, 0.9, 0.99, lam, max_exact_states=0)
        assert a.exact.all()
        errors.append(_max_error(a, b))
    err = np.array(errors)
    assert np.median(err) < 1e-3
    assert err.mean() < 0.03
    assert err.max() < 0.4


def test_bp_is_overconfident_on_a_strong_swap() -> None:
    # two tracks, two detections, ψ ≫ 1: the exact marginal is ψ00ψ11 / (ψ00ψ11 + ψ01ψ10), BP's
    # Bethe approximation tends to a hard decision. Pinned so that a change of method shows.
    ll = np.array([0.0, 0.5, 0.2, 0.1]) + 10.0
    args = (2, 2, [0, 0, 1, 1], [0, 1, 0, 1], ll, 0.9, 0.99, 1.0)
    exact = jpda_probabilities(*args)
    bp = jpda_probabilities(*args, max_exact_states=0, bp_iterations=1000)
    p_swap = math.exp(0.5 + 0.2) / (math.exp(0.5 + 0.2) + math.exp(0.0 + 0.1))
    assert exact.beta[1] == pytest.approx(p_swap, abs=1e-3)
    assert bp.beta[1] > 0.99


def test_exact_bound_sends_large_clusters_to_bp() -> None:
    _, _, ti, dj, ll = _random_problem(11, 7, 7, 1.0)
    # fully gated 7 x 7: 130,922 joint events, but at most 127 merged states (sets of used
    # detections)
    big = jpda_probabilities(7, 7, ti, dj, ll, 0.9, 0.99, 1e-3, max_exact_states=100)
    small = jpda_probabilities(7, 7, ti, dj, ll, 0.9, 0.99, 1e-3, max_exact_states=127)
    assert not big.exact[0]
    assert big.bp_iterations > 0
    assert small.exact[0]
    assert small.bp_iterations == 0


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 10),
    m=st.integers(1, 10),
    max_states=st.sampled_from([0, 1024]),
)
def test_permuting_pairs_and_detections_permutes_the_output(
    seed: int, n: int, m: int, max_states: int
) -> None:
    _, _, ti, dj, ll = _random_problem(seed, n, m, 0.4)
    rng = np.random.default_rng(seed + 1)
    k_perm = rng.permutation(ti.shape[0])
    d_perm = rng.permutation(m)  # detection j becomes d_perm[j]

    def run(t: np.ndarray, d: np.ndarray, lik: np.ndarray) -> JPDAResult:
        return jpda_probabilities(
            n, m, t, d, lik, 0.9, 0.999, 1e-3, max_exact_states=max_states, bp_tolerance=1e-12
        )

    a = run(ti, dj, ll)
    b = run(ti[k_perm], d_perm[dj[k_perm]], ll[k_perm])
    np.testing.assert_allclose(b.beta, a.beta[k_perm], atol=1e-9)
    np.testing.assert_allclose(b.beta_miss, a.beta_miss, atol=1e-9)
    np.testing.assert_allclose(b.p_unassociated[d_perm], a.p_unassociated, atol=1e-9)
    np.testing.assert_array_equal(b.cluster_of_track, a.cluster_of_track)
    np.testing.assert_array_equal(b.cluster_of_detection[d_perm], a.cluster_of_detection)
    np.testing.assert_array_equal(b.exact, a.exact)
    # the pair order alone changes nothing, not even rounding
    c = run(ti[k_perm], dj[k_perm], ll[k_perm])
    np.testing.assert_array_equal(c.beta, a.beta[k_perm])
    np.testing.assert_array_equal(c.beta_miss, a.beta_miss)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), parts=st.integers(1, 6))
def test_batch_equals_a_loop_of_single_problems(seed: int, parts: int) -> None:
    rng = np.random.default_rng(seed)
    problems = [
        _random_problem(seed + i, int(rng.integers(1, 6)), int(rng.integers(1, 6)), 0.5)
        for i in range(parts)
    ]
    n_off = np.cumsum([0] + [p[0] for p in problems])
    m_off = np.cumsum([0] + [p[1] for p in problems])
    ti = np.concatenate([p[2] + n_off[i] for i, p in enumerate(problems)])
    dj = np.concatenate([p[3] + m_off[i] for i, p in enumerate(problems)])
    ll = np.concatenate([p[4] for p in problems])
    both = jpda_probabilities(int(n_off[-1]), int(m_off[-1]), ti, dj, ll, 0.8, 0.99, 1e-2)
    k_off = np.cumsum([0] + [p[2].shape[0] for p in problems])
    for i, (n, m, t, d, lik) in enumerate(problems):
        one = jpda_probabilities(n, m, t, d, lik, 0.8, 0.99, 1e-2)
        np.testing.assert_allclose(both.beta[k_off[i] : k_off[i + 1]], one.beta, atol=1e-12)
        np.testing.assert_allclose(
            both.beta_miss[n_off[i] : n_off[i + 1]], one.beta_miss, atol=1e-12
        )
        np.testing.assert_allclose(
            both.p_unassociated[m_off[i] : m_off[i + 1]], one.p_unassociated, atol=1e-12
        )


def test_ungated_detection_is_unassociated() -> None:
    r = jpda_probabilities(2, 3, [0, 1], [0, 0], [-5.0, -6.0], 0.9, 0.999, 1e-4)
    assert r.p_unassociated[1] == 1.0
    assert r.p_unassociated[2] == 1.0
    assert r.p_unassociated[0] < 0.01
    np.testing.assert_array_equal(r.cluster_of_detection, [0, -1, -1])


def test_track_without_pairs_or_without_coverage_misses() -> None:
    # track 1 gated nothing; track 2 is outside coverage (P_D = 0); track 0 a plain PDA
    r = jpda_probabilities(
        3, 2, [0, 2, 2], [0, 0, 1], [-5.0, 0.0, 0.0], [0.9, 0.9, 0.0], 0.999, 1e-4
    )
    assert r.beta_miss[1] == 1.0
    assert r.beta_miss[2] == 1.0
    assert r.beta[1] == 0.0
    assert r.beta[2] == 0.0
    assert r.p_unassociated[1] == 1.0
    np.testing.assert_array_equal(r.cluster_of_track, [0, 1, 2])
    np.testing.assert_array_equal(r.cluster_of_detection, [0, -1])


def test_empty_scans() -> None:
    e = np.empty(0, dtype=np.intp)
    for n, m in [(0, 0), (0, 3), (3, 0), (2, 2)]:
        r = jpda_probabilities(n, m, e, e, np.empty(0), 0.9, 0.999, 1e-4)
        np.testing.assert_array_equal(r.beta_miss, np.ones(n))
        np.testing.assert_array_equal(r.p_unassociated, np.ones(m))
        assert r.n_clusters == n
        assert r.beta.shape == (0,)


@pytest.mark.parametrize("max_states", [0, 1024])
def test_extreme_log_likelihoods(max_states: int) -> None:
    ti = np.array([0, 0, 1, 1, 2])
    dj = np.array([0, 1, 0, 1, 2])
    s = max_states
    tiny = jpda_probabilities(3, 3, ti, dj, np.full(5, -1e4), 0.9, 0.999, 1e-6, max_exact_states=s)
    assert np.all(np.isfinite(tiny.beta))
    np.testing.assert_allclose(tiny.beta, 0.0, atol=1e-300)
    np.testing.assert_array_equal(tiny.beta_miss, 1.0)
    np.testing.assert_array_equal(tiny.p_unassociated, 1.0)
    # e^800 overflows a float; the log domain must keep the ratios. One strong pair per track
    # in the loop plus a second choice e^10 weaker; track 2 a PDA with a huge ψ.
    ll = np.array([800.0, 790.0, 790.0, 800.0, 700.0])
    huge = jpda_probabilities(3, 3, ti, dj, ll, 0.9, 0.999, 1e-6, max_exact_states=s)
    for a in (huge.beta, huge.beta_miss, huge.p_unassociated):
        assert np.all(np.isfinite(a))
    assert huge.beta[4] == pytest.approx(1.0, abs=1e-12)
    assert huge.beta[0] > 0.99
    # mixed: one pair at e^-1e4 next to a normal one
    mixed = jpda_probabilities(
        2, 2, [0, 0, 1], [0, 1, 1], [-1e4, -8.0, -9.0], 0.9, 0.999, 1e-4, max_exact_states=s
    )
    assert np.all(np.isfinite(mixed.beta))
    assert mixed.beta[0] == 0.0 or mixed.beta[0] < 1e-300
    np.testing.assert_allclose(_track_sums(mixed, np.array([0, 0, 1])), 1.0, atol=1e-12)


def test_exact_swap_with_huge_likelihoods_matches_closed_form() -> None:
    ll = np.array([800.0, 795.0, 793.0, 799.0])
    r = jpda_probabilities(2, 2, [0, 0, 1, 1], [0, 1, 0, 1], ll, 0.9, 0.999, 1.0)
    # ψ ≈ e^800: both tracks always detected, so P(0→0) = e^(800+799) / (e^1599 + e^1588)
    assert r.beta[0] == pytest.approx(1.0 / (1.0 + math.exp(-11.0)), rel=1e-9)
    assert r.beta[1] == pytest.approx(1.0 / (1.0 + math.exp(11.0)), rel=1e-9)


def test_associator_delegates_and_overrides_detection_probability() -> None:
    a = JPDAAssociator(detection_probability=0.8, gate_probability=0.99, clutter_density=1e-3)
    _, _, ti, dj, ll = _random_problem(4, 4, 4, 0.6)
    r = a.probabilities(4, 4, ti, dj, ll)
    f = jpda_probabilities(4, 4, ti, dj, ll, 0.8, 0.99, 1e-3)
    np.testing.assert_array_equal(r.beta, f.beta)
    p_d = np.array([0.8, 0.5, 0.0, 0.9])
    r2 = a.probabilities(4, 4, ti, dj, ll, detection_probability=p_d)
    f2 = jpda_probabilities(4, 4, ti, dj, ll, p_d, 0.99, 1e-3)
    np.testing.assert_array_equal(r2.beta_miss, f2.beta_miss)
    assert r2.beta_miss[2] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"detection_probability": 1.5}, "detection_probability"),
        ({"detection_probability": -0.1}, "detection_probability"),
        ({"detection_probability": 1.0, "gate_probability": 1.0}, "detection_probability"),
        ({"gate_probability": 0.0}, "gate_probability"),
        ({"gate_probability": 1.1}, "gate_probability"),
        ({"clutter_density": 0.0}, "clutter_density"),
        ({"clutter_density": math.inf}, "clutter_density"),
        ({"max_exact_states": -1}, "max_exact_states"),
        ({"bp_iterations": 0}, "bp_iterations"),
        ({"bp_tolerance": 0.0}, "bp_tolerance"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        JPDAAssociator(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    params = {"detection_probability": 0.9, "gate_probability": 0.99, "clutter_density": 1e-4}
    params |= kwargs
    with pytest.raises(ConfigError) as info:
        jpda_probabilities(1, 1, [0], [0], [0.0], **params)  # type: ignore[arg-type]
    assert info.value.field == field


def test_per_track_detection_probability_shape_is_checked() -> None:
    with pytest.raises(ConfigError, match="one value per track"):
        jpda_probabilities(2, 1, [0], [0], [0.0], [0.9, 0.9, 0.9], 0.99, 1e-4)


@pytest.mark.parametrize(
    ("ti", "dj", "ll"),
    [
        ([0, 1], [0], [0.0]),  # lengths differ
        ([2], [0], [0.0]),  # track out of range
        ([0], [-1], [0.0]),  # detection out of range
        ([0], [0], [math.nan]),
        ([0], [0], [math.inf]),
        ([0, 0], [1, 1], [0.0, 0.0]),  # repeated pair
    ],
)
def test_malformed_pairs(ti: list[int], dj: list[int], ll: list[float]) -> None:
    with pytest.raises(InputError):
        jpda_probabilities(2, 2, ti, dj, ll, 0.9, 0.99, 1e-4)
