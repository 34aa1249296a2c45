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

With a defended area (``--area``, :func:`~dronewall.pipeline.area.load_area`) the frames go
through the whole picture instead of the tracker alone: a
:class:`~dronewall.pipeline.session.StreamSession` classifies, identifies, scores the threat to
the area's sites, raises alerts and proposes engagements (decision support: nobody answers a
replay, so proposals expire at their time to live), and records everything in an event store
(``events.sqlite`` in the output, or the store at ``db``, a path or a PostgreSQL URL); the
run's ``report.html`` is written into the output from that store. ``tracks.jsonl`` then
carries each track's class, and ``summary.json`` the alerts and proposals by name.

A detection file (``docs/formats/detections.md``, e.g. the ``detections.jsonl`` that a replay or
``dronewall ingest`` recorded) is replayed as it is (format ``detections``).

The output directory is written atomically: all of it or none of it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.registry import read_capture
from dronewall.core.errors import InputError
from dronewall.core.taxonomy import ObjectClass
from dronewall.formats import DetectionReader, iter_frames, write_track_header, write_tracks
from dronewall.formats.detections import FORMAT_NAME, write_format_record
from dronewall.geo.frames import LocalFrame
from dronewall.picture import EventStore
from dronewall.pipeline.output import atomic_directory
from dronewall.pipeline.session import StreamSession
from dronewall.pipeline.stream import StreamResult, count_scans, track_stream
from dronewall.report import rebuild_command, try_write_report
from dronewall.sim import Scenario
from dronewall.tracking import TrackerConfig
from dronewall.world import World, load_world

MAX_REPORTED_ERRORS = 1000

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What :func:`replay_capture` did (``summary`` is what ``summary.json`` holds)."""

    out_dir: Path
    summary: dict[str, Any]
    stream: StreamResult
    report: Path | None = None
    """``out_dir/report.html`` when the picture was recorded and its report written."""
    report_error: str | None = None
    """Why the report of a recorded picture was not written (the run is in its store)."""


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
    area: Scenario | None = None,
    world: World | None = None,
    db: str | os.PathLike[str] | None = None,
) -> ReplayResult:
    """Decode the capture at ``path``, track it, write ``out_dir`` (see the module docstring).

    Parameters
    ----------
    path : path
        The capture file.
    out_dir : path
        The directory to write (replaced atomically when it exists).
    fmt : str, optional
        Wire format name (:data:`~dronewall.adapters.registry.FORMATS`), or ``detections`` (a
        detection file, ``docs/formats/detections.md``); detected from the file when omitted.
    sensor : str, optional
        Sensor id for the records of formats that do not name their sensor (default: the format).
    options : mapping, optional
        Keyword options of the format's decoder (``date``, ``radars``, ``tz``, ``start_epoch``...).
    tracker_config : TrackerConfig, optional
        Default: the drone defaults.
    frame_period_s : float, s
        Tracker frame length.
    frame : LocalFrame, optional
        Local frame of the tracks (default: the area's, else the first WGS84 position of the
        capture).
    all_tracks : bool
        Write tentative tracks too.
    area : Scenario, optional
        The defended area (:func:`~dronewall.pipeline.area.load_area`). With it the whole picture
        is built and recorded (:class:`~dronewall.pipeline.session.StreamSession`): classes,
        identities, threats, alerts and engagement proposals, in the event store ``db``.
    world : World, optional
        Default: the packaged world model (with ``area``).
    db : path or URL, optional
        The event store (with ``area``): an SQLite path or an SQLAlchemy URL
        (``postgresql://...``). Default: ``out_dir/events.sqlite``. ``out_dir/report.html``
        is written from the store either way.

    Raises
    ------
    InputError
        The capture cannot be read at all, or its format cannot be told.
    ConfigError
        Unknown format or bad options.
    StoreError
        The event store cannot be opened or written.
    """
    started = time.perf_counter()
    lines: Iterator[str] | None = None
    records: Iterator[DetectionRecord] = iter(())
    if fmt == DETECTIONS or (fmt is None and is_detection_file(path)):
        name, log, lines = DETECTIONS, DecodeLog(os.fspath(path)), _detection_lines(path)
    else:
        name, log, records = read_capture(path, fmt, sensor=sensor, options=options)
    if area is not None and frame is None:
        frame = area.frame
    written = [0]
    out = Path(out_dir)
    picture: _Picture | None = None
    try:
        with atomic_directory(out) as work:
            with (
                (work / "detections.jsonl").open("w", encoding="utf-8") as det_fp,
                (work / "tracks.jsonl").open("w", encoding="utf-8") as trk_fp,
            ):
                source: Iterator[Any] = (
                    _tee(records, det_fp, written)
                    if lines is None
                    else _tee_lines(lines, det_fp, written, log)
                )
                reader = DetectionReader(
                    source, frame=frame, chunk_lines=4096, max_errors=MAX_REPORTED_ERRORS
                )
                if area is None:
                    stream = track_stream(
                        reader,
                        trk_fp,
                        tracker_config,
                        frame_period_s=frame_period_s,
                        all_tracks=all_tracks,
                    )
                else:
                    picture = _Picture(
                        area,
                        world or load_world(),
                        work / STORE_FILE if db is None else db,
                        os.fspath(path),
                        tracker_config,
                    )
                    stream = picture.run(reader, trk_fp, frame_period_s, all_tracks)
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
            recorded = picture is not None and picture.session is not None
            if picture is not None:
                summary = picture.finish(summary)
            (work / "summary.json").write_text(
                json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
            )
            report: Path | None = None
            report_error: str | None = None
            if recorded:  # from the store, wherever it is; the data stays if this fails
                report, report_error = try_write_report(work, db)
    except BaseException:
        if picture is not None:
            picture.fail()
        raise
    if report_error is not None:
        again = rebuild_command(out, db is not None)
        _log.error("no report written in %s: %s; '%s' writes it from the store", out,
                   report_error, again)  # fmt: skip
    return ReplayResult(
        out.resolve(),
        summary,
        stream,
        None if report is None else out.resolve() / report.name,
        report_error,
    )


#: The format name of a detection file given to ``replay-capture``.
DETECTIONS = "detections"
STORE_FILE = "events.sqlite"
FLUSH_FRAMES = 60
"""Frames written to the store per transaction."""


def is_detection_file(path: str | os.PathLike[str]) -> bool:
    """A detection file: named ``.jsonl`` / ``.jsonl.gz``, or starting with its format record."""
    p = Path(path)
    if p.name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return True
    try:
        with p.open("rb") as fh:
            head = fh.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and FORMAT_NAME.encode() in head.split(b"\n", 1)[0]


def _detection_lines(path: str | os.PathLike[str]) -> Iterator[str]:
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found" if not p.exists() else "not a file", source=str(p))
    opener = gzip.open if p.name.endswith(".gz") else open
    try:
        with opener(p, "rt", encoding="utf-8", errors="replace") as fh:
            yield from fh
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read the detection file: {exc}", source=str(p)) from exc


def _tee_lines(
    lines: Iterator[str], fp: TextIO, counter: list[int], log: DecodeLog
) -> Iterator[str]:
    """Pass the lines of a detection file on, copying them to ``fp`` (it is its own record)."""
    for line in lines:
        fp.write(line if line.endswith("\n") else line + "\n")
        counter[0] += 1
        log.ok()
        yield line


class _Picture:
    """The whole picture of a replay: a :class:`StreamSession` over the frames of the reader,
    recorded in the event store ``db`` (opened at the first frame with a detection)."""

    def __init__(
        self,
        area: Scenario,
        world: World,
        db: str | os.PathLike[str],
        source: str,
        tracker_config: TrackerConfig | None,
    ) -> None:
        self.area, self.world, self.source = area, world, source
        self.db: str | Path = db if isinstance(db, str) else Path(db)
        self.tracker_config = tracker_config
        self.store: EventStore | None = None
        self.session: StreamSession | None = None

    def run(
        self, reader: DetectionReader, fp: TextIO, frame_period_s: float, all_tracks: bool
    ) -> StreamResult:
        """Every frame through the session; the tracks of each frame (with their class) to
        ``fp``."""
        started = time.perf_counter()
        result = StreamResult()
        frame_name = "local"
        with contextlib.ExitStack() as batch_of_frames:
            for frame in iter_frames(reader, frame_period_s):
                session = self.session
                if not len(frame.batch) and (session is None or not len(session.tracker)):
                    continue  # a gap with nothing to coast
                local = reader.frame
                assert local is not None  # known once a detection was read
                if session is None:
                    session = self._begin(local, frame.t_end - frame_period_s, frame_period_s)
                    names = [n for n, f in reader.frames.items() if f == local]
                    frame_name = names[0] if names else "local"
                    write_track_header(fp, local, frame_name=frame_name)
                if session.k % FLUSH_FRAMES == 0:  # one transaction per FLUSH_FRAMES frames
                    batch_of_frames.close()
                    batch_of_frames.enter_context(session.store.transaction())
                res = session.step(frame.batch, frame.t_end, reader.sensor_ids)
                result.frames += 1
                result.scans += count_scans(frame.batch)
                tracks, assessment = res.tracks, res.assessment
                result.confirmed.update(tracks.track_id[tracks.confirmed].tolist())
                keep = np.ones(len(tracks), np.bool_) if all_tracks else tracks.confirmed
                result.track_lines += write_tracks(
                    fp,
                    tracks.select(keep),
                    local,
                    frame_name=frame_name,
                    sensor_ids=reader.sensor_ids,
                    classes=[ObjectClass(int(c)).label for c in assessment.object_class[keep]],
                )
        result.elapsed_s = time.perf_counter() - started
        if self.session is not None:
            result.tracker_counters = dict(self.session.tracker.counters)
        return result

    def _begin(self, frame: LocalFrame, t0: float, tick_s: float) -> StreamSession:
        self.store = EventStore.open(self.db)
        self.session = StreamSession(
            self.area,
            self.world,
            store=self.store,
            frame=frame,
            t0=t0,
            tick_s=tick_s,
            source=self.source,
            tracker_config=self.tracker_config,
        )
        return self.session

    def finish(self, capture: dict[str, Any]) -> dict[str, Any]:
        """The summary (the capture's and the picture's), recorded as the run's end."""
        session, store = self.session, self.store
        if session is None or store is None:
            return {**capture, "scenario": self.area.name, "store": None, "run_id": None}
        where = STORE_FILE if isinstance(self.db, Path) and self.db.name == STORE_FILE else None
        summary = {**session.summary(), **capture, "store": where or store.source}
        session.finish(summary)
        store.close()
        self.store = None
        return summary

    def fail(self) -> None:
        """Mark the run failed (a store outside the output keeps it) and close the store."""
        if self.session is not None and self.store is not None:
            with contextlib.suppress(Exception):
                self.session.finish({"scenario": self.area.name, "seed": 0}, "failed")
        if self.store is not None:
            self.store.close()
            self.store = None
