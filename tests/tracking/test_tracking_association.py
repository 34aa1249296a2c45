"""GNN association: optimality against brute force, solvers agree, permutation invariance, edges."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError
from dronewall.tracking.association import Assignment, GNNAssociator

GNN = GNNAssociator(detection_probability=0.9, clutter_density=1e-6)


def _total(a: GNNAssociator, cost: np.ndarray, asg: Assignment) -> float:
    n, m = cost.shape
    pairs = cost[asg.track, asg.detection] + a.pair_offset
    return float(pairs.sum() + a.miss_cost * (n - len(asg)) + a.new_cost * (m - len(asg)))


def _brute_force(a: GNNAssociator, cost: np.ndarray) -> float:
    """Minimum total cost over every partial matching of feasible pairs."""
    n, m = cost.shape
    best = a.miss_cost * n + a.new_cost * m
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                c = cost[list(rows), list(cols)]
                if np.all(np.isfinite(c)):
                    total = (
                        float(c.sum())
                        + k * a.pair_offset
                        + a.miss_cost * (n - k)
                        + a.new_cost * (m - k)
                    )
                    best = min(best, total)
    return best


def _random_cost(seed: int, n: int, m: int, p_feasible: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(-5.0, 40.0, (n, m))
    cost[rng.random((n, m)) > p_feasible] = np.inf
    return cost


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 4),
    m=st.integers(0, 4),
    p=st.floats(0.0, 1.0),
)
def test_assignment_is_optimal(seed: int, n: int, m: int, p: float) -> None:
    cost = _random_cost(seed, n, m, p)
    asg = GNN.associate_dense(cost)
    assert np.all(np.isfinite(cost[asg.track, asg.detection]))
    assert len(set(asg.track.tolist())) == len(asg)
    assert len(set(asg.detection.tolist())) == len(asg)
    assert _total(GNN, cost, asg) == pytest.approx(_brute_force(GNN, cost), abs=1e-9)
    # every index is either assigned or reported unassigned
    assert sorted([*asg.track.tolist(), *asg.unassigned_tracks.tolist()]) == list(range(n))
    assert sorted([*asg.detection.tolist(), *asg.unassigned_detections.tolist()]) == list(range(m))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(1, 30))
def test_sparse_and_dense_solvers_agree(seed: int, n: int, m: int) -> None:
    cost = _random_cost(seed, n, m, 0.3)
    dense = GNN.associate_dense(cost)
    sparse = GNNAssociator(
        detection_probability=0.9, clutter_density=1e-6, dense_size_limit=0
    ).associate_dense(cost)
    assert _total(GNN, cost, sparse) == pytest.approx(_total(GNN, cost, dense), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12), m=st.integers(0, 12))
def test_permuting_detections_permutes_the_assignment(seed: int, n: int, m: int) -> None:
    cost = _random_cost(seed, n, m, 0.5)
    perm = np.random.default_rng(seed + 1).permutation(m)
    a = GNN.associate_dense(cost)
    b = GNN.associate_dense(cost[:, perm])
    # continuous random costs: the optimum is unique, so the pairs must map exactly
    assert sorted(zip(a.track.tolist(), a.detection.tolist(), strict=True)) == sorted(
        zip(b.track.tolist(), perm[b.detection].tolist(), strict=True)
    )


def test_empty_and_all_infeasible() -> None:
    for shape in [(0, 0), (0, 3), (3, 0)]:
        asg = GNN.associate_dense(np.zeros(shape))
        assert len(asg) == 0
        assert asg.unassigned_tracks.shape == (shape[0],)
        assert asg.unassigned_detections.shape == (shape[1],)
    asg = GNN.associate_dense(np.full((3, 4), np.inf))
    assert len(asg) == 0
    np.testing.assert_array_equal(asg.unassigned_detections, np.arange(4))
    asg = GNN.associate(2, 2, np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0))
    assert len(asg) == 0


def test_obvious_assignment() -> None:
    cost = np.array([[1.0, 9.0, np.inf], [8.0, 2.0, np.inf]])
    asg = GNN.associate_dense(cost)
    np.testing.assert_array_equal(asg.track, [0, 1])
    np.testing.assert_array_equal(asg.detection, [0, 1])
    np.testing.assert_array_equal(asg.unassigned_detections, [2])


def test_confident_track_keeps_its_detection_against_a_vague_one() -> None:
    # track 0 (confident): detection 0 close, detection 1 (clutter) at the gate edge;
    # track 1 (vague, ln det S large) only gates detection 0. Maximising the number of pairs
    # would give 0-1 and 1-0; the likelihood keeps 0-0.
    cost = np.array([[1.0 + 2.0, 20.0 + 2.0], [3.0 + 25.0, np.inf]])
    asg = GNN.associate_dense(cost)
    assert list(zip(asg.track.tolist(), asg.detection.tolist(), strict=True)) == [(0, 0)]


def test_pair_costlier_than_leaving_both_alone_is_not_assigned() -> None:
    limit = GNN.miss_cost + GNN.new_cost - GNN.pair_offset
    assert len(GNN.associate_dense(np.array([[limit + 1.0]]))) == 0
    assert len(GNN.associate_dense(np.array([[limit - 1.0]]))) == 1


@pytest.mark.parametrize(
    "kwargs",
    [{"detection_probability": 1.0}, {"detection_probability": 0.0}, {"clutter_density": 0.0}],
)
def test_invalid_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        GNNAssociator(**kwargs)  # type: ignore[arg-type]
