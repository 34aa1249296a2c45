"""Broadcast drone Remote ID (ASTM F3411-22a / ASD-STAN EN 4709-002) in, detection records out.

Inputs
------
* frames fed one by one to :class:`RemoteIdDecoder` (``feed(frame, t_received, link)``):
  ``link`` ``"wifi-beacon"`` / ``"wifi-nan"`` (an 802.11 management frame from its MAC header,
  no FCS), ``"ble"`` (an advertising-channel PDU from its 2-byte header, legacy or extended),
  ``"ble-ad"`` (advertising data only, as an HCI advertising report gives it) or ``"raw"`` (one
  25-byte message or a message pack);
* captures (:func:`read_remoteid_capture`): pcap / pcapng with radiotap 802.11 (127), raw
  802.11 (105), nRF Sniffer BLE (272) or BLE link layer (251) frames; and the JSON of a
  DroneScout-style receiver (MQTT payloads whose ``UASdata`` is the base64 of the
  opendroneid-core-c ``ODID_UAS_Data`` C struct, see :mod:`.remoteid_json`);
* network Remote ID test flights: :mod:`.remoteid_netrid`.

The message layouts are in :mod:`.remoteid_messages`, the transports in :mod:`.remoteid_frames`.

Outputs
-------
Messages are gathered per transmitter (its MAC address; a ``raw`` message has the ``address``
the caller gives). Each Location message yields one :class:`RemoteIdReport` (the state of that
drone at that time: the last Basic ID, System, Self-ID, Operator ID and authentication pages
heard from the transmitter) and, when the position is known, one detection record::

    {"t", "t_received", "sensor", "kind": "position",
     "position": {"lat_deg", "lon_deg", "alt_m"},   # alt_m: geodetic altitude (WGS84 HAE)
     "std": [e, n, u] (m),  "remote_id": <UAS id>,  "protocol": "wifi" (Wi-Fi links only),
     "x_link", "x_transmitter", "x_ua_type", "x_id_type", "x_status",
     "x_speed_m_s", "x_direction_deg", "x_vertical_speed_m_s", "x_height_m", "x_height_ref",
     "x_alt_baro_m", "x_operator": {"lat_deg", "lon_deg", "alt_m"}, "x_operator_id",
     "x_self_id", "x_eu_category", "x_eu_class", "x_time_source"}

* ``alt_m`` is the geodetic altitude. A message with only a pressure altitude gives a 2-D
  position (``alt_m`` null, two ``std`` values) and the pressure altitude in ``x_alt_baro_m``:
  a pressure altitude is not a height above the ellipsoid (the difference varies by tens to
  hundreds of metres with the weather), so it is not passed off as one.
* ``std``: the accuracy codes are 95 % bounds (F3411-22a Tables 8-9). The horizontal one is a
  radius; for a circular normal error with per-axis sigma the radial error is Rayleigh
  distributed, ``P(r <= R) = 1 - exp(-R^2 / 2 sigma^2)``, so ``sigma = R95 / sqrt(-2 ln 0.05)
  = R95 / 2.4477``. The vertical one is two-sided 1-D: ``sigma = V95 / 1.96``. Unknown codes use
  ``unknown_h95_m`` / ``unknown_v95_m`` (assumptions, see :class:`RemoteIdDecoder`).
* ``t``: the Location time is tenths of a second past the UTC hour. The hour is taken from
  ``t_received``, choosing the hour that puts ``t`` nearest to ``t_received`` (so 3599.9 s
  received at 10:00:00.3 is 09:59:59.9). When the result is more than ``max_clock_skew_s`` from
  ``t_received``, or the time is "unknown" (0xFFFF), ``t = t_received`` and ``x_time_source`` is
  ``"received"`` (else ``"message"``).
* A Location whose position is unknown (latitude and longitude 0: "no fix") gives a report but no
  record; it is counted in :attr:`RemoteIdDecoder.no_position`, not as a decode error.
* Bluetooth has no ``protocol`` label in the detection schema yet; ``x_link`` says ``ble``.

Nothing here is authenticated: any transmitter can claim any serial number and any position.
Downstream identification checks consistency (position vs. radar, operator vs. drone, ...).

Errors
------
Never raised from :meth:`RemoteIdDecoder.feed`: every bad message or frame is reported to the
:class:`~dronewall.adapters.base.DecodeLog` with its byte offset in the frame (``feed``) or its
packet index in the capture (the byte offset is then in the reason), and a reason naming the
message type and field; the other messages of the frame are kept.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.pcap import (
    LINKTYPE_BLUETOOTH_LE_LL,
    LINKTYPE_IEEE802_11_RADIOTAP,
    LINKTYPE_NORDIC_BLE,
    iter_packets,
)
from dronewall.adapters.remoteid_frames import (
    FrameIssue,
    Payload,
    Walk,
    walk_80211,
    walk_ad,
    walk_ble_ll,
    walk_ble_pdu,
    walk_nordic_ble,
    walk_radiotap,
)
from dronewall.adapters.remoteid_messages import (
    MESSAGE_SIZE,
    TYPE_PACK,
    UA_TYPES,
    Authentication,
    BasicId,
    Location,
    Message,
    MessageError,
    OperatorId,
    SelfId,
    System,
    decode_message,
    split_pack,
)
from dronewall.core.errors import ConfigError, InputError

__all__ = [
    "LINKS",
    "RemoteIdDecoder",
    "RemoteIdReport",
    "read_remoteid_capture",
    "resolve_time_past_hour",
]

Link = Literal["wifi-beacon", "wifi-nan", "ble", "ble-ad", "raw"]
LINKS: Final = ("wifi-beacon", "wifi-nan", "ble", "ble-ad", "raw")
LINKTYPE_IEEE802_11: Final = 105

H95_TO_SIGMA: Final = math.sqrt(-2.0 * math.log(0.05))
"""Rayleigh: the 95 % radius of a circular normal error is 2.4477 per-axis sigmas."""
V95_TO_SIGMA: Final = 1.959963984540054
"""Two-sided 95 % quantile of the normal distribution."""

HEIGHT_REFS: Final = ("takeoff", "ground")


@dataclass(frozen=True, slots=True)
class RemoteIdReport:
    """The state of one transmitter when one of its Location messages arrived.

    Attributes
    ----------
    t : float
        UTC epoch s of the position (see the module docstring for how it is resolved).
    t_received : float
    time_source : {"message", "received"}
    transmitter : str
        MAC address (``AA:BB:CC:DD:EE:FF``) or the caller's address for raw messages.
    link : str
        ``wifi-beacon``, ``wifi-nan``, ``ble``, ``ble-ext`` (Bluetooth 5 extended), ``raw``
        or, for receiver JSON, the receiver's link.
    location : Location
    basic_ids : tuple of BasicId
        Up to the last two distinct ID types heard (F3411-22a allows a serial number and a
        registration or session id at once).
    system, self_id, operator_id : message or None
    auth_pages : tuple of Authentication
        The pages of the last authentication heard, by page number.
    """

    t: float
    t_received: float
    time_source: str
    transmitter: str
    link: str
    location: Location
    basic_ids: tuple[BasicId, ...] = ()
    system: System | None = None
    self_id: SelfId | None = None
    operator_id: OperatorId | None = None
    auth_pages: tuple[Authentication, ...] = ()

    @property
    def uas_id(self) -> str | None:
        """Serial number if one was heard, else a CAA registration, UTM or session id."""
        best: BasicId | None = None
        for b in self.basic_ids:
            if b.uas_id and (
                best is None or _ID_RANK.get(b.id_type, 9) < _ID_RANK.get(best.id_type, 9)
            ):
                best = b
        return best.uas_id if best is not None else None

    @property
    def ua_type(self) -> str | None:
        for b in self.basic_ids:
            if b.ua_type:
                return UA_TYPES[b.ua_type]
        return UA_TYPES[self.basic_ids[0].ua_type] if self.basic_ids else None

    @property
    def lat_deg(self) -> float | None:
        return self.location.lat_deg

    @property
    def lon_deg(self) -> float | None:
        return self.location.lon_deg

    @property
    def alt_geo_m(self) -> float | None:
        return self.location.alt_geo_m

    @property
    def alt_baro_m(self) -> float | None:
        return self.location.alt_baro_m

    @property
    def height_m(self) -> float | None:
        return self.location.height_m

    @property
    def speed_m_s(self) -> float | None:
        return self.location.speed_m_s

    @property
    def operator_position(self) -> tuple[float, float, float | None] | None:
        s = self.system
        if s is None or s.operator_lat_deg is None or s.operator_lon_deg is None:
            return None
        return s.operator_lat_deg, s.operator_lon_deg, s.operator_alt_geo_m

    @property
    def operator_id_text(self) -> str | None:
        return self.operator_id.operator_id if self.operator_id else None

    @property
    def self_id_text(self) -> str | None:
        return self.self_id.text if self.self_id else None

    @property
    def eu_class(self) -> int | None:
        """EU class code (1..7 = C0..C6) when the System message declares an EU class."""
        s = self.system
        return s.eu_class if s is not None and s.classification_type == 1 else None


_ID_RANK: Final = {1: 0, 2: 1, 3: 2, 4: 3, 0: 4}


@dataclass
class _Transmitter:
    basic_ids: dict[int, BasicId] = field(default_factory=dict)
    system: System | None = None
    self_id: SelfId | None = None
    operator_id: OperatorId | None = None
    auth: dict[int, Authentication] = field(default_factory=dict)


class RemoteIdDecoder:
    """Remote ID frames in, reports and detection records out; keeps per-transmitter state.

    Parameters
    ----------
    source : str
        Name used in the decode log (the file or interface).
    sensor : str
        ``sensor`` of the detection records.
    log : DecodeLog, optional
    max_clock_skew_s : float
        Beyond this difference between the message time and ``t_received`` the message time
        is not trusted. 30 s: an ASSUMPTION (a GNSS-timed transmitter and an NTP-timed receiver
        agree to well under a second; F3411-22a asks for the time to be within its stated
        accuracy, at most 1.5 s), loose to allow for receivers that stamp late.
    unknown_h95_m, unknown_v95_m : float
        95 % bounds used when the accuracy code is 0 (unknown) or reserved. 92.6 m (the
        0.05 NM class) and 45 m: ASSUMPTIONS, about 10x a consumer GNSS fix, so that an unknown
        accuracy is used but weighs little against radar.
    """

    def __init__(
        self,
        source: str = "remoteid",
        sensor: str = "remoteid",
        log: DecodeLog | None = None,
        *,
        max_clock_skew_s: float = 30.0,
        unknown_h95_m: float = 92.6,
        unknown_v95_m: float = 45.0,
    ) -> None:
        for name, v in (
            ("max_clock_skew_s", max_clock_skew_s),
            ("unknown_h95_m", unknown_h95_m),
            ("unknown_v95_m", unknown_v95_m),
        ):
            if not (math.isfinite(v) and v > 0):
                raise ConfigError(f"{name} must be a positive number, got {v!r}")
        self.log = log if log is not None else DecodeLog(source)
        self.sensor = sensor
        self.max_clock_skew_s = max_clock_skew_s
        self.unknown_h95_m = unknown_h95_m
        self.unknown_v95_m = unknown_v95_m
        self.reports: dict[str, RemoteIdReport] = {}
        """The last report of each transmitter."""
        self.no_position = 0
        """Location messages with an unknown position (0/0, no fix): reported, no record."""
        self.messages = 0
        """Messages decoded (a pack counts its messages)."""
        self._state: dict[str, _Transmitter] = {}

    # ------------------------------------------------------------------ public

    def feed(
        self, frame: bytes, t_received: float, link: str = "raw", address: str = ""
    ) -> list[DetectionRecord]:
        """Decode one frame; the detection records of its Location messages with a position.

        Bad input is reported to :attr:`log` with its byte offset in ``frame``; never raises.
        """
        return [self.record(r) for r in self.feed_reports(frame, t_received, link, address)
                if r.location.has_position]  # fmt: skip

    def feed_reports(
        self,
        frame: bytes,
        t_received: float,
        link: str = "raw",
        address: str = "",
        *,
        index: int | None = None,
    ) -> list[RemoteIdReport]:
        """Decode one frame; one :class:`RemoteIdReport` per Location message in it.

        ``index`` (a packet index in a capture) makes the issues' offsets that index, with
        the byte offset in the reason.
        """
        walk = self._walk(bytes(frame), link, address)
        for issue in walk.issues:
            self._reject(issue.offset, issue.reason, index)
        out: list[RemoteIdReport] = []
        for p in walk.payloads:
            out.extend(self._payload(p, t_received, index))
        return out

    def feed_messages(
        self,
        messages: Sequence[Message],
        t_received: float,
        transmitter: str,
        link: str,
    ) -> list[RemoteIdReport]:
        """Take messages already decoded elsewhere (receiver JSON) as if heard together."""
        return self._apply(list(messages), t_received, transmitter, link)

    def record(self, r: RemoteIdReport) -> DetectionRecord:
        """The detection record of a report with a known position."""
        loc = r.location
        h95 = loc.h_accuracy_m or self.unknown_h95_m
        pos: dict[str, Any] = {"lat_deg": loc.lat_deg, "lon_deg": loc.lon_deg}
        std = [h95 / H95_TO_SIGMA] * 2
        if loc.alt_geo_m is not None:
            pos["alt_m"] = loc.alt_geo_m
            std.append((loc.v_accuracy_m or self.unknown_v95_m) / V95_TO_SIGMA)
        else:
            pos["alt_m"] = None
        rec: DetectionRecord = {
            "t": r.t,
            "t_received": r.t_received,
            "sensor": self.sensor,
            "kind": "position",
            "position": pos,
            "std": std,
        }
        uas_id = r.uas_id
        if uas_id:
            rec["remote_id"] = uas_id
        if r.link.startswith("wifi"):
            rec["protocol"] = "wifi"
        rec["x_link"] = r.link
        if r.transmitter:
            rec["x_transmitter"] = r.transmitter
        if r.ua_type is not None:
            rec["x_ua_type"] = r.ua_type
        ids = {b.id_type_name: b.uas_id for b in r.basic_ids if b.uas_id}
        if ids:
            rec["x_uas_ids"] = ids
        rec["x_status"] = loc.status
        for key, value in (
            ("x_speed_m_s", loc.speed_m_s),
            ("x_direction_deg", loc.direction_deg),
            ("x_vertical_speed_m_s", loc.vertical_speed_m_s),
            ("x_speed_accuracy_m_s", loc.speed_accuracy_m_s),
            ("x_height_m", loc.height_m),
            ("x_alt_baro_m", loc.alt_baro_m),
        ):
            if value is not None:
                rec[key] = value
        if loc.height_m is not None:
            rec["x_height_ref"] = HEIGHT_REFS[loc.height_above_ground]
        op = r.operator_position
        if op is not None:
            rec["x_operator"] = {"lat_deg": op[0], "lon_deg": op[1], "alt_m": op[2]}
        if r.operator_id_text:
            rec["x_operator_id"] = r.operator_id_text
        if r.self_id_text:
            rec["x_self_id"] = r.self_id_text
        if r.system is not None and r.system.classification_type == 1:
            rec["x_eu_category"] = r.system.eu_category
            rec["x_eu_class"] = r.system.eu_class
        rec["x_time_source"] = r.time_source
        return rec

    # ------------------------------------------------------------------ inside

    def _reject(self, offset: int, reason: str, index: int | None) -> None:
        if index is None:
            self.log.reject(offset, reason, "byte")
        else:
            self.log.reject(index, f"{reason} (byte {offset})", "message")

    def _walk(self, frame: bytes, link: str, address: str) -> Walk:
        if link in ("wifi-beacon", "wifi-nan"):
            return walk_80211(frame)
        if link == "ble":
            return walk_ble_pdu(frame)
        if link == "ble-ad":
            w = Walk.empty()
            walk_ad(frame, 0, address, "ble", w)
            return w
        if link == "raw":
            return Walk([Payload(0, frame, address, "raw")], [])
        w = Walk.empty()
        w.issues.append(_issue(0, f"link: unknown link {link!r}; expected one of {list(LINKS)}"))
        return w

    def _payload(self, p: Payload, t_received: float, index: int | None) -> list[RemoteIdReport]:
        data = p.data
        chunks: list[tuple[int, bytes]]
        if not data:
            self._reject(p.offset, "message: empty", index)
            return []
        if data[0] >> 4 == TYPE_PACK:
            try:
                chunks = [
                    (p.offset + 3 + i * MESSAGE_SIZE, m) for i, m in enumerate(split_pack(data))
                ]
            except MessageError as exc:
                self._reject(p.offset + exc.offset, exc.reason, index)
                return []
        else:
            chunks = [(p.offset, data)]
        messages: list[Message] = []
        for offset, chunk in chunks:
            try:
                messages.append(decode_message(chunk))
            except MessageError as exc:
                self._reject(offset + exc.offset, exc.reason, index)
        self.log.ok(len(messages))
        self.messages += len(messages)
        transmitter = p.transmitter or "unknown"
        return self._apply(messages, t_received, transmitter, p.link)

    def _apply(
        self, messages: list[Message], t_received: float, transmitter: str, link: str
    ) -> list[RemoteIdReport]:
        st = self._state.setdefault(transmitter, _Transmitter())
        locations: list[Location] = []
        for m in messages:  # state first, so a pack's Basic ID names its own Location
            if isinstance(m, Location):
                locations.append(m)
            elif isinstance(m, BasicId):
                st.basic_ids[m.id_type] = m
                if len(st.basic_ids) > 2:
                    st.basic_ids.pop(next(iter(st.basic_ids)))
            elif isinstance(m, System):
                st.system = m
            elif isinstance(m, SelfId):
                st.self_id = m
            elif isinstance(m, OperatorId):
                st.operator_id = m
            else:
                if m.page == 0:
                    st.auth = {}
                st.auth[m.page] = m
        out = []
        for loc in locations:
            t, source = self._time(loc, t_received)
            report = RemoteIdReport(
                t=t,
                t_received=t_received,
                time_source=source,
                transmitter=transmitter,
                link=link,
                location=loc,
                basic_ids=tuple(st.basic_ids.values()),
                system=st.system,
                self_id=st.self_id,
                operator_id=st.operator_id,
                auth_pages=tuple(st.auth[k] for k in sorted(st.auth)),
            )
            self.reports[transmitter] = report
            if not loc.has_position:
                self.no_position += 1
            out.append(report)
        return out

    def _time(self, loc: Location, t_received: float) -> tuple[float, str]:
        s = loc.seconds_past_hour
        if s is None or not math.isfinite(t_received):
            return t_received, "received"
        t = resolve_time_past_hour(s, t_received)
        if abs(t - t_received) > self.max_clock_skew_s:
            return t_received, "received"
        return t, "message"


def resolve_time_past_hour(seconds: float, t_received: float) -> float:
    """The UTC epoch time ``seconds`` past some hour that is nearest to ``t_received``."""
    hour = math.floor(t_received / 3600.0) * 3600.0
    t = hour + seconds
    if t - t_received > 1800.0:
        t -= 3600.0
    elif t_received - t > 1800.0:
        t += 3600.0
    return t


def _issue(offset: int, reason: str) -> FrameIssue:
    return FrameIssue(offset, reason)


# --------------------------------------------------------------------------- captures


def _walk_packet(linktype: int, data: bytes) -> Walk | None:
    if linktype == LINKTYPE_IEEE802_11_RADIOTAP:
        return walk_radiotap(data)
    if linktype == LINKTYPE_IEEE802_11:
        return walk_80211(data)
    if linktype == LINKTYPE_NORDIC_BLE:
        return walk_nordic_ble(data)
    if linktype == LINKTYPE_BLUETOOTH_LE_LL:
        return walk_ble_ll(data)
    return None


def read_remoteid_capture(
    path: str | os.PathLike[str],
    log: DecodeLog | None = None,
    *,
    sensor: str = "remoteid",
    decoder: RemoteIdDecoder | None = None,
    **options: Any,
) -> Iterator[DetectionRecord]:
    """Detection records of a Remote ID capture, in file order.

    ``path`` is a pcap / pcapng capture (link types 127 radiotap, 105 802.11, 272 nRF Sniffer
    BLE, 251 BLE link layer; the link type decides the walk; time = the capture time) or the
    JSON of a DroneScout-style receiver (an array, one object, or one object per line; see
    :func:`dronewall.adapters.remoteid_json.iter_receiver_json`). Issues go to ``log`` with the
    packet (or JSON record) index as offset. ``options`` go to :class:`RemoteIdDecoder`; pass
    your own ``decoder`` to read its :attr:`~RemoteIdDecoder.reports` afterwards.

    Raises
    ------
    InputError
        The file is missing, or neither a capture nor JSON, or a capture of another link type.
    """
    name = os.fspath(path)
    dec = decoder or RemoteIdDecoder(source=name, sensor=sensor, log=log, **options)
    try:
        with open(name, "rb") as fp:
            head = fp.read(64).lstrip()
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc
    if head[:1] in (b"{", b"["):
        from dronewall.adapters.remoteid_json import iter_receiver_json

        for report in iter_receiver_json(name, dec):
            if report.location.has_position:
                yield dec.record(report)
        return
    for packet in iter_packets(name, dec.log):
        walk = _walk_packet(packet.linktype, packet.data)
        if walk is None:
            raise InputError(
                f"link type {packet.linktype} carries no Remote ID that dronewall reads "
                "(127, 105, 272, 251)",
                source=name,
            )
        for issue in walk.issues:
            dec._reject(issue.offset, issue.reason, packet.index)
        for p in walk.payloads:
            for report in dec._payload(p, packet.t, packet.index):
                if report.location.has_position:
                    yield dec.record(report)
