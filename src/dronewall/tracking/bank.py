"""The track bank: the tracker's live tracks as a struct of arrays.

Data layout
-----------
Row ``i`` of every array is track ``i``; rows are kept in creation order (so ``track_id`` ascends),
new tracks are appended by concatenation and deleted ones removed by compaction. Each track's
state refers to its own time ``t_update`` (the time of its last detection): the ``r``
mode-conditioned estimates ``xm (r, 6)``/``Pm (r, 6, 6)`` of the interacting multiple model with
their probabilities ``mu (r,)``, and their moment-matched combination ``x (6,)``/``P (6, 6)``
(``(e, n, u, ve, vn, vu)``, m and m/s, local ENU). With a single mode (the NCV tracker) ``r = 1``.
Predictions to a scan or snapshot time are computed on demand and never stored.

================  ============  =========================================================
field             shape         meaning
================  ============  =========================================================
``track_id``      (N,) int64    stable number, never reused
``status``        (N,) int8     :class:`~dronewall.core.tracks.TrackStatus`
``x``             (N, 6)        state at ``t_update``
``P``             (N, 6, 6)     covariance at ``t_update``
``t_first``       (N,)          time of the first detection, s
``t_update``      (N,)          time of the last detection, s
``hits``          (N,) int32    detections associated so far
``misses``        (N,) int32    consecutive frames without a detection
``history``       (N,) int64    hit bits of the last frames, bit 0 the latest closed frame
``age``           (N,) int32    frames closed since the track was born
``hit_frame``     (N,) bool     the track got a detection in the open frame
``ident``         (N,) int64    cooperative identity, -1 none
``rcs_db_sum``    (N,)          sum of measured RCS in dBsm
``rcs_count``     (N,) int32    number of RCS measurements in that sum
``sensors``       (N,) int64    bit mask ``1 << sensor`` of the sensors that updated it
``truth``         (N,) int32    majority-vote truth candidate (evaluation only)
``truth_votes``   (N,) int32    Boyer-Moore vote counter of ``truth``
``llr``           (N,)          track score: log-likelihood ratio, target vs false alarm
``llr_max``       (N,)          the largest score the track reached
``frame_sensors`` (N,) int64    bit mask of the sensors that updated it in the open frame
``dup_of``        (N,) int64    ``track_id`` of an older track it duplicates, -1 none
``dup_frames``    (N,) int32    consecutive frames it has looked like that duplicate
``fix_hits``      (N,) int32    hits from detections that measure range (every kind but
                                ``BEARING`` and ``SIGHTING``): position fixes
``bearing_sensors`` (N,) int64  bit mask of the sensors whose bearings updated it (the two
                                sensors of a triangulation included)
``frame_fix``     (N,) bool     a range-measuring detection updated it in the open frame
``frame_bearing_sensors`` (N,)  bit mask of the sensors whose bearings updated it in the
                  int64         open frame
``t_fix``         (N,)          time of its last *observable* update, s: a range-measuring
                                detection, or bearings from two sensors since the last such
                                update (one sensor's bearings alone leave the range unknown)
``bearing_since_fix`` (N,)      bit mask of the sensors whose bearings updated it since
                  int64         ``t_fix``
``turn_rate``     (N,)          estimated turn rate ``ω̂`` at ``t_update``, rad/s, positive
                                left (adaptive IMM only; 0 otherwise)
``turn_rate_var`` (N,)          its variance ``σ²_ω``, (rad/s)²
================  ============  =========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import F64, I8, I32, I64, B


@dataclass(slots=True, kw_only=True)
class TrackBank:
    """Live tracks as a struct of arrays; see the module docstring for the layout."""

    track_id: I64
    status: I8
    x: F64
    P: F64
    mu: F64
    xm: F64
    Pm: F64
    t_first: F64
    t_update: F64
    hits: I32
    misses: I32
    history: I64
    age: I32
    hit_frame: B
    ident: I64
    rcs_db_sum: F64
    rcs_count: I32
    sensors: I64
    truth: I32
    truth_votes: I32
    llr: F64
    llr_max: F64
    frame_sensors: I64
    dup_of: I64
    dup_frames: I32
    fix_hits: I32
    bearing_sensors: I64
    frame_fix: B
    frame_bearing_sensors: I64
    t_fix: F64
    bearing_since_fix: I64
    turn_rate: F64
    turn_rate_var: F64

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @classmethod
    def empty(cls, n_modes: int = 1) -> TrackBank:
        """A bank with no tracks, for an ``n_modes``-mode filter."""
        return cls(
            track_id=np.empty(0, np.int64),
            status=np.empty(0, np.int8),
            x=np.empty((0, 6)),
            P=np.empty((0, 6, 6)),
            mu=np.empty((0, n_modes)),
            xm=np.empty((0, n_modes, 6)),
            Pm=np.empty((0, n_modes, 6, 6)),
            t_first=np.empty(0),
            t_update=np.empty(0),
            hits=np.empty(0, np.int32),
            misses=np.empty(0, np.int32),
            history=np.empty(0, np.int64),
            age=np.empty(0, np.int32),
            hit_frame=np.empty(0, np.bool_),
            ident=np.empty(0, np.int64),
            rcs_db_sum=np.empty(0),
            rcs_count=np.empty(0, np.int32),
            sensors=np.empty(0, np.int64),
            truth=np.empty(0, np.int32),
            truth_votes=np.empty(0, np.int32),
            llr=np.empty(0),
            llr_max=np.empty(0),
            frame_sensors=np.empty(0, np.int64),
            dup_of=np.empty(0, np.int64),
            dup_frames=np.empty(0, np.int32),
            fix_hits=np.empty(0, np.int32),
            bearing_sensors=np.empty(0, np.int64),
            frame_fix=np.empty(0, np.bool_),
            frame_bearing_sensors=np.empty(0, np.int64),
            t_fix=np.empty(0),
            bearing_since_fix=np.empty(0, np.int64),
            turn_rate=np.empty(0),
            turn_rate_var=np.empty(0),
        )

    def select(self, index: NDArray[np.bool_] | NDArray[np.intp]) -> TrackBank:
        """Rows picked by a mask or an index, as a new bank (copies)."""
        return TrackBank(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def extend(self, other: TrackBank) -> None:
        """Append the rows of ``other`` in place."""
        if len(other) == 0:
            return
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))

    def compact(self, keep: NDArray[np.bool_]) -> None:
        """Drop the rows where ``keep`` is False, in place."""
        if bool(np.all(keep)):
            return
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name)[keep])


def several(bits: I64) -> B:
    """Whether each sensor bit mask of ``bits (N,)`` has two or more bits set: bearings from two
    sensors, which measure a range together."""
    out: B = (bits & (bits - 1)) != 0
    return out


def popcount(bits: I64, width: int) -> I64:
    """Number of set bits among the lowest ``width`` bits of each of ``bits (N,)``: the hits in
    an M-of-N history word."""
    out: I64 = ((bits[:, None] >> np.arange(width)) & 1).sum(axis=1)
    return out


def majority_vote(candidate: I32, votes: I32, label: I32) -> tuple[I32, I32]:
    """One step of the Boyer-Moore majority vote per row: the running candidate ``(N,)`` and its
    counter ``(N,)`` after seeing ``label (N,)``. Used on truth labels, for evaluation only."""
    fresh = votes == 0
    new_candidate: I32 = np.where(fresh, label, candidate).astype(np.int32)
    new_votes: I32 = np.where(fresh | (candidate == label), votes + 1, votes - 1).astype(np.int32)
    return new_candidate, new_votes
