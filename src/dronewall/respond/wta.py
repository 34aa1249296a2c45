"""Weapon-target assignment (WTA): the public entry point.

Minimise the expected surviving target value plus a weight times the cost of the shots::

    F(x) = Σ_t V_t Π_w (1 − p[w, t])^x[w, t]  +  λ Σ c[w, t] x[w, t],   Σ_t x[w, t] ≤ rounds[w]

(arrays and model in :mod:`dronewall.respond.wta_model`). Solvers:

- ``"greedy"``: maximum marginal return (:func:`~dronewall.respond.wta_heuristics.greedy_wta`);
- ``"assignment"``: assignment-based construction after Ahuja, Kumar, Jha, Orlin 2007
  (:func:`~dronewall.respond.wta_heuristics.assignment_wta`);
- ``"vlsn"``: that construction then very large-scale neighbourhood search
  (:func:`~dronewall.respond.wta_heuristics.vlsn_wta`);
- ``"milp"``: exact outer approximation with HiGHS for small problems, a lower bound otherwise
  (:func:`~dronewall.respond.wta_milp.milp_wta`).

Readers of the public benchmark instances are in :mod:`dronewall.respond.wta_io`. The maths,
references and what is exact and what is not: ``docs/wta.md``.
"""

from __future__ import annotations

from typing import Literal

from dronewall.core.errors import ConfigError
from dronewall.respond.wta_heuristics import (
    assignment_wta,
    counts_to_assignment,
    greedy_wta,
    vlsn_wta,
)
from dronewall.respond.wta_io import BestKnown, read_toffolo_instance, read_toffolo_results
from dronewall.respond.wta_milp import milp_wta
from dronewall.respond.wta_model import WtaProblem, WtaSolution, make_solution

WtaMethod = Literal["greedy", "assignment", "vlsn", "milp"]

__all__ = [
    "BestKnown",
    "WtaMethod",
    "WtaProblem",
    "WtaSolution",
    "assignment_wta",
    "counts_to_assignment",
    "greedy_wta",
    "make_solution",
    "milp_wta",
    "read_toffolo_instance",
    "read_toffolo_results",
    "solve_wta",
    "vlsn_wta",
]


def solve_wta(
    problem: WtaProblem, method: WtaMethod = "vlsn", *, time_limit_s: float = 10.0
) -> WtaSolution:
    """Solve ``problem`` with ``method`` (see the module docstring).

    Parameters
    ----------
    problem : WtaProblem
        The instance.
    method : {"greedy", "assignment", "vlsn", "milp"}
        The solver. ``"milp"`` is started from the VLSN solution, so it never returns worse.
    time_limit_s : float
        Budget of ``"vlsn"`` and ``"milp"``, s (the greedy and the construction take no limit).

    Returns
    -------
    WtaSolution
        The assignment per shot, its objective and, for ``"milp"``, a proven lower bound.
    """
    if method == "greedy":
        return greedy_wta(problem)
    if method == "assignment":
        return assignment_wta(problem)
    if method == "vlsn":
        return vlsn_wta(problem, time_limit_s=time_limit_s)
    if method == "milp":
        start = vlsn_wta(problem, time_limit_s=time_limit_s / 4)
        return milp_wta(problem, time_limit_s=time_limit_s, incumbent=start)
    raise ConfigError(
        "unknown WTA method", field="method", expected="greedy|assignment|vlsn|milp",
        actual=repr(method),
    )  # fmt: skip
