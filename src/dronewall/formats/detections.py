"""The detection file format (JSON Lines): a lenient streaming reader and an exact writer.

The format itself is specified in ``docs/formats/detections.md``; in short, one JSON object per
line, of ``type`` ``"detection"`` (the default), ``"frame"`` (declares a local ENU frame by name),
``"sensor"`` (declares a sensor id, optionally with its position) or ``"format"`` (name and
version), with values in natural units (metres, degrees, seconds) and the measurement noise as a
covariance (``cov``) or standard deviations (``std``).

Data layout
-----------
The reader turns the lines into :class:`~dronewall.core.measurements.DetectionBatch` rows in
**one** local ENU frame (the caller's, else the first frame declared in the file, else the first
WGS84 sensor position; see the doc), SI units and radians:

* ``z`` by kind as in :mod:`dronewall.core.measurements`; a component that was not measured (the
  ``up`` of a 2-D position, the elevation of a 2-D radar plot or of an azimuth-only bearing) is
  NaN in ``z`` and its row and column of ``R`` are zero;
* ``R = S C Sᵀ`` with ``C`` the file's covariance and ``S = diag(1, π/180, π/180)`` for polar
  ``(m, deg, deg)``, ``diag(π/180, π/180)`` for bearings: degrees² become radians²;
* positions given in WGS84 or in another frame are converted through ECEF
  (:class:`~dronewall.geo.LocalFrame`); their covariance (metres along east, north, up at the
  point or of their frame) is rotated, ``R = M C Mᵀ`` with ``M = R_out R_inᵀ``;
* angles are measured along the axes of the frame the sensor position is given in (a WGS84 sensor
  position: true north and the local horizontal at the sensor). When those differ from the output
  frame's axes, the direction is rotated and ``R`` transformed with the Jacobian ``J`` of
  ``(az, el) -> (az', el')``: ``R' = J R Jᵀ``. A missing elevation is taken as 0 for the rotation;
* ``sensor`` indices number the sensor ids in order of first appearance (sensor records
  included): :attr:`DetectionReader.sensor_ids` is the table;
* the optional ``class_cue`` (an object-class label an EO/IR operator recognised, e.g.
  ``"bird"``) becomes :attr:`~dronewall.core.measurements.DetectionBatch.cue` (the
  :class:`~dronewall.core.taxonomy.ObjectClass` code, -1 when absent).

Every malformed line is reported as a :class:`~dronewall.formats.records.LineError` (1-based line,
reason naming the field), counted and skipped; every good line is kept. Per line the reader does
only ``json.loads`` and field checks in Python; conversions run batched per chunk of lines.
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import numpy as np
from numpy.typing import NDArray

from dronewall.core.errors import InputError
from dronewall.core.measurements import F64, NO_CUE, DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.formats.records import (
    MISSING,
    PROTOCOL_LABELS,
    PROTOCOLS,
    TEXT_LIMIT,
    WGS84,
    BadField,
    LineError,
    Point,
    as_number,
    atomic_text_file,
    check_keys,
    finite_or_none,
    frame_record,
    ident_fields,
    integer,
    number,
    optional_number,
    parse_frame_record,
    parse_ident,
    parse_point,
    string,
    time_value,
    write_record,
)
from dronewall.geo.frames import LocalFrame

FORMAT_NAME: Final = "dronewall.detections"
FORMAT_VERSION: Final = 1
DEFAULT_CHUNK_LINES: Final = 16_384

Source = str | os.PathLike[str] | Iterable[str] | Iterable[bytes] | Iterable[dict[str, Any]]
"""A file path (``.gz`` read through gzip), an iterable of lines (str or bytes), or an iterable of
records already parsed (dicts in the file's schema, as the wire-format adapters produce them; each
counts as one line)."""

_NO_POINT: Final = -2
_DEG = math.pi / 180.0
_INF = math.inf

#: kind label -> (code, key of the value object)
KINDS: Final[dict[str, tuple[int, str]]] = {
    "position": (int(MeasurementKind.POSITION), "position"),
    "sighting": (int(MeasurementKind.SIGHTING), "position"),
    "polar": (int(MeasurementKind.POLAR), "polar"),
    "bearing": (int(MeasurementKind.BEARING), "bearing"),
}
KIND_LABELS: Final[dict[int, str]] = {code: label for label, (code, _) in KINDS.items()}
_VALUE_KEYS = frozenset({"position", "polar", "bearing"})
_DETECTION_KEYS = frozenset(
    {
        "type",
        "t",
        "t_received",
        "sensor",
        "sensor_pos",
        "kind",
        *_VALUE_KEYS,
        "cov",
        "std",
        "rcs_m2",
        "snr_db",
        "protocol",
        "icao",
        "remote_id",
        "ident",
        "truth",
        "class_cue",
    }
)
#: class-cue label -> ObjectClass code, and back
CUE_CODES: Final[dict[str, int]] = {c.label: int(c) for c in ObjectClass}
CUE_LABELS: Final[dict[int, str]] = {code: label for label, code in CUE_CODES.items()}
_POLAR_KEYS = frozenset(
    {"range_m", "azimuth_deg", "elevation_deg", "range_rate_m_s", "range_rate_std_m_s"}
)
_BEARING_KEYS = frozenset({"azimuth_deg", "elevation_deg"})
_SENSOR_KEYS = frozenset({"type", "id", "position", "description"})
_FORMAT_KEYS = frozenset({"type", "name", "version"})
_COMPONENTS: Final[dict[str, tuple[str, str, str]]] = {
    "position": ("east", "north", "up"),
    "polar": ("range_m", "azimuth_deg", "elevation_deg"),
    "bearing": ("azimuth_deg", "elevation_deg", ""),
}
_RECORD_TYPES = ("detection", "frame", "sensor", "format")

# Columns of the per-line float rows, turned into arrays once per chunk.
_T, _TRX, _SENSOR, _KIND, _PREF = 0, 1, 2, 3, 4
_V = slice(5, 8)
_C = slice(8, 17)
_SREF = 17
_S = slice(18, 21)
_RCS, _SNR, _PROTO, _TRUTH, _RR, _RRV, _CUE = 21, 22, 23, 24, 25, 26, 27


@dataclass(frozen=True, slots=True)
class DetectionFile:
    """A whole detection file read by :func:`read_detections`.

    Attributes
    ----------
    batch : DetectionBatch
        Every good detection, in file order, in ``frame``.
    frame : LocalFrame or None
        The local ENU frame of ``batch`` (None only when there was no good detection, no frame
        record, no WGS84 sensor record and none was given).
    sensor_ids : tuple of str
        ``sensor_ids[i]`` is the id of sensor index ``i``.
    errors : tuple of LineError
        The skipped lines (the first ``max_errors`` of them when that was given).
    lines, detections, bad_lines : int
        Lines read (blank ones included), good detection lines, skipped lines.
    frames : mapping of str to LocalFrame
        The frames declared in the file.
    """

    batch: DetectionBatch
    frame: LocalFrame | None
    sensor_ids: tuple[str, ...]
    errors: tuple[LineError, ...]
    lines: int
    detections: int
    bad_lines: int
    frames: Mapping[str, LocalFrame] = field(default_factory=dict)


class DetectionReader:
    """Streaming reader of a detection file: iterate for batches of at most ``chunk_lines`` lines.

    Parameters
    ----------
    source : path or iterable of lines
        A file (``.gz`` is decompressed) or lines as str or bytes. A ``str`` is a path.
    frame : LocalFrame, optional
        The local frame of the output; by default the first frame record of the file, else the
        first WGS84 sensor position (sensor record or detection), else the first WGS84 measured
        position.
    chunk_lines : int
        Lines per yielded batch (the last one may be shorter); batches with no good line are not
        yielded.
    max_errors : int, optional
        Keep at most this many :class:`LineError` (all are counted in :attr:`bad_lines`).

    Attributes
    ----------
    frame, sensor_ids, errors, lines, detections, bad_lines, frames
        As in :class:`DetectionFile`, growing as the file is read.

    Raises
    ------
    InputError
        (from iteration) when the file cannot be opened or read; bad *lines* never raise.

    Examples
    --------
    >>> reader = DetectionReader("radar.jsonl", chunk_lines=10_000)   # doctest: +SKIP
    >>> for batch in reader:                                           # doctest: +SKIP
    ...     tracker.step(batch)
    >>> reader.bad_lines, reader.errors[:3]                            # doctest: +SKIP
    """

    def __init__(
        self,
        source: Source,
        *,
        frame: LocalFrame | None = None,
        chunk_lines: int = DEFAULT_CHUNK_LINES,
        max_errors: int | None = None,
    ) -> None:
        if chunk_lines < 1:
            raise ValueError(f"chunk_lines must be >= 1, got {chunk_lines}")
        self._source = source
        self._name = os.fspath(source) if isinstance(source, str | os.PathLike) else "<lines>"
        self._chunk = chunk_lines
        self._max_errors = max_errors
        self.frame: LocalFrame | None = frame
        self.errors: list[LineError] = []
        self.lines = 0
        self.detections = 0
        self.bad_lines = 0
        self._frame_index: dict[str, int] = {}
        self._frame_list: list[LocalFrame] = []
        self._frame_lines: list[int] = []
        self._sensor_index: dict[str, int] = {}
        self._sensor_ids: list[str] = []
        self._sensor_point: dict[int, Point] = {}
        self._started = False

    @property
    def source(self) -> str:
        """The path read, or ``"<lines>"``."""
        return self._name

    @property
    def sensor_ids(self) -> tuple[str, ...]:
        """Sensor ids by index, in order of first appearance so far."""
        return tuple(self._sensor_ids)

    @property
    def frames(self) -> dict[str, LocalFrame]:
        """Frames declared so far, by name."""
        return {name: self._frame_list[i] for name, i in self._frame_index.items()}

    def __iter__(self) -> Iterator[DetectionBatch]:
        if self._started:
            raise RuntimeError("a DetectionReader can be iterated only once")
        self._started = True
        rows: list[tuple[float, ...]] = []
        idents: list[int] = []
        in_chunk = 0
        with _open_lines(self._source, self._name) as lines:
            try:
                for raw in lines:
                    self.lines += 1
                    self._line(raw, rows, idents)
                    in_chunk += 1
                    if in_chunk >= self._chunk:
                        if rows:
                            yield self._build(rows, idents)
                        rows, idents, in_chunk = [], [], 0
            except OSError as exc:  # a read error mid-file (disk, truncated gzip)
                raise InputError(
                    f"cannot read past line {self.lines}: {exc}", source=self._name
                ) from exc
            except EOFError as exc:
                raise InputError(
                    f"file ends inside a compressed block after line {self.lines}",
                    source=self._name,
                ) from exc
        if rows:
            yield self._build(rows, idents)

    def read_records(self, records: Iterable[str | bytes | dict[str, Any]]) -> DetectionBatch:
        """Convert these lines or parsed records now, for live input (no iteration needed).

        The reader's state carries over between calls (frames and sensors declared, the output
        frame, line counts, errors), so a live input is a sequence of ``read_records`` calls, one
        per tracker frame. Not to be mixed with iterating the reader.

        Returns
        -------
        DetectionBatch
            The good detections among ``records``, in order (empty when there is none).
        """
        rows: list[tuple[float, ...]] = []
        idents: list[int] = []
        for raw in records:
            self.lines += 1
            self._line(raw, rows, idents)
        return self._build(rows, idents) if rows else DetectionBatch.empty()

    # ------------------------------------------------------------ one line

    def _line(
        self,
        raw: str | bytes | dict[str, Any],
        rows: list[tuple[float, ...]],
        idents: list[int],
    ) -> None:
        if raw.__class__ is dict:  # a record already parsed: an adapter's output
            obj: Any = raw
            raw = _record_text(raw)
        else:
            assert isinstance(raw, str | bytes)
            if self.lines == 1:
                if isinstance(raw, bytes):
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                else:
                    raw = raw.removeprefix("\ufeff")
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                if not raw.strip():
                    return  # blank lines are allowed (and counted in `lines`)
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                self._error(raw, None, f"not valid JSON: {msg}")
                return
        assert isinstance(raw, str | bytes)
        if obj.__class__ is not dict:
            self._error(raw, None, "a record must be a JSON object")
            return
        try:
            kind = obj.get("type", "detection")
            if kind == "detection":
                row, ident, sensor, first_point = self._detection(obj)
                if self.frame is None:
                    self.frame = LocalFrame(first_point[1], first_point[2], first_point[3])
                row[_SENSOR] = self._sensor(sensor)
                rows.append(tuple(row))
                idents.append(ident)
                self.detections += 1
            elif kind == "frame":
                self._frame_record(obj)
            elif kind == "sensor":
                self._sensor_record(obj)
            elif kind == "format":
                _format_record(obj)
            else:
                raise BadField(
                    "type", f"unknown record type {kind!r}; expected one of {_RECORD_TYPES}"
                )
        except BadField as exc:
            self._error(raw, exc.field, str(exc))

    def _error(self, raw: str | bytes, field_: str | None, reason: str) -> None:
        self.bad_lines += 1
        if self._max_errors is not None and len(self.errors) >= self._max_errors:
            return
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        self.errors.append(LineError(self.lines, reason, text.rstrip("\r\n")[:TEXT_LIMIT], field_))

    def _sensor(self, name: str) -> int:
        index = self._sensor_index.get(name)
        if index is None:
            index = self._sensor_index[name] = len(self._sensor_ids)
            self._sensor_ids.append(name)
        return index

    def _frame_record(self, obj: Mapping[str, Any]) -> None:
        name, frame = parse_frame_record(obj)
        known = self._frame_index.get(name)
        if known is not None:
            if self._frame_list[known] != frame:
                raise BadField(
                    "name",
                    f"frame {name!r} was declared with another origin on line "
                    f"{self._frame_lines[known]}",
                )
            return
        self._frame_index[name] = len(self._frame_list)
        self._frame_list.append(frame)
        self._frame_lines.append(self.lines)
        if self.frame is None:
            self.frame = frame

    def _sensor_record(self, obj: Mapping[str, Any]) -> None:
        check_keys(obj, _SENSOR_KEYS)
        name = string(obj.get("id", MISSING), "id")
        point = None
        if obj.get("position") is not None:
            point = parse_point(
                obj["position"], "position", self._frame_index, height_optional=False
            )
        if "description" in obj and obj["description"] is not None:
            string(obj["description"], "description")
        index = self._sensor(name)
        if point is not None:
            self._sensor_point[index] = point
            if self.frame is None and point[0] == WGS84:
                self.frame = LocalFrame(point[1], point[2], point[3])

    def _detection(self, obj: dict[str, Any]) -> tuple[list[float], int, str, Point]:
        """Check a detection record; its float row, ident, sensor id and a WGS84 anchor point."""
        check_keys(obj, _DETECTION_KEYS)
        t = time_value(obj.get("t", MISSING), "t")
        t_rx = t if obj.get("t_received") is None else time_value(obj["t_received"], "t_received")
        sensor = string(obj.get("sensor", MISSING), "sensor")
        label = obj.get("kind", MISSING)
        spec = KINDS.get(label) if label.__class__ is str else None
        if spec is None:
            if label is MISSING:
                raise BadField("kind", f"missing; expected one of {list(KINDS)}")
            raise BadField("kind", f"unknown kind {label!r}; expected one of {list(KINDS)}")
        code, key = spec
        for other in _VALUE_KEYS:
            if other != key and other in obj:
                raise BadField(other, f"not allowed with kind {label!r} (its values go in {key!r})")
        if key not in obj:
            raise BadField(key, f"missing (the values of a {label!r} detection)")
        value = obj[key]
        pref = _NO_POINT
        rr = rrv = math.nan
        frames = self._frame_index
        point: Point | None = None
        if key == "position":
            point = parse_point(value, "position", frames, height_optional=True)
            pref, v0, v1, v2 = point
            n = 2 if v2 != v2 else 3
        elif key == "polar":
            if value.__class__ is not dict:
                raise BadField("polar", "expected an object")
            check_keys(value, _POLAR_KEYS, "polar.")
            v0 = number(value, "range_m", "polar.range_m", 0.0, _INF)
            v1 = number(value, "azimuth_deg", "polar.azimuth_deg", -360.0, 360.0)
            v2 = optional_number(value, "elevation_deg", "polar.elevation_deg", -90.0, 90.0)
            n = 2 if v2 != v2 else 3
            rr = optional_number(value, "range_rate_m_s", "polar.range_rate_m_s")
            rr_std = optional_number(value, "range_rate_std_m_s", "polar.range_rate_std_m_s", 0.0)
            if (rr != rr) != (rr_std != rr_std):
                raise BadField(
                    "polar.range_rate_std_m_s",
                    "range_rate_m_s and range_rate_std_m_s go together (give both or neither)",
                )
            rrv = rr_std * rr_std
        else:
            if value.__class__ is not dict:
                raise BadField("bearing", "expected an object")
            check_keys(value, _BEARING_KEYS, "bearing.")
            v0 = number(value, "azimuth_deg", "bearing.azimuth_deg", -360.0, 360.0)
            v1 = optional_number(value, "elevation_deg", "bearing.elevation_deg", -90.0, 90.0)
            v2 = math.nan
            n = 1 if v1 != v1 else 2
        C = _noise(obj, n, _COMPONENTS[key])

        sp = obj.get("sensor_pos")
        if sp is not None:
            spoint: Point | None = parse_point(sp, "sensor_pos", frames, height_optional=False)
        else:
            spoint = self._sensor_point.get(self._sensor_index.get(sensor, -1))
            if spoint is None and key != "position":
                raise BadField(
                    "sensor_pos",
                    f"missing: a {label!r} detection needs its sensor's position "
                    "(here or in a 'sensor' record)",
                )
        if spoint is None:
            sref, s0, s1, s2 = _NO_POINT, math.nan, math.nan, math.nan
        else:
            sref, s0, s1, s2 = spoint

        rcs = optional_number(obj, "rcs_m2", "rcs_m2", 0.0)
        snr = optional_number(obj, "snr_db", "snr_db")
        proto = -1
        p = obj.get("protocol")
        if p is not None:
            got = PROTOCOLS.get(p) if p.__class__ is str else None
            if got is None:
                raise BadField(
                    "protocol", f"unknown protocol {p!r}; expected one of {list(PROTOCOLS)}"
                )
            proto = got
        ident = parse_ident(obj)
        truth = -1 if obj.get("truth") is None else integer(obj["truth"], "truth", -1, 1 << 31)
        cue = NO_CUE
        c = obj.get("class_cue")
        if c is not None:
            got_cue = CUE_CODES.get(c) if c.__class__ is str else None
            if got_cue is None:
                raise BadField(
                    "class_cue", f"unknown object class {c!r}; expected one of {list(CUE_CODES)}"
                )
            cue = got_cue

        anchor: Point = (WGS84, 0.0, 0.0, 0.0)
        if self.frame is None:  # the output frame comes from this line: a WGS84 point of it
            if spoint is not None and spoint[0] == WGS84:
                anchor = spoint
            elif point is not None and point[0] == WGS84:
                h = point[3] if point[3] == point[3] else 0.0
                anchor = (WGS84, point[1], point[2], h)
        row = [t, t_rx, 0.0, float(code), float(pref), v0, v1, v2, *C, float(sref), s0, s1, s2]
        row += [rcs, snr, float(proto), float(truth), rr, rrv, float(cue)]
        return row, ident, sensor, anchor

    # ------------------------------------------------------------ one chunk

    def _build(self, rows: list[tuple[float, ...]], idents: list[int]) -> DetectionBatch:
        """Arrays of a chunk of good lines, converted to the output frame, SI and radians."""
        out = self.frame
        assert out is not None  # set by the first good detection at the latest
        a = np.array(rows, dtype=np.float64)
        k = a.shape[0]
        kind = a[:, _KIND].astype(np.int8)
        v = a[:, _V]
        C = a[:, _C].reshape(k, 3, 3)
        z = np.full((k, 3), np.nan)
        R = np.zeros((k, 3, 3))

        is_pos = (kind == MeasurementKind.POSITION) | (kind == MeasurementKind.SIGHTING)
        if is_pos.any():
            enu, M, rot = _convert_points(
                a[is_pos, _PREF].astype(np.intp), v[is_pos], out, self._frame_list
            )
            Cp = C[is_pos]
            Cp[rot] = M[rot] @ Cp[rot] @ np.swapaxes(M[rot], 1, 2)
            flat = np.isnan(enu[:, 2])
            Cp[flat, 2, :] = 0.0
            Cp[flat, :, 2] = 0.0
            z[is_pos] = enu
            R[is_pos] = Cp

        sref = a[:, _SREF].astype(np.intp)
        sensor_pos, M_axes, rot_axes = _convert_points(sref, a[:, _S], out, self._frame_list)

        for code, scale in (
            (MeasurementKind.POLAR, np.array([1.0, _DEG, _DEG])),
            (MeasurementKind.BEARING, np.array([_DEG, _DEG, 0.0])),
        ):
            sel = kind == code
            if not sel.any():
                continue
            zk = v[sel] * scale
            Rk = C[sel] * np.multiply.outer(scale, scale)
            ang = 1 if code == MeasurementKind.POLAR else 0  # column of the azimuth
            turn = rot_axes[sel]
            if turn.any():
                zt, Rt = zk[turn], Rk[turn]
                zt[:, ang], zt[:, ang + 1], Rt = _rotate_angles(
                    zt[:, ang], zt[:, ang + 1], Rt, M_axes[sel][turn], ang
                )
                zk[turn], Rk[turn] = zt, Rt
            if code == MeasurementKind.BEARING:
                zk[:, 2] = np.nan
            z[sel] = zk
            R[sel] = Rk
        # the unmeasured angle's row and column of R are zero (they may have picked up the
        # Jacobian's cross terms)
        el_col = np.where(kind == MeasurementKind.POLAR, 2, 1)
        no_el = ((kind == MeasurementKind.POLAR) | (kind == MeasurementKind.BEARING)) & np.isnan(
            z[np.arange(k), el_col]
        )
        R[no_el, el_col[no_el], :] = 0.0
        R[no_el, :, el_col[no_el]] = 0.0

        return DetectionBatch(
            t=a[:, _T].copy(),
            sensor=a[:, _SENSOR].astype(np.int32),
            kind=kind,
            z=z,
            R=0.5 * (R + np.swapaxes(R, 1, 2)),
            sensor_pos=sensor_pos,
            rcs_m2=a[:, _RCS].copy(),
            snr_db=a[:, _SNR].copy(),
            ident=np.array(idents, dtype=np.int64),
            protocol=a[:, _PROTO].astype(np.int16),
            truth=a[:, _TRUTH].astype(np.int32),
            t_received=a[:, _TRX].copy(),
            range_rate=a[:, _RR].copy(),
            range_rate_var=a[:, _RRV].copy(),
            cue=a[:, _CUE].astype(np.int8),
        )


def _format_record(obj: Mapping[str, Any]) -> None:
    check_keys(obj, _FORMAT_KEYS)
    name = obj.get("name", MISSING)
    if name != FORMAT_NAME:
        raise BadField("name", f"expected {FORMAT_NAME!r}, got {name!r}")
    version = integer(obj.get("version", MISSING), "version", 1, 1 << 31)
    if version != FORMAT_VERSION:
        raise BadField("version", f"version {version} is not supported (this reader reads 1)")


def _noise(obj: Mapping[str, Any], n: int, names: Sequence[str]) -> list[float]:
    """Row-major 3x3 covariance of the first ``n`` components from ``cov`` or ``std``."""
    cov, std = obj.get("cov"), obj.get("std")
    comps = ", ".join(names[:n])
    if cov is None and std is None:
        raise BadField("cov", f"missing: give 'cov' or 'std' of ({comps})")
    if cov is not None and std is not None:
        raise BadField("std", "give either 'cov' or 'std', not both")
    C = [0.0] * 9
    if std is not None:
        if std.__class__ is not list:
            raise BadField("std", f"expected an array of {n} numbers ({comps})")
        if len(std) != n:
            raise BadField("std", f"expected {n} values ({comps}), got {len(std)}")
        for i in range(n):
            s = as_number(std[i], f"std[{i}]", 0.0)
            C[4 * i] = s * s
        return C
    if cov.__class__ is not list or len(cov) != n:
        got = f"{len(cov)} rows" if cov.__class__ is list else "not an array"
        raise BadField("cov", f"expected an {n}x{n} array ({comps}), got {got}")
    for i in range(n):
        row = cov[i]
        if row.__class__ is not list or len(row) != n:
            raise BadField(f"cov[{i}]", f"expected a row of {n} numbers")
        if _all_floats(row):  # the common case, checked at C speed
            C[3 * i : 3 * i + n] = row
        else:
            for j in range(n):
                C[3 * i + j] = as_number(row[j], f"cov[{i}][{j}]")
    _check_covariance(C, n)
    return C


def _all_floats(row: list[Any]) -> bool:
    """All entries are finite JSON floats (``x - x`` is NaN for NaN and ±inf)."""
    try:
        return all(x.__class__ is float and x - x == 0.0 for x in row)
    except TypeError:
        return False


def _check_covariance(C: list[float], n: int) -> None:
    """Refuse a non-symmetric or non-positive-semi-definite covariance; symmetrise ``C`` in place.

    PSD is checked scale-free on the correlation matrix ``ρ = D^-1/2 C D^-1/2`` (variances may
    differ by many orders of magnitude between metres and degrees): ``|ρ_ij| <= 1`` and, for
    ``n = 3``, ``det ρ >= 0`` (with the 1x1 and 2x2 minors, all principal minors).
    """
    d = [C[4 * i] for i in range(n)]
    for i in range(n):
        if d[i] < 0.0:
            raise BadField(f"cov[{i}][{i}]", f"variance {d[i]!r} is negative")
    rho = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = C[3 * i + j], C[3 * j + i]
            scale = math.sqrt(d[i] * d[j])
            if abs(a - b) > 1e-9 * max(abs(a), abs(b), scale):
                raise BadField(f"cov[{j}][{i}]", f"not symmetric: cov[{i}][{j}] = {a!r}, got {b!r}")
            c = 0.5 * (a + b)
            C[3 * i + j] = C[3 * j + i] = c
            if scale == 0.0:
                if c != 0.0:
                    raise BadField(
                        "cov", "not positive semi-definite (a covariance with a zero variance)"
                    )
                r = 0.0
            else:
                r = c / scale
                if abs(r) > 1.0 + 1e-9:
                    raise BadField(
                        "cov", f"not positive semi-definite (correlation {r:.6g} of {i} and {j})"
                    )
            rho[i][j] = rho[j][i] = r
    if n == 3:
        r01, r02, r12 = rho[0][1], rho[0][2], rho[1][2]
        det = 1.0 + 2.0 * r01 * r02 * r12 - r01 * r01 - r02 * r02 - r12 * r12
        if det < -1e-9:
            raise BadField("cov", "not positive semi-definite (negative determinant)")


def _enu_rotations(lat_deg: F64, lon_deg: F64) -> F64:
    """ECEF -> ENU rotations at each point, ``(k, 3, 3)``."""
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    zero = np.zeros_like(phi)
    out: F64 = np.stack(
        [
            np.stack([-sl, cl, zero], axis=-1),
            np.stack([-sp * cl, -sp * sl, cp], axis=-1),
            np.stack([cp * cl, cp * sl, sp], axis=-1),
        ],
        axis=1,
    )
    return out


def _convert_points(
    ref: NDArray[np.intp], p: F64, out: LocalFrame, frames: Sequence[LocalFrame]
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Points ``(ref, p)`` in ENU of ``out``, the rotations ``M (k, 3, 3)`` from their axes to
    ``out``'s, and the mask of rows whose axes differ from ``out``'s.

    A NaN height / up is kept NaN (the conversion uses the origin's height, or up = 0).
    """
    k = ref.shape[0]
    enu = p.copy()
    M = np.broadcast_to(np.eye(3), (k, 3, 3)).copy()
    rot = np.zeros(k, np.bool_)
    flat = np.isnan(p[:, 2])
    for r in np.unique(ref).tolist():
        sel = ref == r
        if r == WGS84:
            lla = p[sel].copy()
            lla[flat[sel], 2] = out.h_m
            enu[sel] = out.lla_to_enu(lla)
            M[sel] = out.rotation @ np.swapaxes(_enu_rotations(lla[:, 0], lla[:, 1]), 1, 2)
            rot[sel] = (lla[:, 0] != out.lat_deg) | (lla[:, 1] != out.lon_deg)
        elif r >= 0:
            frame = frames[r]
            if frame == out:
                continue
            x = p[sel].copy()
            x[flat[sel], 2] = 0.0
            enu[sel] = out.ecef_to_enu(frame.enu_to_ecef(x))
            if (frame.lat_deg, frame.lon_deg) != (out.lat_deg, out.lon_deg):
                M[sel] = out.rotation @ frame.rotation.T
                rot[sel] = True
        # r == _NO_POINT: NaN stays NaN
    enu[flat, 2] = np.nan
    return enu, M, rot


def _rotate_angles(az: F64, el: F64, R: F64, M: F64, ang: int) -> tuple[F64, F64, F64]:
    """Azimuth/elevation (rad) measured along one set of ENU axes, seen along axes rotated by ``M``.

    ``u = (sin az cos el, cos az cos el, sin el)``, ``u' = M u``, ``az' = atan2(u'_e, u'_n)``,
    ``el' = asin(u'_u)``; ``R' = J R Jᵀ`` with ``J`` the Jacobian of ``(az, el) -> (az', el')``
    placed at columns ``ang, ang + 1`` of ``R (k, 3, 3)``. A NaN elevation is taken as 0 and stays
    NaN. The azimuth keeps its branch (no jump across ±π).
    """
    has_el = np.isfinite(el)
    e = np.where(has_el, el, 0.0)
    sa, ca, se, ce = np.sin(az), np.cos(az), np.sin(e), np.cos(e)
    zero = np.zeros_like(az)
    u = np.einsum("kij,kj->ki", M, np.stack([sa * ce, ca * ce, se], axis=-1))
    du_a = np.einsum("kij,kj->ki", M, np.stack([ca * ce, -sa * ce, zero], axis=-1))
    du_e = np.einsum("kij,kj->ki", M, np.stack([-sa * se, -ca * se, ce], axis=-1))
    h2 = u[:, 0] ** 2 + u[:, 1] ** 2
    h = np.sqrt(h2)
    ok = h > 1e-12  # at the zenith the azimuth is undefined: leave such rows unrotated
    h2s, hs = np.where(ok, h2, 1.0), np.where(ok, h, 1.0)
    az2 = np.arctan2(u[:, 0], u[:, 1])
    az2 = az + np.remainder(az2 - az + np.pi, 2.0 * np.pi) - np.pi
    el2 = np.arctan2(u[:, 2], h)
    J = np.broadcast_to(np.eye(3), R.shape).copy()
    J[:, ang, ang] = (u[:, 1] * du_a[:, 0] - u[:, 0] * du_a[:, 1]) / h2s
    J[:, ang, ang + 1] = (u[:, 1] * du_e[:, 0] - u[:, 0] * du_e[:, 1]) / h2s
    J[:, ang + 1, ang] = du_a[:, 2] / hs
    J[:, ang + 1, ang + 1] = du_e[:, 2] / hs
    R2 = J @ R @ np.swapaxes(J, 1, 2)
    az_out = np.where(ok, az2, az)
    el_out = np.where(has_el, np.where(ok, el2, el), np.nan)
    return az_out, el_out, np.where(ok[:, None, None], R2, R)


def _record_text(obj: Mapping[str, Any]) -> str:
    """A parsed record as the text a bad-record report quotes."""
    try:
        return json.dumps(obj, separators=(",", ":"), default=repr)[:TEXT_LIMIT]
    except (TypeError, ValueError, RecursionError):
        return repr(obj)[:TEXT_LIMIT]


def _open_lines(
    source: Source, name: str
) -> AbstractContextManager[Iterable[str | bytes | dict[str, Any]]]:
    if not isinstance(source, str | os.PathLike):
        return nullcontext(source)
    path = Path(source)
    try:
        if path.suffix == ".gz":
            return gzip.GzipFile(path, "rb")
        return path.open("rb")
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc


def write_format_record(fp: TextIO) -> None:
    """The ``format`` record that opens a detection file (name and version), as one line."""
    write_record(fp, {"type": "format", "name": FORMAT_NAME, "version": FORMAT_VERSION})


def read_detections(
    source: Source, frame: LocalFrame | None = None, *, max_errors: int | None = None
) -> DetectionFile:
    """Read a whole detection file; bad lines are reported in the result, never raised.

    Parameters
    ----------
    source : path or iterable of lines
        See :class:`DetectionReader`.
    frame : LocalFrame, optional
        The output frame (default: the file's first frame or WGS84 sensor position).
    max_errors : int, optional
        Keep at most this many line errors (all are counted).

    Raises
    ------
    InputError
        When the file cannot be opened or read.
    """
    reader = DetectionReader(source, frame=frame, max_errors=max_errors)
    batches = list(reader)
    return DetectionFile(
        batch=DetectionBatch.concat(batches),
        frame=reader.frame,
        sensor_ids=reader.sensor_ids,
        errors=tuple(reader.errors),
        lines=reader.lines,
        detections=reader.detections,
        bad_lines=reader.bad_lines,
        frames=reader.frames,
    )


# ------------------------------------------------------------------ writer


def write_detections(
    target: str | os.PathLike[str] | TextIO,
    batch: DetectionBatch,
    frame: LocalFrame,
    sensor_ids: Sequence[str],
    *,
    frame_name: str = "local",
    header: bool = True,
) -> None:
    """Write ``batch`` (in ``frame``) as a detection file; :func:`read_detections` inverts it.

    Positions and sensor positions are written as ENU metres in ``frame`` under ``frame_name``
    (declared by a frame record), angles in degrees, noise as the full covariance of the measured
    components. A path is written atomically.

    Parameters
    ----------
    target : path or text file
        Where to write.
    batch : DetectionBatch
        The rows, in ``frame``.
    frame : LocalFrame
        The frame of ``batch``.
    sensor_ids : sequence of str
        The id of each sensor index; all are declared by sensor records, in index order, so that
        reading gives the same indices.
    frame_name : str
        Name of the frame record.
    header : bool
        Write the format, frame and sensor records first (False to append rows to a file that has
        them already).
    """
    if isinstance(target, str | os.PathLike):
        with atomic_text_file(target) as fp:
            _write_detections(fp, batch, frame, sensor_ids, frame_name, header)
    else:
        _write_detections(target, batch, frame, sensor_ids, frame_name, header)


def _write_detections(
    fp: TextIO,
    batch: DetectionBatch,
    frame: LocalFrame,
    sensor_ids: Sequence[str],
    frame_name: str,
    header: bool,
) -> None:
    if len(batch) and (int(batch.sensor.min()) < 0 or int(batch.sensor.max()) >= len(sensor_ids)):
        raise ValueError(f"batch has sensor indices outside the {len(sensor_ids)} sensor ids")
    if header:
        write_format_record(fp)
        write_record(fp, frame_record(frame_name, frame))
        for sid in sensor_ids:
            write_record(fp, {"type": "sensor", "id": sid})
    # natural units: degrees for the angles of polar (cols 1, 2) and bearing (cols 0, 1) rows
    scale = np.ones((len(batch), 3))
    scale[batch.kind == MeasurementKind.POLAR, 1:] = 180.0 / math.pi
    scale[batch.kind == MeasurementKind.BEARING, :2] = 180.0 / math.pi
    z = (batch.z * scale).tolist()
    R = batch.R * scale[:, :, None] * scale[:, None, :]
    t, t_rx = batch.t.tolist(), batch.t_received.tolist()
    sensor, kind = batch.sensor.tolist(), batch.kind.tolist()
    spos = batch.sensor_pos.tolist()
    has_spos = np.all(np.isfinite(batch.sensor_pos), axis=1).tolist()
    rcs, snr = batch.rcs_m2.tolist(), batch.snr_db.tolist()
    ident, proto, truth = batch.ident.tolist(), batch.protocol.tolist(), batch.truth.tolist()
    rr, rrv = batch.range_rate.tolist(), batch.range_rate_var.tolist()
    cue = batch.cue.tolist()
    fin = finite_or_none
    for i in range(len(batch)):
        label = KIND_LABELS.get(kind[i])
        if label is None:
            raise ValueError(f"row {i}: unknown measurement kind {kind[i]}")
        rec: dict[str, Any] = {"t": t[i], "sensor": sensor_ids[sensor[i]], "kind": label}
        if t_rx[i] != t[i] and math.isfinite(t_rx[i]):
            rec["t_received"] = t_rx[i]
        if has_spos[i]:
            s = spos[i]
            rec["sensor_pos"] = {"frame": frame_name, "east_m": s[0], "north_m": s[1], "up_m": s[2]}
        zi = z[i]
        if label in ("position", "sighting"):
            n = 3 if math.isfinite(zi[2]) else 2
            rec["position"] = {
                "frame": frame_name,
                "east_m": fin(zi[0]),
                "north_m": fin(zi[1]),
                "up_m": fin(zi[2]),
            }
        elif label == "polar":
            n = 3 if math.isfinite(zi[2]) else 2
            polar: dict[str, Any] = {
                "range_m": fin(zi[0]),
                "azimuth_deg": fin(zi[1]),
                "elevation_deg": fin(zi[2]),
            }
            if math.isfinite(rr[i]):
                polar["range_rate_m_s"] = rr[i]
                polar["range_rate_std_m_s"] = fin(math.sqrt(rrv[i]) if rrv[i] >= 0 else math.nan)
            rec["polar"] = polar
        else:
            n = 2 if math.isfinite(zi[1]) else 1
            rec["bearing"] = {"azimuth_deg": fin(zi[0]), "elevation_deg": fin(zi[1])}
        rec["cov"] = [[fin(c) for c in row] for row in R[i, :n, :n].tolist()]
        if math.isfinite(rcs[i]):
            rec["rcs_m2"] = rcs[i]
        if math.isfinite(snr[i]):
            rec["snr_db"] = snr[i]
        if proto[i] >= 0:
            p = PROTOCOL_LABELS.get(proto[i])
            if p is None:
                raise ValueError(f"row {i}: unknown RF protocol code {proto[i]}")
            rec["protocol"] = p
        rec.update(ident_fields(ident[i]))
        if cue[i] >= 0:
            c = CUE_LABELS.get(cue[i])
            if c is None:
                raise ValueError(f"row {i}: unknown class-cue code {cue[i]}")
            rec["class_cue"] = c
        if truth[i] >= 0:
            rec["truth"] = truth[i]
        write_record(fp, rec)
