"""Packets out of pcap and pcapng captures, and UDP datagrams out of those packets.

Recorded captures are how wire formats are tested and replayed: ASTERIX and SBS/Beast over
UDP/TCP on Ethernet, Remote ID over 802.11 (radiotap) and Bluetooth LE. The file formats are read
with ``dpkt`` (BSD-3-Clause), which knows both pcap (any byte order, micro- and nanosecond
stamps) and pcapng.

Data layout
-----------
:func:`iter_packets` yields :class:`Packet` (time, link type, link-layer bytes, 0-based index in the
file). :func:`udp_payloads` walks Ethernet (with VLAN tags), Linux cooked capture (SLL), BSD
loopback and raw IPv4/IPv6 links down to UDP and yields :class:`Datagram`. A packet that is not UDP
is passed over silently (captures hold ARP, TCP and the like); a packet that claims to be UDP but
is cut short is reported to the :class:`~dronewall.adapters.base.DecodeLog` with its index.
A capture file that ends inside a packet record is reported once; the packets before it are kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import dpkt

from dronewall.adapters.base import DecodeLog
from dronewall.core.errors import InputError

# Link-layer header types (https://www.tcpdump.org/linktypes.html)
LINKTYPE_NULL: Final = 0
LINKTYPE_ETHERNET: Final = 1
LINKTYPE_RAW: Final = 101
LINKTYPE_LINUX_SLL: Final = 113
LINKTYPE_IEEE802_11_RADIOTAP: Final = 127
LINKTYPE_IPV4: Final = 228
LINKTYPE_IPV6: Final = 229
LINKTYPE_BLUETOOTH_LE_LL: Final = 251
LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR: Final = 256
LINKTYPE_NORDIC_BLE: Final = 272


@dataclass(frozen=True, slots=True)
class Packet:
    """One captured packet: capture time (UTC epoch s), link type, link-layer bytes, index."""

    t: float
    linktype: int
    data: bytes
    index: int


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP datagram: capture time, addresses and ports, payload, index of its packet."""

    t: float
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes
    index: int


def iter_packets(path: str | os.PathLike[str], log: DecodeLog | None = None) -> Iterator[Packet]:
    """Packets of a pcap or pcapng file, in file order.

    Raises
    ------
    InputError
        When the file cannot be opened or is not a pcap / pcapng capture at all. A file cut
        short mid-record is not an error: the issue goes to ``log`` and iteration ends.
    """
    name = os.fspath(path)
    try:
        fp = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc
    with fp:
        try:
            reader = dpkt.pcap.UniversalReader(fp)
        except (ValueError, dpkt.Error) as exc:
            raise InputError(f"not a pcap or pcapng capture: {exc}", source=name) from exc
        linktype = int(reader.datalink())
        classic = isinstance(reader, dpkt.pcap.Reader)
        # classic pcap: a 24-byte global header, then per packet a 16-byte record header whose
        # bytes 8-11 are the captured length; dpkt yields a record cut short without a word
        magic = os.pread(fp.fileno(), 4, 0)
        order: Literal["little", "big"] = (
            "little" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else "big"
        )
        offset = 24
        index = -1
        try:
            for index, (ts, buf) in enumerate(reader):
                if classic:
                    caplen = int.from_bytes(os.pread(fp.fileno(), 4, offset + 8), order)
                    if len(buf) < caplen:
                        if log is not None:
                            log.reject(
                                index,
                                f"capture: file ends inside the packet record at byte {offset} "
                                f"({len(buf)} of {caplen} bytes)",
                                "message",
                            )
                        return
                    offset += 16 + caplen
                yield Packet(float(ts), linktype, bytes(buf), index)
        except (ValueError, dpkt.Error, EOFError, OSError) as exc:
            if log is not None:
                log.reject(
                    index + 1, f"capture: file ends inside a packet record: {exc}", "message"
                )
            return
        size = os.fstat(fp.fileno()).st_size
        if classic and size - offset > 0 and log is not None:
            log.reject(
                index + 1,
                f"capture: file ends inside the record header at byte {offset} "
                f"({size - offset} of 16 bytes)",
                "message",
            )


def _ip_layer(linktype: int, data: bytes) -> dpkt.Packet | None:
    if linktype == LINKTYPE_ETHERNET:
        frame = dpkt.ethernet.Ethernet(data)
        return frame.data if isinstance(frame.data, dpkt.ip.IP | dpkt.ip6.IP6) else None
    if linktype == LINKTYPE_LINUX_SLL:
        frame = dpkt.sll.SLL(data)
        return frame.data if isinstance(frame.data, dpkt.ip.IP | dpkt.ip6.IP6) else None
    if linktype == LINKTYPE_NULL:
        frame = dpkt.loopback.Loopback(data)
        return frame.data if isinstance(frame.data, dpkt.ip.IP | dpkt.ip6.IP6) else None
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        version = data[0] >> 4 if data else 0
        if version == 4:
            return dpkt.ip.IP(data)
        if version == 6:
            return dpkt.ip6.IP6(data)
    return None


def _address(ip: dpkt.Packet) -> tuple[str, str]:
    import socket

    family = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
    return socket.inet_ntop(family, ip.src), socket.inet_ntop(family, ip.dst)


def udp_payloads(packets: Iterator[Packet], log: DecodeLog | None = None) -> Iterator[Datagram]:
    """The UDP datagrams among ``packets``; other traffic is skipped without a report."""
    for packet in packets:
        try:
            ip = _ip_layer(packet.linktype, packet.data)
            if ip is None or not isinstance(ip.data, dpkt.udp.UDP):
                continue
            udp = ip.data
            payload = bytes(udp.data)
            if udp.ulen >= 8 and len(payload) < udp.ulen - 8:
                raise dpkt.NeedData(f"UDP length {udp.ulen} but {len(payload) + 8} bytes captured")
            src, dst = _address(ip)
        except (dpkt.Error, ValueError, IndexError) as exc:
            if log is not None:
                log.reject(packet.index, f"udp: malformed packet: {exc}", "message")
            continue
        yield Datagram(packet.t, src, dst, int(udp.sport), int(udp.dport), payload, packet.index)
