"""Gating: which track-detection pairs are worth scoring.

Data layout
-----------
Track positions ``(N, 3)`` and detection positions ``(M, 3)``, metres, local ENU. Candidate pairs
come back as two index arrays ``ti (K,)`` and ``dj (K,)`` (track index, detection index), sorted by
track then detection; a dense ``(N, M)`` matrix is never formed for large ``N x M``.

Maths
-----
The statistical gate accepts a pair when ``d² = νᵀ S⁻¹ ν ≤ γ`` with ``γ`` the ``probability``
quantile of the χ² distribution with ``dof`` degrees of freedom (``γ ≈ 21.11`` for 0.9999 and
3 dof): a true detection falls outside with probability ``1 − probability``.

A coarse Euclidean pre-gate finds a superset of those pairs cheaply. Since
``νᵀ S⁻¹ ν ≥ ‖ν‖² / λ_max(S)`` and ``λ_max(S) ≤ tr S = tr P_pos + tr R``, every pair inside the χ²
gate satisfies ``‖ν‖ ≤ r_i = sqrt(γ (tr P_pos,i + max_j tr R_j))``. The pairs within ``r_i`` are
found with KD-trees, so the cost grows with the number of candidates rather than with ``N x M``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from scipy.stats import chi2

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]
IntP = NDArray[np.intp]

#: Below this many pairs the pre-gate computes all distances densely (faster than a tree).
DENSE_PAIR_LIMIT = 4096
#: With this few tracks or detections the pre-gate is dense too (one ADS-B report, one track).
DENSE_SIDE_LIMIT = 8
_MAX_BANDS = 8


def chi2_threshold(probability: float, dof: int = 3) -> float:
    """The χ² gate threshold ``γ`` with ``P(χ²_dof ≤ γ) = probability``.

    Parameters
    ----------
    probability : float
        Gate probability, in ``(0, 1)``.
    dof : int
        Degrees of freedom: the measurement dimension (3 for an ENU position).

    Returns
    -------
    float
        ``γ``, dimensionless (a squared Mahalanobis distance).
    """
    if not 0.0 < probability < 1.0:
        raise ConfigError(
            "gate probability must lie strictly between 0 and 1",
            field="probability",
            expected="0 < p < 1",
            actual=repr(probability),
        )
    if dof < 1:
        raise ConfigError("degrees of freedom must be >= 1", field="dof", actual=repr(dof))
    return float(chi2.ppf(probability, dof))


@dataclass(frozen=True, slots=True, kw_only=True)
class ChiSquareGate:
    """The χ² (ellipsoidal) gate on squared Mahalanobis distance.

    Parameters
    ----------
    probability : float
        Probability that a detection of the track falls inside the gate.
    dof : int
        Measurement dimension.
    """

    probability: float = 0.9999
    dof: int = 3
    threshold: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", chi2_threshold(self.probability, self.dof))

    def accepts(self, d2: F64) -> NDArray[np.bool_]:
        """Mask of distances inside the gate (NaN, from a non-PD ``S``, is outside)."""
        return np.asarray(d2 <= self.threshold, dtype=np.bool_)

    def euclidean_radius(self, trace_P_pos: F64, max_trace_R: float) -> F64:
        """Pre-gate radii ``r_i = sqrt(γ (tr P_pos,i + max tr R))`` in metres, shape ``(N,)``."""
        r: F64 = np.sqrt(self.threshold * (trace_P_pos + max_trace_R))
        return r


def euclidean_candidates(
    track_pos: F64,
    radius: F64,
    det_pos: F64,
    *,
    dense_limit: int = DENSE_PAIR_LIMIT,
) -> tuple[IntP, IntP]:
    """Track-detection pairs closer than each track's radius.

    Small problems (``N * M <= dense_limit`` or either side at most :data:`DENSE_SIDE_LIMIT`) are
    computed densely. Larger ones use KD-trees: tracks are split into a few bands of radii within a
    factor of two of each other, and each band is matched against the detection tree with
    :meth:`scipy.spatial.cKDTree.sparse_distance_matrix` at the band's largest radius, then
    filtered by each track's own radius; so a few tracks with wide gates (new tentative tracks) do
    not widen the search of all the others.

    Parameters
    ----------
    track_pos : (N, 3) float
        Predicted track positions, m.
    radius : (N,) float
        Per-track search radius, m (``inf`` and NaN are treated as "everything" and "nothing").
    det_pos : (M, 3) float
        Detection positions, m.
    dense_limit : int
        Use a dense distance computation when ``N * M`` is at most this.

    Returns
    -------
    ti, dj : (K,) int
        Pairs with ``‖det_pos[dj] − track_pos[ti]‖ ≤ radius[ti]``, sorted by ``(ti, dj)``.
    """
    n, m = track_pos.shape[0], det_pos.shape[0]
    if n == 0 or m == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    if n * m <= dense_limit or min(n, m) <= DENSE_SIDE_LIMIT or bool(np.any(np.isposinf(radius))):
        diff = det_pos[None, :, :] - track_pos[:, None, :]
        dist2 = np.einsum("nmk,nmk->nm", diff, diff)
        ti, dj = np.nonzero(dist2 <= (radius * radius)[:, None])
        return ti.astype(np.intp), dj.astype(np.intp)
    usable = np.flatnonzero(radius >= 0.0)  # drops NaN
    if usable.shape[0] == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    r = radius[usable]
    r_min = max(float(r.min()), 1e-9)
    band = np.minimum(np.floor(np.log2(np.maximum(r, r_min) / r_min)), _MAX_BANDS - 1)
    det_tree = cKDTree(det_pos)
    ti_parts: list[IntP] = []
    dj_parts: list[IntP] = []
    for b in np.unique(band):  # a loop over at most _MAX_BANDS radius bands
        idx = usable[band == b]
        rb = radius[idx]
        pairs = cKDTree(track_pos[idx]).sparse_distance_matrix(
            det_tree, max_distance=float(rb.max()), output_type="ndarray"
        )
        i = np.asarray(pairs["i"], dtype=np.intp)
        keep = pairs["v"] <= rb[i]
        ti_parts.append(idx[i[keep]])
        dj_parts.append(np.asarray(pairs["j"], dtype=np.intp)[keep])
    ti = np.concatenate(ti_parts)
    dj = np.concatenate(dj_parts)
    order = np.lexsort((dj, ti))
    return ti[order], dj[order]
