"""Where the Remote ID messages sit in Wi-Fi and Bluetooth frames (the transports of F3411-22a
5.4.4 / EN 4709-002 6.5).

Data layout
-----------
* **Wi-Fi beacon** (802.11 management, subtype 8): 24-byte MAC header, 12 fixed bytes
  (timestamp, interval, capabilities), then information elements ``id, len, body``. Remote ID is
  the vendor-specific element (id 221) with OUI ``FA:0B:BC`` (ASD-STAN), OUI type ``0x0D``, then a
  message counter byte and a message pack.
* **Wi-Fi NAN** (802.11 management action frame, subtype 13): 24-byte MAC header, public action
  ``0x04``, vendor specific ``0x09``, OUI ``50:6F:9A`` (Wi-Fi Alliance) type ``0x13`` (NAN), then
  NAN attributes ``id, len (uint16 LE), body``. The Service Descriptor Attribute (id 3) whose
  service ID is ``88:69:19:9D:92:09`` (the first 6 bytes of SHA-256 of
  ``"org.opendroneid.remoteid"``) carries, in its service info, a counter byte and a message
  pack. Service control bits (NAN spec. 9.5.7): 6 binding bitmap (2 bytes), 2 matching filter,
  3 service response filter, 4 service info, each a length byte and bytes, in that order.
* **Bluetooth LE advertising**: AD structures ``len, type, data``; Remote ID is service data
  (type 0x16) with 16-bit UUID ``0xFFFA`` (ASTM), application code ``0x0D``, a counter byte, then
  one 25-byte message (Bluetooth 4 legacy advertising, PDU types 0/2/6) or a message pack
  (Bluetooth 5 extended advertising, PDU type 7, usually on the coded "long range" PHY). The
  extended PDU starts with the common extended advertising payload header: length (bits 5-0),
  mode, then a flags byte and AdvA (6), TargetA (6), CTEInfo (1), ADI (2), AuxPtr (3),
  SyncInfo (18), TxPower (1) as its flags say (Bluetooth Core 5.x Vol 6 Part B 2.3.4).
* **Capture headers**: radiotap (``version, pad, length (LE16), present words...``; only the
  Flags field is read: 0x10 "frame has FCS", 0x40 "bad FCS"); the nRF Sniffer for Bluetooth LE
  header (link type 272: board, payload length or header/payload lengths, protocol version,
  packet counter, packet id, then a packet header ``length (10), flags (bit 0 CRC ok; bits 6-4
  PHY, 2 = coded), channel, RSSI, event counter, timestamp``), then the link-layer packet from
  the access address (a coding indicator byte follows it on the coded PHY).

Frames that are not Remote ID (other beacons, other NAN services, data-channel BLE packets) are
passed over without a report. A frame that claims to be Remote ID but is cut short, or whose
lengths overrun it, gives a :class:`FrameIssue` with its byte offset.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

ASD_STAN_OUI: Final = b"\xfa\x0b\xbc"
ODID_OUI_TYPE: Final = 0x0D
WFA_OUI: Final = b"\x50\x6f\x9a"
NAN_OUI_TYPE: Final = 0x13
NAN_SERVICE_ID: Final = bytes.fromhex("8869199d9209")
BLE_UUID_ASTM: Final = 0xFFFA
BLE_APP_CODE: Final = 0x0D
BLE_ADV_ACCESS_ADDRESS: Final = 0x8E89BED6


@dataclass(frozen=True, slots=True)
class Payload:
    """Remote ID bytes found in a frame: a message or a pack at ``offset`` of the frame."""

    offset: int
    data: bytes
    transmitter: str
    """The sender's MAC (Wi-Fi source address, BLE AdvA), ``AA:BB:...``; ``""`` if none."""
    link: str
    """``wifi-beacon``, ``wifi-nan``, ``ble`` (legacy) or ``ble-ext`` (extended advertising)."""


@dataclass(frozen=True, slots=True)
class FrameIssue:
    offset: int
    reason: str


@dataclass
class Walk:
    """What one frame held: Remote ID payloads, and issues with byte offsets."""

    payloads: list[Payload]
    issues: list[FrameIssue]

    @classmethod
    def empty(cls) -> Walk:
        return cls([], [])


def mac(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in raw)


# --------------------------------------------------------------------------- 802.11


def walk_80211(frame: bytes, base: int = 0) -> Walk:
    """Remote ID in one 802.11 frame (MAC header first, no FCS). ``base`` is added to offsets."""
    out = Walk.empty()
    if len(frame) < 24:
        return out  # not even a management header: not ours to judge
    fc = frame[0]
    ftype, subtype = (fc >> 2) & 0x3, fc >> 4
    if ftype != 0:
        return out
    source = mac(frame[10:16])
    if subtype == 8:
        _beacon(frame, base, source, out)
    elif subtype == 13:
        _nan(frame, base, source, out)
    return out


def _beacon(frame: bytes, base: int, source: str, out: Walk) -> None:
    pos = 36
    n = len(frame)
    while pos + 2 <= n:
        eid, elen = frame[pos], frame[pos + 1]
        body_at = pos + 2
        is_odid = eid == 221 and frame[body_at : body_at + 3] == ASD_STAN_OUI
        if body_at + elen > n:
            if is_odid or _odid_tail(frame, body_at):
                out.issues.append(
                    FrameIssue(
                        base + pos,
                        f"wifi beacon: element 221 (ASD-STAN): length {elen} overruns the frame "
                        f"({n - body_at} bytes left)",
                    )
                )
            return
        if is_odid and elen >= 5 and frame[body_at + 3] == ODID_OUI_TYPE:
            out.payloads.append(
                Payload(
                    base + body_at + 5, frame[body_at + 5 : body_at + elen], source, "wifi-beacon"
                )
            )
        elif is_odid:
            out.issues.append(
                FrameIssue(
                    base + pos, f"wifi beacon: element 221 (ASD-STAN): length {elen} too short"
                )
            )
        pos = body_at + elen


def _odid_tail(frame: bytes, at: int) -> bool:
    return frame[at : at + 3] == ASD_STAN_OUI


def _nan(frame: bytes, base: int, source: str, out: Walk) -> None:
    body = 24
    if frame[body : body + 6] != b"\x04\x09" + WFA_OUI + bytes([NAN_OUI_TYPE]):
        return
    pos = body + 6
    n = len(frame)
    while pos + 3 <= n:
        aid = frame[pos]
        (alen,) = struct.unpack_from("<H", frame, pos + 1)
        at = pos + 3
        end = at + alen
        ours = aid == 0x03 and frame[at : at + 6] == NAN_SERVICE_ID
        if end > n:
            if ours:
                out.issues.append(
                    FrameIssue(
                        base + pos,
                        f"wifi NAN: service descriptor attribute: length {alen} overruns the "
                        f"frame ({n - at} bytes left)",
                    )
                )
            return
        if ours:
            info = _nan_service_info(frame, at, end, base, out)
            if info is not None:
                start, data = info
                out.payloads.append(Payload(base + start, data, source, "wifi-nan"))
        pos = end


def _nan_service_info(
    frame: bytes, at: int, end: int, base: int, out: Walk
) -> tuple[int, bytes] | None:
    # service id (6), instance id, requestor instance id, service control
    if at + 9 > end:
        out.issues.append(FrameIssue(base + at, "wifi NAN: service descriptor: truncated header"))
        return None
    control = frame[at + 8]
    pos = at + 9
    if control & 0x40:  # binding bitmap
        pos += 2
    for bit, name in ((0x04, "matching filter"), (0x08, "service response filter")):
        if control & bit:
            if pos >= end:
                out.issues.append(FrameIssue(base + pos, f"wifi NAN: {name}: truncated"))
                return None
            pos += 1 + frame[pos]
    if not control & 0x10:
        return None  # no service info: a subscribe or an empty publish
    if pos >= end:
        out.issues.append(FrameIssue(base + pos, "wifi NAN: service info: truncated"))
        return None
    ilen = frame[pos]
    start = pos + 1
    if start + ilen > end:
        out.issues.append(
            FrameIssue(
                base + pos,
                f"wifi NAN: service info: length {ilen} overruns the attribute "
                f"({end - start} bytes left)",
            )
        )
        return None
    if ilen < 2:
        out.issues.append(
            FrameIssue(base + pos, f"wifi NAN: service info: length {ilen} too short")
        )
        return None
    return start + 1, frame[start + 1 : start + ilen]  # skip the message counter


def walk_radiotap(frame: bytes) -> Walk:
    """Remote ID in a radiotap + 802.11 frame (link type 127)."""
    if len(frame) < 8:
        return Walk([], [FrameIssue(0, f"radiotap: truncated header: {len(frame)} of 8 bytes")])
    (rlen,) = struct.unpack_from("<H", frame, 2)
    if rlen < 8 or rlen > len(frame):
        return Walk([], [FrameIssue(2, f"radiotap: length {rlen} beyond the {len(frame)} bytes")])
    flags = _radiotap_flags(frame, rlen)
    end = len(frame)
    if flags is not None:
        if flags & 0x40:
            return Walk([], [FrameIssue(0, "radiotap: flags: frame received with a bad FCS")])
        if flags & 0x10:
            end -= 4
    return walk_80211(frame[rlen:end], rlen)


def _radiotap_flags(frame: bytes, rlen: int) -> int | None:
    # present bitmaps chain through bit 31; Flags (bit 1) follows TSFT (bit 0, 8 aligned)
    pos = 4
    (present,) = struct.unpack_from("<I", frame, 4)
    word = present
    while word & 0x80000000 and pos + 8 <= rlen:
        pos += 4
        (word,) = struct.unpack_from("<I", frame, pos)
    pos += 4
    if not present & 0x2:
        return None
    if present & 0x1:
        pos = (pos + 7) & ~7
        pos += 8
    return frame[pos] if pos < rlen else None


# --------------------------------------------------------------------------- Bluetooth LE


def walk_ad(data: bytes, base: int, transmitter: str, link: str, out: Walk) -> None:
    """Remote ID service data in Bluetooth advertising data (AD structures)."""
    pos = 0
    n = len(data)
    while pos < n:
        alen = data[pos]
        if alen == 0:
            return  # zero padding ends the significant part
        end = pos + 1 + alen
        ours = (
            alen >= 3 and pos + 4 <= n and data[pos + 1] == 0x16
            and struct.unpack_from("<H", data, pos + 2)[0] == BLE_UUID_ASTM
        )  # fmt: skip
        if end > n:
            if ours:
                out.issues.append(
                    FrameIssue(
                        base + pos,
                        f"ble: service data 0xFFFA: length {alen} overruns the advertising data "
                        f"({n - pos - 1} bytes left)",
                    )
                )
            return
        if ours:
            if alen < 5 or data[pos + 4] != BLE_APP_CODE:
                code = data[pos + 4] if alen >= 4 else None
                out.issues.append(
                    FrameIssue(
                        base + pos, f"ble: service data 0xFFFA: app code {code}, expected 13"
                    )
                )
            else:
                out.payloads.append(Payload(base + pos + 6, data[pos + 6 : end], transmitter, link))
        pos = end


def walk_ble_pdu(pdu: bytes, base: int = 0) -> Walk:
    """Remote ID in one advertising-channel PDU (2-byte header first; a trailing CRC ignored)."""
    out = Walk.empty()
    if len(pdu) < 2:
        out.issues.append(FrameIssue(base, f"ble: truncated PDU header: {len(pdu)} of 2 bytes"))
        return out
    ptype, plen = pdu[0] & 0x0F, pdu[1]
    if 2 + plen > len(pdu):
        out.issues.append(
            FrameIssue(
                base + 1, f"ble: PDU length {plen} overruns the {len(pdu) - 2} bytes captured"
            )
        )
        return out
    payload = pdu[2 : 2 + plen]
    if ptype in (0, 2, 4, 6):  # ADV_IND, ADV_NONCONN_IND, SCAN_RSP, ADV_SCAN_IND
        if plen < 6:
            return out
        walk_ad(payload[6:], base + 8, mac(payload[5::-1]), "ble", out)
    elif ptype == 7:  # extended advertising (ADV_EXT_IND / AUX_ADV_IND / AUX_CHAIN_IND)
        if plen < 1:
            return out
        hlen = payload[0] & 0x3F
        if 1 + hlen > plen:
            out.issues.append(
                FrameIssue(base + 2, f"ble: extended header length {hlen} overruns the PDU")
            )
            return out
        adva = ""
        if hlen >= 1:
            flags = payload[1]
            if flags & 0x01 and hlen >= 7:
                adva = mac(payload[7:1:-1])
        walk_ad(payload[1 + hlen :], base + 3 + hlen, adva, "ble-ext", out)
    return out


def walk_nordic_ble(frame: bytes) -> Walk:
    """Remote ID in an nRF Sniffer for Bluetooth LE packet (link type 272)."""
    if len(frame) < 17:
        return Walk([], [FrameIssue(0, f"nordic ble: truncated header: {len(frame)} of 17 bytes")])
    hlen = frame[7]
    if hlen < 10:
        return Walk([], [FrameIssue(7, f"nordic ble: packet header length {hlen}, expected >= 10")])
    flags = frame[8]
    ll = 7 + hlen
    if ll + 4 > len(frame):
        return Walk([], [FrameIssue(ll, "nordic ble: truncated before the access address")])
    (aa,) = struct.unpack_from("<I", frame, ll)
    if aa != BLE_ADV_ACCESS_ADDRESS:
        return Walk.empty()  # a data-channel packet
    if not flags & 0x01:
        return Walk([], [FrameIssue(8, "nordic ble: flags: CRC failed at capture")])
    pdu = ll + 4
    if frame[3] >= 3 and (flags >> 4) & 0x07 == 2:  # coded PHY: coding indicator byte
        pdu += 1
    return walk_ble_pdu(frame[pdu:], pdu)


def walk_ble_ll(frame: bytes, base: int = 0) -> Walk:
    """Remote ID in a link-layer packet from the access address (link type 251)."""
    if len(frame) < 4:
        return Walk([], [FrameIssue(base, "ble: truncated before the access address")])
    (aa,) = struct.unpack_from("<I", frame, 0)
    if aa != BLE_ADV_ACCESS_ADDRESS:
        return Walk.empty()
    return walk_ble_pdu(frame[4:], base + 4)
