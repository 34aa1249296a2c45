"""pcap / pcapng reading and the UDP walk, on the shared captures and on damaged copies."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapters_helpers import shared

from dronewall.adapters.base import DecodeLog
from dronewall.adapters.pcap import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IEEE802_11_RADIOTAP,
    LINKTYPE_NORDIC_BLE,
    iter_packets,
    udp_payloads,
)
from dronewall.core.errors import InputError
from dronewall.formats.detections import read_detections


def test_asterix_capture_gives_one_udp_datagram_per_packet() -> None:
    path = shared("asterix-croatiacontrol", "cat_034_048.pcap")
    log = DecodeLog(str(path))
    packets = list(iter_packets(path, log))
    datagrams = list(udp_payloads(iter(packets), log))
    assert len(packets) == 100
    assert {p.linktype for p in packets} == {LINKTYPE_ETHERNET}
    assert len(datagrams) == 100
    # every payload is an ASTERIX data block: category 34 or 48, then its 2-byte length
    assert {d.payload[0] for d in datagrams} <= {34, 48}
    assert all(int.from_bytes(d.payload[1:3], "big") <= len(d.payload) for d in datagrams)
    assert [d.t for d in datagrams] == sorted(d.t for d in datagrams)
    assert log.bad == 0


@pytest.mark.parametrize(
    ("name", "linktype"),
    [
        ("odid_wifi_bcn_sample.pcap", LINKTYPE_IEEE802_11_RADIOTAP),
        ("odid_bt5_lr_sample.pcapng", LINKTYPE_NORDIC_BLE),
    ],
)
def test_remote_id_captures_are_read_with_their_link_type(name: str, linktype: int) -> None:
    packets = list(iter_packets(shared("remoteid-opendroneid", name)))
    assert packets
    assert {p.linktype for p in packets} == {linktype}
    assert not list(udp_payloads(iter(packets)))  # no IP in a radio capture


def test_truncated_capture_keeps_the_packets_before_the_cut(tmp_path: Path) -> None:
    data = shared("asterix-croatiacontrol", "cat_034_048.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2])
    log = DecodeLog("cut.pcap")
    packets = list(iter_packets(cut, log))
    assert 40 <= len(packets) < 100
    assert log.bad == 1
    assert "file ends inside the" in log.issues[0].reason
    assert log.issues[0].offset == len(packets)


def test_not_a_capture_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.pcap"
    bad.write_bytes(b"this is text, not a capture\n")
    with pytest.raises(InputError, match="not a pcap or pcapng capture"):
        list(iter_packets(bad))
    with pytest.raises(InputError, match="file not found"):
        list(iter_packets(tmp_path / "missing.pcap"))


def test_detection_reader_takes_adapter_records() -> None:
    records = [
        {"type": "frame", "name": "kb", "lat_deg": 51.1681, "lon_deg": 5.4702, "alt_m": 120.0},
        {
            "t": 10.0,
            "sensor": "rid",
            "kind": "position",
            "position": {"frame": "kb", "east_m": 100.0, "north_m": 50.0, "up_m": 30.0},
            "std": [5.0, 5.0, 8.0],
            "remote_id": "1581F5FJD228400100",
        },
        {"t": 11.0, "sensor": "rid", "kind": "position"},
    ]
    result = read_detections(records)
    assert result.detections == 1
    assert result.batch.z[0].tolist() == pytest.approx([100.0, 50.0, 30.0])
    assert result.batch.ident[0] >= 0
    assert result.bad_lines == 1
    assert result.errors[0].line == 3
    assert '"sensor":"rid"' in result.errors[0].text
