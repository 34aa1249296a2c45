"""Remote ID receiver JSON (BlueMark DroneScout-style MQTT payloads) in.

Data layout
-----------
Each record is ``{"protocol": 1.0, "data": {"sensor ID", "RSSI", "channel", "timestamp" (UTC
epoch ms), "MAC address", "type" ("BLE legacy" | "BLE long range" | "WiFi NaN" | "WiFi beacon"),
"UASdata": <base64>}}``. A file is a JSON array of them, one of them, or one per line.

``UASdata`` is **not** the air format: it is the base64 of the opendroneid-core-c
``ODID_UAS_Data`` C struct (``opendroneid.h``, protocol version 2 with two Basic IDs and 16
authentication pages), laid out by the C ABI of a little-endian 32/64-bit target (enums 4
bytes, doubles 8-aligned). Offsets, as derived from the struct declarations (a 920-byte blob):

=========  ======================================================================
offset     member
=========  ======================================================================
0, 32      BasicID[2]: UAType u32, IDType u32, UASID char[21] (32 bytes each)
64         Location: Status u32, Direction f32, SpeedHorizontal f32, SpeedVertical f32,
           Latitude f64 @16, Longitude f64 @24, AltitudeBaro f32 @32, AltitudeGeo f32,
           HeightType u32, Height f32, HorizAccuracy, VertAccuracy, BaroAccuracy,
           SpeedAccuracy, TSAccuracy (u32 each, @48..64), TimeStamp f32 @68 (72 bytes)
136        Auth[16]: DataPage u8, AuthType u32 @4, LastPageIndex u8 @8, Length u8 @9,
           Timestamp u32 @12, AuthData u8[24] @16 (40 bytes each)
776        SelfID: DescType u32, Desc char[24]
808        System: OperatorLocationType u32, ClassificationType u32, OperatorLatitude f64
           @8, OperatorLongitude f64 @16, AreaCount u16 @24, AreaRadius u16 @26,
           AreaCeiling f32 @28, AreaFloor f32 @32, CategoryEU u32 @36, ClassEU u32 @40,
           OperatorAltitudeGeo f32 @44, Timestamp u32 @48 (56 bytes)
864        OperatorID: OperatorIdType u32, OperatorId char[21]
892        validity flags u8: BasicIDValid[2], LocationValid, AuthValid[16] (895-910),
           SelfIDValid 911, SystemValid 912, OperatorIDValid 913
=========  ======================================================================

The struct holds decoded values (degrees, metres, m/s; -1000 m, 361 deg, 255 m/s, 63 m/s and
0xFFFF s for "unknown"), which are mapped back to the message dataclasses of
:mod:`.remoteid_messages` with the same checks as the air format. The already-decoded flat
dict some receivers give (``ua_payload.json``: ``UAType``, ``BasicID``, ``Latitude`` ... with
``data`` metadata) is read too.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from dronewall.adapters.remoteid_messages import (
    EPOCH_2019,
    Authentication,
    BasicId,
    Location,
    Message,
    MessageError,
    OperatorId,
    SelfId,
    System,
)
from dronewall.core.errors import InputError

UAS_DATA_SIZE: Final = 914
"""Bytes up to and including the last validity flag (the blob is padded to 920)."""

LINK_BY_TYPE: Final = {
    "BLE legacy": "ble",
    "BLE long range": "ble-ext",
    "WiFi NaN": "wifi-nan",
    "WiFi beacon": "wifi-beacon",
}

_LOC: Final = struct.Struct("<Ifffddff I f IIIII f")
_SYS: Final = struct.Struct("<IIddHHffIIfI")
_AUTH: Final = struct.Struct("<B3xIBBxxI24s")


def _unknown_alt(v: float) -> float | None:
    return None if not math.isfinite(v) or v <= -1000.0 else float(v)


def _code(v: int, what: str, top: int) -> int:
    if v > top:
        raise MessageError(f"{what}: code {v} beyond {top}", 0)
    return v


def _text(raw: bytes, what: str) -> str:
    s = raw.split(b"\0", 1)[0]
    try:
        text = s.decode("ascii")
    except UnicodeDecodeError:
        raise MessageError(f"{what}: not ASCII", 0) from None
    if not text.isprintable():
        raise MessageError(f"{what}: control characters", 0)
    return text.rstrip()


def _latlon(lat: float, lon: float, what: str) -> tuple[float | None, float | None]:
    if lat == 0.0 and lon == 0.0:
        return None, None
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise MessageError(f"{what} latitude: {lat} beyond +-90 deg", 0)
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise MessageError(f"{what} longitude: {lon} beyond +-180 deg", 0)
    return lat, lon


def uas_data_messages(blob: bytes) -> tuple[list[Message], list[str]]:
    """The valid messages of an ``ODID_UAS_Data`` blob, and the reasons of the bad ones."""
    if len(blob) < UAS_DATA_SIZE:
        raise MessageError(f"UASdata: truncated: {len(blob)} of {UAS_DATA_SIZE} bytes", len(blob))
    out: list[Message] = []
    bad: list[str] = []
    valid = blob[892:914]
    parts: list[tuple[int, str, Any]] = [
        (valid[0], "basic ID", lambda: _basic(blob, 0)),
        (valid[1], "basic ID", lambda: _basic(blob, 32)),
        (valid[2], "location", lambda: _location(blob)),
        (valid[19], "self-ID", lambda: SelfId(2, _code(struct.unpack_from("<I", blob, 776)[0],
                                                        "self-ID: description type", 255),
                                              _text(blob[780:804], "self-ID: text"))),
        (valid[20], "system", lambda: _system(blob)),
        (valid[21], "operator ID", lambda: OperatorId(
            2, _code(struct.unpack_from("<I", blob, 864)[0], "operator ID: type", 255),
            _text(blob[868:889], "operator ID: text"))),
    ]  # fmt: skip
    for page in range(16):
        parts.append((valid[3 + page], "authentication", lambda p=page: _auth(blob, p)))
    for flag, _name, make in parts:
        if flag != 1:
            continue
        try:
            out.append(make())
        except MessageError as exc:
            bad.append(exc.reason)
    return out, bad


def _basic(blob: bytes, at: int) -> BasicId:
    ua_type, id_type = struct.unpack_from("<II", blob, at)
    _code(ua_type, "basic ID: UA type", 15)
    _code(id_type, "basic ID: ID type", 15)
    raw = blob[at + 8 : at + 28]
    uas_id = raw.hex() if id_type in (3, 4) else _text(raw, "basic ID: UAS ID")
    return BasicId(2, id_type, ua_type, uas_id)


def _location(blob: bytes) -> Location:
    (status, direction, speed, vspeed, lat, lon, baro, geo, htype, height, hacc, vacc, bacc, sacc,
     tacc, ts) = _LOC.unpack_from(blob, 64)  # fmt: skip
    lat_deg, lon_deg = _latlon(lat, lon, "location:")
    if not math.isfinite(direction) or direction < 0 or direction > 361:
        raise MessageError(f"location: direction: {direction} deg beyond [0, 360)", 0)
    if not math.isfinite(speed) or speed < 0:
        raise MessageError(f"location: speed: {speed} m/s negative", 0)
    if not math.isfinite(vspeed) or abs(vspeed) > 63:
        raise MessageError(f"location: vertical speed: {vspeed} m/s beyond +-62", 0)
    if not math.isfinite(ts) or ts < 0 or (ts > 3600 and ts != 0xFFFF):
        raise MessageError(f"location: timestamp: {ts} s past the hour beyond 3600", 0)
    return Location(
        version=2,
        status=_code(status, "location: status", 15),
        height_above_ground=htype == 1,
        direction_deg=None if direction > 360 else float(direction) % 360.0,
        speed_m_s=None if speed >= 255 else float(speed),
        vertical_speed_m_s=None if vspeed >= 63 else float(vspeed),
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        alt_baro_m=_unknown_alt(baro),
        alt_geo_m=_unknown_alt(geo),
        height_m=_unknown_alt(height),
        h_accuracy_code=_code(hacc, "location: horizontal accuracy", 15),
        v_accuracy_code=_code(vacc, "location: vertical accuracy", 15),
        baro_accuracy_code=_code(bacc, "location: baro accuracy", 15),
        speed_accuracy_code=_code(sacc, "location: speed accuracy", 15),
        ts_accuracy_code=_code(tacc, "location: timestamp accuracy", 15),
        seconds_past_hour=None if ts == 0xFFFF else round(float(ts), 1),
    )


def _system(blob: bytes) -> System:
    (loc_type, cls_type, lat, lon, count, radius, ceiling, floor, cat, cls, alt,
     ts) = _SYS.unpack_from(blob, 808)  # fmt: skip
    op_lat, op_lon = _latlon(lat, lon, "system: operator")
    return System(
        version=2,
        operator_location_type=_code(loc_type, "system: operator location type", 3),
        classification_type=_code(cls_type, "system: classification type", 7),
        operator_lat_deg=op_lat,
        operator_lon_deg=op_lon,
        area_count=count,
        area_radius_m=float(radius),
        area_ceiling_m=_unknown_alt(ceiling),
        area_floor_m=_unknown_alt(floor),
        eu_category=_code(cat, "system: EU category", 15),
        eu_class=_code(cls, "system: EU class", 15),
        operator_alt_geo_m=_unknown_alt(alt),
        timestamp=EPOCH_2019 + ts if ts else None,
    )


def _auth(blob: bytes, page: int) -> Authentication:
    data_page, auth_type, last, length, ts, data = _AUTH.unpack_from(blob, 136 + 40 * page)
    _code(auth_type, "authentication: auth type", 15)
    if data_page == 0:
        return Authentication(2, auth_type, 0, last, length, EPOCH_2019 + ts if ts else None,
                              data[:17])  # fmt: skip
    return Authentication(2, auth_type, data_page, None, None, None, data[:23])


def _flat_messages(obj: dict[str, Any]) -> list[Message]:
    """Messages of an already-decoded flat dict (``ua_payload.json`` style)."""

    def num(key: str) -> float | None:
        v = obj.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise MessageError(f"{key}: not a number: {v!r}", 0)
        return float(v)

    def code(key: str, top: int) -> int:
        v = num(key)
        return _code(int(v), key, top) if v is not None and v >= 0 else 0

    out: list[Message] = []
    if obj.get("BasicID"):
        uas = obj["BasicID"]
        uas_id = uas if isinstance(uas, str) else str(uas)
        out.append(BasicId(2, code("IDType", 15), code("UAType", 15), uas_id))
    lat, lon = num("Latitude"), num("Longitude")
    if lat is not None and lon is not None:
        la, lo = _latlon(lat, lon, "location:")
        direction = num("Direction")
        speed, vs = num("SpeedHorizontal"), num("SpeedVertical")
        out.append(
            Location(
                version=2,
                status=code("Status", 15),
                height_above_ground=obj.get("HeightType") == 1,
                direction_deg=None if direction is None or direction > 360 else direction % 360,
                speed_m_s=None if speed is None or speed >= 255 else speed,
                vertical_speed_m_s=None if vs is None or vs >= 63 else vs,
                lat_deg=la,
                lon_deg=lo,
                alt_baro_m=_unknown_alt(num("AltitudeBaro") or -1000.0),
                alt_geo_m=_unknown_alt(v) if (v := num("AltitudeGeo")) is not None else None,
                height_m=num("Height"),
                h_accuracy_code=code("HorizAccuracy", 15),
                v_accuracy_code=code("VertAccuracy", 15),
                baro_accuracy_code=code("BaroAccuracy", 15),
                speed_accuracy_code=code("SpeedAccuracy", 15),
                ts_accuracy_code=code("TSAccuracy", 15),
                seconds_past_hour=None,  # its "TimeStamp" list has no documented meaning
            )
        )
    olat, olon = num("OperatorLatitude"), num("OperatorLongitude")
    if olat is not None and olon is not None:
        ola, olo = _latlon(olat, olon, "system: operator")
        out.append(
            System(2, code("OperatorLocationType", 3), code("ClassificationType", 7), ola, olo,
                   int(num("AreaCount") or 0), num("AreaRadius") or 0.0,
                   num("AreaCeiling"), num("AreaFloor"), code("CategoryEU", 15),
                   code("ClassEU", 15), num("OperatorAltitudeGeo"), None)
        )  # fmt: skip
    return out


def _records(path: str) -> Iterator[tuple[int, Any]]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
        for i, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            try:
                yield i + 1, json.loads(line)
            except json.JSONDecodeError as exc:
                yield i + 1, exc
        return
    if isinstance(whole, list):
        yield from enumerate(whole)
    else:
        yield 0, whole


def iter_receiver_json(path: str | os.PathLike[str], decoder: Any) -> Iterator[Any]:
    """Reports of a receiver JSON file, fed through ``decoder`` (a ``RemoteIdDecoder``).

    Records are numbered by their index in the array (0-based), or by line (1-based) in a
    JSON-lines file; bad ones go to ``decoder.log`` with that number and are skipped. Records
    that carry no Remote ID (receiver status) are passed over.
    """
    name = os.fspath(path)
    try:
        records = list(_records(name))
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", source=name) from exc
    log = decoder.log
    for index, rec in records:
        if isinstance(rec, json.JSONDecodeError):
            log.reject(index, f"json: not valid JSON: {rec.msg}", "line")
            continue
        if not isinstance(rec, dict):
            log.reject(index, f"json: record is a {type(rec).__name__}, not an object", "message")
            continue
        data = rec.get("data")
        meta = data if isinstance(data, dict) else {}
        t_ms = meta.get("timestamp")
        if isinstance(t_ms, bool) or not isinstance(t_ms, int | float) or not math.isfinite(t_ms):
            if "UASdata" in meta or "BasicID" in rec:
                log.reject(index, f"data.timestamp: not a number: {t_ms!r}", "message")
            continue
        t = float(t_ms) / 1000.0
        transmitter = str(meta.get("MAC address", "unknown")).upper()
        link = LINK_BY_TYPE.get(str(meta.get("type")), str(meta.get("type", "json")))
        try:
            if "UASdata" in meta:
                try:
                    blob = base64.b64decode(str(meta["UASdata"]), validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise MessageError(f"data.UASdata: not base64: {exc}", 0) from None
                messages, bad = uas_data_messages(blob)
                for reason in bad:
                    log.reject(index, reason, "message")
            elif "BasicID" in rec or "Latitude" in rec:
                messages = _flat_messages(rec)
            else:
                continue
        except MessageError as exc:
            log.reject(index, exc.reason, "message")
            continue
        log.ok(len(messages))
        decoder.messages += len(messages)
        yield from decoder.feed_messages(messages, t, transmitter, link)
