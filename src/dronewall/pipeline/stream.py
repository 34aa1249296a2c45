"""Tracking a stream of detections frame by frame, writing tracks as they come.

What ``dronewall track`` (a detection file), ``dronewall replay-capture`` (a recorded wire-format
capture) and ``dronewall ingest`` (live inputs) share: a
:class:`~dronewall.formats.DetectionReader` (over file lines or over the detection records of a
wire-format adapter) is cut into frames of ``frame_period_s``
(:func:`~dronewall.formats.iter_frames`), each frame is given to the tracker, closed at its end
time, and the tracks at that time are written as track-file lines (``docs/formats/detections.md``,
"Track output").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from dronewall.core.measurements import DetectionBatch
from dronewall.formats import DetectionReader, iter_frames, write_track_header, write_tracks
from dronewall.tracking import MultiSensorTracker, TrackerConfig


@dataclass
class StreamResult:
    """What a tracked stream gave.

    Attributes
    ----------
    frames : int
        Frames given to the tracker (empty frames of gaps included while tracks lived).
    scans : int
        Distinct ``(sensor, t)`` pairs: the tracker's scans.
    confirmed : set of int
        Track numbers that were confirmed at some frame.
    track_lines : int
        Track lines written.
    elapsed_s : float
        Wall time, s.
    tracker_counters : dict
        The tracker's counters at the end (:meth:`MultiSensorTracker.counters`).
    """

    frames: int = 0
    scans: int = 0
    confirmed: set[int] = field(default_factory=set)
    track_lines: int = 0
    elapsed_s: float = 0.0
    tracker_counters: dict[str, int] = field(default_factory=dict)


def count_scans(batch: DetectionBatch) -> int:
    """Distinct ``(sensor, t)`` pairs of a batch: the tracker's scans."""
    if not len(batch):
        return 0
    order = np.lexsort((batch.sensor, batch.t))
    t, s = batch.t[order], batch.sensor[order]
    return 1 + int(np.count_nonzero((np.diff(t) != 0.0) | (np.diff(s) != 0)))


def track_stream(
    reader: DetectionReader,
    fp: TextIO,
    tracker_config: TrackerConfig | None = None,
    *,
    frame_period_s: float = 1.0,
    all_tracks: bool = False,
    tracker: MultiSensorTracker | None = None,
) -> StreamResult:
    """Run the tracker over ``reader`` frame by frame and write the tracks of each frame to ``fp``.

    Parameters
    ----------
    reader : DetectionReader
        Not yet iterated; its frame (given, or the first one the stream declares) is the tracks'.
    fp : text file
        Receives the track header, then per frame the confirmed (or all) tracks.
    tracker_config : TrackerConfig, optional
        Default :class:`TrackerConfig` (the drone defaults); ignored when ``tracker`` is given.
    frame_period_s : float, s
        Frame length (> 0).
    all_tracks : bool
        Write tentative tracks too.
    tracker : MultiSensorTracker, optional
        Continue an existing tracker instead of a new one.

    Raises
    ------
    InputError
        When the source cannot be read (bad *records* never raise: see ``reader.errors``).
    """
    started = time.perf_counter()
    if tracker is None:
        tracker = MultiSensorTracker(tracker_config or TrackerConfig())
    result = StreamResult()
    frame_name = "local"
    for frame in iter_frames(reader, frame_period_s):
        if not len(frame.batch) and not len(tracker):
            continue  # a gap with nothing to coast
        local = reader.frame
        assert local is not None  # known once a detection was read
        if result.frames == 0:
            names = [n for n, f in reader.frames.items() if f == local]
            frame_name = names[0] if names else "local"
            write_track_header(fp, local, frame_name=frame_name)
        tracker.step(frame.batch, t=frame.t_end)
        result.frames += 1
        result.scans += count_scans(frame.batch)
        table = tracker.snapshot(frame.t_end)
        result.confirmed.update(table.track_id[table.confirmed].tolist())
        if not all_tracks:
            table = table.select(table.confirmed)
        result.track_lines += write_tracks(
            fp, table, local, frame_name=frame_name, sensor_ids=reader.sensor_ids
        )
    result.elapsed_s = time.perf_counter() - started
    result.tracker_counters = dict(tracker.counters)
    return result
