"""The 25-byte broadcast Remote ID messages (ASTM F3411-22a / ASD-STAN EN 4709-002), decoded.

Data layout
-----------
Every message is 25 bytes. Byte 0 holds the message type in its high nibble and the protocol
version in its low nibble (0: F3411-19, 1: EN 4709-002 P1, 2: F3411-22a); the types are

=====  ============================  ===================================================
type   message (F3411-22a 5.4.5)     bytes 1-24 (little-endian, bit fields LSB first)
=====  ============================  ===================================================
0      Basic ID                      1: ID type (high nibble), UA type (low); 2-21: UAS ID;
                                     22-24 reserved
1      Location/Vector               1: status (7-4), reserved (3), height type (2), E/W
                                     direction segment (1), speed multiplier (0);
                                     2: track direction (deg, +180 when the E/W bit is set);
                                     3: speed (x 0.25 m/s, or x 0.75 m/s + 63.75 with the
                                     multiplier); 4: vertical speed (int8 x 0.5 m/s);
                                     5-8, 9-12: latitude, longitude (int32 x 1e-7 deg);
                                     13-14, 15-16, 17-18: pressure altitude, geodetic
                                     altitude (WGS84 HAE), height (uint16 x 0.5 - 1000 m);
                                     19: vertical (7-4) / horizontal (3-0) accuracy;
                                     20: baro altitude (7-4) / speed (3-0) accuracy;
                                     21-22: time, tenths of a second past the UTC hour;
                                     23: timestamp accuracy (3-0, x 0.1 s); 24 reserved
2      Authentication (paged)        1: auth type (7-4), page (3-0); page 0: 2 last page
                                     index, 3 length, 4-7 time (s since 2019-01-01 UTC),
                                     8-24 data; pages 1-15: 2-24 data
3      Self-ID                       1: description type; 2-24: ASCII text
4      System                        1: classification type (4-2), operator location type
                                     (1-0); 2-5, 6-9: operator latitude, longitude;
                                     10-11 area count; 12 area radius (x 10 m); 13-14, 15-16
                                     area ceiling, floor (as altitudes); 17: EU category
                                     (7-4), EU class (3-0); 18-19 operator geodetic
                                     altitude; 20-23 time (s since 2019-01-01 UTC); 24 res.
5      Operator ID                   1: operator ID type; 2-21: ASCII operator ID
0xF    Message pack                  1: message size (25); 2: count (1-9); then the
                                     messages
=====  ============================  ===================================================

Sentinels that mean "unknown" (F3411-22a Table 6, as in opendroneid-core-c ``opendroneid.h``):
latitude and longitude both 0, altitude/height raw 0 (-1000 m), direction 361, speed 255 m/s,
vertical speed 63 m/s, time 0xFFFF. They decode to ``None``. Reserved bytes are ignored
(transmitters put garbage there).

Values that cannot be (latitude beyond +-90, a direction of 200 to 360 degrees coded with
the E/W bit, a time past the hour beyond 3600 s) make the message malformed: :func:`decode_message`
raises :class:`MessageError` with a reason ``"<message>: <field>: <what is wrong>"``.

Nothing in a broadcast message is authenticated: every field can be spoofed.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MESSAGE_SIZE: Final = 25
PACK_MAX_MESSAGES: Final = 9
EPOCH_2019: Final = 1546300800.0
"""2019-01-01T00:00:00Z as UTC epoch seconds: the origin of the 32-bit times (F3411-22a)."""

TYPE_BASIC_ID: Final = 0
TYPE_LOCATION: Final = 1
TYPE_AUTH: Final = 2
TYPE_SELF_ID: Final = 3
TYPE_SYSTEM: Final = 4
TYPE_OPERATOR_ID: Final = 5
TYPE_PACK: Final = 0xF

MESSAGE_NAMES: Final = {
    TYPE_BASIC_ID: "basic ID",
    TYPE_LOCATION: "location",
    TYPE_AUTH: "authentication",
    TYPE_SELF_ID: "self-ID",
    TYPE_SYSTEM: "system",
    TYPE_OPERATOR_ID: "operator ID",
    TYPE_PACK: "message pack",
}

UA_TYPES: Final = (
    "none",
    "aeroplane",
    "helicopter_or_multirotor",
    "gyroplane",
    "hybrid_lift",
    "ornithopter",
    "glider",
    "kite",
    "free_balloon",
    "captive_balloon",
    "airship",
    "free_fall_parachute",
    "rocket",
    "tethered_powered_aircraft",
    "ground_obstacle",
    "other",
)
"""UA type names by code (F3411-22a Table 4; the 16 codes of the 4-bit field)."""

ID_TYPES: Final = ("none", "serial_number", "caa_registration", "utm_uuid", "specific_session")
STATUS_NAMES: Final = ("undeclared", "ground", "airborne", "emergency", "remote_id_failure")

# 95 % accuracy bounds by enum code (F3411-22a Tables 8-11; the metre values of the nautical
# mile classes as in opendroneid-core-c opendroneid.h, 1 NM = 1852 m). Code 0 is "unknown";
# codes beyond the table are reserved and read as unknown.
H_ACCURACY_95_M: Final = (
    None, 18520.0, 7408.0, 3704.0, 1852.0, 926.0, 555.6, 185.2, 92.6, 30.0, 10.0, 3.0, 1.0,
)  # fmt: skip
V_ACCURACY_95_M: Final = (None, 150.0, 45.0, 25.0, 10.0, 3.0, 1.0)
SPEED_ACCURACY_95_M_S: Final = (None, 10.0, 3.0, 1.0, 0.3)


def _table(table: tuple[float | None, ...], code: int) -> float | None:
    return table[code] if code < len(table) else None


class MessageError(ValueError):
    """A malformed message: ``reason`` names the message and the field; ``offset`` is the byte
    of the message (relative to the bytes given to the decoder) where the fault lies."""

    def __init__(self, reason: str, offset: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


@dataclass(frozen=True, slots=True)
class BasicId:
    """Basic ID message (type 0): who the UA claims to be."""

    version: int
    id_type: int
    ua_type: int
    uas_id: str
    """ASCII for serial numbers (ANSI/CTA-2063-A) and CAA registrations; the UUID text for a
    UTM-assigned id; lower-case hex for a session id or anything not printable."""

    @property
    def ua_type_name(self) -> str:
        return UA_TYPES[self.ua_type]

    @property
    def id_type_name(self) -> str:
        return (
            ID_TYPES[self.id_type] if self.id_type < len(ID_TYPES) else f"reserved_{self.id_type}"
        )


@dataclass(frozen=True, slots=True)
class Location:
    """Location/Vector message (type 1). ``None`` where the sender said "unknown".

    Angles in degrees (WGS84 latitude/longitude, track over ground clockwise from true north),
    everything else SI. Accuracies are the 95 % bounds of the enum codes (the codes are kept).
    """

    version: int
    status: int
    height_above_ground: bool
    """Height reference: ``True`` above ground level, ``False`` above the take-off point."""
    direction_deg: float | None
    speed_m_s: float | None
    vertical_speed_m_s: float | None
    lat_deg: float | None
    lon_deg: float | None
    alt_baro_m: float | None
    """Pressure altitude, standard atmosphere 1013.25 hPa: not a geometric height."""
    alt_geo_m: float | None
    """Geodetic altitude, height above the WGS84 ellipsoid."""
    height_m: float | None
    h_accuracy_code: int
    v_accuracy_code: int
    baro_accuracy_code: int
    speed_accuracy_code: int
    ts_accuracy_code: int
    seconds_past_hour: float | None

    @property
    def has_position(self) -> bool:
        return self.lat_deg is not None and self.lon_deg is not None

    @property
    def h_accuracy_m(self) -> float | None:
        return _table(H_ACCURACY_95_M, self.h_accuracy_code)

    @property
    def v_accuracy_m(self) -> float | None:
        return _table(V_ACCURACY_95_M, self.v_accuracy_code)

    @property
    def baro_accuracy_m(self) -> float | None:
        return _table(V_ACCURACY_95_M, self.baro_accuracy_code)

    @property
    def speed_accuracy_m_s(self) -> float | None:
        return _table(SPEED_ACCURACY_95_M_S, self.speed_accuracy_code)

    @property
    def ts_accuracy_s(self) -> float | None:
        return 0.1 * self.ts_accuracy_code if self.ts_accuracy_code else None


@dataclass(frozen=True, slots=True)
class Authentication:
    """One page of an Authentication message (type 2). Only page 0 has the header fields."""

    version: int
    auth_type: int
    page: int
    last_page_index: int | None
    length: int | None
    timestamp: float | None
    """UTC epoch seconds (page 0 only)."""
    data: bytes


@dataclass(frozen=True, slots=True)
class SelfId:
    """Self-ID message (type 3): free text (0), emergency (1) or extended status (2)."""

    version: int
    description_type: int
    text: str


@dataclass(frozen=True, slots=True)
class System:
    """System message (type 4): operator position, group area, EU class."""

    version: int
    operator_location_type: int
    """0 take-off point, 1 live GNSS, 2 fixed."""
    classification_type: int
    """0 undeclared, 1 EU (then ``eu_category`` and ``eu_class`` mean something)."""
    operator_lat_deg: float | None
    operator_lon_deg: float | None
    area_count: int
    area_radius_m: float
    area_ceiling_m: float | None
    area_floor_m: float | None
    eu_category: int
    """0 undeclared, 1 open, 2 specific, 3 certified."""
    eu_class: int
    """0 undeclared, 1..7 classes C0..C6."""
    operator_alt_geo_m: float | None
    timestamp: float | None
    """UTC epoch seconds; ``None`` when 0 (protocol versions before 2 have no time here)."""


@dataclass(frozen=True, slots=True)
class OperatorId:
    """Operator ID message (type 5)."""

    version: int
    operator_id_type: int
    operator_id: str


Message = BasicId | Location | Authentication | SelfId | System | OperatorId


def _ascii(raw: bytes, what: str, offset: int) -> str:
    text = raw.split(b"\0", 1)[0]
    try:
        s = text.decode("ascii")
    except UnicodeDecodeError:
        raise MessageError(f"{what}: not ASCII", offset) from None
    if not s.isprintable():
        raise MessageError(f"{what}: control characters", offset)
    return s.rstrip()


def _altitude(raw: int) -> float | None:
    return None if raw == 0 else raw * 0.5 - 1000.0


def _latlon(lat_raw: int, lon_raw: int, what: str) -> tuple[float | None, float | None]:
    if lat_raw == 0 and lon_raw == 0:
        return None, None
    lat, lon = lat_raw * 1e-7, lon_raw * 1e-7
    if not -90.0 <= lat <= 90.0:
        raise MessageError(f"{what} latitude: {lat:.7f} beyond +-90 deg", 5)
    if not -180.0 <= lon <= 180.0:
        raise MessageError(f"{what} longitude: {lon:.7f} beyond +-180 deg", 9)
    return lat, lon


def _basic_id(m: bytes, version: int) -> BasicId:
    id_type, ua_type = m[1] >> 4, m[1] & 0x0F
    raw = m[2:22]
    if id_type == 3:
        uas_id = str(uuid.UUID(bytes=raw[:16]))
    elif id_type == 4:
        uas_id = raw.hex()
    else:
        try:
            uas_id = _ascii(raw, "basic ID: UAS ID", 2)
        except MessageError:
            if id_type in (1, 2):
                raise
            uas_id = raw.hex()
    return BasicId(version, id_type, ua_type, uas_id)


_LOCATION: Final = struct.Struct("<BBBBbiiHHHBBHBB")


def _location(m: bytes, version: int) -> Location:
    (_, flags, direction, speed, vspeed, lat, lon, baro, geo, height, acc_hv, acc_bs, ts, ts_acc,
     _) = _LOCATION.unpack(m)  # fmt: skip
    if flags & 0x02:
        direction += 180
    if direction == 361:
        direction_deg: float | None = None
    elif direction >= 360:
        raise MessageError(f"location: direction: {direction} deg beyond [0, 360)", 2)
    else:
        direction_deg = float(direction)
    speed_m_s = speed * 0.75 + 63.75 if flags & 0x01 else speed * 0.25
    vs = vspeed * 0.5
    if vs == 63.0:
        vs_m_s: float | None = None
    elif abs(vs) > 62.0:
        raise MessageError(f"location: vertical speed: {vs} m/s beyond +-62", 4)
    else:
        vs_m_s = vs
    lat_deg, lon_deg = _latlon(lat, lon, "location:")
    if ts == 0xFFFF:
        seconds: float | None = None
    elif ts > 36000:
        raise MessageError(f"location: timestamp: {ts / 10} s past the hour beyond 3600", 21)
    else:
        seconds = ts / 10.0
    return Location(
        version=version,
        status=flags >> 4,
        height_above_ground=bool(flags & 0x04),
        direction_deg=direction_deg,
        speed_m_s=None if speed_m_s >= 255.0 else speed_m_s,
        vertical_speed_m_s=vs_m_s,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        alt_baro_m=_altitude(baro),
        alt_geo_m=_altitude(geo),
        height_m=_altitude(height),
        h_accuracy_code=acc_hv & 0x0F,
        v_accuracy_code=acc_hv >> 4,
        baro_accuracy_code=acc_bs >> 4,
        speed_accuracy_code=acc_bs & 0x0F,
        ts_accuracy_code=ts_acc & 0x0F,
        seconds_past_hour=seconds,
    )


def _auth(m: bytes, version: int) -> Authentication:
    auth_type, page = m[1] >> 4, m[1] & 0x0F
    if page == 0:
        last, length, ts = struct.unpack_from("<BBI", m, 2)
        if last > 15:
            raise MessageError(f"authentication: last page index: {last} beyond 15", 2)
        return Authentication(
            version, auth_type, 0, last, length, EPOCH_2019 + ts if ts else None, bytes(m[8:25])
        )
    return Authentication(version, auth_type, page, None, None, None, bytes(m[2:25]))


def _self_id(m: bytes, version: int) -> SelfId:
    return SelfId(version, m[1], _ascii(m[2:25], "self-ID: text", 2))


_SYSTEM: Final = struct.Struct("<BBiiHBHHBHIB")


def _system(m: bytes, version: int) -> System:
    (_, flags, lat, lon, count, radius, ceiling, floor, eu, alt, ts, _) = _SYSTEM.unpack(m)
    op_lat, op_lon = _latlon(lat, lon, "system: operator")
    return System(
        version=version,
        operator_location_type=flags & 0x03,
        classification_type=(flags >> 2) & 0x07,
        operator_lat_deg=op_lat,
        operator_lon_deg=op_lon,
        area_count=count,
        area_radius_m=radius * 10.0,
        area_ceiling_m=_altitude(ceiling),
        area_floor_m=_altitude(floor),
        eu_category=eu >> 4,
        eu_class=eu & 0x0F,
        operator_alt_geo_m=_altitude(alt),
        timestamp=EPOCH_2019 + ts if ts else None,
    )


def _operator_id(m: bytes, version: int) -> OperatorId:
    return OperatorId(version, m[1], _ascii(m[2:22], "operator ID: text", 2))


_DECODERS: Final[dict[int, Callable[[bytes, int], Message]]] = {
    TYPE_BASIC_ID: _basic_id,
    TYPE_LOCATION: _location,
    TYPE_AUTH: _auth,
    TYPE_SELF_ID: _self_id,
    TYPE_SYSTEM: _system,
    TYPE_OPERATOR_ID: _operator_id,
}


def decode_message(m: bytes) -> Message:
    """Decode one 25-byte message (not a pack).

    Raises
    ------
    MessageError
        Too short, an unknown type, a pack (use :func:`split_pack`) or an impossible value;
        ``reason`` names the message type and field, ``offset`` the byte within ``m``.
    """
    if len(m) < MESSAGE_SIZE:
        raise MessageError(f"message: truncated: {len(m)} of {MESSAGE_SIZE} bytes", len(m))
    mtype, version = m[0] >> 4, m[0] & 0x0F
    decoder = _DECODERS.get(mtype)
    if decoder is None:
        what = "message pack: not allowed here" if mtype == TYPE_PACK else "unknown type"
        raise MessageError(f"message type {mtype}: {what}", 0)
    return decoder(bytes(m[:MESSAGE_SIZE]), version)


def split_pack(data: bytes) -> list[bytes]:
    """The messages of a message pack (type 0xF) starting at ``data[0]``.

    Layout: byte 0 type/version, byte 1 message size (must be 25), byte 2 count (0-9), then
    count x 25 bytes (F3411-22a 5.4.5.22). Bytes after the last message are ignored.

    Raises
    ------
    MessageError
        Not a pack, a wrong message size, a count beyond 9 or beyond the bytes present.
    """
    if len(data) < 3:
        raise MessageError(f"message pack: truncated header: {len(data)} of 3 bytes", len(data))
    if data[0] >> 4 != TYPE_PACK:
        raise MessageError(f"message pack: type {data[0] >> 4} is not a pack (15)", 0)
    size, count = data[1], data[2]
    if size != MESSAGE_SIZE:
        raise MessageError(f"message pack: message size: {size}, expected {MESSAGE_SIZE}", 1)
    if count > PACK_MAX_MESSAGES:
        raise MessageError(f"message pack: count: {count} beyond {PACK_MAX_MESSAGES}", 2)
    if 3 + count * size > len(data):
        raise MessageError(
            f"message pack: count: {count} messages of {size} bytes overrun the "
            f"{len(data) - 3} bytes present",
            2,
        )
    return [bytes(data[3 + i * size : 3 + (i + 1) * size]) for i in range(count)]
