"""File formats at the edge: the detection input format and the track output format (JSON Lines).

Both are specified for integrators in ``docs/formats/detections.md``.

* :func:`read_detections` / :class:`DetectionReader` (streaming) read a detection file leniently:
  every bad line is a :class:`LineError` (1-based line, reason naming the field), counted and
  skipped; the rest becomes :class:`~dronewall.core.DetectionBatch` rows in one local ENU frame.
* :func:`write_detections` writes a batch so that reading it back gives the same batch.
* :func:`iter_frames` groups a stream of detections into fixed-length tracker frames.
* :func:`write_tracks` / :func:`read_tracks` write and read the track output.

Uses only the standard library's :mod:`json` (no wire-format dependency).
"""

from dronewall.formats.detections import (
    DetectionFile,
    DetectionReader,
    read_detections,
    write_detections,
)
from dronewall.formats.framing import Frame, iter_frames
from dronewall.formats.records import (
    ICAO_LIMIT,
    LineError,
    atomic_text_file,
    remote_id_ident,
    write_frame_record,
)
from dronewall.formats.tracks import TrackFile, read_tracks, write_track_header, write_tracks

__all__ = [
    "ICAO_LIMIT",
    "DetectionFile",
    "DetectionReader",
    "Frame",
    "LineError",
    "TrackFile",
    "atomic_text_file",
    "iter_frames",
    "read_detections",
    "read_tracks",
    "remote_id_ident",
    "write_detections",
    "write_frame_record",
    "write_track_header",
    "write_tracks",
]
