"""Remote ID adapter: the opendroneid sample captures, the DroneScout receiver JSON, the InterUSS
network Remote ID flights, edge cases, and fuzzing of the message decoder and frame walkers."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import pytest
from adapters_helpers import shared
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.adapters.base import DecodeLog
from dronewall.adapters.pcap import iter_packets
from dronewall.adapters.remoteid import (
    H95_TO_SIGMA,
    V95_TO_SIGMA,
    RemoteIdDecoder,
    read_remoteid_capture,
    resolve_time_past_hour,
)
from dronewall.adapters.remoteid_frames import (
    walk_80211,
    walk_ble_pdu,
    walk_nordic_ble,
    walk_radiotap,
)
from dronewall.adapters.remoteid_messages import (
    Location,
    MessageError,
    decode_message,
    split_pack,
)
from dronewall.adapters.remoteid_netrid import check_serial_number, read_netrid_flights
from dronewall.adapters.remoteid_netrid import read_netrid_flight as read_netrid
from dronewall.core.errors import InputError
from dronewall.formats.detections import read_detections

ODID = "remoteid-opendroneid"
SCOUT = "remoteid-dronecot-dronescout"
NETRID = "netrid-interuss-test-flights"

T0 = 1762286400.0  # 2025-11-04T20:00:00Z, on the hour


# ----------------------------------------------------------------------------- test encoder
# A minimal encoder of the air format, written from the layout in remoteid_messages' docstring,
# to make frames the sample captures do not have.


def basic_id(uas_id: str, id_type: int = 1, ua_type: int = 2) -> bytes:
    return bytes([0x02, (id_type << 4) | ua_type]) + uas_id.encode().ljust(20, b"\0") + bytes(3)


def location(
    lat: float = 51.17,
    lon: float = 5.47,
    *,
    geo_m: float | None = 166.0,
    baro_m: float | None = None,
    height_m: float = 40.0,
    speed: int = 40,  # x 0.25 m/s
    direction: int = 90,
    vspeed: int = 4,  # x 0.5 m/s
    seconds: float | None = 1.5,
    h_acc: int = 10,
    v_acc: int = 4,
    status: int = 2,
) -> bytes:
    ew = 0
    if direction >= 180:
        ew, direction = 1, direction - 180

    def alt(v: float | None) -> int:
        return 0 if v is None else round((v + 1000.0) / 0.5)

    ts = 0xFFFF if seconds is None else round(seconds * 10)
    return struct.pack(
        "<BBBBbiiHHHBBHBB",
        0x12,
        (status << 4) | (ew << 1),
        direction,
        speed,
        vspeed,
        round(lat * 1e7),
        round(lon * 1e7),
        alt(baro_m),
        alt(geo_m),
        alt(height_m),
        (v_acc << 4) | h_acc,
        0x03,
        ts,
        0x02,
        0,
    )


def system(lat: float = 51.169, lon: float = 5.468, eu_class: int = 2) -> bytes:
    return struct.pack(
        "<BBiiHBHHBHIB", 0x42, 0x05, round(lat * 1e7), round(lon * 1e7), 1, 0, 0, 0,
        0x10 | eu_class, round((60.0 + 1000) / 0.5), 0, 0,
    )  # fmt: skip


def operator_id(text: str) -> bytes:
    return bytes([0x52, 0]) + text.encode().ljust(20, b"\0") + bytes(3)


def self_id(text: str) -> bytes:
    return bytes([0x32, 0]) + text.encode().ljust(23, b"\0")


def pack(*messages: bytes, count: int | None = None) -> bytes:
    n = len(messages) if count is None else count
    return bytes([0xF2, 25, n]) + b"".join(messages)


def beacon(payload: bytes, sa: bytes = b"\x02\x11\x22\x33\x44\x55") -> bytes:
    hdr = b"\x80\x00\x00\x00" + b"\xff" * 6 + sa + sa + b"\x00\x00"
    fixed = bytes(8) + b"\x64\x00\x01\x04"
    ssid = b"\x00\x04RID1"
    ie = b"\xdd" + bytes([4 + 1 + len(payload)]) + b"\xfa\x0b\xbc\x0d" + b"\x07" + payload
    return hdr + fixed + ssid + ie


def ble_legacy(message: bytes, adva: bytes = b"\x66\x55\x44\x33\x22\x11") -> bytes:
    ad = bytes([1 + 2 + 1 + 1 + len(message), 0x16, 0xFA, 0xFF, 0x0D, 0x01]) + message
    payload = adva + ad
    return bytes([0x02, len(payload)]) + payload


# ----------------------------------------------------------------------------- helpers


def near_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, m (fine for the few km of these tests)."""
    k = 6371000.0 * math.pi / 180.0
    return math.hypot((lat2 - lat1) * k, (lon2 - lon1) * k * math.cos(math.radians(lat1)))


def assert_readable(records: list[dict[str, Any]]) -> None:
    result = read_detections(records)
    assert result.bad_lines == 0, result.errors[:3]
    assert result.detections == len(records)


def decode_capture(*parts: str) -> tuple[list[dict[str, Any]], RemoteIdDecoder]:
    path = shared(*parts)
    dec = RemoteIdDecoder(source=path.name)
    return list(read_remoteid_capture(path, decoder=dec)), dec


# ----------------------------------------------------------------------------- sample captures


def test_wifi_beacon_capture_decodes_to_one_plausible_drone() -> None:
    records, dec = decode_capture(ODID, "odid_wifi_bcn_sample.pcap")
    assert len(records) == 21
    assert dec.log.bad == 0
    assert dec.log.good == 105  # 21 packs of 5 messages
    assert {r["remote_id"] for r in records} == {"MFG1A0123456789"}
    assert {r["protocol"] for r in records} == {"wifi"}
    for r in records:
        p = r["position"]
        # PROVENANCE: 45.5457 N, 122.9681 W (Oregon); the demo drone circles within ~300 m
        assert near_m(p["lat_deg"], p["lon_deg"], 45.5457, -122.9681) < 500.0
        assert p["alt_m"] == 237.0
        assert r["x_speed_m_s"] == 20.5
        assert 0.0 <= r["x_direction_deg"] < 360.0
        op = r["x_operator"]
        assert near_m(p["lat_deg"], p["lon_deg"], op["lat_deg"], op["lon_deg"]) < 1000.0
        assert r["x_operator_id"] == "GBR-OP-123ABCD"
        assert r["x_self_id"] == "Recreational"
        assert r["x_height_m"] == 100.0
        # codes 9 (< 30 m) and 3 (< 25 m), 95 % bounds -> sigma
        assert r["std"] == pytest.approx([30.0 / 2.4477, 30.0 / 2.4477, 25.0 / 1.96], rel=1e-3)
        # the sender's time past the hour is 0.0, minutes off the capture clock: not trusted
        assert r["x_time_source"] == "received"
        assert r["t"] == r["t_received"]
    assert_readable(records)


def test_wifi_nan_capture_decodes_nan_and_beacon_frames() -> None:
    records, dec = decode_capture(ODID, "odid_wifi_sample.pcap")
    assert dec.log.bad == 0
    links = [r["x_link"] for r in records]
    assert links.count("wifi-nan") == 16
    assert links.count("wifi-beacon") == 15
    for r in records:
        p = r["position"]
        assert near_m(p["lat_deg"], p["lon_deg"], 45.5457, -122.9681) < 1000.0
        assert "remote_id" not in r  # this capture never sends a Basic ID message
        assert r["x_transmitter"] == "84:CC:A8:60:43:24"
    assert records[-1]["x_operator_id"] == "GBR-OP-123ABCD"
    assert_readable(records)


def test_bt5_long_range_capture_no_fix_is_counted_not_a_drone_at_0_0() -> None:
    records, dec = decode_capture(ODID, "odid_bt5_lr_sample.pcapng")
    assert records == []  # every Location says 0/0: no fix
    assert dec.no_position == 222
    # 30 packets failed their CRC at capture; they are reported, not decoded
    assert dict(dec.log.by_reason) == {"nordic ble": 30}
    assert all("CRC failed" in i.reason and i.unit == "message" for i in dec.log.issues)
    (report,) = dec.reports.values()
    assert report.uas_id == "SSEVTFG93700070"
    assert report.ua_type == "helicopter_or_multirotor"
    assert report.self_id_text == "Drone ID demo"
    assert report.operator_id_text == "FIN87astrdge12kxyz8"
    assert report.link == "ble-ext"
    assert report.lat_deg is None


@pytest.mark.parametrize(
    ("name", "n", "link"),
    [
        ("BLE-legacy.json", 19, "ble"),
        ("BLE-long_range.json", 4, "ble-ext"),
        ("WiFi-NaN.json", 3, "wifi-nan"),
        ("WiFi-beacon.json", 2, "wifi-beacon"),
    ],
)
def test_dronescout_json(name: str, n: int, link: str) -> None:
    records, dec = decode_capture(SCOUT, name)
    assert dec.log.bad == 0
    assert len(records) == n
    for r in records:
        assert r["remote_id"] == "1787F04BM24010011195"
        assert r["x_link"] == link
        assert r["x_ua_type"] == "helicopter_or_multirotor"
        p = r["position"]
        assert near_m(p["lat_deg"], p["lon_deg"], 37.76, -122.4977) < 50.0  # San Francisco
        op = r["x_operator"]
        assert near_m(p["lat_deg"], p["lon_deg"], op["lat_deg"], op["lon_deg"]) < 100.0
        assert r["x_time_source"] == "message"
        assert abs(r["t"] - r["t_received"]) < 3.0
        assert r["std"][0] == pytest.approx(1.0 / H95_TO_SIGMA)  # code 12: < 1 m
    assert_readable(records)


def test_dronescout_struct_agrees_with_the_air_format() -> None:
    """The C-struct path and the air-format path give the same record for the same values."""
    records, _ = decode_capture(SCOUT, "WiFi-beacon.json")
    r = records[0]
    p = r["position"]
    op = r["x_operator"]
    air = pack(
        basic_id(r["remote_id"]),
        location(p["lat_deg"], p["lon_deg"], geo_m=p["alt_m"], height_m=r["x_height_m"],
                 speed=0, direction=0, vspeed=0, seconds=None, h_acc=12, v_acc=5),
        system(op["lat_deg"], op["lon_deg"]),
    )  # fmt: skip
    (again,) = RemoteIdDecoder().feed(beacon(air), r["t_received"], "wifi-beacon")
    assert again["remote_id"] == r["remote_id"]
    assert again["position"]["lat_deg"] == pytest.approx(p["lat_deg"], abs=1e-7)
    assert again["position"]["lon_deg"] == pytest.approx(p["lon_deg"], abs=1e-7)
    assert again["position"]["alt_m"] == p["alt_m"]
    assert again["std"] == pytest.approx(r["std"])
    assert again["x_operator"]["lat_deg"] == pytest.approx(op["lat_deg"], abs=1e-7)


def test_flat_receiver_payload_and_status_json() -> None:
    records, dec = decode_capture(SCOUT, "ua_payload.json")
    (r,) = records
    assert r["remote_id"] == "1581F4QWB22CC00302LV"
    assert r["position"]["alt_m"] == -32.0
    assert "x_direction_deg" not in r  # Direction null: unknown
    assert_readable(records)
    records, dec = decode_capture(SCOUT, "sensor_status.json")
    assert records == []
    assert dec.log.bad == 0


# ----------------------------------------------------------------------------- edge cases


def test_pack_with_bad_messages_keeps_the_good_ones() -> None:
    dec = RemoteIdDecoder()
    bad_type = bytes([0x72]) + bytes(24)
    bad_lat = location(lat=95.0)
    frame = beacon(pack(basic_id("1ABCD1234"), bad_type, location(), bad_lat))
    records = dec.feed(frame, T0 + 2.0, "wifi-beacon")
    assert len(records) == 1
    assert records[0]["remote_id"] == "1ABCD1234"
    reasons = [i.reason for i in dec.log.issues]
    assert reasons == [
        "message type 7: unknown type",
        "location: latitude: 95.0000000 beyond +-90 deg",
    ]
    pack_at = frame.index(b"\xf2\x19")
    assert [i.offset for i in dec.log.issues] == [pack_at + 3 + 25, pack_at + 3 + 75 + 5]
    assert all(i.unit == "byte" for i in dec.log.issues)
    assert dec.log.good == 2


def test_good_garbage_good_frames() -> None:
    dec = RemoteIdDecoder()
    out = dec.feed(beacon(pack(location(lat=51.0))), T0 + 2.0, "wifi-beacon")
    out += dec.feed(beacon(pack(location(), count=7))[:-20], T0 + 2.5, "wifi-beacon")
    out += dec.feed(beacon(pack(location(lat=51.1))), T0 + 3.0, "wifi-beacon")
    assert [r["position"]["lat_deg"] for r in out] == pytest.approx([51.0, 51.1])
    assert dec.log.bad == 1
    assert "wifi beacon: element 221" in dec.log.issues[0].reason  # the IE overruns the frame


def test_pack_count_overrun_and_size() -> None:
    dec = RemoteIdDecoder()
    assert dec.feed(pack(location(), count=3), T0, "raw") == []
    assert dec.log.issues[-1].reason.startswith("message pack: count: 3 messages")
    assert dec.feed(bytes([0xF2, 30, 1]) + location(), T0, "raw") == []
    assert dec.log.issues[-1].reason == "message pack: message size: 30, expected 25"
    assert dec.feed(location()[:20], T0, "raw") == []
    assert dec.log.issues[-1].reason == "message: truncated: 20 of 25 bytes"
    assert dec.log.bad == 3


def test_no_fix_location_is_counted_not_recorded() -> None:
    dec = RemoteIdDecoder()
    assert dec.feed(location(0.0, 0.0), T0, "raw", address="rx") == []
    assert dec.no_position == 1
    assert dec.log.bad == 0
    assert dec.log.good == 1
    assert dec.reports["rx"].lat_deg is None


def test_sentinels_decode_to_unknown() -> None:
    m = location(geo_m=None, seconds=None, direction=181 + 180, speed=255, vspeed=126)
    # speed 255 without the multiplier is 63.75 m/s, a real value; with it, 255 = unknown
    m = m[:1] + bytes([m[1] | 0x01]) + m[2:]
    loc = decode_message(m)
    assert isinstance(loc, Location)
    assert loc.direction_deg is None
    assert loc.speed_m_s is None
    assert loc.vertical_speed_m_s is None
    assert loc.alt_geo_m is None
    assert loc.seconds_past_hour is None


def test_pressure_altitude_only_gives_a_2d_record() -> None:
    dec = RemoteIdDecoder(sensor="rid-rx")
    (r,) = dec.feed(location(geo_m=None, baro_m=120.0), T0 + 2.0, "raw")
    assert r["position"]["alt_m"] is None
    assert len(r["std"]) == 2
    assert r["x_alt_baro_m"] == 120.0
    assert_readable([r])


def test_time_past_the_hour_across_the_hour_boundary() -> None:
    assert resolve_time_past_hour(3599.9, T0 + 0.3) == pytest.approx(T0 - 0.1)
    assert resolve_time_past_hour(0.2, T0 - 0.1) == pytest.approx(T0 + 0.2)
    assert resolve_time_past_hour(1800.0, T0 + 1799.0) == pytest.approx(T0 + 1800.0)
    dec = RemoteIdDecoder()
    (r,) = dec.feed(location(seconds=3599.9), T0 + 0.3, "raw")
    assert r["t"] == pytest.approx(T0 - 0.1)
    assert r["x_time_source"] == "message"
    (r,) = dec.feed(location(seconds=600.0), T0 + 0.3, "raw")  # 10 min off: not trusted
    assert r["t"] == T0 + 0.3
    assert r["x_time_source"] == "received"


def test_ble_legacy_messages_gather_per_transmitter() -> None:
    dec = RemoteIdDecoder()
    adva = b"\x66\x55\x44\x33\x22\x11"
    assert dec.feed(ble_legacy(basic_id("1ABCD1234"), adva), T0, "ble") == []
    assert dec.feed(ble_legacy(system(), adva), T0 + 0.1, "ble") == []
    assert dec.feed(ble_legacy(operator_id("BEL-OP-42"), adva), T0 + 0.2, "ble") == []
    assert dec.feed(ble_legacy(self_id("survey"), adva), T0 + 0.3, "ble") == []
    (r,) = dec.feed(ble_legacy(location(direction=270, seconds=1.5), adva), T0 + 1.6, "ble")
    assert r["remote_id"] == "1ABCD1234"
    assert r["x_transmitter"] == "11:22:33:44:55:66"
    assert r["x_link"] == "ble"
    assert "protocol" not in r
    assert r["x_operator_id"] == "BEL-OP-42"
    assert r["x_self_id"] == "survey"
    assert r["x_eu_class"] == 2
    assert r["x_eu_category"] == 1
    assert r["x_direction_deg"] == 270.0
    assert r["x_speed_m_s"] == 10.0
    assert r["x_vertical_speed_m_s"] == 2.0
    assert r["x_ua_type"] == "helicopter_or_multirotor"
    assert r["t"] == pytest.approx(T0 + 1.5)
    assert r["std"] == pytest.approx([10.0 / H95_TO_SIGMA] * 2 + [10.0 / V95_TO_SIGMA])
    # another transmitter does not inherit the first one's identity
    (other,) = dec.feed(ble_legacy(location(), b"\x01" * 6), T0 + 1.7, "ble")
    assert "remote_id" not in other
    assert_readable([r, other])


def test_unknown_link_and_missing_file() -> None:
    dec = RemoteIdDecoder()
    assert dec.feed(b"x", T0, "lora") == []
    assert dec.log.issues[0].reason.startswith("link: unknown link 'lora'")
    with pytest.raises(InputError):
        list(read_remoteid_capture(Path("/nonexistent/rid.pcap")))


def test_capture_issue_offsets_are_packet_indices(tmp_path: Path) -> None:
    import dpkt

    path = tmp_path / "rid.pcap"
    radiotap = b"\x00\x00\x08\x00\x00\x00\x00\x00"
    with path.open("wb") as fp:
        w = dpkt.pcap.Writer(fp, linktype=127)
        w.writepkt(radiotap + beacon(pack(location(lat=51.0))), ts=T0 + 2.0)
        w.writepkt(radiotap + beacon(pack(bytes([0x82]) + bytes(24))), ts=T0 + 2.5)
        w.writepkt(radiotap + beacon(pack(location(lat=51.2))), ts=T0 + 3.0)
    log = DecodeLog("rid.pcap")
    records = list(read_remoteid_capture(path, log))
    assert [r["position"]["lat_deg"] for r in records] == pytest.approx([51.0, 51.2])
    (issue,) = log.issues
    assert issue.offset == 1
    assert issue.unit == "message"
    assert issue.reason.startswith("message type 8: unknown type (byte ")


# ----------------------------------------------------------------------------- network RID


def test_netrid_valid_flight() -> None:
    log = DecodeLog("zurich")
    flights = read_netrid_flights(shared(NETRID, "zurich.json"), log)
    assert log.bad == 0
    assert [f.uas_id for f in flights] == ["1AKGAAN8G70R7JS", "ULYK563L5G"]
    assert [len(f.states) for f in flights] == [17, 13]
    for f in flights:
        assert f.ua_type == "Helicopter"
        assert f.operator_id is not None
        assert f.operator_id.startswith("CHE-RP-")
        for s in f.states:
            assert near_m(s.lat_deg, s.lon_deg, 47.3709, 8.4979) < 2500.0  # Zurich
            assert near_m(s.lat_deg, s.lon_deg, f.operator_lat_deg, f.operator_lon_deg) < 1500.0
            assert s.speed_m_s is not None
            assert 0.0 <= s.speed_m_s <= 30.0
    records = list(read_netrid(shared(NETRID, "zurich.json")))
    assert len(records) == 30
    assert_readable(records)


EXPECTED_FIELD = {
    "no_accuracy_h": "position.accuracy_h: missing",
    "no_accuracy_v": "position.accuracy_v: missing",
    "no_alt": "position.alt: missing",
    "no_height": "height.distance: missing",
    "no_height_type": "height.reference: missing",
    "no_speed": "speed: missing",
    "no_speed_accuracy": "speed_accuracy: missing",
    "no_timestamp": "timestamp: missing",
    "no_timestamp_accuracy": "timestamp_accuracy: missing",
    "no_track": "track: missing",
    "no_uas_id": "flight_details.serial_number: missing",
    "no_vertical_speed": "vertical_speed: missing",
    "wrong_accuracy_h": "position.accuracy_h: 'WRONG'",
    "wrong_accuracy_v": "position.accuracy_v: 'WRONG'",
    "wrong_height_type": "height.reference: 'WRONG'",
    "wrong_operational_status": "operational_status: 'WRONG'",
    "wrong_registration_id": "flight_details.registration_id: 'WRONG'",
    "wrong_serial_number": "flight_details.serial_number: 'WRONG'",
    "wrong_speed": "speed: -5.0 is outside",
    "wrong_speed_accuracy": "speed_accuracy: 'WRONG'",
    "wrong_timestamp": "timestamp: not an ISO 8601 time: '42'",
    "wrong_timestamp_accuracy": "timestamp_accuracy: -42 is outside",
    "wrong_track": "track: 365 is outside",
    "wrong_ua_type": "aircraft_type: 'WRONG'",
    "wrong_utm_id": "flight_details.utm_id: '!' is not a UUID",
    "wrong_vertical_speed": "vertical_speed: 999999999999999999999999999999999 is outside",
}


@pytest.mark.parametrize("variant", sorted(EXPECTED_FIELD))
def test_netrid_broken_variants_are_rejected_naming_the_field(variant: str) -> None:
    log = DecodeLog(variant)
    flights = read_netrid_flights(shared(NETRID, f"invalid_{variant}.json"), log)
    assert log.bad >= 1
    assert all(EXPECTED_FIELD[variant] in i.reason for i in log.issues), log.issues
    assert all(i.reason.startswith("flights[") for i in log.issues)
    n_states = sum(len(f.states) for f in flights)
    assert n_states + log.bad <= 30  # nothing broken is let through
    records = list(read_netrid(shared(NETRID, f"invalid_{variant}.json")))
    if records:
        assert_readable(records)


def test_cta2063_serial_numbers() -> None:
    assert check_serial_number("1AKGAAN8G70R7JS") is None
    assert check_serial_number("1581F4QWB22CC00302LV") is None
    assert check_serial_number("ULYK563L5G") is None
    assert "length character 6" in (check_serial_number("ULYK663L5G") or "")
    assert check_serial_number("WRONG") is not None
    assert check_serial_number("1OKGAAN8G70R7JS") is not None  # no letter O


# ----------------------------------------------------------------------------- fuzzing


def sample_frames() -> list[tuple[bytes, str]]:
    """One real frame of each link from the sample captures, as given to feed()."""
    out: list[tuple[bytes, str]] = []
    for name in ("odid_wifi_bcn_sample.pcap", "odid_wifi_sample.pcap"):
        for p in list(iter_packets(shared(ODID, name)))[:3]:
            rlen = int.from_bytes(p.data[2:4], "little")
            out.append((p.data[rlen:], "wifi-beacon"))
    for p in list(iter_packets(shared(ODID, "odid_bt5_lr_sample.pcapng")))[25:30]:
        out.append((p.data[22:], "ble"))  # 17-byte Nordic header, access address, CI
    return out


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=40))
def test_fuzz_decode_message_raises_only_message_error(data: bytes) -> None:
    reasons = []
    for decode in (decode_message, split_pack):
        try:
            decode(data)
        except MessageError as exc:
            reasons.append(exc.reason)
    assert all(r.split(":", 1)[0] for r in reasons)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["wifi-beacon", "wifi-nan", "ble", "ble-ad", "raw"]),
    st.binary(min_size=0, max_size=300),
)
def test_fuzz_feed_never_raises(link: str, data: bytes) -> None:
    dec = RemoteIdDecoder()
    records = dec.feed(data, T0, link)
    assert len(records) <= dec.log.good
    for i in dec.log.issues:
        assert 0 <= i.offset <= len(data) + 3
        assert i.reason.split(":", 1)[0]
    if records:
        assert_readable(records)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_real_frames(data: st.DataObject) -> None:
    frames = sample_frames()
    frame, link = data.draw(st.sampled_from(frames))
    n = data.draw(st.integers(1, 4))
    buf = bytearray(frame)
    for _ in range(n):
        at = data.draw(st.integers(0, len(buf) - 1))
        buf[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(buf)))
    mutated = bytes(buf[:cut])
    dec = RemoteIdDecoder()
    records = dec.feed(mutated, T0, link)
    if records:
        assert_readable(records)
    # the walkers themselves never raise either
    walk_80211(mutated)
    walk_ble_pdu(mutated)
    walk_radiotap(mutated)
    walk_nordic_ble(mutated)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=60))
def test_fuzz_good_garbage_good(garbage: bytes) -> None:
    """Garbage between two good frames never costs the good ones."""
    dec = RemoteIdDecoder()
    out = dec.feed(beacon(pack(basic_id("1ABCD1234"), location(lat=51.0))), T0 + 2, "wifi-beacon")
    out += dec.feed(garbage, T0 + 2.5, "raw")
    out += dec.feed(beacon(pack(location(lat=51.1))), T0 + 3, "wifi-beacon")
    lats = [r["position"]["lat_deg"] for r in out if r["x_link"] == "wifi-beacon"]
    assert lats == pytest.approx([51.0, 51.1])
    assert out[-1]["remote_id"] == "1ABCD1234"
    assert dec.log.bad <= 9
