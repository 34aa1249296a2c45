"""Emitter attribution: which RF bearing comes from which cooperative drone.

An RF detector that decodes broadcast Remote ID reports, in one scan, the bearings of the drone
links it hears (``BEARING`` rows, no identity) and the decoded positions of the drones that
broadcast (``POSITION`` rows carrying the Remote ID in ``ident``). A cooperative drone's link and
its Remote ID beacon come from the same airframe, so the bearing to its link points at the
position it broadcasts. Left unattributed, such a bearing is only a line in the sky: whatever
lies on it (a bird's radar track crossing the line to a hobby field) can take it, and with it the
drone's RF protocol, and be classed a quadcopter (seen on ``hobby-drone-park`` with birds,
benchmarks/RESULTS.md "Birds among cooperative drones").

Maths
-----
Per scan (the rows sharing ``(sensor, t)``), for bearing ``i`` from the sensor at ``s`` with
azimuth ``a_i`` (rad, clockwise from north) and variance ``σ²_a,i = R_i[0, 0]``, and identity
row ``j`` at ``p_j`` with horizontal covariance ``C_j = R_j[:2, :2]``: the horizontal line of
sight ``d = p_j − s`` at range ``ρ = |d|`` has azimuth ``α_j = atan2(d_e, d_n)`` and unit normal
``n = (d_n, −d_e) / ρ``; to first order the position error moves the azimuth by ``nᵀ δp / ρ``,
so

    d²_ij = wrap(a_i − α_j)² / (σ²_a,i + nᵀ C_j n / ρ²)

is χ² with one degree of freedom when bearing ``i`` is the link of drone ``j``. Bearings and
identities are matched one to one (each airframe gives one link bearing and one beacon per scan)
by the assignment of least total ``d²`` (:func:`scipy.optimize.linear_sum_assignment`) among
the pairs inside the gate ``d² ≤ γ``. Elevations are not used (RF direction finders are mostly
azimuth-only; an identity too close to the sensor, ``ρ`` below 1 m, is not matched).

A non-cooperative drone on the same azimuth keeps a bearing of its own: one identity claims at
most one bearing, so of two bearings along one line only the nearer in azimuth is claimed (the
two are then within noise of each other, and either serves the cooperative track). When the
cooperative drone's own link is missed in a scan while its beacon is heard, a non-cooperative
link within the gate of its azimuth is claimed instead, and that scan's bearing is lost to the
other track: a missed update, never a track fed by the wrong drone's identity.

Data layout
-----------
Input a :class:`~dronewall.core.measurements.DetectionBatch` of ``M`` rows (any sensors and
times); output ``claim (M,) int64``: the identity a bearing row is attributed to, ``-1`` for
every other row and for bearings matched to no identity.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from dronewall.core.measurements import DetectionBatch, MeasurementKind

I64 = NDArray[np.int64]

#: χ² (1 dof) gate of a bearing-identity pair: 99.99 % (3.9 σ), the tracker's default gate
#: probability, so that a bearing the drone's own track would gate is attributed to it.
DEFAULT_GATE_CHI2 = 15.14

_BEARING = int(MeasurementKind.BEARING)
_POSITION = int(MeasurementKind.POSITION)

__all__ = ["DEFAULT_GATE_CHI2", "attribute_bearings"]


def attribute_bearings(batch: DetectionBatch, gate_chi2: float = DEFAULT_GATE_CHI2) -> I64:
    """The cooperative identity each bearing of ``batch`` comes from (see the module doc).

    Parameters
    ----------
    batch : DetectionBatch
        Detections of any sensors and times; only ``BEARING`` rows without an identity and
        ``POSITION`` rows with one, of the same ``(sensor, t)``, are paired.
    gate_chi2 : float
        χ² (1 dof) gate of a pair.

    Returns
    -------
    (M,) int64
        The claimed identity per row, ``-1`` where none.
    """
    m = len(batch)
    claim = np.full(m, -1, dtype=np.int64)
    bearing = (batch.kind == _BEARING) & (batch.ident < 0) & np.isfinite(batch.z[:, 0])
    beacon = (
        (batch.kind == _POSITION) & (batch.ident >= 0) & np.all(np.isfinite(batch.z[:, :2]), axis=1)
    )
    bi, pj = np.flatnonzero(bearing), np.flatnonzero(beacon)
    if bi.shape[0] == 0 or pj.shape[0] == 0:
        return claim
    # every (bearing, beacon) pair of one scan: few rows of either kind per tick
    same = (batch.sensor[bi, None] == batch.sensor[None, pj]) & (
        batch.t[bi, None] == batch.t[None, pj]
    )
    ii, jj = np.nonzero(same)
    if ii.shape[0] == 0:
        return claim
    i, j = bi[ii], pj[jj]
    d = batch.z[j, :2] - batch.sensor_pos[i, :2]
    rho2 = np.einsum("kd,kd->k", d, d)
    ok = rho2 >= 1.0
    rho2 = np.where(ok, rho2, 1.0)
    alpha = np.arctan2(d[:, 0], d[:, 1])
    nrm = np.column_stack([d[:, 1], -d[:, 0]])  # ρ n
    c = batch.R[j, :2, :2]
    var_pos = np.einsum("ka,kab,kb->k", nrm, c, nrm) / (rho2 * rho2)
    var = np.maximum(batch.R[i, 0, 0], 0.0) + np.maximum(var_pos, 0.0)
    resid = (batch.z[i, 0] - alpha + np.pi) % (2.0 * np.pi) - np.pi
    with np.errstate(divide="ignore", invalid="ignore"):
        d2 = np.where(var > 0.0, resid * resid / var, np.inf)
    inside = ok & (d2 <= gate_chi2)
    i, j, d2 = i[inside], j[inside], d2[inside]
    if i.shape[0] == 0:
        return claim
    # one to one within each scan: the scan label of a pair is its bearing's (sensor, t)
    keys = np.column_stack([batch.sensor[i].astype(np.float64), batch.t[i]])
    _, scan = np.unique(keys, axis=0, return_inverse=True)
    scan = scan.reshape(-1)
    for s in np.unique(scan):  # a loop over scans with both kinds, not over detections
        k = np.flatnonzero(scan == s)
        rows, r_inv = np.unique(i[k], return_inverse=True)
        cols, c_inv = np.unique(j[k], return_inverse=True)
        cost = np.full((rows.shape[0], cols.shape[0]), 1e9)
        cost[r_inv, c_inv] = d2[k]
        r, col = linear_sum_assignment(cost)
        keep = cost[r, col] < 1e9
        claim[rows[r[keep]]] = batch.ident[cols[col[keep]]]
    return claim
