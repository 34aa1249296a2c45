"""Replaying a recorded wire-format capture through the tracker: ``dronewall replay-capture``.

A capture (an ASTERIX pcap, a Beast log, an SBS text file, a Remote ID radio capture, a SAPIENT
stream, a CoT file ...) is decoded by its adapter (:mod:`dronewall.adapters.registry`) into
detection records, which are

1. written unchanged to ``detections.jsonl`` (a detection file: ``dronewall track`` reads it back,
   and it is the record of what the capture said, in one documented format),
2. converted by :class:`~dronewall.formats.DetectionReader` (validation, WGS84 to the local frame)
   and tracked frame by frame (:func:`~dronewall.pipeline.stream.track_stream`) into
   ``tracks.jsonl``,
3. summarised in ``summary.json``: records decoded and refused by the adapter (by reason, the
   first ones with their byte offset, line or message index), records refused by the detection
   reader (line = record number), frames, scans, tracks.

The output directory is written atomically: all of it or none of it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dronewall.adapters.base import DetectionRecord
from dronewall.adapters.registry import read_capture
from dronewall.formats import DetectionReader
from dronewall.formats.detections import write_format_record
from dronewall.geo.frames import LocalFrame
from dronewall.pipeline.output import atomic_directory
from dronewall.pipeline.stream import StreamResult, track_stream
from dronewall.tracking import TrackerConfig

MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What :func:`replay_capture` did (``summary`` is what ``summary.json`` holds)."""

    out_dir: Path
    summary: dict[str, Any]
    stream: StreamResult


def record_line(record: DetectionRecord) -> str | None:
    """``record`` as one line of a detection file, or None when it is not strict JSON (a NaN, an
    object JSON cannot hold): the detection reader refuses such a record and counts it."""
    try:
        return json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"
    except (TypeError, ValueError, RecursionError):
        return None


def _tee(records: Iterator[DetectionRecord], fp: TextIO, counter: list[int]) -> Iterator[Any]:
    """Pass the records on, writing each to ``fp`` as one JSON line."""
    write_format_record(fp)
    for record in records:
        line = record_line(record)
        if line is not None:
            fp.write(line)
        counter[0] += 1
        yield record


def replay_capture(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    sensor: str | None = None,
    options: Mapping[str, Any] | None = None,
    tracker_config: TrackerConfig | None = None,
    frame_period_s: float = 1.0,
    frame: LocalFrame | None = None,
    all_tracks: bool = False,
) -> ReplayResult:
    """Decode the capture at ``path``, track it, write ``out_dir`` (see the module docstring).

    Parameters
    ----------
    path : path
        The capture file.
    out_dir : path
        The directory to write (replaced atomically when it exists).
    fmt : str, optional
        Wire format name (:data:`~dronewall.adapters.registry.FORMATS`); detected from the file
        when omitted.
    sensor : str, optional
        Sensor id for the records of formats that do not name their sensor (default: the format).
    options : mapping, optional
        Keyword options of the format's decoder (``date``, ``radars``, ``tz``, ``start_epoch``...).
    tracker_config : TrackerConfig, optional
        Default: the drone defaults.
    frame_period_s : float, s
        Tracker frame length.
    frame : LocalFrame, optional
        Local frame of the tracks (default: the first WGS84 position of the capture).
    all_tracks : bool
        Write tentative tracks too.

    Raises
    ------
    InputError
        The capture cannot be read at all, or its format cannot be told.
    ConfigError
        Unknown format or bad options.
    """
    started = time.perf_counter()
    name, log, records = read_capture(path, fmt, sensor=sensor, options=options)
    written = [0]
    out = Path(out_dir)
    with atomic_directory(out) as work:
        with (
            (work / "detections.jsonl").open("w", encoding="utf-8") as det_fp,
            (work / "tracks.jsonl").open("w", encoding="utf-8") as trk_fp,
        ):
            reader = DetectionReader(
                _tee(records, det_fp, written),
                frame=frame,
                chunk_lines=4096,
                max_errors=MAX_REPORTED_ERRORS,
            )
            stream = track_stream(
                reader,
                trk_fp,
                tracker_config,
                frame_period_s=frame_period_s,
                all_tracks=all_tracks,
            )
        summary: dict[str, Any] = {
            "capture": os.fspath(path),
            "format": name,
            "decode": log.summary(),
            "records": written[0],
            "detections": reader.detections,
            "records_refused": reader.bad_lines,
            "first_refused": [str(e) for e in reader.errors[:20]],
            "sensors": list(reader.sensor_ids),
            "frame": None
            if reader.frame is None
            else {
                "lat_deg": reader.frame.lat_deg,
                "lon_deg": reader.frame.lon_deg,
                "h_m": reader.frame.h_m,
            },
            "frames": stream.frames,
            "scans": stream.scans,
            "tracks_confirmed": len(stream.confirmed),
            "track_lines": stream.track_lines,
            "tracker_counters": stream.tracker_counters,
            "elapsed_s": round(time.perf_counter() - started, 3),
        }
        (work / "summary.json").write_text(
            json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
    return ReplayResult(out.resolve(), summary, stream)
