"""Gating: χ² threshold, Euclidean pre-gate (tree == dense == brute force), superset property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError
from dronewall.tracking.gating import ChiSquareGate, chi2_threshold, euclidean_candidates
from dronewall.tracking.kalman import mahalanobis_pairwise


def test_chi2_threshold_known_values() -> None:
    assert chi2_threshold(0.9999, 3) == pytest.approx(21.1075, abs=1e-3)
    assert chi2_threshold(0.99, 2) == pytest.approx(9.2103, abs=1e-3)
    assert ChiSquareGate().threshold == pytest.approx(21.1075, abs=1e-3)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.5, 1.5])
def test_gate_probability_outside_unit_interval_is_rejected(p: float) -> None:
    with pytest.raises(ConfigError):
        ChiSquareGate(probability=p)


def test_accepts_treats_nan_as_outside() -> None:
    gate = ChiSquareGate(probability=0.99, dof=3)
    mask = gate.accepts(np.array([0.0, gate.threshold, gate.threshold + 1e-9, np.nan]))
    np.testing.assert_array_equal(mask, [True, True, False, False])


def _brute(track_pos: np.ndarray, radius: np.ndarray, det_pos: np.ndarray) -> set[tuple[int, int]]:
    out = set()
    for i in range(track_pos.shape[0]):
        for j in range(det_pos.shape[0]):
            if np.linalg.norm(det_pos[j] - track_pos[i]) <= radius[i]:
                out.add((i, j))
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), m=st.integers(0, 30))
def test_tree_and_dense_candidates_equal_brute_force(seed: int, n: int, m: int) -> None:
    rng = np.random.default_rng(seed)
    tp = rng.uniform(-1000, 1000, (n, 3))
    dp = rng.uniform(-1000, 1000, (m, 3))
    r = rng.uniform(0, 600, n)
    expected = _brute(tp, r, dp)
    for limit in (0, 10**9):  # tree, dense
        ti, dj = euclidean_candidates(tp, r, dp, dense_limit=limit)
        got = list(zip(ti.tolist(), dj.tolist(), strict=True))
        assert set(got) == expected
        assert len(got) == len(expected)  # no duplicates
        assert got == sorted(got)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_pre_gate_keeps_every_pair_inside_the_chi2_gate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 20, 40
    gate = ChiSquareGate(probability=0.9999)
    x = np.zeros((n, 6))
    x[:, :3] = rng.uniform(-300, 300, (n, 3))
    A = rng.normal(size=(n, 3, 3)) * rng.uniform(1, 60, (n, 1, 1))
    P = np.zeros((n, 6, 6))
    P[:, :3, :3] = A @ np.swapaxes(A, 1, 2) + np.eye(3)
    B = rng.normal(size=(m, 3, 3)) * rng.uniform(1, 30, (m, 1, 1))
    R = B @ np.swapaxes(B, 1, 2) + np.eye(3)
    z = rng.uniform(-300, 300, (m, 3))
    d2, _ = mahalanobis_pairwise(x, P, z, R)
    inside = set(zip(*np.nonzero(d2 <= gate.threshold), strict=True))
    radius = gate.euclidean_radius(
        np.trace(P[:, :3, :3], axis1=1, axis2=2), float(np.trace(R, axis1=1, axis2=2).max())
    )
    ti, dj = euclidean_candidates(x[:, :3], radius, z, dense_limit=0)
    candidates = set(zip(ti.tolist(), dj.tolist(), strict=True))
    assert inside <= candidates
    assert inside  # the test draws overlapping gates, so it checks something


def test_candidates_of_empty_sets() -> None:
    ti, dj = euclidean_candidates(np.zeros((0, 3)), np.zeros(0), np.zeros((5, 3)))
    assert ti.shape == dj.shape == (0,)
    ti, dj = euclidean_candidates(np.zeros((3, 3)), np.ones(3), np.zeros((0, 3)))
    assert ti.shape == dj.shape == (0,)
