"""Exact WTA by outer approximation: a sequence of MILPs solved with HiGHS.

Data layout
-----------
As :mod:`dronewall.respond.wta_model`. The MILP has one integer variable ``x_k ∈ [0, rounds_w]``
per feasible pair ``k = (w, t)`` (``K`` of them, infeasible pairs have no variable) and one
continuous ``z_t ≥ 0`` per target.

Formulation
-----------
The log-survival of a target is linear in the counts, ``L_t(x) = Σ_w x[w,t] ln q[w,t]`` with
``q = max(1 − p, 1e-12)``; the objective term ``V_t e^{L_t}`` is convex in ``L_t``, so each
tangent at a point ``α`` is a valid under-estimator::

    z_t ≥ V_t e^α (1 + L_t(x) − α)                      (tangent cut at α)
    min  Σ_t z_t + λ Σ_k c_k x_k
    s.t. Σ_{t} x[w, t] ≤ rounds_w  (= with fire_all),   x integer.

Any set of cuts gives a relaxation, hence a lower bound (HiGHS' dual bound when stopped by its
time limit). The loop (Kelley's cutting planes / outer approximation, Duran & Grossmann 1986)
starts with cuts on a grid of ``α`` per target, solves, evaluates the MILP's ``x`` with the true
objective (an upper bound), adds the tangent at each target's ``L_t(x)`` and solves again. Once a
point's tangent is in, the MILP's value there is exact, so the loop ends in finitely many rounds
with the lower bound equal to the true value of the MILP's ``x``: optimal, within HiGHS'
``mip_rel_gap`` and the ``q`` floor (``V_t × 1e-12`` per target with a ``p = 1`` pair).

This is the "exact MILP for small problems": 6 weapons × 4 targets take well under a second; the
50 × 100 public instances take minutes. With ``time_limit_s`` it returns the best solution seen
and a proven lower bound, usable to report gaps for the heuristics.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, hstack, vstack

from dronewall.core.errors import ConfigError
from dronewall.respond.wta_heuristics import counts_to_assignment, greedy_wta
from dronewall.respond.wta_model import Q_FLOOR, WtaProblem, WtaSolution, make_solution

log = logging.getLogger(__name__)

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Lowest survival at which grid cuts are placed (below it a target's term is negligible).
_GRID_FLOOR = 1e-6
#: Spacing of the initial cut grid in ln-survival (tangent error ≤ e^{0.25} − 1.25 ≈ 3.4 %).
_GRID_STEP = 0.5


def milp_wta(
    problem: WtaProblem,
    *,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-9,
    max_rounds: int = 200,
    incumbent: WtaSolution | None = None,
) -> WtaSolution:
    """Solve the WTA exactly (small problems) or bound it (larger ones); see the module docstring.

    Parameters
    ----------
    problem : WtaProblem
        The instance.
    time_limit_s : float
        Wall-time budget of the whole loop, s; each MILP gets what is left.
    mip_rel_gap : float
        HiGHS' relative MIP gap for each MILP (the optimality tolerance).
    max_rounds : int
        Most cutting-plane rounds.
    incumbent : WtaSolution or None
        A known solution (e.g. VLSN's): the upper bound starts from it and it is returned if
        nothing better is found.

    Returns
    -------
    WtaSolution
        ``solver="milp"``; ``lower_bound`` proven, ``optimal`` when the bound meets the value
        within ``mip_rel_gap`` (plus 1e-9 absolute).
    """
    t0 = time.perf_counter()
    if not time_limit_s > 0:
        raise ConfigError("must be positive", field="time_limit_s", actual=str(time_limit_s))
    n_w, n_t = problem.n_weapons, problem.n_targets
    pw, pt = np.nonzero(problem.feasible)  # the K pairs with a variable
    n_k = pw.shape[0]
    v = problem.values
    best_a = (
        np.asarray(incumbent.assignment, np.int64)
        if incumbent is not None
        else np.full(problem.n_shots, -1, np.int64)
    )
    if incumbent is not None:
        problem.check(best_a)
    else:  # a feasible start (with fire_all the empty assignment is not)
        best_a = np.asarray(greedy_wta(problem).assignment, np.int64)
    best_val = problem.objective(problem.counts(best_a))
    if n_k == 0 or n_t == 0:
        return make_solution(problem, best_a, "milp", t0, lower_bound=best_val, optimal=True)

    ln_q = np.log(np.maximum(1.0 - problem.pk[pw, pt], Q_FLOOR))  # (K,)
    # L_t = G @ x, G (T, K) sparse
    g_mat = csr_array((ln_q, (pt, np.arange(n_k))), shape=(n_t, n_k))
    # weapon capacity rows (W, K)
    cap = csr_array((np.ones(n_k), (pw, np.arange(n_k))), shape=(n_w, n_k))
    rounds = problem.rounds.astype(np.float64)
    cap_lo = rounds if problem.fire_all else np.zeros(n_w)
    # the lowest reachable L_t: every round of every weapon at t
    l_min = np.zeros(n_t)
    np.add.at(l_min, pt, ln_q * rounds[pw])
    l_lo = np.maximum(l_min, np.log(_GRID_FLOOR))
    n_grid = np.ceil(-l_lo / _GRID_STEP).astype(np.int64) + 1
    cut_t = np.repeat(np.arange(n_t), n_grid)
    offs = np.arange(cut_t.shape[0]) - np.repeat(np.cumsum(n_grid) - n_grid, n_grid)
    cut_a = np.maximum(-offs * _GRID_STEP, l_lo[cut_t])
    cut_t = np.concatenate([cut_t, np.arange(n_t)])  # and the exact floor points
    cut_a = np.concatenate([cut_a, l_min])

    c_obj = np.concatenate([problem.weight * problem.cost[pw, pt], np.ones(n_t)])
    integrality = np.concatenate([np.ones(n_k), np.zeros(n_t)])
    bounds = Bounds(np.zeros(n_k + n_t), np.concatenate([rounds[pw], np.full(n_t, np.inf)]))
    cap_rows = LinearConstraint(
        csr_array((cap.data, cap.indices, cap.indptr), shape=(n_w, n_k + n_t)), cap_lo, rounds
    )

    def cut_rows(ts: I64, alphas: F64) -> tuple[csr_array, F64]:
        # z_t − V_t e^α L_t(x) ≥ V_t e^α (1 − α)
        slope = v[ts] * np.exp(alphas)
        rows_g = csr_array(g_mat[ts]).multiply(-slope[:, None])
        z_part = csr_array(
            (np.ones(ts.shape[0]), (np.arange(ts.shape[0]), ts)), shape=(ts.shape[0], n_t)
        )
        return csr_array(hstack([rows_g, z_part])), slope * (1.0 - alphas)

    keep_t = v[cut_t] > 0
    mats, rhs = [], []
    m0, r0 = cut_rows(cut_t[keep_t], cut_a[keep_t])
    mats.append(m0)
    rhs.append(r0)
    have: set[tuple[int, float]] = set(
        zip(cut_t.tolist(), np.round(cut_a, 12).tolist(), strict=True)
    )
    lower = -np.inf
    rounds_done = 0
    optimal = False
    while rounds_done < max_rounds:
        rounds_done += 1
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0:
            break
        a_mat = vstack(mats, format="csr")
        b_lo = np.concatenate(rhs)
        cons = [cap_rows, LinearConstraint(a_mat, b_lo, np.inf)]
        opts: dict[str, float | bool] = {"time_limit": left, "mip_rel_gap": mip_rel_gap}
        res = milp(c_obj, integrality=integrality, bounds=bounds, constraints=cons, options=opts)
        if res.status == 4:  # "Solve error": seen from HiGHS' presolve on tiny models; retry
            log.debug("HiGHS solve error with presolve (%s); retrying without", res.message)
            opts["presolve"] = False
            opts["time_limit"] = max(time_limit_s - (time.perf_counter() - t0), 1e-3)
            res = milp(
                c_obj, integrality=integrality, bounds=bounds, constraints=cons, options=opts
            )
        bound = getattr(res, "mip_dual_bound", None)
        if bound is not None and np.isfinite(bound):
            lower = max(lower, float(bound))
        if res.x is None:
            break
        xk = np.round(res.x[:n_k]).astype(np.int64)
        counts = np.zeros((n_w, n_t), np.int64)
        counts[pw, pt] = xk
        val = problem.objective(counts)
        if val < best_val:
            best_val = val
            best_a = counts_to_assignment(problem, counts)
        if res.status != 0:  # time limit: the bound stands, no proof
            break
        tol = mip_rel_gap * max(abs(best_val), 1.0) + 1e-9
        if best_val - lower <= tol:
            optimal = True
            break
        l_now = np.asarray(g_mat @ xk.astype(np.float64))
        new = [
            (t, a)
            for t, a in zip(range(n_t), l_now.tolist(), strict=True)
            if v[t] > 0 and (t, round(a, 12)) not in have
        ]
        if not new:  # every tangent already in: the MILP value is exact at its x
            optimal = True
            break
        have.update((t, round(a, 12)) for t, a in new)
        ts = np.array([t for t, _ in new], np.int64)
        al = np.array([a for _, a in new])
        m1, r1 = cut_rows(ts, al)
        mats.append(m1)
        rhs.append(r1)
    lb = min(lower, best_val) if np.isfinite(lower) else float("nan")
    return make_solution(
        problem, best_a, "milp", t0, lower_bound=lb, optimal=optimal, iterations=rounds_done
    )
