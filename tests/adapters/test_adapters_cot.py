"""Cursor on Target adapter: export validated against the MITRE CoT schemas, safe import of the
ATAK examples and of our own output (XML and TAK protobuf), hostile XML, stream framing under
fuzzing, and the sender over real local sockets."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import dpkt
import numpy as np
import pytest
import takproto
from adapters_helpers import shared
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.adapters.base import DecodeLog
from dronewall.adapters.cot import (
    CotDecoder,
    CotSender,
    alerts_to_cot,
    cot_type,
    event_to_takmessage,
    parse_air_type,
    read_cot_capture,
    tracks_to_cot,
    tracks_to_takproto,
)
from dronewall.assess.alerts import AlertEvent, AlertEventKind
from dronewall.assess.assessor import Assessment
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import AlertLevel, Identity, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.formats.detections import read_detections
from dronewall.geo.frames import LocalFrame

COT = ("cot-tak-atak-civ",)
FRAME = LocalFrame(51.1681, 5.4702, 120.0)  # Kleine-Brogel
T0 = 1762286400.5

#: the 12 ATAK examples by CoT type: none is an air object, all are passed over
EXAMPLE_TYPES = Counter(
    {
        "u-d-c-c": 2,  # circle, geofence
        "a-u-G": 2,  # 2525 marker, icon-set marker
        "u-d-f": 1,
        "u-d-r": 1,
        "u-d-f-m": 1,
        "b-m-p-s-m": 1,
        "u-r-b-bullseye": 1,
        "u-r-b-c-c": 1,
        "u-rb-a": 1,
        "b-m-r": 1,
    }
)


def _examples() -> list[Path]:
    return sorted(shared(*COT, "examples").glob("*.cot"))


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    xmlschema = pytest.importorskip("xmlschema")
    d = shared(*COT, "xsd-mitre").resolve()
    names = ["Base-Event", "Track", "Remarks", "Link", "Contact"]
    srcs = [next(d.glob(f"CoT {n} Schema*.xsd")) for n in names]
    return xmlschema.XMLSchema([str(p) for p in srcs])


def _tracks(n: int, seed: int = 1) -> TrackTable:
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [
            rng.uniform(-20e3, 20e3, n),
            rng.uniform(-20e3, 20e3, n),
            rng.uniform(0, 3000, n),
            rng.normal(0, 30, (n, 3)),
        ]
    )
    A = rng.normal(0, 1, (n, 6, 6))
    P = A @ np.swapaxes(A, 1, 2) * 20.0 + np.eye(6) * 2.0
    return TrackTable(
        t=T0,
        track_id=np.arange(100, 100 + n, dtype=np.int64),
        status=np.array([1, 2] * (n // 2) + [1] * (n % 2), np.int8),
        x=x,
        P=P,
        t_first=np.full(n, T0 - 30),
        t_update=np.full(n, T0),
        hits=np.full(n, 9, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64),
        rcs_dbsm=np.full(n, np.nan),
        sensors=np.ones(n, np.int64),
        truth=np.full(n, -1, np.int32),
    )


def _assessment(tracks: TrackTable, classes: list[int], identities: list[int]) -> Assessment:
    n, c = len(tracks), len(ObjectClass)
    probs = np.full((n, c), 0.02)
    probs[np.arange(n), classes] = 1.0 - 0.02 * (c - 1)
    return Assessment(
        t=tracks.t,
        site_ids=("kb",),
        track_id=tracks.track_id[::-1].copy(),  # rows matched by id, not position
        confirmed=np.ones(n, bool),
        class_probs=probs[::-1].copy(),
        object_class=np.array(classes[::-1], np.int8),
        p_uas=np.full(n, 0.9),
        rf_protocol=np.full(n, -2, np.int16),
        identity=np.array(identities[::-1], np.int8),
        threat=np.full((n, 1), 0.5),
        range_m=np.full((n, 1), 1000.0),
        cpa_m=np.full((n, 1), 100.0),
        tcpa_s=np.full((n, 1), 10.0),
        time_to_core_s=np.full((n, 1), 20.0),
        inside_alert=np.ones((n, 1), bool),
        inside_core=np.zeros((n, 1), bool),
        top_site=np.zeros(n, np.intp),
        score=np.full(n, 0.5),
    )


def _all_cases() -> tuple[TrackTable, Assessment, list[int], list[int]]:
    classes = [int(c) for c in ObjectClass] * len(Identity)
    identities = [int(i) for i in Identity for _ in ObjectClass]
    tracks = _tracks(len(classes))
    return tracks, _assessment(tracks, classes, identities), classes, identities


# ------------------------------------------------------------------ type mapping


def test_type_mapping_examples() -> None:
    assert cot_type(Identity.HOSTILE, ObjectClass.QUADCOPTER) == "a-h-A-M-H-Q"
    assert cot_type(Identity.UNKNOWN, ObjectClass.FIXED_WING) == "a-u-A-M-F-Q"
    assert cot_type(Identity.SUSPECT, ObjectClass.LOITERING_MUNITION) == "a-s-A-W-M"
    assert cot_type(Identity.NEUTRAL, ObjectClass.AIRLINER) == "a-n-A-C-F"
    assert cot_type(Identity.NEUTRAL, ObjectClass.BIRD) == "a-n-A"
    assert cot_type(Identity.ASSUMED_FRIEND, ObjectClass.DECOY) == "a-a-A-W-D"
    assert cot_type(None, None) == "a-p-A"
    assert parse_air_type("a-h-A-M-H-Q;extra") == (Identity.HOSTILE, ObjectClass.QUADCOPTER)
    assert parse_air_type("a-k-A-M-F-Q-x") == (Identity.HOSTILE, ObjectClass.FIXED_WING)
    assert parse_air_type("a-u-G") is None
    assert parse_air_type("b-m-p-s-m") is None


# ------------------------------------------------------------------ the shared examples


def test_every_atak_example_is_passed_over_by_type() -> None:
    dec = CotDecoder("examples")
    stream = b"".join(p.read_bytes() for p in _examples())
    assert dec.feed(stream, 1608148774.0) == []  # 2020-12-16T19:59:34Z, before every stale
    assert dec.log.bad == 0
    assert dec.passed_over == EXAMPLE_TYPES
    assert sum(dec.passed_over.values()) == len(_examples()) == 12


def test_every_atak_example_as_a_datagram_and_through_takproto() -> None:
    xml_dec = CotDecoder("udp-xml", transport="datagram")
    pb_dec = CotDecoder("udp-pb", transport="datagram")
    ours = CotDecoder("udp-ours", transport="datagram")
    for p in _examples():
        raw = p.read_bytes()
        xml_dec.feed(raw, 1608148774.0)
        pb_dec.feed(bytes(takproto.xml2proto(raw.decode())), 1608148774.0)  # takproto's encoder
        msg = event_to_takmessage(ET.fromstring(raw))  # ours, read back by takproto
        parsed = takproto.parse_proto(bytearray(b"\xbf\x01\xbf" + msg.SerializeToString()))
        assert parsed.cotEvent.uid == ET.fromstring(raw).get("uid")
        ours.feed(b"\xbf\x01\xbf" + msg.SerializeToString(), 1608148774.0)
    for dec in (xml_dec, pb_dec, ours):
        assert dec.log.bad == 0, dec.log.summary()
        assert dec.passed_over == EXAMPLE_TYPES


def test_example_marker_retyped_as_air_is_a_sighting() -> None:
    raw = shared(*COT, "examples", "Marker - 2525.cot").read_bytes()
    air = raw.replace(b"type='a-u-G'", b"type='a-h-A-M-H-Q'")
    dec = CotDecoder("marker")
    (rec,) = dec.feed(air, 1608148774.0)
    assert rec["kind"] == "sighting"  # how='h-g-i-g-o': human
    assert rec["position"] == {
        "lat_deg": 38.856650047254725,
        "lon_deg": -77.06364199776728,
        "alt_m": None,
    }
    assert rec["std"] == [300.0, 300.0]  # ce unknown: the stated human default, flagged
    assert rec["x_cot_std_default"] is True
    assert rec["x_cot_identity"] == "hostile"
    assert rec["x_cot_class"] == "quadcopter"
    assert rec["x_cot_callsign"] == "U.16.135057"
    assert rec["t"] == pytest.approx(1608148774.910)
    f = read_detections([rec])
    assert f.bad_lines == 0
    assert f.detections == 1


# ------------------------------------------------------------------ export


def test_xml_output_validates_against_the_mitre_schema(schema) -> None:  # type: ignore[no-untyped-def]
    tracks, assessment, _classes, _identities = _all_cases()
    events = tracks_to_cot(
        tracks,
        FRAME,
        assessment,
        now=T0 + 0.2,
        stale_s=3.0,
        opex="s",
        access="Unrestricted",
        uid_prefix="dronewall-kb",
    )
    assert len(events) == len(tracks)
    for e in events:
        schema.validate(e.decode())
    # tentative tracks are left out by default
    tent = tracks.select(np.arange(len(tracks)))
    tent.status[:5] = 0
    assert len(tracks_to_cot(tent, FRAME, stale_s=3.0)) == len(tracks) - 5


def test_types_uids_times_and_how() -> None:
    tracks, assessment, classes, identities = _all_cases()
    events = tracks_to_cot(tracks, FRAME, assessment, now=T0 + 0.25, stale_s=3.0)
    for k, e in enumerate(events):
        ev = ET.fromstring(e)
        want = cot_type(Identity(identities[k]), ObjectClass(classes[k]))
        assert ev.get("type") == want
        assert ev.get("uid") == f"dronewall-{100 + k}"
        assert ev.get("start") == "2025-11-04T20:00:00.500Z"
        assert ev.get("time") == "2025-11-04T20:00:00.750Z"
        assert ev.get("stale") == "2025-11-04T20:00:03.500Z"
        assert ev.get("how") == ("m-f" if tracks.status[k] == 1 else "m-p")
        rem = ev.find("detail/remarks")
        assert rem is not None
        assert ObjectClass(classes[k]).label in (rem.text or "")
    # an uncertain class gives the generic air track
    assert (
        ET.fromstring(
            tracks_to_cot(tracks, FRAME, assessment, stale_s=3.0, min_class_prob=0.99)[0]
        ).get("type")
        == "a-p-A"
    )


def test_ce_le_are_one_sigma_of_the_covariance() -> None:
    tracks = _tracks(1)
    P = np.diag([25.0, 100.0, 9.0, 1.0, 1.0, 1.0])
    P[0, 1] = P[1, 0] = 0.0
    at_origin = TrackTable(
        **{
            **{f: getattr(tracks, f) for f in tracks.__dataclass_fields__},
            "x": np.array([[0.0, 0.0, 0.0, 3.0, 4.0, 0.0]]),
            "P": P[None],
        }
    )
    ev = ET.fromstring(tracks_to_cot(at_origin, FRAME, stale_s=3.0)[0])
    pt = ev.find("point")
    trk = ev.find("detail/track")
    assert pt is not None
    assert trk is not None
    assert float(pt.get("ce", "")) == 10.0  # sqrt(largest eigenvalue 100)
    assert float(pt.get("le", "")) == 3.0
    assert float(pt.get("hae", "")) == pytest.approx(120.0, abs=1e-3)
    assert float(trk.get("speed", "")) == 5.0
    assert float(trk.get("course", "")) == pytest.approx(np.degrees(np.arctan2(3, 4)), abs=0.01)


def _roundtrip_check(records: list[dict], tracks: TrackTable, identities: list[int]) -> None:  # type: ignore[type-arg]
    f = read_detections(records, frame=FRAME)
    assert f.bad_lines == 0, f.errors[:3]
    assert f.detections == len(tracks)
    by_uid = {r["x_cot_uid"]: r for r in records}
    order = [list(by_uid).index(f"dronewall-{tid}") for tid in tracks.track_id]
    z = f.batch.z[order]
    # 8 decimals of a degree (1.1 mm) and 3 decimals of a metre
    np.testing.assert_allclose(z, tracks.x[:, :3], atol=0.01)
    for k, tid in enumerate(tracks.track_id):
        rec = by_uid[f"dronewall-{tid}"]
        assert rec["x_cot_identity"] == Identity(identities[k]).label
        assert rec["kind"] == "position"


def test_round_trip_xml_gives_positions_and_identities() -> None:
    tracks, assessment, _, identities = _all_cases()
    events = tracks_to_cot(tracks, FRAME, assessment, now=T0, stale_s=3.0)
    dec = CotDecoder("rt", ignore_uid_prefixes=())
    records = dec.feed(b"".join(events), T0 + 0.5)
    assert dec.log.bad == 0
    _roundtrip_check(records, tracks, identities)
    # ce/le come back as std
    pt = ET.fromstring(events[0]).find("point")
    assert pt is not None
    assert records[0]["std"] == [
        float(pt.get("ce", "")),
        float(pt.get("ce", "")),
        float(pt.get("le", "")),
    ]


def test_round_trip_takproto_stream_and_mesh() -> None:
    tracks, assessment, _, identities = _all_cases()
    stream = tracks_to_takproto(tracks, FRAME, assessment, stale_s=3.0, framing="stream")
    assert all(m[0] == 0xBF for m in stream)
    dec = CotDecoder("rt-stream", protocol="takproto", ignore_uid_prefixes=())
    _roundtrip_check(dec.feed(b"".join(stream), T0 + 0.5), tracks, identities)
    mesh = tracks_to_takproto(tracks, FRAME, assessment, stale_s=3.0, framing="mesh")
    assert all(m[:3] == b"\xbf\x01\xbf" for m in mesh)
    dgram = CotDecoder("rt-mesh", transport="datagram", ignore_uid_prefixes=())
    recs = [r for m in mesh for r in dgram.feed(m, T0 + 0.5)]
    _roundtrip_check(recs, tracks, identities)
    # takproto reads our stream framing too
    parsed = takproto.parse_proto(bytearray(stream[0]))
    assert parsed.cotEvent.uid == "dronewall-100"
    assert parsed.cotEvent.detail.contact.callsign == "DW-100"


def test_own_echo_is_passed_over_by_default() -> None:
    tracks = _tracks(4)
    dec = CotDecoder("echo")
    assert dec.feed(b"".join(tracks_to_cot(tracks, FRAME, stale_s=3.0)), T0) == []
    assert dec.passed_over == Counter({"own:dronewall-": 4})
    assert dec.log.bad == 0


def test_alerts_export_validate_and_clear(schema) -> None:  # type: ignore[no-untyped-def]
    tracks = _tracks(2)
    alerts = [
        AlertEvent(
            kind=AlertEventKind.RAISED,
            t=T0,
            track_id=100,
            site_id="kb",
            level=AlertLevel.ALARM,
            previous=AlertLevel.NONE,
            score=0.8,
            reason="close",
        ),
        AlertEvent(
            kind=AlertEventKind.CLEARED,
            t=T0,
            track_id=101,
            site_id="kb",
            level=AlertLevel.NONE,
            previous=AlertLevel.WATCH,
            score=0.0,
            reason="gone",
        ),
        AlertEvent(
            kind=AlertEventKind.REPORT_UNCONFIRMED,
            t=T0,
            track_id=-1,
            site_id="kb",
            level=AlertLevel.WATCH,
            previous=AlertLevel.NONE,
            score=0.0,
            reason="a person saw it",
            report_id=7,
        ),
    ]
    out = alerts_to_cot(
        alerts, tracks, FRAME, stale_s=60.0, site_positions={"kb": (51.1681, 5.4702, 120.0)}
    )
    evs = [ET.fromstring(e) for e in out]
    for e in out:
        schema.validate(e.decode())
    assert [e.get("uid") for e in evs] == [
        "dronewall-alert-100-kb",
        "dronewall-alert-101-kb",
        "dronewall-report-7-kb",
    ]
    assert [e.get("type") for e in evs] == ["b-l-l"] * 3
    assert evs[0].get("qos") == "9-r-d"
    assert evs[0].get("how") == "m-f"
    assert evs[1].get("stale") == evs[1].get("start")  # cleared: stale at once
    assert evs[2].get("how") == "h-e"
    link = evs[0].find("detail/link")
    assert link is not None
    assert link.get("uid") == "dronewall-100"
    pt = evs[2].find("point")
    assert pt is not None
    assert pt.get("lat") == "51.16810000"
    dec = CotDecoder("alerts", ignore_uid_prefixes=())
    assert dec.feed(b"".join(out), T0) == []
    assert dec.passed_over == Counter({"b-l-l": 3})


# ------------------------------------------------------------------ hostile and bad input


def _good(uid: str, t: float = T0, lat: str = "51.17") -> bytes:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><event version='2.0' uid='{uid}' "
        f"type='a-h-A-M-H-Q' time='2025-11-04T20:00:00Z' start='2025-11-04T20:00:00Z' "
        f"stale='2025-11-04T20:05:00Z' how='m-g'><point lat='{lat}' lon='5.47' hae='180' "
        f"ce='12' le='20'/><detail><track course='90' speed='12'/></detail></event>"
    ).encode()


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
    b"<event version='2.0' uid='&lol9;' type='a-h-A' how='m-g'><point lat='0' lon='0'/></event>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<event version='2.0' uid='&xxe;' type='a-h-A' how='m-g'><point lat='0' lon='0'/></event>"
)
DTD_ONLY = b'<?xml version="1.0"?><!DOCTYPE event SYSTEM "http://example.invalid/cot.dtd"><event/>'


def test_xml_bombs_and_external_entities_are_refused_and_counted() -> None:
    dec = CotDecoder("hostile")
    stream = _good("x-1") + BOMB + _good("x-2") + XXE + _good("x-3") + DTD_ONLY + _good("x-4")
    recs = dec.feed(stream, T0)
    assert [r["x_cot_uid"] for r in recs] == ["x-1", "x-2", "x-3", "x-4"]
    assert dec.security_refusals == 3
    assert dec.log.bad == 3
    assert set(dec.log.by_reason) <= {"xml-dtd", "xml-entity", "xml-external"}
    assert dec.log.issues[0].offset == len(_good("x-1"))  # byte offset of the bomb
    # as datagrams, too
    dg = CotDecoder("hostile-udp", transport="datagram")
    for i, d in enumerate((BOMB, XXE, DTD_ONLY)):
        assert dg.feed(d, T0) == []
        assert dg.log.issues[i].offset == i
        assert dg.log.issues[i].unit == "message"
    assert dg.security_refusals == 3


def test_good_garbage_good_keeps_both_with_one_issue() -> None:
    dec = CotDecoder("ggg")
    garbage = b"\x13\x00 this is not CoT <evnt> \xff\xfe"
    recs = dec.feed(_good("a") + garbage + _good("b"), T0)
    assert [r["x_cot_uid"] for r in recs] == ["a", "b"]
    assert dec.log.bad == 1
    assert dec.log.issues[0].offset == len(_good("a"))
    assert dec.log.issues[0].reason.startswith("garbage:")


def test_malformed_and_stale_events_are_rejected_with_field_and_offset() -> None:
    dec = CotDecoder("bad")
    bad_lat = _good("lat", lat="95.0")
    cut = _good("cut")[:-30]  # cut short, followed by a good event
    stale = _good("stale")
    stream = _good("a") + bad_lat + cut + _good("b")
    recs = dec.feed(stream, T0)
    assert [r["x_cot_uid"] for r in recs] == ["a", "b"]
    reasons = [i.reason for i in dec.log.issues]
    assert reasons[0].startswith("point.lat: 95.0 is outside")
    assert dec.log.issues[0].offset == len(_good("a"))
    assert reasons[1].startswith("event: cut short")
    assert dec.log.issues[1].offset == len(_good("a")) + len(bad_lat)
    late = CotDecoder("late")
    assert late.feed(stale, T0 + 300.5) == []
    assert late.log.issues[0].reason.startswith("event.stale: stale 1.000 s before")


def test_split_at_any_byte_gives_the_same_records() -> None:
    stream = _good("a") + b"junk" + _good("b") + _good("c")
    whole = CotDecoder("whole").feed(stream, T0)
    dec = CotDecoder("bytes")
    parts = [r for i in range(len(stream)) for r in dec.feed(stream[i : i + 1], T0)]
    assert parts == whole
    assert len(whole) == 3
    assert dec.log.bad == 1


def test_an_event_without_end_is_cut_at_the_limit() -> None:
    dec = CotDecoder("big", max_event_bytes=4096)
    dec.feed(b"<event " + b"x" * 10_000, T0)
    assert dec.log.bad == 1
    assert dec.log.issues[0].reason.startswith("event: no </event>")
    assert len(dec._stream.buf) < 4096  # the buffer did not keep the flood
    assert [r["x_cot_uid"] for r in dec.feed(_good("after"), T0)] == ["after"]
    unfinished = CotDecoder("eof")
    unfinished.feed(_good("z")[:50], T0)
    assert unfinished.flush() == []
    assert unfinished.log.bad == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from([BOMB, XXE, b"<event>", b"</event>", b"<?xml", b"\xbf\x05"]),
            st.builds(lambda k: _good("corrupt")[: k % 300], st.integers(0, 299)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 200),
)
def test_fuzz_stream_keeps_good_events(junk: list[bytes], chunk: int) -> None:
    good = [_good(f"g{k}") for k in range(len(junk) + 1)]
    stream = good[0] + b"".join(j + g for j, g in zip(junk, good[1:], strict=True))
    dec = CotDecoder("fuzz", ignore_uid_prefixes=())
    recs = [r for i in range(0, len(stream), chunk) for r in dec.feed(stream[i : i + chunk], T0)]
    recs += dec.flush()
    uids = [r["x_cot_uid"] for r in recs]
    assert [u for u in uids if u.startswith("g")] == [f"g{k}" for k in range(len(good))]
    assert all(i.offset < len(stream) for i in dec.log.issues)
    if any(j.strip(b" \t\r\n\x00") for j in junk):
        assert dec.log.bad >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_datagrams_never_raise(data: bytes) -> None:
    dec = CotDecoder("fuzz-udp", transport="datagram")
    assert dec.feed(data, T0) == [] or dec.log.good == 1
    assert dec.feed(b"\xbf\x01\xbf" + data, T0) == [] or dec.log.good >= 1
    assert dec.feed(_good("ok"), T0)[0]["x_cot_uid"] == "ok"


# ------------------------------------------------------------------ captures


def test_read_cot_capture_from_a_file_and_a_pcap(tmp_path: Path) -> None:
    cot = tmp_path / "feed.cot"
    cot.write_bytes(_good("f1") + b"\n" + _good("f2", lat="x") + b"\n" + _good("f3"))
    log = DecodeLog("feed")
    recs = list(read_cot_capture(cot, log))
    assert [r["x_cot_uid"] for r in recs] == ["f1", "f3"]
    assert log.bad == 1
    assert log.issues[0].reason.startswith("point.lat")
    assert recs[0]["t_received"] == recs[0]["t"]

    pcap = tmp_path / "feed.pcap"
    with pcap.open("wb") as fp:
        w = dpkt.pcap.Writer(fp)
        for k, payload in enumerate([_good("p1"), b"garbage", _good("p2")]):
            udp = dpkt.udp.UDP(sport=4000, dport=4242, data=payload)
            udp.ulen = len(udp)
            ip = dpkt.ip.IP(src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02", p=17, data=udp)
            ip.len = len(ip)
            eth = dpkt.ethernet.Ethernet(data=ip, type=dpkt.ethernet.ETH_TYPE_IP)
            w.writepkt(bytes(eth), ts=T0 + k)
    log = DecodeLog("pcap")
    recs = list(read_cot_capture(pcap, log, port=4242))
    assert [r["t_received"] for r in recs] == [T0, T0 + 2]
    assert log.bad == 1
    assert log.issues[0].offset == 1
    assert log.issues[0].unit == "message"
    assert list(read_cot_capture(pcap, port=9999)) == []


# ------------------------------------------------------------------ sender


def _tcp_server(
    n_conn: int, close_after: int | None = None
) -> tuple[int, list[bytes], threading.Thread]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(10)
    got: list[bytes] = []

    def run() -> None:
        with srv:
            for k in range(n_conn):
                conn, _ = srv.accept()
                with conn:
                    conn.settimeout(10)
                    buf = b""
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                        if k == 0 and close_after and buf.count(b"</event>") >= close_after:
                            break
                    got.append(buf)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return srv.getsockname()[1], got, th


def test_sender_tcp_delivers_and_reconnects() -> None:
    port, got, th = _tcp_server(2, close_after=1)
    events = [_good(f"s{k}") for k in range(6)]
    sender = CotSender(f"tcp://127.0.0.1:{port}", backoff_initial_s=0.05)
    sender.send(events[0])
    assert sender.flush(5.0)
    deadline = threading.Event()
    for _ in range(100):  # the server hangs up after the first event; wait until it has
        if got:
            break
        deadline.wait(0.02)
    sender.send_many(events[1:])
    assert sender.flush(5.0)
    sender.close()
    th.join(10)
    dec = CotDecoder("tcp")
    uids = [r["x_cot_uid"] for r in dec.feed(b"".join(got), T0)]
    # the hang-up is seen before the next write: nothing is lost, all on the second connection
    assert uids == [f"s{k}" for k in range(6)]
    assert [b.count(b"</event>") for b in got] == [1, 5]
    assert sender.connects == 2
    assert sender.dropped == 0
    assert sender.sent == 6


def test_sender_udp_one_datagram_per_event() -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(5)
    port = rx.getsockname()[1]
    events = [_good(f"u{k}") for k in range(5)]
    with CotSender(f"udp://127.0.0.1:{port}") as sender:
        sender.send_many(events)
        assert sender.flush(5.0)
    dec = CotDecoder("udp", transport="datagram")
    recs = [r for _ in events for r in dec.feed(rx.recv(65536), T0)]
    rx.close()
    assert [r["x_cot_uid"] for r in recs] == [f"u{k}" for k in range(5)]
    assert sender.sent == 5


def test_sender_never_blocks_and_drops_the_oldest() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens: connection refused, the sender backs off
    sender = CotSender(f"tcp://127.0.0.1:{port}", queue_size=3, backoff_initial_s=0.05)
    for k in range(10):
        sender.send(_good(f"d{k}"))
    assert sender.dropped == 7
    assert sender.pending == 3
    assert [e for e in list(sender._queue)] == [_good(f"d{k}") for k in (7, 8, 9)]
    sender.close(timeout_s=0.1)
    with pytest.raises(ConfigError):
        CotSender("ssl://127.0.0.1:8089")
    with pytest.raises(ConfigError):
        CotSender("tcp://nohost")
