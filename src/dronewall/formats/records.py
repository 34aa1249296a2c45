"""Shared pieces of the JSON Lines formats: field checks, point objects, frame records, idents.

Data layout
-----------
A *point object* is a JSON object in one of two forms (see ``docs/formats/detections.md``)::

    {"lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 120.0}              WGS84, ellipsoidal height
    {"frame": "kb", "east_m": 1200.0, "north_m": -340.5, "up_m": 85.0}  ENU metres in frame "kb"

:func:`parse_point` returns it as ``(ref, a, b, c)``: ``ref`` is :data:`WGS84` (``a, b, c`` are
latitude, longitude in degrees and height in metres) or the index of a declared local frame (``a,
b, c`` are east, north, up in metres). An optional height or ``up`` that is null or absent is NaN.

A *frame record* ``{"type": "frame", "name": ..., "lat_deg": ..., "lon_deg": ..., "alt_m": ...}``
declares a local ENU frame (:class:`~dronewall.geo.LocalFrame`) by name.

Identities share the ``ident`` int64 column: an ICAO 24-bit address is ``[0, 2**24)``, a Remote ID
serial is hashed by :func:`remote_id_ident` into ``[2**24, 2**63)``, so the two never collide.

Field checks raise :class:`BadField`, which names the offending field by its dotted path; the
readers turn it into a :class:`LineError` with the 1-based line number, count it and go on.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TextIO

from dronewall.core.measurements import RfProtocol
from dronewall.geo.frames import LocalFrame

WGS84: Final = -1
"""``ref`` of a point given in WGS84 latitude, longitude and ellipsoidal height."""

ICAO_LIMIT: Final = 1 << 24
"""ICAO addresses are ``[0, ICAO_LIMIT)``; hashed Remote ID serials are ``[ICAO_LIMIT, 2**63)``."""

_INT64_LIMIT: Final = 1 << 63
_INF = math.inf
MISSING: Final = object()
TEXT_LIMIT: Final = 200
"""Characters of a bad line kept in :attr:`LineError.text`."""


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that was skipped, and why.

    Parameters
    ----------
    line : int
        1-based line number in the source.
    reason : str
        ``"<field>: <what is wrong>"``, the field as a dotted path (``polar.azimuth_deg``,
        ``cov[1][0]``), or a sentence when the line is not a JSON object at all.
    text : str
        The line as read, cut to :data:`TEXT_LIMIT` characters.
    field : str or None
        The dotted path of the offending field, None when the whole line is wrong.
    """

    line: int
    reason: str
    text: str
    field: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class BadField(Exception):
    """A field of a record is missing or wrong; ``field`` is its dotted path."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return self.reason if self.field is None else f"{self.field}: {self.reason}"


def json_type(v: object) -> str:
    """The JSON type name of a decoded value, for messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def as_number(v: object, path: str, lo: float = -_INF, hi: float = _INF) -> float:
    """A JSON number as a finite float within ``[lo, hi]``; booleans are not numbers."""
    if v.__class__ is float:
        x: float = v
    elif v.__class__ is int:
        try:
            x = float(v)
        except OverflowError:
            raise BadField(path, f"{v} is too large") from None
    elif v is MISSING:
        raise BadField(path, "missing")
    else:
        raise BadField(path, f"expected a number, got {json_type(v)}")
    if not (lo <= x <= hi and x - x == 0.0):  # x - x is NaN for NaN and ±inf
        if not math.isfinite(x):
            raise BadField(path, f"must be finite, got {x}")
        raise BadField(path, f"{x!r} is outside [{lo:g}, {hi:g}]")
    return x


def number(
    obj: Mapping[str, Any], key: str, path: str, lo: float = -_INF, hi: float = _INF
) -> float:
    """Required finite number ``obj[key]``."""
    return as_number(obj.get(key, MISSING), path, lo, hi)


def optional_number(
    obj: Mapping[str, Any], key: str, path: str, lo: float = -_INF, hi: float = _INF
) -> float:
    """Optional finite number ``obj[key]``: NaN when absent or null."""
    v = obj.get(key)
    if v is None:
        return math.nan
    return as_number(v, path, lo, hi)


def integer(v: object, path: str, lo: int, hi: int) -> int:
    """A JSON integer in ``[lo, hi)``."""
    if v is MISSING:
        raise BadField(path, "missing")
    if v.__class__ is not int:
        raise BadField(path, f"expected an integer, got {json_type(v)}")
    i: int = v
    if not lo <= i < hi:
        raise BadField(path, f"{i} is outside [{lo}, {hi})")
    return i


def string(v: object, path: str) -> str:
    """A non-empty JSON string."""
    if v is MISSING:
        raise BadField(path, "missing")
    if v.__class__ is not str:
        raise BadField(path, f"expected a string, got {json_type(v)}")
    s: str = v
    if not s:
        raise BadField(path, "must not be empty")
    return s


def time_value(v: object, path: str) -> float:
    """UTC epoch seconds from a JSON number or an ISO 8601 string with a UTC offset."""
    if v.__class__ is str:
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise BadField(path, f"{v!r} is not an ISO 8601 time") from None
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise BadField(path, f"{v!r} has no UTC offset (add 'Z' or '+hh:mm')")
        return dt.timestamp()
    if v is MISSING:
        raise BadField(path, "missing")
    if v.__class__ is float or v.__class__ is int:
        return as_number(v, path)
    raise BadField(path, f"expected epoch seconds or an ISO 8601 string, got {json_type(v)}")


def check_keys(obj: Mapping[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    """Refuse keys not in ``allowed`` unless they start with ``x_`` (vendor extensions)."""
    if allowed.issuperset(obj):
        return
    extra = obj.keys() - allowed
    for key in sorted(extra):
        if not key.startswith("x_"):
            raise BadField(
                prefix + key,
                "unknown field (vendor fields must start with 'x_'); expected one of "
                + ", ".join(sorted(allowed)),
            )


_LLA_KEYS = frozenset({"lat_deg", "lon_deg", "alt_m"})
_ENU_KEYS = frozenset({"frame", "east_m", "north_m", "up_m"})
Point = tuple[int, float, float, float]


def parse_point(v: object, path: str, frames: Mapping[str, int], *, height_optional: bool) -> Point:
    """Parse a point object (module docstring); ``frames`` maps declared names to indices."""
    if v.__class__ is not dict:
        raise BadField(path, f"expected an object, got {json_type(v)}")
    obj: dict[str, Any] = v
    p = path + "."
    if "frame" in obj:
        check_keys(obj, _ENU_KEYS, p)
        name = obj["frame"]
        if name.__class__ is not str:
            raise BadField(p + "frame", f"expected a frame name, got {json_type(name)}")
        ref = frames.get(name)
        if ref is None:
            raise BadField(
                p + "frame", f"unknown frame {name!r}; declare it in a frame record first"
            )
        e = number(obj, "east_m", p + "east_m")
        n = number(obj, "north_m", p + "north_m")
        u = (
            optional_number(obj, "up_m", p + "up_m")
            if height_optional
            else number(obj, "up_m", p + "up_m")
        )
        return ref, e, n, u
    check_keys(obj, _LLA_KEYS, p)
    if "lat_deg" not in obj and "east_m" not in obj:
        raise BadField(path, "expected lat_deg, lon_deg, alt_m or frame, east_m, north_m, up_m")
    lat = number(obj, "lat_deg", p + "lat_deg", -90.0, 90.0)
    lon = number(obj, "lon_deg", p + "lon_deg", -180.0, 180.0)
    alt = (
        optional_number(obj, "alt_m", p + "alt_m")
        if height_optional
        else number(obj, "alt_m", p + "alt_m")
    )
    return WGS84, lat, lon, alt


_FRAME_KEYS = frozenset({"type", "name", "lat_deg", "lon_deg", "alt_m", "description"})


def parse_frame_record(obj: Mapping[str, Any]) -> tuple[str, LocalFrame]:
    """``(name, frame)`` of a frame record."""
    check_keys(obj, _FRAME_KEYS)
    name = string(obj.get("name", MISSING), "name")
    lat = number(obj, "lat_deg", "lat_deg", -90.0, 90.0)
    lon = number(obj, "lon_deg", "lon_deg", -180.0, 180.0)
    alt = number(obj, "alt_m", "alt_m")
    return name, LocalFrame(lat, lon, alt)


def frame_record(name: str, frame: LocalFrame) -> dict[str, Any]:
    """The frame record declaring ``frame`` as ``name``."""
    return {
        "type": "frame",
        "name": name,
        "lat_deg": frame.lat_deg,
        "lon_deg": frame.lon_deg,
        "alt_m": frame.h_m,
    }


def write_record(fp: TextIO, record: Mapping[str, Any]) -> None:
    """One compact JSON line; NaN must already be None (strict JSON)."""
    fp.write(json.dumps(record, separators=(",", ":"), allow_nan=False))
    fp.write("\n")


def write_frame_record(fp: TextIO, name: str, frame: LocalFrame) -> None:
    """Write the frame record of ``frame`` (``{"type": "frame", ...}``) as one line."""
    write_record(fp, frame_record(name, frame))


def finite_or_none(x: float) -> float | None:
    """``x``, or None when it is NaN or infinite (JSON has no NaN)."""
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------ identities

ICAO_HEX_DIGITS: Final = 6


def icao_ident(address: str, path: str = "icao") -> int:
    """The ``ident`` of an ICAO 24-bit address given as 6 hex digits (``"4CA2B1"``)."""
    if address.__class__ is not str:
        raise BadField(path, f"expected 6 hex digits as a string, got {json_type(address)}")
    if len(address) != ICAO_HEX_DIGITS:
        raise BadField(path, f"{address!r} is not 6 hex digits")
    try:
        return int(address, 16)
    except ValueError:
        raise BadField(path, f"{address!r} is not 6 hex digits") from None


@lru_cache(maxsize=65536)
def remote_id_ident(serial: str) -> int:
    """The ``ident`` of a Remote ID serial (or session ID), stable across runs and machines.

    ``ICAO_LIMIT + (u64 mod (2**63 - ICAO_LIMIT))`` with ``u64`` the first 8 bytes (big-endian) of
    ``BLAKE2b(serial as UTF-8, digest_size=8, person=b"dronewall.rid")``: always in
    ``[2**24, 2**63)``, disjoint from ICAO addresses. The serial is hashed exactly as given (case
    and spaces matter).
    """
    digest = hashlib.blake2b(serial.encode("utf-8"), digest_size=8, person=b"dronewall.rid")
    return ICAO_LIMIT + int.from_bytes(digest.digest(), "big") % (_INT64_LIMIT - ICAO_LIMIT)


def ident_fields(ident: int) -> dict[str, Any]:
    """The identity fields a writer emits for an ``ident`` value (empty for -1, none)."""
    if ident < 0:
        return {}
    if ident < ICAO_LIMIT:
        return {"icao": f"{ident:06X}"}
    return {"ident": ident}


def parse_ident(obj: Mapping[str, Any]) -> int:
    """``ident`` of a record from at most one of ``icao``, ``remote_id``, ``ident``; -1 if none."""
    given = [k for k in ("icao", "remote_id", "ident") if obj.get(k) is not None]
    if not given:
        return -1
    if len(given) > 1:
        raise BadField(given[1], f"give at most one of icao, remote_id, ident (got {given})")
    key = given[0]
    v = obj[key]
    if key == "icao":
        return icao_ident(v)
    if key == "remote_id":
        return remote_id_ident(string(v, "remote_id"))
    return integer(v, "ident", 0, _INT64_LIMIT)


# ------------------------------------------------------------------ RF protocols


def protocol_label(code: RfProtocol) -> str:
    """``RfProtocol.DJI_OCUSYNC`` -> ``"dji-ocusync"`` (the labels of the world data files)."""
    return code.name.lower().replace("_", "-")


PROTOCOLS: Final[dict[str, int]] = {protocol_label(p): int(p) for p in RfProtocol}
PROTOCOL_LABELS: Final[dict[int, str]] = {v: k for k, v in PROTOCOLS.items()}


# ------------------------------------------------------------------ files


@contextmanager
def atomic_text_file(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """Open ``path`` for writing text through a temporary file renamed over it on success.

    Readers never see a half-written file; on an exception the temporary file is removed and
    ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fp:
            yield fp
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
