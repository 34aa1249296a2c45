"""Grouping a stream of detections into tracker frames of fixed length.

Data layout
-----------
Frames are the half-open intervals ``[k P, (k + 1) P)`` of UTC epoch time, ``P`` the frame period
in seconds, so that frames of a 1 s period end on whole seconds whatever the file's first time. A
:class:`Frame` is stamped with its *end* time ``(k + 1) P``: the tracker closes the frame there
(``tracker.step(frame.batch, t=frame.t_end)``).

Rules
-----
* Rows are taken in stream order. A row later than the current frame closes it (and yields the
  empty frames of a gap, at most ``max_empty_frames`` of them) and opens the row's frame.
* A *late* row, earlier than the current frame, goes into the current frame: it is given to the
  tracker with the frame in which it was read (the tracker handles out-of-sequence data).
* Per batch the work is batched: frame index ``k = floor(t / P)``, then a running maximum over the
  stream assigns each row ``max(k, k_current)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import DetectionBatch


@dataclass(frozen=True, slots=True)
class Frame:
    """The detections of one frame.

    Attributes
    ----------
    t_end : float, s
        End of the frame (UTC epoch): the time to close it at.
    batch : DetectionBatch
        Its detections in stream order (late rows included); empty for a frame of a gap.
    """

    t_end: float
    batch: DetectionBatch


def iter_frames(
    batches: Iterable[DetectionBatch], period_s: float, *, max_empty_frames: int = 1000
) -> Iterator[Frame]:
    """Frames of ``period_s`` seconds from a stream of batches (see the module docstring).

    Parameters
    ----------
    batches : iterable of DetectionBatch
        The stream, e.g. a :class:`~dronewall.formats.DetectionReader`; times must be finite.
    period_s : float, s
        Frame length, > 0.
    max_empty_frames : int
        At most this many empty frames are yielded for a gap in the data; a longer gap is jumped
        (the tracker then predicts across the rest in one step). Tracks die long before 1000 s
        without detections at the default tracker parameters.

    Yields
    ------
    Frame
        Consecutive frames in time order, from the frame of the first row to that of the last.
    """
    if not (math.isfinite(period_s) and period_s > 0.0):
        raise ValueError(f"frame period must be finite and positive, got {period_s}")
    if max_empty_frames < 0:
        raise ValueError(f"max_empty_frames must be >= 0, got {max_empty_frames}")
    empty = DetectionBatch.empty()
    current: int | None = None
    pending: list[DetectionBatch] = []
    for batch in batches:
        if not len(batch):
            continue
        k = np.floor(batch.t / period_s).astype(np.int64)
        floor = int(k[0]) if current is None else current
        assigned = np.maximum.accumulate(np.maximum(k, floor))
        bounds = [0, *(np.flatnonzero(np.diff(assigned)) + 1).tolist(), len(batch)]
        for a, b in itertools.pairwise(bounds):
            frame_k = int(assigned[a])
            if current is None:
                current = frame_k
            elif frame_k > current:
                yield Frame((current + 1) * period_s, DetectionBatch.concat(pending))
                pending = []
                for gap_k in range(current + 1, min(frame_k, current + 1 + max_empty_frames)):
                    yield Frame((gap_k + 1) * period_s, empty)
                current = frame_k
            pending.append(batch if (a, b) == (0, len(batch)) else batch.select(np.arange(a, b)))
    if current is not None:
        yield Frame((current + 1) * period_s, DetectionBatch.concat(pending))
