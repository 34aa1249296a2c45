"""Network Remote ID flights (ASTM F3411-22a net RID data, InterUSS injection format) in.

Data layout
-----------
The JSON of the InterUSS ``interuss.automated_testing.rid.v1`` injection API, as in
``monitoring/uss_qualifier/test_data``::

    {"flights": [{"reference_time": <ISO 8601>,
                  "aircraft_type": "Helicopter" | "Aeroplane" | ... (F3411 UA type),
                  "flight_details": {"id", "serial_number" | "registration_id" | "utm_id" |
                                     "uas_id": {...}, "operator_id", "operator_location":
                                     {"lat", "lng"}, "operation_description", ...},
                  "states": [{"timestamp": <ISO 8601 with offset>, "timestamp_accuracy": s,
                              "operational_status": "Undeclared" | "Ground" | "Airborne" |
                                                    "Emergency" | "RemoteIDSystemFailure",
                              "position": {"lat", "lng", "alt" (m above the WGS84
                                           ellipsoid), "accuracy_h": "HA...",
                                           "accuracy_v": "VA...", "extrapolated", "height"},
                              "height": {"distance" (m), "reference": "TakeoffLocation" |
                                         "GroundLevel"},
                              "track" (deg from true north, 361 unknown), "speed" (m/s, 255
                              unknown), "speed_accuracy": "SA...", "vertical_speed" (m/s, 63
                              unknown)}, ...]}, ...]}

Checks (what the 26 deliberately broken InterUSS variants exercise): every state field above is
required and typed, enums are the F3411 ones, ranges are F3411's (latitude +-90, longitude
+-180, track [0, 360) or 361, speed [0, 254.25] or 255, vertical speed [-62, 62] or 63,
accuracies >= 0); a flight needs one UAS id: a serial number in ANSI/CTA-2063-A form (4
character manufacturer code, a length character 1-F, then that many characters; digits and
upper-case letters without I and O), a CAA registration ``<nationality mark>.<id>`` or a UTM
UUID. A bad state is reported and skipped (the flight's other states are kept); a flight with
bad details or UA type is reported and skipped whole. Reasons start with the JSON path of the
field (``flights[0].states[3].speed: -5.0 is negative``).
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.remoteid import H95_TO_SIGMA, V95_TO_SIGMA
from dronewall.core.errors import InputError

# Accuracy names -> 95 % bounds (F3411-22a net RID data dictionary; the "Plus" classes are
# worse than the largest bound and read as unknown)
H_ACCURACY: Final[dict[str, float | None]] = {
    "HAUnknown": None, "HA10NMPlus": None, "HA10NM": 18520.0, "HA4NM": 7408.0,
    "HA2NM": 3704.0, "HA1NM": 1852.0, "HA05NM": 926.0, "HA03NM": 555.6, "HA01NM": 185.2,
    "HA005NM": 92.6, "HA30m": 30.0, "HA10m": 10.0, "HA3m": 3.0, "HA1m": 1.0,
}  # fmt: skip
V_ACCURACY: Final[dict[str, float | None]] = {
    "VAUnknown": None, "VA150mPlus": None, "VA150m": 150.0, "VA45m": 45.0, "VA25m": 25.0,
    "VA10m": 10.0, "VA3m": 3.0, "VA1m": 1.0,
}  # fmt: skip
SPEED_ACCURACY: Final[dict[str, float | None]] = {
    "SAUnknown": None, "SA10mpsPlus": None, "SA10mps": 10.0, "SA3mps": 3.0, "SA1mps": 1.0,
    "SA03mps": 0.3,
}  # fmt: skip
OPERATIONAL_STATUS: Final = (
    "Undeclared",
    "Ground",
    "Airborne",
    "Emergency",
    "RemoteIDSystemFailure",
)
HEIGHT_REFERENCES: Final = ("TakeoffLocation", "GroundLevel")
AIRCRAFT_TYPES: Final = (
    "NotDeclared", "Aeroplane", "Helicopter", "Gyroplane", "HybridLift", "Ornithopter", "Glider",
    "Kite", "FreeBalloon", "CaptiveBalloon", "Airship", "FreeFallOrParachute", "Rocket",
    "TetheredPoweredAircraft", "GroundObstacle", "Other",
)  # fmt: skip
"""UA types in code order (F3411-22a Table 4; "Helicopter" is helicopter or multirotor)."""

_CTA_CHARS: Final = "0-9A-HJ-NP-Z"
_SERIAL: Final = re.compile(rf"^[{_CTA_CHARS}]{{4}}([1-9A-F])([{_CTA_CHARS}]{{1,15}})$")
_REGISTRATION: Final = re.compile(r"^[A-Z0-9]{1,4}\.[A-Z0-9.\-]{1,}$")

UNKNOWN_H95_M: Final = 92.6
UNKNOWN_V95_M: Final = 45.0
"""Bounds used for an unknown accuracy: the same ASSUMPTIONS as the broadcast decoder."""


class _Bad(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NetridState:
    """One reported state (SI units; angles in degrees; ``None`` for "unknown")."""

    t: float
    t_accuracy_s: float
    status: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    """Geodetic altitude, height above the WGS84 ellipsoid."""
    h_accuracy_m: float | None
    v_accuracy_m: float | None
    height_m: float
    height_reference: str
    track_deg: float | None
    speed_m_s: float | None
    speed_accuracy_m_s: float | None
    vertical_speed_m_s: float | None
    extrapolated: bool


@dataclass(frozen=True, slots=True)
class NetridFlight:
    """One injected flight: its identity and its states in file order."""

    index: int
    flight_id: str
    uas_id: str
    id_type: str
    """``serial_number``, ``registration_id`` or ``utm_id``."""
    ua_type: str
    operator_id: str | None
    operator_lat_deg: float | None
    operator_lon_deg: float | None
    description: str | None
    states: tuple[NetridState, ...]


def _get(obj: Any, key: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise _Bad(f"{path}: not an object")
    if key not in obj or obj[key] is None:
        raise _Bad(f"{path}.{key}: missing")
    return obj[key]


def _number(
    obj: Any, key: str, path: str, lo: float, hi: float, unknown: float | None = None
) -> float:
    v = _get(obj, key, path)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad(f"{path}.{key}: not a number: {v!r}")
    x = float(v)
    if not math.isfinite(x):
        raise _Bad(f"{path}.{key}: not finite")
    if unknown is not None and x == unknown:
        return x
    if not lo <= x <= hi:
        raise _Bad(f"{path}.{key}: {v!r} is outside [{lo:g}, {hi:g}]")
    return x


def _enum(obj: Any, key: str, path: str, allowed: Any) -> str:
    v = _get(obj, key, path)
    if v not in allowed:
        raise _Bad(f"{path}.{key}: {v!r} is not one of {list(allowed)}")
    return str(v)


def _time(obj: Any, key: str, path: str) -> float:
    v = _get(obj, key, path)
    if not isinstance(v, str):
        raise _Bad(f"{path}.{key}: not an ISO 8601 string: {v!r}")
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        raise _Bad(f"{path}.{key}: not an ISO 8601 time: {v!r}") from None
    if dt.tzinfo is None:
        raise _Bad(f"{path}.{key}: {v!r} has no UTC offset")
    return dt.timestamp()


def _height(obj: Any, path: str) -> tuple[float, str]:
    return (
        _number(obj, "distance", path, -1000.0, 31767.5),
        _enum(obj, "reference", path, HEIGHT_REFERENCES),
    )


def _state(s: Any, path: str) -> NetridState:
    t = _time(s, "timestamp", path)
    t_acc = _number(s, "timestamp_accuracy", path, 0.0, math.inf)
    status = _enum(s, "operational_status", path, OPERATIONAL_STATUS)
    pos = _get(s, "position", path)
    pp = f"{path}.position"
    lat = _number(pos, "lat", pp, -90.0, 90.0)
    lon = _number(pos, "lng", pp, -180.0, 180.0)
    alt = _number(pos, "alt", pp, -1000.0, 31767.5)
    h_acc = H_ACCURACY[_enum(pos, "accuracy_h", pp, H_ACCURACY)]
    v_acc = V_ACCURACY[_enum(pos, "accuracy_v", pp, V_ACCURACY)]
    extrapolated = pos.get("extrapolated", False)
    if not isinstance(extrapolated, bool):
        raise _Bad(f"{pp}.extrapolated: not a boolean: {extrapolated!r}")
    if "height" in pos:
        _height(pos["height"], f"{pp}.height")
    height, ref = _height(_get(s, "height", path), f"{path}.height")
    track = _number(s, "track", path, 0.0, 360.0, unknown=361.0)
    if track == 360.0:
        raise _Bad(f"{path}.track: 360 is outside [0, 360) (361 means unknown)")
    speed = _number(s, "speed", path, 0.0, 254.25, unknown=255.0)
    s_acc = SPEED_ACCURACY[_enum(s, "speed_accuracy", path, SPEED_ACCURACY)]
    vs = _number(s, "vertical_speed", path, -62.0, 62.0, unknown=63.0)
    return NetridState(
        t=t,
        t_accuracy_s=t_acc,
        status=status,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        h_accuracy_m=h_acc,
        v_accuracy_m=v_acc,
        height_m=height,
        height_reference=ref,
        track_deg=None if track == 361.0 else track,
        speed_m_s=None if speed == 255.0 else speed,
        speed_accuracy_m_s=s_acc,
        vertical_speed_m_s=None if vs == 63.0 else vs,
        extrapolated=extrapolated,
    )


def check_serial_number(s: str) -> str | None:
    """``None`` when ``s`` is an ANSI/CTA-2063-A serial number, else what is wrong."""
    m = _SERIAL.match(s)
    if m is None:
        return (
            f"{s!r} is not an ANSI/CTA-2063-A serial number (4-character manufacturer code, "
            "length character 1-F, serial; digits and A-Z without I and O)"
        )
    if int(m.group(1), 16) != len(m.group(2)):
        return f"{s!r}: length character {m.group(1)} but {len(m.group(2))} serial characters"
    return None


def _uas_id(details: Any, path: str) -> tuple[str, str]:
    ids: dict[str, Any] = {}
    nested = details.get("uas_id") if isinstance(details, dict) else None
    for src in (details, nested if isinstance(nested, dict) else {}):
        for key in ("serial_number", "registration_id", "registration_number", "utm_id"):
            if isinstance(src, dict) and src.get(key) not in (None, ""):
                ids.setdefault(key, src[key])
    if not ids:
        raise _Bad(
            f"{path}.serial_number: missing (no UAS id: serial_number, registration_id or utm_id)"
        )
    for key, v in ids.items():
        if not isinstance(v, str):
            raise _Bad(f"{path}.{key}: not a string: {v!r}")
        if key == "serial_number" and (why := check_serial_number(v)):
            raise _Bad(f"{path}.serial_number: {why}")
        if key in ("registration_id", "registration_number") and not _REGISTRATION.match(v):
            raise _Bad(f"{path}.{key}: {v!r} is not a CAA registration '<nationality mark>.<id>'")
        if key == "utm_id":
            try:
                uuid.UUID(v)
            except ValueError:
                raise _Bad(f"{path}.utm_id: {v!r} is not a UUID") from None
    key = next(k for k in ("serial_number", "registration_id", "registration_number", "utm_id")
               if k in ids)  # fmt: skip
    return str(ids[key]), "registration_id" if key == "registration_number" else key


_Header = tuple[str, str, str, str, str | None, float | None, float | None, str | None]


def _flight_header(f: Any, path: str) -> _Header:
    details = _get(f, "flight_details", path)
    dp = f"{path}.flight_details"
    uas_id, id_type = _uas_id(details, dp)
    ua_type = f.get("aircraft_type", "NotDeclared")
    if ua_type not in AIRCRAFT_TYPES:
        raise _Bad(f"{path}.aircraft_type: {ua_type!r} is not one of {list(AIRCRAFT_TYPES)}")
    op_id = details.get("operator_id")
    if op_id is not None and not isinstance(op_id, str):
        raise _Bad(f"{dp}.operator_id: not a string: {op_id!r}")
    op_lat = op_lon = None
    if details.get("operator_location") is not None:
        lp = f"{dp}.operator_location"
        op_lat = _number(details["operator_location"], "lat", lp, -90.0, 90.0)
        op_lon = _number(details["operator_location"], "lng", lp, -180.0, 180.0)
    desc = details.get("operation_description")
    return (str(details.get("id", "")), uas_id, id_type, str(ua_type), op_id, op_lat, op_lon,
            desc if isinstance(desc, str) else None)  # fmt: skip


def read_netrid_flights(
    path: str | os.PathLike[str], log: DecodeLog | None = None
) -> list[NetridFlight]:
    """The valid flights of an InterUSS injection file, bad states and flights reported to ``log``.

    Offsets in ``log`` are flight indices (a flight rejected whole) or the running index of the
    state in the file (a state rejected); the reason carries the JSON path.

    Raises
    ------
    InputError
        The file is missing, not JSON, or has no ``flights`` array.
    """
    name = os.fspath(path)
    log = log if log is not None else DecodeLog(name)
    try:
        doc = json.loads(Path(name).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a readable JSON file: {exc}", source=name) from exc
    flights = doc.get("flights") if isinstance(doc, dict) else None
    if not isinstance(flights, list):
        raise InputError("no 'flights' array", source=name, field="flights")
    out: list[NetridFlight] = []
    n_state = 0
    for i, f in enumerate(flights):
        path_f = f"flights[{i}]"
        try:
            header = _flight_header(f, path_f)
            states_raw = _get(f, "states", path_f)
            if not isinstance(states_raw, list):
                raise _Bad(f"{path_f}.states: not an array")
        except _Bad as exc:
            log.reject(i, str(exc), "message")
            continue
        states: list[NetridState] = []
        for j, s in enumerate(states_raw):
            try:
                states.append(_state(s, f"{path_f}.states[{j}]"))
            except _Bad as exc:
                log.reject(n_state, str(exc), "message")
            n_state += 1
        log.ok(len(states))
        out.append(NetridFlight(i, *header, states=tuple(states)))
    return out


def netrid_record(flight: NetridFlight, s: NetridState, sensor: str = "netrid") -> DetectionRecord:
    """The detection record of one state (the same keys as broadcast Remote ID's)."""
    h95 = s.h_accuracy_m or UNKNOWN_H95_M
    v95 = s.v_accuracy_m or UNKNOWN_V95_M
    rec: DetectionRecord = {
        "t": s.t,
        "sensor": sensor,
        "kind": "position",
        "position": {"lat_deg": s.lat_deg, "lon_deg": s.lon_deg, "alt_m": s.alt_m},
        "std": [h95 / H95_TO_SIGMA, h95 / H95_TO_SIGMA, v95 / V95_TO_SIGMA],
        "remote_id": flight.uas_id,
        "x_link": "network",
        "x_id_type": flight.id_type,
        "x_ua_type": flight.ua_type,
        "x_status": s.status,
        "x_height_m": s.height_m,
        "x_height_ref": s.height_reference,
        "x_extrapolated": s.extrapolated,
    }
    for key, value in (
        ("x_speed_m_s", s.speed_m_s),
        ("x_direction_deg", s.track_deg),
        ("x_vertical_speed_m_s", s.vertical_speed_m_s),
        ("x_speed_accuracy_m_s", s.speed_accuracy_m_s),
    ):
        if value is not None:
            rec[key] = value
    if flight.operator_lat_deg is not None:
        rec["x_operator"] = {"lat_deg": flight.operator_lat_deg, "lon_deg": flight.operator_lon_deg,
                             "alt_m": None}  # fmt: skip
    if flight.operator_id:
        rec["x_operator_id"] = flight.operator_id
    return rec


def read_netrid_flight(
    path: str | os.PathLike[str], log: DecodeLog | None = None, *, sensor: str = "netrid"
) -> Iterator[DetectionRecord]:
    """Detection records of the valid states of an InterUSS injection file, flight by flight.

    See :func:`read_netrid_flights` for the checks and the typed flights.
    """
    for flight in read_netrid_flights(path, log):
        for s in flight.states:
            yield netrid_record(flight, s, sensor)
