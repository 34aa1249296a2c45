"""The track table: a snapshot of the tracker's live tracks, as the assess stage reads it.

Data layout
-----------
Struct of arrays over ``N`` tracks. State ``x`` is nearly-constant-velocity in the run's local ENU
frame, ``(e, n, u, ve, vn, vu)`` in metres and metres per second, predicted to the snapshot time
``t``; ``P`` its covariance.

==================  ============  ======================================================
field               shape         meaning
==================  ============  ======================================================
``t``               float         snapshot time, UTC epoch seconds
``track_id``        (N,) int64    stable track number, never reused within a run
``status``          (N,) int8     :class:`TrackStatus`
``x``               (N, 6)        state at ``t``
``P``               (N, 6, 6)     state covariance at ``t``
``t_first``         (N,)          time of the first detection of the track
``t_update``        (N,)          time of the last associated detection
``hits``            (N,) int32    associated detections so far
``misses``          (N,) int32    consecutive frames (tracker steps) without an associated
                                  detection
``ident``           (N,) int64    cooperative identity (ICAO address) associated, -1 none
``rcs_dbsm``        (N,)          running mean of measured RCS in dBsm, NaN if none
``sensors``         (N,) int64    bit mask of the sensor indices that updated the track
``truth``           (N,) int32    majority truth index of associated detections, -1 none.
                                  For evaluation only.
``cue_counts``      (N, C) int32  associated detections with each class cue
                                  (``DetectionBatch.cue``), columns in
                                  :class:`~dronewall.core.taxonomy.ObjectClass` order;
                                  optional in the constructor (omitted: zeros)
==================  ============  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import F64, I8, I32, I64
from dronewall.core.taxonomy import ObjectClass

N_CUE_CLASSES = len(ObjectClass)
"""Columns of :attr:`TrackTable.cue_counts`."""

_COUNTS_UNSET: I32 = np.zeros((0, N_CUE_CLASSES), np.int32)
_COUNTS_UNSET.setflags(write=False)


class TrackStatus(IntEnum):
    TENTATIVE = 0
    CONFIRMED = 1
    COASTING = 2  # confirmed, missed at least the last scan, not yet deleted

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TrackTable:
    """``N`` tracks at time ``t``. See the module docstring for the layout."""

    t: float
    track_id: I64
    status: I8
    x: F64
    P: F64
    t_first: F64
    t_update: F64
    hits: I32
    misses: I32
    ident: I64
    rcs_dbsm: F64
    sensors: I64
    truth: I32
    cue_counts: I32 = field(default_factory=lambda: _COUNTS_UNSET)

    def __post_init__(self) -> None:
        n = self.track_id.shape[0]
        if self.cue_counts is _COUNTS_UNSET:
            # the optional column: every constructor that predates it keeps working
            object.__setattr__(self, "cue_counts", np.zeros((n, N_CUE_CLASSES), np.int32))
        elif self.cue_counts.shape != (n, N_CUE_CLASSES):
            raise ValueError(
                f"TrackTable.cue_counts has shape {self.cue_counts.shape}, "
                f"expected {(n, N_CUE_CLASSES)}"
            )

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @property
    def confirmed(self) -> NDArray[np.bool_]:
        """Mask of tracks a person sees: confirmed or coasting."""
        mask: NDArray[np.bool_] = self.status != TrackStatus.TENTATIVE
        return mask

    def select(self, index: NDArray[np.bool_] | NDArray[np.intp]) -> TrackTable:
        return TrackTable(
            **{
                f.name: (getattr(self, f.name) if f.name == "t" else getattr(self, f.name)[index])
                for f in fields(self)
            }
        )

    @classmethod
    def empty(cls, t: float) -> TrackTable:
        return cls(
            t=t,
            track_id=np.empty(0, np.int64),
            status=np.empty(0, np.int8),
            x=np.empty((0, 6)),
            P=np.empty((0, 6, 6)),
            t_first=np.empty(0),
            t_update=np.empty(0),
            hits=np.empty(0, np.int32),
            misses=np.empty(0, np.int32),
            ident=np.empty(0, np.int64),
            rcs_dbsm=np.empty(0),
            sensors=np.empty(0, np.int64),
            truth=np.empty(0, np.int32),
            cue_counts=np.zeros((0, N_CUE_CLASSES), np.int32),
        )
