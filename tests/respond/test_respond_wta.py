"""Weapon-target assignment: exactness against brute force, solver invariants, the public data."""

from __future__ import annotations

import gzip
import itertools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import ConfigError, InputError
from dronewall.respond.wta import (
    WtaProblem,
    WtaSolution,
    assignment_wta,
    greedy_wta,
    milp_wta,
    read_toffolo_instance,
    read_toffolo_results,
    solve_wta,
    vlsn_wta,
)

_SHARED = [
    *(
        [Path(os.environ["DRONEWALL_SHARED_DATA"])]
        if os.environ.get("DRONEWALL_SHARED_DATA")
        else []
    ),
    Path(__file__).resolve().parents[2].parent / "shared" / "data",
    Path("/work/shared/data"),
]
SHARED_WTA = next((p for p in _SHARED if p.is_dir()), _SHARED[0]) / "wta-toffolo"


def shared_wta(name: str) -> Path:
    path = SHARED_WTA / name
    if not path.exists():
        pytest.skip(f"shared WTA data not present: {path} (see ../shared/data/wta-toffolo)")
    return path


def random_problem(seed: int, *, max_w: int = 5, max_t: int = 3, fire_all: bool = False):
    rng = np.random.default_rng(seed)
    n_w, n_t = int(rng.integers(1, max_w + 1)), int(rng.integers(1, max_t + 1))
    pk = rng.uniform(0.05, 0.95, (n_w, n_t))
    pk[rng.random((n_w, n_t)) < 0.2] = 0.0
    allowed = rng.random((n_w, n_t)) > 0.1
    if fire_all:  # every weapon keeps a feasible target
        pk[:, 0] = np.maximum(pk[:, 0], 0.1)
        allowed[:, 0] = True
    rounds = rng.integers(1, 3, n_w)
    while rounds.sum() > 6:  # keep brute force at most 4^6 assignments
        rounds[np.argmax(rounds)] -= 1
    return WtaProblem(
        values=rng.uniform(1.0, 10.0, n_t),
        pk=pk,
        cost=rng.uniform(0.0, 5.0, (n_w, n_t)) if seed % 2 else rng.uniform(0.0, 5.0, n_w),
        weight=float(rng.choice([0.0, 0.2, 1.0])),
        rounds=rounds,
        allowed=allowed,
        fire_all=fire_all,
    )


def brute_force(problem: WtaProblem) -> float:
    """The optimum by enumerating every assignment of every shot (tiny problems only)."""
    best = np.inf
    feas = problem.feasible[problem.shot_weapon]
    for a in itertools.product(range(-1, problem.n_targets), repeat=problem.n_shots):
        arr = np.array(a, np.int64)
        fired = arr >= 0
        if problem.fire_all and not fired.all():
            continue
        if not feas[np.flatnonzero(fired), arr[fired]].all():
            continue
        best = min(best, problem.objective(problem.counts(arr)))
    return float(best)


def assert_valid(problem: WtaProblem, sol: WtaSolution) -> None:
    a = sol.assignment
    assert a.shape == (problem.n_shots,)
    fired = a >= 0
    assert problem.feasible[problem.shot_weapon[fired], a[fired]].all()  # never infeasible
    assert (sol.counts.sum(axis=1) <= problem.rounds).all()  # never more shots than rounds
    assert np.array_equal(sol.counts, problem.counts(a))
    assert sol.objective == pytest.approx(problem.objective(sol.counts), rel=1e-12, abs=1e-12)
    if problem.fire_all:
        assert fired.all()


# ------------------------------------------------------------------ exactness and ordering
@pytest.mark.parametrize("seed", range(24))
def test_milp_equals_brute_force_and_heuristics_are_never_better(seed: int) -> None:
    problem = random_problem(seed, fire_all=seed % 5 == 4)
    opt = brute_force(problem)
    m = milp_wta(problem)
    assert m.optimal
    assert m.objective == pytest.approx(opt, rel=1e-7, abs=1e-9)
    assert m.lower_bound <= m.objective + 1e-9
    assert m.lower_bound == pytest.approx(opt, rel=1e-6, abs=1e-9)
    for sol in (greedy_wta(problem), assignment_wta(problem), m):
        assert_valid(problem, sol)
        assert sol.objective >= opt - 1e-9
    for start in ("assignment", "greedy"):
        init = assignment_wta(problem) if start == "assignment" else greedy_wta(problem)
        v = vlsn_wta(problem, start)
        assert_valid(problem, v)
        assert opt - 1e-9 <= v.objective <= init.objective + 1e-12


def test_vlsn_improves_on_both_constructions_somewhere() -> None:
    """The search does work: on some of these instances it beats both constructions."""
    gains = 0
    for seed in range(40):
        problem = random_problem(seed, max_w=6, max_t=3)
        g, a = greedy_wta(problem), assignment_wta(problem)
        v = vlsn_wta(problem)
        assert v.objective <= min(g.objective, a.objective) + 1e-12
        gains += v.objective < min(g.objective, a.objective) - 1e-9
    assert gains >= 1


def test_hand_example() -> None:
    """Two single-shot weapons, two targets: p = [[0.9, 0.5], [0.8, 0.1]], V = [10, 6].

    Options: (0→0, 1→0): 10·0.1·0.2 + 6 = 6.2; (0→1, 1→0): 10·0.2 + 6·0.5 = 5.0;
    (0→0, 1→1): 10·0.1 + 6·0.9 = 6.4. Optimum 5.0, which the greedy misses: it fires the 0.9
    at target 0 first (gain 9.0), then weapon 1 there too (gain 0.8 against 0.6 at target 1).
    """
    problem = WtaProblem(values=[10.0, 6.0], pk=[[0.9, 0.5], [0.8, 0.1]])
    g = greedy_wta(problem)
    assert g.objective == pytest.approx(6.2)
    assert g.assignment.tolist() == [0, 0]
    for sol in (vlsn_wta(problem), milp_wta(problem)):
        assert sol.objective == pytest.approx(5.0)
        assert sol.assignment.tolist() == [1, 0]
        assert sol.survival.tolist() == pytest.approx([0.2, 0.5])


# ------------------------------------------------------------------ cost trade-off
def test_larger_weight_fires_fewer_shots() -> None:
    rng = np.random.default_rng(7)
    n_w, n_t = 5, 3
    problem0 = WtaProblem(values=rng.uniform(1, 10, n_t), pk=rng.uniform(0.2, 0.9, (n_w, n_t)))
    shots_milp, shots_greedy, costs = [], [], []
    for lam in (0.0, 0.3, 1.0, 2.0, 4.0, 8.0, 100.0):
        problem = WtaProblem(values=problem0.values, pk=problem0.pk, cost=np.ones(n_w), weight=lam)
        m = milp_wta(problem)
        assert m.objective == pytest.approx(brute_force(problem), rel=1e-7)
        shots_milp.append(m.shots_fired)
        costs.append(m.cost)
        shots_greedy.append(greedy_wta(problem).shots_fired)
    assert shots_milp[0] == n_w  # free shots: all fired
    assert shots_milp[-1] == 0  # a shot dearer than every target: none fired
    assert all(b <= a for a, b in itertools.pairwise(shots_milp))
    assert all(b <= a for a, b in itertools.pairwise(shots_greedy))
    assert len(set(shots_milp)) >= 3  # the trade-off is gradual, not all-or-nothing


def test_fire_all_fires_every_shot_even_at_a_loss() -> None:
    problem = WtaProblem(
        values=[1.0, 2.0], pk=[[0.5, 0.0], [0.3, 0.6]], cost=[10.0, 10.0], weight=1.0,
        fire_all=True,
    )  # fmt: skip
    free = WtaProblem(values=[1.0, 2.0], pk=problem.pk, cost=problem.cost, weight=1.0)
    for solve in (greedy_wta, assignment_wta, vlsn_wta, milp_wta):
        sol = solve(problem)
        assert_valid(problem, sol)
        assert sol.shots_fired == 2
        assert solve(free).shots_fired == 0
    assert milp_wta(problem).objective == pytest.approx(brute_force(problem))


# ------------------------------------------------------------------ invariants
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), fire_all=st.booleans())
def test_solutions_are_valid_and_permutation_invariant(seed: int, fire_all: bool) -> None:
    problem = random_problem(seed, max_w=8, max_t=5, fire_all=fire_all)
    rng = np.random.default_rng(seed + 1)
    pw = rng.permutation(problem.n_weapons)
    pt = rng.permutation(problem.n_targets)
    perm = WtaProblem(
        values=problem.values[pt],
        pk=problem.pk[np.ix_(pw, pt)],
        cost=problem.cost[np.ix_(pw, pt)],
        weight=problem.weight,
        rounds=problem.rounds[pw],
        allowed=problem.allowed[np.ix_(pw, pt)],
        fire_all=fire_all,
    )
    for solve in (greedy_wta, assignment_wta, vlsn_wta):
        sol, sol_p = solve(problem), solve(perm)
        assert_valid(problem, sol)
        assert_valid(perm, sol_p)
        assert sol_p.objective == pytest.approx(sol.objective, rel=1e-9, abs=1e-12)
    g, g_p = greedy_wta(problem), greedy_wta(perm)
    assert np.array_equal(g_p.counts, g.counts[np.ix_(pw, pt)])  # the same choices, relabelled


def test_single_shot_weapon_is_assigned_at_most_once_and_masks_hold() -> None:
    rng = np.random.default_rng(3)
    n_w, n_t = 12, 6
    pk = rng.uniform(0.1, 0.9, (n_w, n_t))
    allowed = rng.random((n_w, n_t)) > 0.5
    pk[:, 0] = 0.0  # target 0 out of every envelope
    problem = WtaProblem(values=rng.uniform(1, 5, n_t), pk=pk, allowed=allowed)
    for sol in (greedy_wta(problem), assignment_wta(problem), vlsn_wta(problem)):
        assert (sol.counts <= 1).all()
        assert (sol.counts.sum(axis=1) <= 1).all()
        assert sol.counts[:, 0].sum() == 0
        assert (sol.counts[~allowed] == 0).all()
        assert sol.survival[0] == 1.0


def test_solve_wta_dispatches_and_milp_bounds() -> None:
    problem = random_problem(11)
    m = solve_wta(problem, "milp", time_limit_s=20.0)
    assert m.solver == "milp"
    assert m.optimal
    assert m.gap == pytest.approx(0.0, abs=1e-6)
    assert solve_wta(problem, "greedy").solver == "greedy"
    assert np.isnan(solve_wta(problem, "vlsn").gap)
    with pytest.raises(ConfigError) as err:
        solve_wta(problem, "annealing")  # type: ignore[arg-type]
    assert err.value.field == "method"


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": [1.0, 2.0], "pk": [[0.5, 0.5, 0.5]]}, "pk"),
        ({"values": [1.0], "pk": [0.5]}, "pk"),
        ({"values": [[1.0]], "pk": [[0.5]]}, "values"),
        ({"values": [-1.0], "pk": [[0.5]]}, "values"),
        ({"values": [np.nan], "pk": [[0.5]]}, "values"),
        ({"values": [1.0, 1.0], "pk": [[0.5, 1.5]]}, "pk[0, 1]"),
        ({"values": [1.0], "pk": [[np.nan]]}, "pk[0, 0]"),
        ({"values": [1.0], "pk": [["x"]]}, "pk"),
        ({"values": [1.0], "pk": [[0.5]], "cost": [1.0, 2.0]}, "cost"),
        ({"values": [1.0], "pk": [[0.5]], "cost": [-1.0]}, "cost"),
        ({"values": [1.0], "pk": [[0.5]], "weight": -0.1}, "weight"),
        ({"values": [1.0], "pk": [[0.5]], "weight": np.inf}, "weight"),
        ({"values": [1.0], "pk": [[0.5]], "rounds": [1.5]}, "rounds"),
        ({"values": [1.0], "pk": [[0.5]], "rounds": [1, 1]}, "rounds"),
        ({"values": [1.0], "pk": [[0.5]], "rounds": [-1]}, "rounds"),
        ({"values": [1.0], "pk": [[0.5]], "allowed": [[1]]}, "allowed"),
        ({"values": [1.0], "pk": [[0.5]], "allowed": np.ones((2, 1), bool)}, "allowed"),
        ({"values": [1.0], "pk": [[0.0]], "fire_all": True}, "pk[0, :]"),
    ],
)
def test_bad_inputs_name_the_array(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        WtaProblem(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert isinstance(err.value, ValueError)


def test_bad_solver_options_and_assignments() -> None:
    problem = WtaProblem(values=[1.0, 2.0], pk=[[0.5, 0.0], [0.3, 0.6]])
    with pytest.raises(ConfigError, match="infeasible"):
        problem.check([1, 1])  # weapon 0 cannot reach target 1
    with pytest.raises(ConfigError) as err:
        problem.check([0])
    assert err.value.field == "assignment"
    for kwargs in ({"max_length": 0}, {"labels": 0}, {"start": "random"}):
        with pytest.raises(ConfigError):
            vlsn_wta(problem, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        milp_wta(problem, time_limit_s=0.0)


def test_problem_arrays_are_read_only_and_normalised() -> None:
    problem = WtaProblem(values=[1.0, 2.0], pk=[[0.5, 0.2]], cost=[3.0], rounds=[2])
    assert problem.cost.shape == (1, 2)
    assert problem.cost.tolist() == [[3.0, 3.0]]
    assert problem.shot_weapon.tolist() == [0, 0]
    assert problem.n_shots == 2
    with pytest.raises(ValueError, match="read-only"):
        problem.pk[0, 0] = 0.9


# ------------------------------------------------------------------ the public instances
def test_reads_the_public_instance_and_vlsn_reaches_the_best_known_value() -> None:
    problem = read_toffolo_instance(shared_wta("wta_50x100x1.txt.gz"))
    assert (problem.n_weapons, problem.n_targets) == (50, 100)
    assert problem.rounds.tolist() == [1] * 50
    assert problem.values[:3].tolist() == [13.0, 60.0, 71.0]
    assert problem.values.sum() == 5521.0
    assert problem.pk[0, 0] == 0.409311426086
    assert problem.pk[49, 99] == 0.792880953021
    best = read_toffolo_results(shared_wta("results.csv"))
    assert best[(50, 100, 1)].upper_bound == 1734.302257  # probchain, delta 0.001
    assert best[(50, 100, 3)].upper_bound == 20.589861
    assert best[(50, 100, 3)].lower_bound == 20.587974
    assert len(best) == 30
    g = greedy_wta(problem)
    v = vlsn_wta(problem, time_limit_s=20.0)
    assert v.objective == pytest.approx(1734.3023, abs=1e-3)  # proven optimal in the paper
    assert g.objective > v.objective  # the greedy alone is 3.9 % above


def test_mu_is_read_as_rounds_per_weapon() -> None:
    problem = read_toffolo_instance(shared_wta("wta_50x100x3.txt.gz"))
    assert problem.rounds.tolist() == [3] * 50
    assert problem.n_shots == 150
    sol = greedy_wta(problem)
    assert sol.shots_fired == 150  # free shots: every one is fired
    assert sol.counts.sum(axis=1).max() == 3


GOOD = "2 2 1\n5\n7\n0 0 0.5\n0 1 0.25\n1 0 0.1\n1 1 0.9\n"


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("", 1, "empty"),
        ("2 2\n", 1, "header"),
        ("2 2 x\n", 1, "header"),
        ("0 2 1\n", 1, "positive"),
        (GOOD.replace("\n7\n", "\nseven\n"), 3, "number"),
        (GOOD.replace("\n7\n", "\n-7\n"), 3, ">= 0"),
        (GOOD.replace("0 1 0.25", "0 1"), 5, "w t p"),
        (GOOD.replace("0 1 0.25", "0 2 0.25"), 5, "out of range"),
        (GOOD.replace("0 1 0.25", "0 1 1.25"), 5, r"\[0, 1\]"),
        (GOOD.replace("0 1 0.25", "0 0 0.25"), 5, "twice"),
        (GOOD.rsplit("1 1 0.9\n", 1)[0], 7, "number of lines"),
        (GOOD + "1 1 0.3\n", 8, "number of lines"),
    ],
)
def test_malformed_instance_files_say_where(
    tmp_path: Path, text: str, line: int, match: str
) -> None:
    path = tmp_path / "bad.txt.gz"
    with gzip.open(path, "wt", encoding="ascii") as fh:
        fh.write(text)
    with pytest.raises(InputError, match=match) as err:
        read_toffolo_instance(path)
    assert err.value.line == line
    assert err.value.source == str(path)


def test_good_small_file_and_bad_results_row(tmp_path: Path) -> None:
    path = tmp_path / "ok.txt"
    path.write_text(GOOD, encoding="ascii")
    problem = read_toffolo_instance(path)
    assert problem.pk.tolist() == [[0.5, 0.25], [0.1, 0.9]]
    assert milp_wta(problem).objective == pytest.approx(brute_force(problem))
    res = tmp_path / "results.csv"
    res.write_text("Approach: x\n\n,|W|,|T|,\\mi,delta,LB,UB,Gap,Time(s)\n,5,6,1,,a,2,0%,1\n")
    with pytest.raises(InputError) as err:
        read_toffolo_results(res)
    assert err.value.line == 4
    with pytest.raises(InputError, match="cannot read"):
        read_toffolo_instance(tmp_path / "absent.txt")


@pytest.mark.parametrize(("n_w", "n_t"), [(0, 3), (3, 0), (0, 0)])
def test_empty_problems(n_w: int, n_t: int) -> None:
    problem = WtaProblem(values=np.ones(n_t), pk=np.zeros((n_w, n_t)))
    for solve in (greedy_wta, assignment_wta, vlsn_wta, milp_wta):
        sol = solve(problem)
        assert sol.objective == float(n_t)  # nothing can be shot: every value survives
        assert sol.assignment.tolist() == [-1] * n_w


def test_certain_kills() -> None:
    """p = 1 has no finite log: the MILP floors q at 1e-12 and still finds the exact optimum."""
    problem = WtaProblem(values=[1.0, 2.0], pk=[[1.0, 0.5], [1.0, 1.0]])
    for solve in (greedy_wta, assignment_wta, vlsn_wta, milp_wta):
        sol = solve(problem)
        assert sol.objective == 0.0
        assert sol.assignment.tolist() == [0, 1]
