"""The track output format (JSON Lines): one line per track per output time.

Specified in ``docs/formats/detections.md`` (section *Track output*). A file starts with a format
record and the frame record of the local ENU frame the tracks are in, then holds, per output time
``t`` in ascending order, one line per track::

    {"t": 1762286401.0, "track": 12, "status": "confirmed",
     "position": {"frame": "local", "east_m": 1204.2, "north_m": -338.0, "up_m": 84.1},
     "position_wgs84": {"lat_deg": 51.1811, "lon_deg": 5.4868, "alt_m": 131.9},
     "velocity": {"east_m_s": 12.1, "north_m_s": -3.0, "up_m_s": 0.2},
     "cov": [[...6 numbers...], ...6 rows...],
     "t_first": 1762286395.0, "t_update": 1762286400.75, "hits": 7, "misses": 0,
     "sensors": ["radar-north", "rf-gate"], "icao": "4CA2B1", "rcs_dbsm": -17.2,
     "class": "quadcopter"}

Data layout
-----------
A :class:`~dronewall.core.tracks.TrackTable` row maps to one line: ``x`` to ``position`` (and
``position_wgs84``, WGS84 ellipsoidal height) and ``velocity``, ``P`` to ``cov`` in state order
``(e, n, u, ve, vn, vu)`` (m², m²/s, m²/s²), the ``sensors`` bit mask to a list of sensor ids (or
indices when no id table is given), ``ident`` to ``icao`` or ``ident`` as in the detection format,
NaN to an absent field. :func:`read_tracks` inverts :func:`write_tracks` (for tests and tools).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TextIO

import numpy as np

from dronewall.core.errors import InputError
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.formats.records import (
    MISSING,
    BadField,
    as_number,
    finite_or_none,
    frame_record,
    ident_fields,
    integer,
    parse_frame_record,
    parse_ident,
    write_record,
)
from dronewall.geo.frames import LocalFrame

TRACK_FORMAT_NAME: Final = "dronewall.tracks"
TRACK_FORMAT_VERSION: Final = 1
_MAX_SENSOR_BIT: Final = 62
_STATUS: Final[dict[str, int]] = {s.label: int(s) for s in TrackStatus}
_STATUS_LABEL: Final[dict[int, str]] = {v: k for k, v in _STATUS.items()}


def write_track_header(fp: TextIO, frame: LocalFrame, *, frame_name: str = "local") -> None:
    """Write the format record and the frame record that start a track file."""
    write_record(fp, {"type": "format", "name": TRACK_FORMAT_NAME, "version": TRACK_FORMAT_VERSION})
    write_record(fp, frame_record(frame_name, frame))


def write_tracks(
    fp: TextIO,
    table: TrackTable,
    frame: LocalFrame,
    *,
    frame_name: str = "local",
    sensor_ids: Sequence[str] | None = None,
    classes: Sequence[str | None] | None = None,
) -> int:
    """Append one line per track of ``table`` (all rows: select confirmed ones first if wanted).

    Parameters
    ----------
    fp : text file
        Opened for writing; :func:`write_track_header` should have been written first.
    table : TrackTable
        The tracks at ``table.t``, in ``frame``.
    frame : LocalFrame
        The tracking frame, for ``position_wgs84``.
    frame_name : str
        The name under which the frame record declared ``frame``.
    sensor_ids : sequence of str, optional
        Sensor ids by index: ``sensors`` is then a list of ids, else of indices (an index beyond
        the table stays an index).
    classes : sequence of (str or None), optional
        A class label per row (the assessor's), written as ``class``.

    Returns
    -------
    int
        Lines written.
    """
    n = len(table)
    if n == 0:
        return 0
    if classes is not None and len(classes) != n:
        raise ValueError(f"{len(classes)} class labels for {n} tracks")
    lla = frame.enu_to_lla(table.x[:, :3]).tolist()
    x, P = table.x.tolist(), table.P.tolist()
    tid, status = table.track_id.tolist(), table.status.tolist()
    t_first, t_update = table.t_first.tolist(), table.t_update.tolist()
    hits, misses = table.hits.tolist(), table.misses.tolist()
    ident, rcs, truth = table.ident.tolist(), table.rcs_dbsm.tolist(), table.truth.tolist()
    bits = ((table.sensors[:, None] >> np.arange(_MAX_SENSOR_BIT + 1)) & 1).astype(bool)
    fin = finite_or_none
    t = float(table.t)
    names: dict[int, str | int] = dict(enumerate(sensor_ids or ()))
    for i in range(n):
        xi = x[i]
        idx = np.flatnonzero(bits[i]).tolist()
        rec: dict[str, Any] = {
            "t": t,
            "track": tid[i],
            "status": _STATUS_LABEL.get(status[i], str(status[i])),
            "position": {"frame": frame_name, "east_m": xi[0], "north_m": xi[1], "up_m": xi[2]},
            "position_wgs84": {"lat_deg": lla[i][0], "lon_deg": lla[i][1], "alt_m": lla[i][2]},
            "velocity": {"east_m_s": xi[3], "north_m_s": xi[4], "up_m_s": xi[5]},
            "cov": [[fin(c) for c in row] for row in P[i]],
            "t_first": fin(t_first[i]),
            "t_update": fin(t_update[i]),
            "hits": hits[i],
            "misses": misses[i],
            "sensors": idx if sensor_ids is None else [names.get(j, j) for j in idx],
        }
        rec.update(ident_fields(ident[i]))
        if math.isfinite(rcs[i]):
            rec["rcs_dbsm"] = rcs[i]
        if truth[i] >= 0:
            rec["truth"] = truth[i]
        if classes is not None and classes[i] is not None:
            rec["class"] = classes[i]
        write_record(fp, rec)
    return n


@dataclass(frozen=True, slots=True)
class TrackFile:
    """A track file read back by :func:`read_tracks`.

    Attributes
    ----------
    frame : LocalFrame or None
        The frame of the file's first frame record.
    tables : list of TrackTable
        One table per output time, in file order.
    classes : list of tuple of (str or None)
        The ``class`` of each row of each table.
    sensor_ids : tuple of str
        The sensor id table used to turn ``sensors`` lists back into bit masks.
    """

    frame: LocalFrame | None
    tables: list[TrackTable]
    classes: list[tuple[str | None, ...]] = field(default_factory=list)
    sensor_ids: tuple[str, ...] = ()


_TRACK_KEYS = frozenset(
    {
        "t",
        "track",
        "status",
        "position",
        "position_wgs84",
        "velocity",
        "cov",
        "t_first",
        "t_update",
        "hits",
        "misses",
        "sensors",
        "icao",
        "remote_id",
        "ident",
        "rcs_dbsm",
        "truth",
        "class",
    }
)


def read_tracks(
    source: str | os.PathLike[str] | Iterable[str], *, sensor_ids: Sequence[str] | None = None
) -> TrackFile:
    """Read a track file written by :func:`write_tracks`; strict: the first bad line raises.

    Parameters
    ----------
    source : path or iterable of lines
        The file.
    sensor_ids : sequence of str, optional
        The sensor id table; by default ids number in order of first appearance.

    Raises
    ------
    InputError
        Naming the line and field of the first malformed line.
    """
    name = os.fspath(source) if isinstance(source, str | os.PathLike) else "<lines>"
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, encoding="utf-8") as fp:
                lines = fp.readlines()
        except OSError as exc:
            raise InputError(f"cannot read: {exc}", source=name) from exc
    else:
        lines = list(source)
    ids: list[str] = list(sensor_ids or ())
    index = {s: i for i, s in enumerate(ids)}
    frame: LocalFrame | None = None
    groups: list[list[dict[str, Any]]] = []
    for lineno, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise BadField(None, "a record must be a JSON object")
            kind = obj.get("type")
            if kind == "frame":
                if frame is None:
                    frame = parse_frame_record(obj)[1]
                continue
            if kind == "format":
                if obj.get("name") != TRACK_FORMAT_NAME:
                    raise BadField("name", f"expected {TRACK_FORMAT_NAME!r}")
                continue
            if kind is not None:
                raise BadField("type", f"unknown record type {kind!r}")
            row = _track_row(obj, ids, index)
        except (ValueError, BadField) as exc:
            f = exc.field if isinstance(exc, BadField) else None
            raise InputError(str(exc), source=name, line=lineno, field=f) from exc
        if groups and groups[-1][0]["t"] == row["t"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    tables = [_table(g) for g in groups]
    classes = [tuple(r["class"] for r in g) for g in groups]
    return TrackFile(frame=frame, tables=tables, classes=classes, sensor_ids=tuple(ids))


def _track_row(obj: Mapping[str, Any], ids: list[str], index: dict[str, int]) -> dict[str, Any]:
    extra = obj.keys() - _TRACK_KEYS
    if extra:
        raise BadField(sorted(extra)[0], "unknown field")
    pos, vel = obj.get("position", MISSING), obj.get("velocity", MISSING)
    if not isinstance(pos, dict) or not isinstance(vel, dict):
        raise BadField("position", "position and velocity must be objects")
    x = [as_number(pos.get(k, MISSING), f"position.{k}") for k in ("east_m", "north_m", "up_m")]
    x += [
        as_number(vel.get(k, MISSING), f"velocity.{k}") for k in ("east_m_s", "north_m_s", "up_m_s")
    ]
    cov = obj.get("cov")
    if not (isinstance(cov, list) and len(cov) == 6 and all(len(r) == 6 for r in cov)):
        raise BadField("cov", "expected a 6x6 array")
    P = [[math.nan if c is None else as_number(c, "cov") for c in r] for r in cov]
    status = _STATUS.get(obj.get("status", ""))
    if status is None:
        raise BadField("status", f"expected one of {list(_STATUS)}")
    mask = 0
    for s in obj.get("sensors", []):
        if isinstance(s, int) and not isinstance(s, bool):
            j = s
        else:
            j = index.get(s, -1)
            if j < 0:
                j = index[s] = len(ids)
                ids.append(s)
        if 0 <= j <= _MAX_SENSOR_BIT:
            mask |= 1 << j

    def opt(key: str) -> float:
        v = obj.get(key)
        return math.nan if v is None else as_number(v, key)

    return {
        "t": as_number(obj.get("t", MISSING), "t"),
        "track": integer(obj.get("track", MISSING), "track", 0, 1 << 63),
        "status": status,
        "x": x,
        "P": P,
        "t_first": opt("t_first"),
        "t_update": opt("t_update"),
        "hits": integer(obj.get("hits", MISSING), "hits", 0, 1 << 31),
        "misses": integer(obj.get("misses", MISSING), "misses", 0, 1 << 31),
        "ident": parse_ident(obj),
        "rcs_dbsm": opt("rcs_dbsm"),
        "sensors": mask,
        "truth": -1 if obj.get("truth") is None else integer(obj["truth"], "truth", -1, 1 << 31),
        "class": obj.get("class"),
    }


def _table(rows: list[dict[str, Any]]) -> TrackTable:
    def col(key: str, dtype: type) -> Any:
        return np.array([r[key] for r in rows], dtype=dtype)

    return TrackTable(
        t=float(rows[0]["t"]),
        track_id=col("track", np.int64),
        status=col("status", np.int8),
        x=np.array([r["x"] for r in rows], dtype=np.float64).reshape(-1, 6),
        P=np.array([r["P"] for r in rows], dtype=np.float64).reshape(-1, 6, 6),
        t_first=col("t_first", np.float64),
        t_update=col("t_update", np.float64),
        hits=col("hits", np.int32),
        misses=col("misses", np.int32),
        ident=col("ident", np.int64),
        rcs_dbsm=col("rcs_dbsm", np.float64),
        sensors=col("sensors", np.int64),
        truth=col("truth", np.int32),
    )
