"""The static weapon-target assignment (WTA) problem and its solutions, as arrays.

Data layout
-----------
``W`` weapons (fire units, launchers, weapon types) against ``T`` targets. Weapon ``w`` holds
``rounds[w]`` single shots; inside, the problem is expanded to ``S = Σ_w rounds[w]`` *shots*
(shot ``s`` belongs to weapon ``shot_weapon[s]``, shots ordered weapon by weapon), each fired at
most once, so a weapon with several rounds may fire several of them at the same target. A
solution is the vector ``assignment (S,)``: the target of each shot, ``-1`` when it is not fired.

Model
-----
With kill probabilities ``p (W, T)``, target values ``V (T,)``, costs per shot ``c (W, T)`` and
a weight ``λ`` (value units per cost unit), the integer counts ``x[w, t]`` minimise::

    F(x) = Σ_t V_t Π_w (1 − p[w, t])^x[w, t]  +  λ Σ_{w,t} c[w, t] x[w, t]
    s.t.   Σ_t x[w, t] ≤ rounds[w]   (= rounds[w] when ``fire_all``),   x[w, t] ∈ ℕ,
           x[w, t] = 0 where the pair is infeasible (p = 0 or ``allowed`` False).

The first term is the expected surviving value (``V_t`` times the survival probability of
target ``t``); the second the weighted cost of the shots. With ``λ > 0`` leaving a weapon
unfired can be optimal. Kill events are assumed independent (the classical WTA model: Manne
1958; Ahuja, Kumar, Jha, Orlin 2007, Operations Research 55(6):1136-1146, eq. (1)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: Survival floor used where p = 1 inside the log-linear MILP and the exchange moves (a kill
#: probability of exactly 1 has no finite log); the error it brings is at most ``V_t`` times it.
Q_FLOOR = 1e-12


def _as_f64(value: ArrayLike, name: str, ndim: int) -> F64:
    try:
        arr: F64 = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError("cannot be read as numbers", field=name, actual=repr(exc)) from exc
    if arr.ndim != ndim:
        raise ConfigError(
            f"must have {ndim} dimension(s)", field=name, expected=f"ndim {ndim}",
            actual=f"shape {arr.shape}",
        )  # fmt: skip
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class WtaProblem:
    """A static WTA instance (see the module docstring for the model).

    Parameters
    ----------
    values : (T,) float64
        Target values ``V_t ≥ 0`` (any value unit: site value times threat, EUR, points).
    pk : (W, T) float64
        Kill probability of one shot of weapon ``w`` at target ``t``, in ``[0, 1]``; 0 where the
        pair is infeasible (envelope, rules of engagement, time).
    cost : (W,) or (W, T) float64, optional
        Cost of one shot, ``≥ 0`` (e.g. EUR); ``(W,)`` is broadcast over targets. Default 0.
    weight : float
        ``λ ≥ 0``, value units per cost unit. Default 0 (cost ignored).
    rounds : (W,) int64, optional
        Shots each weapon may fire, ``≥ 0``. Default 1 each (single-shot weapons).
    allowed : (W, T) bool, optional
        Pairs that may be assigned; ``False`` forbids a pair even with ``pk > 0``. Default all.
    fire_all : bool
        Every shot must be fired (``Σ_t x[w, t] = rounds[w]``), the classical WTA. Default False:
        a shot is fired only when it pays. With ``fire_all`` each weapon needs a feasible target.

    Raises
    ------
    ConfigError
        An array of the wrong shape, a non-finite or out-of-range value; its ``field`` names it.
    """

    values: F64
    pk: F64
    cost: F64 = field(default_factory=lambda: np.zeros(0))
    weight: float = 0.0
    rounds: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    allowed: B = field(default_factory=lambda: np.zeros((0, 0), np.bool_))
    fire_all: bool = False

    def __post_init__(self) -> None:
        values = _as_f64(self.values, "values", 1)
        pk = _as_f64(self.pk, "pk", 2)
        n_t = values.shape[0]
        n_w = pk.shape[0]
        if pk.shape[1] != n_t:
            raise ConfigError(
                "pk must be (W, T) with T = len(values)", field="pk",
                expected=f"(W, {n_t})", actual=f"shape {pk.shape}",
            )  # fmt: skip
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ConfigError("must be finite and >= 0", field="values")
        if not np.all(np.isfinite(pk)) or np.any((pk < 0) | (pk > 1)):
            bad = np.argwhere(~((pk >= 0) & (pk <= 1)))[0]
            raise ConfigError(
                "must lie in [0, 1]", field=f"pk[{bad[0]}, {bad[1]}]",
                actual=str(pk[bad[0], bad[1]]),
            )  # fmt: skip
        cost_in = np.asarray(self.cost)
        cost: F64
        if cost_in.size == 0 and cost_in.ndim == 1:
            cost = np.zeros((n_w, n_t))
        else:
            cost = _as_f64(self.cost, "cost", cost_in.ndim)
            if tuple(cost.shape) == (n_w,):
                cost = np.repeat(cost[:, None], n_t, axis=1)
            elif cost.shape != (n_w, n_t):
                raise ConfigError(
                    "must be (W,) or (W, T)", field="cost",
                    expected=f"({n_w},) or ({n_w}, {n_t})", actual=f"shape {cost.shape}",
                )  # fmt: skip
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ConfigError("must be finite and >= 0", field="cost")
        weight = float(self.weight)
        if not np.isfinite(weight) or weight < 0:
            raise ConfigError("must be finite and >= 0", field="weight", actual=str(weight))
        rounds_in = np.asarray(self.rounds)
        if rounds_in.size == 0 and rounds_in.ndim == 1:
            rounds = np.ones(n_w, np.int64)
        else:
            rounds_f = _as_f64(self.rounds, "rounds", 1)
            if rounds_f.shape != (n_w,):
                raise ConfigError(
                    "must be (W,)", field="rounds", expected=f"({n_w},)",
                    actual=f"shape {rounds_f.shape}",
                )  # fmt: skip
            if not np.all(np.isfinite(rounds_f)) or np.any(
                (rounds_f < 0) | (rounds_f != np.round(rounds_f))
            ):
                raise ConfigError("must be whole numbers >= 0", field="rounds")
            rounds = rounds_f.astype(np.int64)
        allowed_in = np.asarray(self.allowed)
        if allowed_in.size == 0 and allowed_in.shape == (0, 0):
            allowed = np.ones((n_w, n_t), np.bool_)
        else:
            if allowed_in.dtype != np.bool_:
                raise ConfigError("must be a boolean array", field="allowed")
            if allowed_in.shape != (n_w, n_t):
                raise ConfigError(
                    "must be (W, T)", field="allowed", expected=f"({n_w}, {n_t})",
                    actual=f"shape {allowed_in.shape}",
                )  # fmt: skip
            allowed = allowed_in.copy()
        feasible = allowed & (pk > 0)
        if self.fire_all:
            stuck = np.flatnonzero((rounds > 0) & ~feasible.any(axis=1))
            if stuck.size:
                raise ConfigError(
                    "fire_all: a weapon with rounds has no feasible target",
                    field=f"pk[{int(stuck[0])}, :]",
                )
        for name, arr in (
            ("values", values), ("pk", pk), ("cost", cost), ("rounds", rounds),
            ("allowed", allowed),
        ):  # fmt: skip
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "weight", weight)

    # ----------------------------------------------------------------- derived
    @property
    def n_weapons(self) -> int:
        """``W``."""
        return int(self.pk.shape[0])

    @property
    def n_targets(self) -> int:
        """``T``."""
        return int(self.values.shape[0])

    @property
    def feasible(self) -> B:
        """``(W, T)`` pairs that may be assigned: ``allowed`` and ``pk > 0``."""
        out: B = self.allowed & (self.pk > 0)
        return out

    @property
    def shot_weapon(self) -> I64:
        """``(S,)`` weapon of each shot, shots ordered weapon by weapon."""
        out: I64 = np.repeat(np.arange(self.n_weapons, dtype=np.int64), self.rounds)
        return out

    @property
    def n_shots(self) -> int:
        """``S = Σ rounds``."""
        return int(self.rounds.sum())

    def counts(self, assignment: ArrayLike) -> I64:
        """``(W, T)`` shots per weapon and target of a shot assignment ``(S,)``."""
        a = np.asarray(assignment, np.int64)
        x = np.zeros((self.n_weapons, self.n_targets), np.int64)
        fired = a >= 0
        np.add.at(x, (self.shot_weapon[fired], a[fired]), 1)
        return x

    def survival(self, counts: I64) -> F64:
        """``(T,)`` survival probability ``Π_w (1 − p[w, t])^x[w, t]`` of counts ``(W, T)``."""
        out: F64 = np.prod((1.0 - self.pk) ** counts, axis=0)
        return out

    def objective(self, counts: I64) -> float:
        """``F(x)`` of counts ``(W, T)``: expected surviving value plus ``λ`` times the cost."""
        return float(self.values @ self.survival(counts) + self.weight * np.sum(self.cost * counts))

    def check(self, assignment: ArrayLike) -> None:
        """Raise :class:`ConfigError` unless ``assignment (S,)`` is feasible for this problem."""
        a = np.asarray(assignment)
        if a.shape != (self.n_shots,):
            raise ConfigError(
                "must be (S,)", field="assignment", expected=f"({self.n_shots},)",
                actual=f"shape {a.shape}",
            )  # fmt: skip
        if np.any((a < -1) | (a >= self.n_targets)):
            raise ConfigError("targets must lie in -1..T-1", field="assignment")
        fired = a >= 0
        if not np.all(self.feasible[self.shot_weapon[fired], a[fired]]):
            raise ConfigError("an infeasible pair is assigned", field="assignment")
        if self.fire_all and not np.all(fired):
            raise ConfigError("fire_all: every shot must be fired", field="assignment")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class WtaSolution:
    """A WTA solution and how it was found.

    Attributes
    ----------
    assignment : (S,) int64
        Target of each shot (``-1`` not fired), shots ordered weapon by weapon as
        :attr:`WtaProblem.shot_weapon`; with single-shot weapons ``S = W`` and this is ``a[w]``.
    counts : (W, T) int64
        Shots of each weapon at each target.
    objective : float
        ``F(x)``, value units.
    surviving_value : float
        ``Σ_t V_t · survival_t``, value units.
    cost : float
        ``Σ c x`` (unweighted), cost units.
    survival : (T,) float64
        Survival probability of each target.
    solver : str
        ``"greedy"``, ``"assignment"``, ``"vlsn"`` or ``"milp"``.
    time_s : float
        Wall time of the solver, s.
    lower_bound : float
        A proven lower bound on the optimum (``nan`` when unknown; ``objective`` when optimal).
    optimal : bool
        Proven optimal (within the MILP's tolerance).
    iterations : int
        Improving exchanges (VLSN) or cutting-plane rounds (MILP); 0 otherwise.
    """

    assignment: I64
    counts: I64
    objective: float
    surviving_value: float
    cost: float
    survival: F64
    solver: str
    time_s: float
    lower_bound: float = float("nan")
    optimal: bool = False
    iterations: int = 0

    @property
    def gap(self) -> float:
        """Relative gap ``(objective − lower_bound) / objective`` (``nan`` without a bound)."""
        if not np.isfinite(self.lower_bound):
            return float("nan")
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)

    @property
    def shots_fired(self) -> int:
        """Number of shots fired."""
        return int(np.count_nonzero(self.assignment >= 0))


def make_solution(
    problem: WtaProblem,
    assignment: ArrayLike,
    solver: str,
    t_start: float,
    *,
    lower_bound: float = float("nan"),
    optimal: bool = False,
    iterations: int = 0,
) -> WtaSolution:
    """Check ``assignment (S,)`` and evaluate it exactly into a :class:`WtaSolution`.

    ``t_start`` is the solver's :func:`time.perf_counter` at its start.
    """
    a = np.asarray(assignment, np.int64).copy()
    problem.check(a)
    x = problem.counts(a)
    surv = problem.survival(x)
    sv = float(problem.values @ surv)
    cost = float(np.sum(problem.cost * x))
    a.setflags(write=False)
    x.setflags(write=False)
    surv.setflags(write=False)
    return WtaSolution(
        assignment=a,
        counts=x,
        objective=sv + problem.weight * cost,
        surviving_value=sv,
        cost=cost,
        survival=surv,
        solver=solver,
        time_s=time.perf_counter() - t_start,
        lower_bound=lower_bound,
        optimal=optimal,
        iterations=iterations,
    )
