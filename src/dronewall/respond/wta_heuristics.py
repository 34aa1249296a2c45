"""Heuristics for the static WTA problem: greedy, assignment construction, VLSN.

Data layout
-----------
As :mod:`dronewall.respond.wta_model`: ``pk (W, T)``, ``values (T,)``, weapons expanded into
``S`` shots; a solution is ``assignment (S,)`` (target per shot, ``-1`` not fired). Inside the
neighbourhood search the unfired shots form one extra "target" of index ``T`` (value 0, cost 0),
so every move is a move between subsets of one partition of the shots.

Algorithms
----------
``greedy_wta``
    Maximum marginal return (den Broeder, Ellison, Emerling 1959; Ahuja et al. 2007 §6.1): at each
    step the (weapon, target) pair of largest net gain ``V_t S_t p[w,t] − λ c[w,t]`` (``S_t`` the
    target's current survival) takes one shot; stop when no gain is positive (with ``fire_all``,
    until every shot is fired). One ``(W, T)`` argmax per shot, one column update per shot.
``assignment_wta``
    Assignment-based construction after Ahuja et al. 2007 §6.2 (their minimum-cost-flow
    construction): each target ``t`` offers ``K`` slots; a shot of weapon ``w`` in slot ``k`` is
    charged ``−V_t p[w,t] (1 − p[w,t])^(k−1) + λ c[w,t]``, its marginal return if the ``k − 1``
    earlier shots at ``t`` had its own kill probability (exact for one weapon type per target;
    the marginal returns fall with ``k``, so slots fill in order). Unfired shots take zero-cost
    dummy columns. The bipartite problem is solved exactly by
    :func:`scipy.optimize.linear_sum_assignment` (a min-cost flow on a bipartite graph) and the
    result is then evaluated with the true, non-separable objective.
``vlsn_wta``
    Very large-scale neighbourhood search (Ahuja et al. 2007 §7; Thompson & Orlin 1989 cyclic
    exchange; Ahuja, Orlin, Sharma 2001): the improvement graph has a node per shot; arc
    ``i → j`` (``a_i ≠ a_j``) means "shot ``i`` moves to ``j``'s target, ``j`` leaves", of cost
    the exact change of that target's term ``V S (q_i / q_j − 1) + λ (c_i − c_j)``. A cycle whose
    nodes lie in distinct targets (subset-disjoint) is a cyclic exchange whose cost is the sum of
    its arc costs; a path ending in "enter target ``t``, nobody leaves" and starting with the
    removal of its first shot is a path exchange (this covers single moves, swaps, fire/unfire).
    Negative subset-disjoint cycles and paths are found by the label-correcting heuristic of
    Ahuja et al.: one label (the best path) per node, extended arc by arc up to ``max_length``,
    subset-disjointness checked on the stored path, labels kept only while a prefix is negative
    (every negative cycle has a rotation with all prefix sums negative). Each round evaluates the
    whole ``(S, S)`` graph batched; every negative exchange found is collected and a greedy set of
    mutually disjoint ones (no shared target or shot) is applied at once; rounds repeat until no
    negative exchange is found or the time limit.

What is left out of the paper's VLSN: the exact (exponential) search for subset-disjoint cycles;
the paper's two-exchange preprocessing; multiple labels per node. The search is a heuristic: it
stops at a local optimum of the neighbourhood it samples.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from dronewall.core.errors import ConfigError
from dronewall.respond.wta_model import Q_FLOOR, WtaProblem, WtaSolution, make_solution

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

#: Least improvement (value units, relative to the objective) an exchange must bring.
_REL_EPS = 1e-12


def counts_to_assignment(problem: WtaProblem, counts: I64) -> I64:
    """Shot assignment ``(S,)`` of counts ``(W, T)`` (each weapon's shots by ascending target)."""
    n_w, n_t = problem.n_weapons, problem.n_targets
    flat = counts.ravel()
    tgt = np.repeat(np.tile(np.arange(n_t, dtype=np.int64), n_w), flat)
    wpn = np.repeat(np.repeat(np.arange(n_w, dtype=np.int64), n_t), flat)
    first_shot = np.concatenate(([0], np.cumsum(problem.rounds)[:-1])).astype(np.int64)
    first_fired = np.concatenate(([0], np.cumsum(counts.sum(axis=1))[:-1])).astype(np.int64)
    rank = np.arange(tgt.shape[0], dtype=np.int64) - first_fired[wpn]
    out = np.full(problem.n_shots, -1, np.int64)
    out[first_shot[wpn] + rank] = tgt
    return out


def greedy_wta(problem: WtaProblem) -> WtaSolution:
    """Maximum-marginal-return greedy (see the module docstring).

    Parameters
    ----------
    problem : WtaProblem
        The instance.

    Returns
    -------
    WtaSolution
        ``solver="greedy"``, no bound.
    """
    t0 = time.perf_counter()
    v, p, feas = problem.values, problem.pk, problem.feasible
    lam_c = problem.weight * problem.cost
    left = problem.rounds.copy()
    surv = np.ones(problem.n_targets)
    x = np.zeros((problem.n_weapons, problem.n_targets), np.int64)
    gain = np.where(feas & (left > 0)[:, None], v[None, :] * p - lam_c, -np.inf)
    n_t = problem.n_targets
    while gain.size:
        k = int(np.argmax(gain))
        w, t = divmod(k, n_t)
        g = gain[w, t]
        if not np.isfinite(g) or (g <= 0.0 and not problem.fire_all):
            break
        x[w, t] += 1
        left[w] -= 1
        surv[t] *= 1.0 - p[w, t]
        if left[w] == 0:
            gain[w, :] = -np.inf
        col = feas[:, t] & (left > 0)
        gain[:, t] = np.where(col, v[t] * surv[t] * p[:, t] - lam_c[:, t], -np.inf)
    return make_solution(problem, counts_to_assignment(problem, x), "greedy", t0)


def assignment_wta(problem: WtaProblem, slots: int | None = None) -> WtaSolution:
    """Assignment-based construction (see the module docstring).

    Parameters
    ----------
    problem : WtaProblem
        The instance.
    slots : int or None
        Slots per target ``K``; default ``min(S, ceil(S / T) + 3)``.

    Returns
    -------
    WtaSolution
        ``solver="assignment"``, no bound.
    """
    t0 = time.perf_counter()
    n_s, n_t = problem.n_shots, problem.n_targets
    if n_s == 0 or n_t == 0:
        return make_solution(problem, np.full(n_s, -1, np.int64), "assignment", t0)
    k_slots = min(n_s, -(-n_s // n_t) + 3) if slots is None else int(slots)
    if k_slots < 1:
        raise ConfigError("must be >= 1", field="slots", actual=str(slots))
    sw = problem.shot_weapon
    p = problem.pk[sw]  # (S, T)
    feas = problem.feasible[sw]
    lam_c = problem.weight * problem.cost[sw]
    rank = np.arange(k_slots, dtype=np.float64)
    # (S, T, K): marginal return of the k-th shot if the earlier ones were like this one
    ret = problem.values[None, :, None] * p[:, :, None] * (1.0 - p[:, :, None]) ** rank
    cost = np.where(feas[:, :, None], lam_c[:, :, None] - ret, np.inf).reshape(n_s, n_t * k_slots)
    if not problem.fire_all:
        cost = np.concatenate([cost, np.zeros((n_s, n_s))], axis=1)
    rows, cols = linear_sum_assignment(cost)
    a = np.full(n_s, -1, np.int64)
    real = cols < n_t * k_slots
    a[rows[real]] = cols[real] // k_slots
    return make_solution(problem, a, "assignment", t0)


class _Search:
    """State of the exchange search: the partition of the shots and the survival per subset."""

    def __init__(self, problem: WtaProblem, a: I64) -> None:
        n_t = problem.n_targets
        sw = problem.shot_weapon
        self.n_s = problem.n_shots
        self.u = n_t  # index of the unfired subset
        self.v = np.append(problem.values, 0.0)
        q = np.maximum(1.0 - problem.pk[sw], Q_FLOOR)
        self.q = np.concatenate([q, np.ones((self.n_s, 1))], axis=1)  # (S, T+1)
        self.feas = np.concatenate(
            [problem.feasible[sw], np.full((self.n_s, 1), not problem.fire_all)], axis=1
        )
        self.lc = np.concatenate(
            [problem.weight * problem.cost[sw], np.zeros((self.n_s, 1))], axis=1
        )
        self.a = np.where(a >= 0, a, n_t).astype(np.int64)
        self.idx = np.arange(self.n_s)

    def survival(self) -> F64:
        s = np.ones(self.u + 1)
        np.multiply.at(s, self.a, self.q[self.idx, self.a])
        return s

    def value(self) -> float:
        s = self.survival()
        return float(self.v @ s + self.lc[self.idx, self.a].sum())

    def graph(self) -> tuple[F64, F64, F64]:
        """Arc costs ``C (S, S)``, insertion costs ``A (S, T+1)``, removal costs ``R (S,)``."""
        a, idx = self.a, self.idx
        st = self.survival()
        qa = self.q[idx, a]
        va_sa = self.v[a] * st[a]  # (S,)
        lca = self.lc[idx, a]
        qj = self.q[:, a]  # (S, S): q[i, a_j]
        c = va_sa[None, :] * (qj / qa[None, :] - 1.0) + self.lc[:, a] - lca[None, :]
        c[~self.feas[:, a] | (a[:, None] == a[None, :])] = np.inf
        ins = self.v[None, :] * st[None, :] * (self.q - 1.0) + self.lc
        ins[~self.feas] = np.inf
        ins[idx, a] = np.inf
        rem = va_sa * (1.0 / qa - 1.0) - lca
        return c, ins, rem

    def find(self, max_length: int, labels: int, eps: float) -> list[tuple[float, list[int], int]]:
        """Negative exchanges ``(cost, shots in order, end subset or -1 for a cycle)``.

        Labels are rows: ``node`` (where the path ends), ``start``, ``d`` (its cost so far),
        ``inpath (M, T+1)`` (its subsets) and ``paths (M, stage+1)``; at most ``labels`` per
        node survive each extension, and only those with a negative prefix.
        """
        c, ins, rem = self.graph()
        a, idx, n_s = self.a, self.idx, self.n_s
        d = np.zeros(n_s)
        node = idx.copy()
        start = idx.copy()
        inpath = np.zeros((n_s, self.u + 1), np.bool_)
        inpath[idx, a] = True
        paths = idx[:, None].copy()
        found: list[tuple[float, list[int], int]] = []

        def record(cost: F64, end: I64) -> None:
            hit = np.flatnonzero(cost < -eps)
            hit = hit[np.argsort(cost[hit], kind="stable")[: 2 * n_s]]
            found.extend((float(cost[r]), paths[r].tolist(), int(end[r])) for r in hit.tolist())

        for stage in range(max_length):
            rows = np.arange(d.shape[0])
            if stage > 0:  # close cycles: the last shot moves into the first one's subset
                record(d + c[node, start], np.full(d.shape[0], -1, np.int64))
            masked = np.where(inpath, np.inf, ins[node])
            tb = np.argmin(masked, axis=1)
            record(rem[start] + d + masked[rows, tb], tb.astype(np.int64))
            if stage == max_length - 1:
                break
            cand = d[:, None] + c[node]
            cand[inpath[:, a]] = np.inf
            cand[(cand >= 0.0) & (rem[start][:, None] + cand >= 0.0)] = np.inf
            kk = min(labels, cand.shape[0])
            if kk < cand.shape[0]:
                top = np.argpartition(cand, kk - 1, axis=0)[:kk]
            else:
                top = np.repeat(rows[:, None], n_s, axis=1)
            src = top.ravel()
            dst = np.tile(idx, kk)
            dn = cand[src, dst]
            ok = np.isfinite(dn)
            if not ok.any():
                break
            src, dst = src[ok], dst[ok]
            d, node, start = dn[ok], dst, start[src]
            inpath = inpath[src]
            inpath[np.arange(dst.shape[0]), a[dst]] = True
            paths = np.concatenate([paths[src], dst[:, None]], axis=1)
        return found

    def apply(self, found: list[tuple[float, list[int], int]]) -> int:
        """Apply a greedy set of disjoint exchanges, best first; return how many."""
        found.sort(key=lambda f: f[0])
        used_t: set[int] = set()
        used_s: set[int] = set()
        new_a = self.a.copy()
        n = 0
        for _, nodes, end in found:
            subsets = {int(self.a[s]) for s in nodes}
            if end >= 0:
                subsets.add(end)
            subsets.discard(self.u)
            if subsets & used_t or used_s.intersection(nodes):
                continue
            used_t |= subsets
            used_s.update(nodes)
            nxt = [int(self.a[s]) for s in nodes[1:]]
            nxt.append(end if end >= 0 else int(self.a[nodes[0]]))
            for s, t in zip(nodes, nxt, strict=True):
                new_a[s] = t
            n += 1
        self.a = new_a
        return n

    def kick(self, rng: np.random.Generator, n: int) -> None:
        """Move ``n`` random shots to random feasible subsets (their own one if none other)."""
        shots = rng.choice(self.n_s, size=min(n, self.n_s), replace=False)
        score = np.where(self.feas[shots], rng.random((shots.shape[0], self.u + 1)), -1.0)
        score[np.arange(shots.shape[0]), self.a[shots]] = -0.5
        self.a[shots] = np.argmax(score, axis=1)

    def assignment(self) -> I64:
        out: I64 = np.where(self.a == self.u, -1, self.a)
        return out


def _descend(
    search: _Search, val: float, max_length: int, labels: int, deadline: float, max_rounds: int
) -> tuple[float, int]:
    """Apply improving exchanges until none is found; return the value and their number."""
    n_ex = 0
    for _ in range(max_rounds):
        eps = _REL_EPS * max(1.0, abs(val))
        found = search.find(max_length, labels, eps)
        if not found:
            break
        old_a = search.a.copy()
        n = search.apply(found)
        new = search.value()
        if not new < val - eps * 0.5:  # round-off only: keep the better and stop
            search.a = old_a
            break
        val = new
        n_ex += n
        if time.perf_counter() > deadline:
            break
    return val, n_ex


def vlsn_wta(
    problem: WtaProblem,
    start: WtaSolution | Literal["best", "assignment", "greedy"] = "best",
    *,
    max_length: int = 8,
    labels: int = 4,
    time_limit_s: float = 60.0,
    max_rounds: int = 10_000,
    kicks: int = 0,
    kick_size: float = 0.05,
    seed: int = 0,
) -> WtaSolution:
    """Construction followed by very large-scale neighbourhood search (module docstring).

    Parameters
    ----------
    problem : WtaProblem
        The instance.
    start : WtaSolution or {"best", "assignment", "greedy"}
        Starting solution, or the construction that makes it (timed as part of the search);
        ``"best"`` runs both and starts from the better.
    max_length : int
        Most shots in one exchange (cycle or path length), ``≥ 1``.
    labels : int
        Paths kept per node and stage by the label-correcting search, ``≥ 1`` (1 is the
        paper's one label per node; more finds more exchanges per round at a proportional cost).
    time_limit_s : float
        Stop after the round that passes this wall time, s.
    max_rounds : int
        Stop a descent after this many rounds.
    kicks : int
        Iterated local search on top (not in the paper): after the descent, up to ``kicks``
        times move ``ceil(kick_size · S)`` random shots to random feasible targets, descend
        again, keep the result if better. 0 (default) is the plain VLSN.
    kick_size : float
        Fraction of the shots moved by a kick.
    seed : int
        Seed of the kicks' random generator (the result is deterministic for a seed).

    Returns
    -------
    WtaSolution
        ``solver="vlsn"``, never worse than the start; ``iterations`` counts the exchanges.
    """
    t0 = time.perf_counter()
    if max_length < 1:
        raise ConfigError("must be >= 1", field="max_length", actual=str(max_length))
    if labels < 1:
        raise ConfigError("must be >= 1", field="labels", actual=str(labels))
    if isinstance(start, WtaSolution):
        init = start
    elif start == "assignment":
        init = assignment_wta(problem)
    elif start == "greedy":
        init = greedy_wta(problem)
    elif start == "best":
        init = min(greedy_wta(problem), assignment_wta(problem), key=lambda x: x.objective)
    else:
        raise ConfigError("unknown start", field="start", actual=repr(start))
    problem.check(init.assignment)
    search = _Search(problem, np.asarray(init.assignment, np.int64))
    deadline = t0 + time_limit_s
    best_val, n_ex = _descend(search, search.value(), max_length, labels, deadline, max_rounds)
    best_a = search.a.copy()
    rng = np.random.default_rng(seed)
    n_kick = max(2, int(np.ceil(kick_size * search.n_s)))
    for _ in range(kicks):
        if time.perf_counter() > deadline or search.n_s == 0:
            break
        search.kick(rng, n_kick)
        val, n = _descend(search, search.value(), max_length, labels, deadline, max_rounds)
        if val < best_val - _REL_EPS * max(1.0, abs(best_val)):
            best_val, best_a = val, search.a.copy()
            n_ex += n
        search.a = best_a.copy()
    sol = make_solution(problem, search.assignment(), "vlsn", t0, iterations=n_ex)
    if sol.objective > init.objective:  # the floor on q made a move look better than it is
        return make_solution(problem, init.assignment, "vlsn", t0, iterations=0)
    return sol
