"""GOSPA and OSPA: known values and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError
from dronewall.metrics.gospa import gospa, mean_gospa, ospa


def test_both_empty_is_zero() -> None:
    r = gospa(np.empty((0, 3)), np.empty((0, 3)), c=10.0, p=2.0)
    assert r.total == r.total_p == r.localisation == r.missed == r.false == 0.0


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_one_missed_target_costs_half_c_to_the_p(p: float) -> None:
    c = 20.0
    r = gospa(np.array([[1.0, 2.0, 3.0]]), np.empty((0, 3)), c=c, p=p)
    assert r.total_p == pytest.approx(c**p / 2)
    assert r.total == pytest.approx((c**p / 2) ** (1 / p))
    assert (r.missed, r.false, r.n_missed, r.n_false) == (c**p / 2, 0.0, 1.0, 0.0)


def test_one_false_track_costs_half_c_to_the_p() -> None:
    r = gospa(np.empty((0, 3)), np.array([[0.0, 0.0, 0.0]]), c=10.0, p=2.0)
    assert (r.false, r.missed, r.n_false) == (50.0, 0.0, 1.0)


def test_perfect_estimate_is_zero() -> None:
    X = np.array([[0.0, 0.0, 0.0], [100.0, 5.0, 7.0]])
    r = gospa(X, X[::-1], c=10.0, p=2.0)
    assert r.total == 0.0
    assert r.n_assigned == 2.0


def test_hand_computed_case() -> None:
    # truths at 0 and 10 m; tracks at 1 m (3-4-0 offset... no: 1 m) and 100 m; c = 5, p = 2:
    # pair (0, 1 m) costs 1; truth at 10 m is missed (12.5) and the track at 100 m is false (12.5).
    X = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    r = gospa(X, Y, c=5.0, p=2.0)
    assert r.localisation == pytest.approx(1.0)
    assert r.missed == pytest.approx(12.5)
    assert r.false == pytest.approx(12.5)
    assert r.total_p == pytest.approx(26.0)
    assert r.total == pytest.approx(math.sqrt(26.0))


def test_hand_computed_case_p1_prefers_the_global_optimum() -> None:
    # Greedy would pair truth 0 with the track at 3 m (d = 3) and leave truth 6 with d = 3 to
    # the track at 9 m: total 6. Optimal: (0 -> 3: 3), (6 -> 9: 3) is also 6; move track to 4 m:
    # pairs (0, 4) = 4 and (6, 9) = 3 -> 7 vs (6, 4) = 2 and 0 missed + 9 false = c = 5 -> 7.
    X = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0]])
    Y = np.array([[4.0, 0.0, 0.0], [9.0, 0.0, 0.0]])
    r = gospa(X, Y, c=10.0, p=1.0)
    assert r.total == pytest.approx(7.0)
    assert r.n_assigned == 2.0


def test_pair_beyond_cut_off_counts_as_missed_plus_false() -> None:
    r = gospa(np.zeros((1, 3)), np.array([[30.0, 0.0, 0.0]]), c=10.0, p=2.0)
    assert (r.n_assigned, r.n_missed, r.n_false) == (0.0, 1.0, 1.0)
    assert r.total_p == pytest.approx(100.0)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 8), n=st.integers(0, 8))
def test_decomposition_and_symmetry(seed: int, k: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-50, 50, (k, 3))
    Y = rng.uniform(-50, 50, (n, 3))
    r = gospa(X, Y, c=25.0, p=2.0)
    assert r.total_p == pytest.approx(r.localisation + r.missed + r.false)
    assert r.n_assigned + r.n_missed == k
    assert r.n_assigned + r.n_false == n
    assert r.missed == pytest.approx(25.0**2 / 2 * r.n_missed)
    s = gospa(Y, X, c=25.0, p=2.0)  # a metric is symmetric
    assert s.total == pytest.approx(r.total)
    assert gospa(X[::-1], Y[rng.permutation(n)], c=25.0, p=2.0).total == pytest.approx(r.total)
    assert 0.0 <= ospa(X, Y, c=25.0) <= 25.0


def test_mean_gospa_averages_components() -> None:
    a = gospa(np.zeros((1, 3)), np.empty((0, 3)), c=10.0, p=2.0)
    b = gospa(np.zeros((1, 3)), np.zeros((1, 3)), c=10.0, p=2.0)
    m = mean_gospa([a, b])
    assert m.missed == pytest.approx(25.0)
    assert m.n_missed == pytest.approx(0.5)
    assert m.total == pytest.approx((math.sqrt(50.0) + 0.0) / 2)
    with pytest.raises(ValueError, match="at least one"):
        mean_gospa([])
    with pytest.raises(ValueError, match="one c"):
        mean_gospa([a, gospa(np.zeros((1, 3)), np.zeros((1, 3)), c=5.0, p=2.0)])


def test_ospa_known_values() -> None:
    assert ospa(np.empty((0, 3)), np.empty((0, 3)), c=10.0) == 0.0
    assert ospa(np.zeros((2, 3)), np.empty((0, 3)), c=10.0) == pytest.approx(10.0)
    # one pair at 3 m plus one extra track: ((9 + 100) / 2) ** 0.5
    Y = np.array([[3.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
    assert ospa(np.zeros((1, 3)), Y, c=10.0, p=2.0) == pytest.approx(math.sqrt(109.0 / 2.0))


@pytest.mark.parametrize(("c", "p"), [(0.0, 2.0), (-1.0, 2.0), (10.0, 0.5), (float("inf"), 2.0)])
def test_invalid_parameters(c: float, p: float) -> None:
    with pytest.raises(ConfigError):
        gospa(np.zeros((1, 3)), np.zeros((1, 3)), c=c, p=p)
