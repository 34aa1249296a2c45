"""Per-track state kept between ticks, keyed by ``track_id``, as sorted arrays.

Data layout
-----------
A stage that remembers something per track keeps ``ids (K,) int64`` (the track ids it knew at the
previous tick) beside its state columns ``(K, ...)``. Each tick :func:`match_ids` maps the ``N``
current ids onto those rows in ``O((N + K) log K)`` with no Python loop; the stage then gathers the
previous values of the tracks it knew, fills new tracks with defaults and stores the ``N`` current
rows (tracks that disappeared drop out by themselves).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
IntP = NDArray[np.intp]
B = NDArray[np.bool_]


def match_ids(prev_ids: I64, ids: I64) -> tuple[B, IntP]:
    """Rows of ``prev_ids`` holding each of ``ids``.

    Parameters
    ----------
    prev_ids : (K,) int64
        Ids of the stored rows, any order, unique.
    ids : (N,) int64
        Ids looked up.

    Returns
    -------
    found : (N,) bool
        Whether ``ids[i]`` is stored.
    row : (N,) intp
        Its row in ``prev_ids`` where ``found``; 0 elsewhere (mask before use).
    """
    n = ids.shape[0]
    if prev_ids.shape[0] == 0 or n == 0:
        return np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.intp)
    order = np.argsort(prev_ids, kind="stable")
    sorted_ids = prev_ids[order]
    pos = np.searchsorted(sorted_ids, ids)
    pos_c = np.minimum(pos, sorted_ids.shape[0] - 1)
    found = sorted_ids[pos_c] == ids
    row = np.where(found, order[pos_c], 0).astype(np.intp)
    return found, row
