"""GOSPA and OSPA: distances between the set of true objects and the set of track estimates.

Data layout
-----------
One time step: true positions ``truth_pos (K, 3)`` and estimated positions ``track_pos (N, 3)`` in
metres, same frame (local ENU). Either set may be empty.

Maths
-----
With the cut-off distance ``d^(c)(x, y) = min(‖x − y‖, c)``, the generalised OSPA of Rahmathullah,
García-Fernández & Svensson (2017) for ``α = 2`` is, for ``|X| = K``, ``|Y| = N``:

.. math::
    d_p^{(c,2)}(X, Y)^p = \\min_{\\gamma} \\Big( \\sum_{(i,j) \\in \\gamma} \\|x_i - y_j\\|^p
        + \\frac{c^p}{2} (K - |\\gamma|) + \\frac{c^p}{2} (N - |\\gamma|) \\Big)

over assignments ``γ`` of pairs with ``‖x_i − y_j‖ < c``. It splits into a *localisation* part (sum
of ``d^p`` over assigned pairs), a *missed* part ``c^p/2 · #missed`` and a *false* part
``c^p/2 · #false``. :class:`GospaResult` reports these three in the paper's units of ``m^p``
(they add up to ``total_p = d^p``), the counts, and ``total = d`` in metres. The optimum comes from
the assignment problem on ``min(d, c)^p`` (:func:`scipy.optimize.linear_sum_assignment`); an
assigned pair at ``d ≥ c`` costs the same ``c^p`` as one missed plus one false object, and is
counted as such.

OSPA (Schuhmacher, Vo & Vo 2008) normalises by the larger cardinality:
``d_p^{(c)}(X, Y)^p = (min_π Σ d^(c)(x_i, y_π(i))^p + c^p |K − N|) / max(K, N)``, 0 when both are
empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class GospaResult:
    """GOSPA (``α = 2``) of one time step, or the mean over several.

    Attributes
    ----------
    total : float, m
        ``d_p^(c,2)``; for a mean, the mean of the per-step ``total``.
    total_p : float, m^p
        ``d^p = localisation + missed + false``.
    localisation : float, m^p
        Sum of ``‖x − y‖^p`` over assigned pairs.
    missed : float, m^p
        ``c^p/2`` times the number of missed true objects.
    false : float, m^p
        ``c^p/2`` times the number of false tracks.
    n_assigned, n_missed, n_false : float
        Counts (means when averaged).
    c : float, m
        Cut-off distance.
    p : float
        Order.
    """

    total: float
    total_p: float
    localisation: float
    missed: float
    false: float
    n_assigned: float
    n_missed: float
    n_false: float
    c: float
    p: float


def _check(c: float, p: float) -> None:
    if not (math.isfinite(c) and c > 0.0):
        raise ConfigError("cut-off must be finite and positive", field="c", actual=repr(c))
    if not (math.isfinite(p) and p >= 1.0):
        raise ConfigError("order must be finite and >= 1", field="p", actual=repr(p))


def _points(a: ArrayLike, name: str) -> F64:
    arr = np.asarray(a, dtype=np.float64)
    if arr.size == 0:
        return np.empty((0, 3))
    if arr.ndim != 2:
        raise ConfigError(f"{name} must be a (K, dim) array", field=name, actual=str(arr.shape))
    return arr


def _cut_distances(X: F64, Y: F64, c: float) -> F64:
    diff = X[:, None, :] - Y[None, :, :]
    d: F64 = np.sqrt(np.einsum("kns,kns->kn", diff, diff))
    return np.minimum(d, c)


def gospa(truth_pos: ArrayLike, track_pos: ArrayLike, c: float, p: float = 2.0) -> GospaResult:
    """GOSPA metric with ``α = 2`` for one time step.

    Parameters
    ----------
    truth_pos : (K, 3) float, m
        True object positions.
    track_pos : (N, 3) float, m
        Estimated positions (e.g. confirmed tracks).
    c : float, m
        Cut-off: the distance beyond which an estimate counts as a false track plus a miss.
    p : float
        Order, ``>= 1``.

    Returns
    -------
    GospaResult
        Total and its decomposition; see the module docstring.
    """
    _check(c, p)
    X = _points(truth_pos, "truth_pos")
    Y = _points(track_pos, "track_pos")
    k, n = X.shape[0], Y.shape[0]
    loc = 0.0
    n_assigned = 0
    if k and n:
        d = _cut_distances(X, Y, c)
        rows, cols = linear_sum_assignment(d**p)
        dd = d[rows, cols]
        real = dd < c
        n_assigned = int(np.count_nonzero(real))
        loc = float(np.sum(dd[real] ** p))
    half = c**p / 2.0
    missed = half * (k - n_assigned)
    false = half * (n - n_assigned)
    total_p = loc + missed + false
    return GospaResult(
        total=total_p ** (1.0 / p),
        total_p=total_p,
        localisation=loc,
        missed=missed,
        false=false,
        n_assigned=float(n_assigned),
        n_missed=float(k - n_assigned),
        n_false=float(n - n_assigned),
        c=float(c),
        p=float(p),
    )


def mean_gospa(results: Iterable[GospaResult]) -> GospaResult:
    """Mean of per-step GOSPA results (all with the same ``c`` and ``p``).

    Every field is the arithmetic mean over steps, so ``total_p`` still equals
    ``localisation + missed + false``; ``total`` is the mean of the per-step distances (use
    ``total_p ** (1/p)`` for the root-mean-``p`` variant).
    """
    items = list(results)
    if not items:
        raise ValueError("mean_gospa needs at least one result")
    c, p = items[0].c, items[0].p
    if any(r.c != c or r.p != p for r in items):
        raise ValueError("mean_gospa needs results with one c and one p")
    cols = np.array(
        [
            (
                r.total,
                r.total_p,
                r.localisation,
                r.missed,
                r.false,
                r.n_assigned,
                r.n_missed,
                r.n_false,
            )
            for r in items
        ]
    ).mean(axis=0)
    return GospaResult(
        total=float(cols[0]),
        total_p=float(cols[1]),
        localisation=float(cols[2]),
        missed=float(cols[3]),
        false=float(cols[4]),
        n_assigned=float(cols[5]),
        n_missed=float(cols[6]),
        n_false=float(cols[7]),
        c=c,
        p=p,
    )


def ospa(truth_pos: ArrayLike, track_pos: ArrayLike, c: float, p: float = 2.0) -> float:
    """OSPA distance (Schuhmacher, Vo & Vo 2008) for one time step, in metres.

    Parameters
    ----------
    truth_pos : (K, 3) float, m
        True object positions.
    track_pos : (N, 3) float, m
        Estimated positions.
    c : float, m
        Cut-off.
    p : float
        Order, ``>= 1``.

    Returns
    -------
    float
        In ``[0, c]``; 0 when both sets are empty, ``c`` when exactly one is.
    """
    _check(c, p)
    X = _points(truth_pos, "truth_pos")
    Y = _points(track_pos, "track_pos")
    k, n = X.shape[0], Y.shape[0]
    if k == 0 and n == 0:
        return 0.0
    s = 0.0
    if k and n:
        dp = _cut_distances(X, Y, c) ** p
        rows, cols = linear_sum_assignment(dp)
        s = float(dp[rows, cols].sum())
    return float(((s + c**p * abs(k - n)) / max(k, n)) ** (1.0 / p))
