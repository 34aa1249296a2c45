"""ADS-B adapter: SBS, Beast and AVR decoding against real captures, golden values and fuzzing."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import rs1090
from adapters_helpers import shared
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.adapters.adsb import (
    AvrDecoder,
    BeastDecoder,
    ModeSCore,
    ModeSOptions,
    SbsDecoder,
    cpr_nl,
    crc24,
    decode_reply,
    height_from_baro,
    horizontal_std,
    read_beast_capture,
    read_sbs_capture,
)
from dronewall.adapters.adsb_modes import distance_m
from dronewall.adapters.base import DecodeLog
from dronewall.core.errors import ConfigError, InputError
from dronewall.formats.detections import read_detections

ULSS7_START = 1522782148.136310917  # from the capture's original file name (PROVENANCE.md)
_OTHER = {b"SEL", b"ID", b"AIR", b"STA", b"CLK"}  # valid BaseStation lines we do not use
FUZZ = settings(max_examples=200, deadline=None)


def _beast_frame(payload: bytes, counter: int = 0x0102030405, signal: int = 0x80) -> bytes:
    kind = {2: b"1", 7: b"2", 14: b"3"}[len(payload)]
    body = counter.to_bytes(6, "big") + bytes([signal]) + payload
    return b"\x1a" + kind + body.replace(b"\x1a", b"\x1a\x1a")


def _sample_adsb() -> list[tuple[float, bytes]]:
    with shared("pymodes", "sample_data_adsb.csv").open() as fh:
        return [(float(r[0]), bytes.fromhex(r[1])) for r in csv.reader(fh)]


def _ulss7_beast(**o: Any) -> tuple[list[dict[str, Any]], DecodeLog]:
    path = shared("adsb-beast-sbs", "ulss7-beast-bin-utc--1522782148.beast")
    log = DecodeLog(path.name)
    return list(read_beast_capture(path, log, start_epoch=ULSS7_START, **o)), log


def _ulss7_sbs() -> tuple[list[dict[str, Any]], DecodeLog]:
    path = shared("adsb-beast-sbs", "ulss7_beast_decoded_sbs.txt")
    log = DecodeLog(path.name)
    return list(read_sbs_capture(path, log)), log


# ------------------------------------------------------------------ golden values (pyModeS v2)


def test_golden_v2_every_applicable_value_matches() -> None:
    """600 messages: icao, typecode, callsign, altitude, CPR format, velocity, squawk.

    Not applicable: the Comm-B registers BDS 1,0 / 4,0 / 5,0 / 6,0 of DF 20/21 (airspeeds,
    roll, selected altitude), which this adapter does not decode; pyModeS v2 truncates the
    ground speed to an integer (``int()``), so ours is compared after ``math.floor``.
    """
    golden = json.loads(shared("pymodes", "golden_v2.json").read_text())
    checked = matched = 0
    mismatches: list[str] = []

    def check(name: str, want: Any, got: Any) -> None:
        nonlocal checked, matched
        checked += 1
        ok = (abs(want - got) < 1e-9) if isinstance(want, float) else want == got
        matched += ok
        if not ok:
            mismatches.append(f"{name}: want {want!r}, got {got!r}")

    for hexmsg, want in golden.items():
        got = decode_reply(bytes.fromhex(hexmsg))
        check("df", want["df"], got["df"])
        check("icao", want["icao"].upper(), got["address"])
        if want["df"] == 17:
            assert got["crc_ok"] is True
            check("typecode", want["typecode"], got.get("tc"))
            if "cpr_format" in want:
                check("cpr_format", want["cpr_format"], int(got["cpr_odd"]))
            if "groundspeed" in want:
                check("groundspeed", want["groundspeed"], math.floor(got["ground_speed_kt"]))
                check("track", want["track"], got["track_deg"])
                check("vertical_rate", want["vertical_rate"], got["vertical_rate_fpm"])
        if "altitude" in want:
            check("altitude", want["altitude"], got.get("altitude_ft"))
        if "squawk" in want:
            check("squawk", want["squawk"], got.get("squawk"))
        if "callsign" in want:
            check("callsign", want["callsign"].rstrip("_"), got.get("callsign"))
    assert mismatches == []
    assert (matched, checked) == (2225, 2225)


def test_sample_adsb_positions_track_the_flight_and_equal_rs1090_batch_cpr() -> None:
    msgs = _sample_adsb()
    log = DecodeLog("sample_data_adsb.csv")
    core = ModeSCore(log, ModeSOptions())
    records = core.decode([(p, t, t, i + 1, None) for i, (t, p) in enumerate(msgs)], "line")
    # pyModeS 3.6.1 PipeDecoder finds 929 positions (PROVENANCE.md); 937 position messages,
    # of which 4 wait for a pair at the start and 1 repeats a (t, position) already given
    assert len(records) == 932
    assert (core.unresolved, core.duplicates, core.position_rejects, log.bad) == (4, 1, 0, 0)
    assert {r["icao"] for r in records} == {"406B90"}
    first, last = records[0]["position"], records[-1]["position"]
    assert first["lat_deg"] == pytest.approx(51.15, abs=0.01)
    assert first["lon_deg"] == pytest.approx(7.25, abs=0.02)
    assert last["lat_deg"] == pytest.approx(51.70, abs=0.01)
    assert last["lon_deg"] == pytest.approx(4.77, abs=0.01)
    assert records[0]["x_callsign"] == "EZY85MH"
    # rs1090's own batch CPR (pairs within its batch): every position it gives, we give equal
    out = rs1090.decode([p.hex() for _, p in msgs], [t for t, _ in msgs])
    theirs = {(o["timestamp"], o["frame"]): o for o in out if o and "latitude" in o}
    ours = {}
    for r, (t, p) in zip(_positions_with_frames(msgs), msgs, strict=True):
        if r is not None:
            ours[(t, p.hex())] = r
    common = theirs.keys() & ours.keys()
    assert len(common) >= 770
    worst = max(
        distance_m(
            theirs[k]["latitude"],
            theirs[k]["longitude"],
            ours[k]["position"]["lat_deg"],
            ours[k]["position"]["lon_deg"],
        )
        for k in common
    )
    assert worst < 0.01


def _positions_with_frames(msgs: list[tuple[float, bytes]]) -> list[dict[str, Any] | None]:
    core = ModeSCore(DecodeLog("x"), ModeSOptions())
    out: list[dict[str, Any] | None] = []
    for i, (t, p) in enumerate(msgs):
        recs = core.decode([(p, t, t, i, None)], "line")
        out.append(recs[0] if recs else None)
    return out


def test_local_decode_against_the_receiver_needs_no_pair() -> None:
    msgs = _sample_adsb()
    core = ModeSCore(DecodeLog("x"), ModeSOptions(reference=(51.5, 6.0)))
    recs = core.decode([(p, t, t, i, None) for i, (t, p) in enumerate(msgs)], "line")
    assert recs[0]["x_cpr"] == "local-receiver"
    assert core.unresolved == 0
    assert len(recs) == 936


def test_records_are_valid_detections_with_si_values() -> None:
    records, _ = _ulss7_beast()
    result = read_detections(records)
    assert result.bad_lines == 0
    assert result.detections == len(records) == 728
    r = records[0]
    assert r["icao"] == "71BE34"
    # 35000 ft pressure altitude and a GNSS-baro difference of -1275 ft (TC 19): HAE height
    assert r["x_height_source"] == "baro+gnss_diff"
    assert r["position"]["alt_m"] == pytest.approx((35000 - 1275) * 0.3048)
    assert r["x_ground_speed_m_s"] == pytest.approx(514.4 * 1852 / 3600, rel=2e-3)
    assert r["x_callsign"] == "AAR542"
    assert r["std"][0] == pytest.approx(0.05 * 1852 / 2.4477, rel=1e-3)  # NUCp 7: RCu 0.05 NM


# ------------------------------------------------------------------ Beast vs SBS of one log


def test_beast_and_sbs_renderings_of_one_log_give_the_same_positions() -> None:
    beast, blog = _ulss7_beast()
    sbs, slog = _ulss7_sbs()
    assert blog.bad == 0
    assert blog.good == 13948  # the tool processed 13954, 6 of them unverifiable (trailer)
    # the two trailer lines of the rendering tool are reported, every MSG line is good
    assert slog.bad == 2
    assert [i.offset for i in slog.issues] == [8624, 8625]
    by_b: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    by_s: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in beast:
        by_b[r["icao"]].append(r)
    for r in sbs:
        by_s[r["icao"]].append(r)
    assert set(by_b) == set(by_s)
    assert len(by_b) == 11
    for icao, bs in by_b.items():
        ss = by_s[icao]
        assert len(bs) == len(ss), icao
        for b, s in zip(bs, ss, strict=True):
            # SBS has 5 decimals (<= 0.6 m) and milliseconds
            assert abs(b["t"] - s["t"]) < 1.5e-3
            d = distance_m(
                b["position"]["lat_deg"],
                b["position"]["lon_deg"],
                s["position"]["lat_deg"],
                s["position"]["lon_deg"],
            )
            assert d < 1.0, icao
            assert b["x_alt_baro_ft"] == s["x_alt_baro_ft"]


def test_beast_extract_matches_the_tool_kml_track() -> None:
    kml = shared("adsb-beast-sbs", "71be34.kml").read_text()
    coords = re.search(r"<coordinates>(.*?)</coordinates>", kml, re.S)
    assert coords is not None
    points = {tuple(float(v) for v in c.split(",")) for c in coords.group(1).split()}
    recs = list(
        read_beast_capture(shared("adsb-beast-sbs", "beast_extract_71be34.beast"), start_epoch=0.0)
    )
    assert {r["icao"] for r in recs} == {"71BE34"}
    assert len(recs) == len(points) == 64
    for r in recs:
        p = r["position"]
        d = min(distance_m(p["lat_deg"], p["lon_deg"], lat, lon) for lon, lat, _ in points)
        assert d < 1.0
        # KML heights are the ISA pressure altitude in metres
        assert (
            min(abs(r["x_alt_baro_ft"] * 0.3048 - h) for *_, h in points) < 0.06
        )  # 0.1 m rounding


def test_dump1090_sample_stream_frames_and_aircraft() -> None:
    path = shared("traffic-samples", "dump1090_sample_dump1090.bin")
    dec = BeastDecoder(path.name, clock="counter", start_epoch=0.0)
    dec.feed(path.read_bytes(), 0.0)
    dec.flush()
    assert dec.frames == 185 + 54
    assert dec.log.bad == 0
    assert len(dec.core.known) == 4  # addresses of CRC-checked DF 11/17/18 replies


def test_sbs_excerpt_from_py1090_docs() -> None:
    recs = list(read_sbs_capture(shared("adsb-beast-sbs", "py1090_docs_sbs_excerpt.sbs")))
    assert len(recs) == 7
    assert recs[0]["icao"] == "502C8F"
    assert recs[0]["position"]["lat_deg"] == 50.33498
    assert recs[0]["t"] == pytest.approx(1430512091.080)  # 2015-05-01 20:28:11.080 UTC


# ------------------------------------------------------------------ units, heights, times

SBS3 = "MSG,3,1,1,4CA2B1,1,2025/11/04,20:00:00.250,2025/11/04,20:00:00.260,,3000,,,51.2,5.5,,,,,,0"
SBS4 = "MSG,4,1,1,4CA2B1,1,2025/11/04,20:00:00.100,2025/11/04,20:00:00.110,,,120,90,,,-640,,,,,0"


def test_sbs_units_and_time_zone() -> None:
    dec = SbsDecoder()
    recs = dec.feed(f"{SBS4}\n{SBS3}\n".encode(), 1762286401.0)
    assert len(recs) == 1
    r = recs[0]
    assert r["t"] == 1762286400.25  # 2025-11-04T20:00:00.25Z
    assert r["t_received"] == 1762286401.0
    assert r["x_ground_speed_m_s"] == pytest.approx(120 * 0.514444, rel=1e-5)
    assert r["x_vertical_rate_m_s"] == pytest.approx(-640 * 0.3048 / 60)
    assert r["x_track_deg"] == 90.0
    assert r["position"]["alt_m"] == pytest.approx(914.4)
    assert r["std"][2] > 80.0  # ISA pressure altitude: large vertical std
    local = SbsDecoder(tz="Europe/Brussels").feed(f"{SBS3}\n".encode(), 0.0)
    assert local[0]["t"] == r["t"] - 3600.0  # CET = UTC+1 in November
    with pytest.raises(ConfigError):
        SbsDecoder(tz="Mars/Olympus")


def test_height_and_accuracy_conversions() -> None:
    h, std, label = height_from_baro(10000.0, 200.0, None)
    assert (h, label) == (pytest.approx(10200 * 0.3048), "baro+gnss_diff")
    assert std < 30.0
    h, std, label = height_from_baro(10000.0, None, 46.0)
    assert (h, label) == (pytest.approx(3048.0 + 46.0), "baro_isa")
    assert std > 80.0
    assert horizontal_std(9, None) == (pytest.approx(30.0 / 2.4477, rel=1e-4), "nacp9")
    assert horizontal_std(None, 7)[1] == "nucp7"
    assert horizontal_std(0, None)[1] == "unknown"


def test_cpr_nl_and_crc() -> None:
    assert [cpr_nl(x) for x in (0.0, 10.47047130, 52.0, 86.9, 87.0, 89.0)] == [59, 58, 36, 2, 2, 1]
    assert crc24(bytes.fromhex("8D406B902015A678D4D220AA4BDA")) == 0


# ------------------------------------------------------------------ bad input


def test_beast_parity_failure_is_counted_and_neighbours_kept() -> None:
    msgs = _sample_adsb()[:40]
    good = b"".join(_beast_frame(p) for _, p in msgs)
    bad = bytearray(msgs[5][1])
    bad[6] ^= 0x10
    stream = b"".join(_beast_frame(p) for _, p in msgs[:5]) + _beast_frame(bytes(bad)) + good
    dec = BeastDecoder("t")
    dec.feed(stream, 100.0)
    assert dec.core.parity_failures == 1
    assert dec.log.by_reason["crc"] == 1
    assert dec.log.issues[0].offset == 5 * len(_beast_frame(msgs[0][1]))
    assert dec.log.good == 45


def test_beast_unknown_type_and_cut_frame_are_reported_with_offsets() -> None:
    p = _sample_adsb()[0][1]
    f = _beast_frame(p)
    stream = f + b"\x1a5" + b"\x00" * 4 + f[:10] + f + f
    dec = BeastDecoder("t")
    dec.feed(stream, 0.0)
    n = len(f)
    reasons = [(i.offset, i.reason.split(":")[0]) for i in dec.log.issues]
    # the unknown type, the 5 bytes it leaves outside a frame, the frame cut by the next 0x1A
    assert reasons == [(n, "type"), (n + 1, "sync"), (n + 6, "frame")]
    assert dec.frames == 3


def test_sbs_bad_lines_are_reported_by_line_and_field() -> None:
    lines = [
        SBS4,
        "MSG,3,1,1,4CA2B1,1,2025/11/04,20:00:01.0,,,,abc,,,51.2,5.5,,,,,,0",
        "MSG,3,1,1,4CA2ZZ,1,2025/11/04,20:00:01.0,,,,3000,,,51.2,5.5,,,,,,0",
        "MSG,3,1,1",
        "MSG,3,1,1,4CA2B1,1,2025/11/04,2x:00:01.0,,,,3000,,,51.2,5.5,,,,,,0",
        SBS3,
        "MSG,3,1,1,4CA2B1,1,2025/11/04,20:00:02.250,,,,3000,,,55.2,5.5,,,,,,0",  # 445 km in 2 s
        "MSG,6,1,1,4CA2B1,1,2025/11/04,20:00:03.0,,,,3000,,,,,,7A00,0,0,0,0",
    ]
    dec = SbsDecoder("t")
    recs = dec.feed(("\r\n".join(lines) + "\r\n").encode(), 0.0)
    assert len(recs) == 1
    got = [(i.offset, i.reason.split(":")[0]) for i in dec.log.issues]
    assert got == [
        (2, "altitude"),
        (3, "hex_ident"),
        (4, "fields"),
        (5, "time_gen"),
        (7, "position"),
        (8, "squawk"),
    ]
    assert dec.position_rejects == 1
    assert dec.log.good == 2


def test_avr_lines() -> None:
    msgs = _sample_adsb()[:30]
    text = "".join(f"*{p.hex().upper()};\n" for _, p in msgs[:15])
    text += "*8D40ZZ;\nhello\n@0000012A44C8" + msgs[15][1].hex() + ";\n"
    text += "".join(f"*{p.hex()};\r\n" for _, p in msgs[16:])
    dec = AvrDecoder("t", clock="counter", start_epoch=1000.0)
    recs = dec.feed(text.encode(), 5.0)
    assert [i.offset for i in dec.log.issues] == [16, 17]
    assert dec.log.good == 30
    # '*' lines carry no counter: t_received before the first '@' line, then the last time
    assert {r["t"] for r in recs} <= {5.0, 1000.0}
    assert recs[-1]["t"] == 1000.0


def test_missing_file_and_bad_options() -> None:
    with pytest.raises(InputError):
        list(read_sbs_capture(Path("/nonexistent/x.sbs")))
    with pytest.raises(InputError):
        list(read_beast_capture(Path("/nonexistent/x.beast"), start_epoch=0.0))
    with pytest.raises(ConfigError):
        BeastDecoder(max_sped_m_s=1.0)
    with pytest.raises(ConfigError):
        BeastDecoder(clock="gps")  # type: ignore[arg-type]


# ------------------------------------------------------------------ chunking and fuzzing


@settings(max_examples=100, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=20000), max_size=30))
def test_beast_chunking_does_not_change_the_records(cuts: list[int]) -> None:
    data, want, good, bad = _whole_stream()
    parts = BeastDecoder("p", clock="counter", start_epoch=0.0)
    got = []
    prev = 0
    for c in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        got += parts.feed(data[prev:c], 0.0)
        prev = c
    assert got == want
    assert (parts.log.good, parts.log.bad) == (good, bad)


_WHOLE: list[Any] = []


def _whole_stream() -> tuple[bytes, list[dict[str, Any]], int, int]:
    """The dump1090 sample stream then 60 escaped frames, decoded in one piece (computed once)."""
    if not _WHOLE:
        data = shared("traffic-samples", "dump1090_sample_dump1090.bin").read_bytes()
        data += b"".join(_beast_frame(p, counter=i + 1) for i, (_, p) in enumerate(_SAMPLE[:60]))
        whole = BeastDecoder("w", clock="counter", start_epoch=0.0)
        want = whole.feed(data, 0.0)
        assert want
        assert data.count(b"\x1a\x1a") > 0  # escapes are exercised
        _WHOLE[:] = [data, want, whole.log.good, whole.log.bad]
    return _WHOLE[0], _WHOLE[1], _WHOLE[2], _WHOLE[3]


_SAMPLE: list[tuple[float, bytes]] = []


@pytest.fixture(autouse=True, scope="module")
def _load_sample() -> None:
    _SAMPLE[:] = _sample_adsb()


@FUZZ
@given(garbage=st.binary(min_size=1, max_size=60))
def test_beast_garbage_between_good_frames(garbage: bytes) -> None:
    # two pairs of position messages (even+odd each) around garbage
    a = b"".join(_beast_frame(p) for _, p in _SAMPLE[0:20])
    b = b"".join(_beast_frame(p) for _, p in _SAMPLE[20:40])
    dec = BeastDecoder("f")
    base = dec.feed(a, 0.0)
    n_good = dec.log.good
    dec.feed(garbage + b"\x00", 1.0)  # the trailing byte ends any run of 0x1A in the garbage
    recs = dec.feed(b, 2.0)
    dec.flush()
    assert base
    # the second block is decoded whatever the garbage (it starts with a clean frame)
    assert dec.log.good >= 2 * n_good
    assert recs


@FUZZ
@given(data=st.binary(max_size=400), cut=st.integers(min_value=0, max_value=400))
def test_beast_random_bytes_never_raise(data: bytes, cut: int) -> None:
    dec = BeastDecoder("f", reference=(51.0, 5.0))
    dec.feed(data[:cut], 0.0)
    dec.feed(data[cut:], 1.0)
    dec.flush()
    assert dec.log.bad + dec.log.good >= 0


@FUZZ
@given(
    garbage=st.binary(max_size=200).filter(
        lambda b: b"\n" not in b and b.strip() and b.split(b",")[0].strip() not in _OTHER
    )
)
def test_sbs_garbage_line_between_good_lines(garbage: bytes) -> None:
    dec = SbsDecoder("f")
    line2 = SBS3.replace("20:00:00.250", "20:00:05.250").replace("51.2,", "51.21,")
    recs = dec.feed(SBS3.encode() + b"\n" + garbage + b"\n" + line2.encode() + b"\n", 0.0)
    assert len(recs) == 2
    assert dec.log.bad == 1
    assert dec.log.issues[0].offset == 2


@FUZZ
@given(data=st.binary(max_size=600), cut=st.integers(min_value=0, max_value=600))
def test_sbs_and_avr_random_bytes_never_raise(data: bytes, cut: int) -> None:
    for dec in (SbsDecoder("f"), AvrDecoder("f", reference=(51.0, 5.0))):
        dec.feed(data[:cut], 0.0)
        dec.feed(data[cut:], 1.0)
        dec.flush()


@FUZZ
@given(
    fields=st.lists(
        st.text(alphabet="0123456789.-:/ABCDEFabcdefMSG", max_size=12), min_size=22, max_size=22
    )
)
def test_sbs_fuzzed_fields_never_raise(fields: list[str]) -> None:
    fields[0] = "MSG"
    dec = SbsDecoder("f")
    dec.feed((",".join(fields) + "\n").encode(), 0.0)
    assert dec.log.good + dec.log.bad == 1


def test_truncated_beast_capture_keeps_the_frames_before_the_cut(tmp_path: Path) -> None:
    data = shared("adsb-beast-sbs", "ulss7-beast-bin-utc--1522782148.beast").read_bytes()
    cut = tmp_path / "cut.beast"
    cut.write_bytes(data[: len(data) // 2 + 5])
    log = DecodeLog(cut.name)
    recs = list(read_beast_capture(cut, log, start_epoch=ULSS7_START))
    assert 300 < len(recs) < 728
    assert log.bad == 1
    assert log.issues[0].reason == "frame: stream ends inside a frame"
    assert len(data) // 2 - 40 < log.issues[0].offset <= len(data) // 2 + 5
