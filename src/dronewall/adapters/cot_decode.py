"""Cursor on Target in, safely: XML events and TAK protobuf to detection records.

Data layout
-----------
Input is a byte stream (TCP: XML events one after another, or TAK Protocol v1 *stream* messages
``0xBF <varint length> <TakMessage>``) or datagrams (UDP: one XML event, or a TAK *mesh* message
``0xBF 0x01 0xBF <TakMessage>``). Output is detection records in the schema of
``docs/formats/detections.md``; every bad event goes to the :class:`DecodeLog` with its byte
offset in the stream (unit ``"byte"``) or its datagram index (unit ``"message"``).

Safety
------
XML is parsed only with ``defusedxml`` with DTDs, entity declarations and external references
forbidden: a billion-laughs or external-entity attempt is refused at the DOCTYPE (reasons
``xml-dtd``, ``xml-entity``, ``xml-external``) before anything is expanded, and counted in
:attr:`CotDecoder.security_refusals`. An event longer than ``max_event_bytes`` without its
``</event>`` is cut and reported, so that no stream can make the buffer grow without bound.

Stream framing
--------------
XML events are delimited by the start markers ``<?xml`` / ``<event`` and the end tag
``</event>``. Bytes that are not part of an event are reported once per run (``garbage``). When a
start marker appears inside an unfinished event, the unfinished part is reported (``event``) and
decoding resumes at the marker, so a corrupted event never swallows the good event after it. A
raw ``<event`` inside an event is therefore not supported (TAK escapes nested events, as in the
telestration example).

Mapping
-------
Only air atoms (``a-<affiliation>-A...``) become records; every other type (ground units, shapes,
routes, chat, TAK control) is passed over and counted by type in :attr:`CotDecoder.passed_over`.
``how`` starting ``m`` (machine) gives ``kind: position``, ``h`` (human) ``kind: sighting``.
``point.hae`` of 9999999 (unknown) gives a 2-D position. ``ce``/``le`` are read as 1-sigma
(Base-Event schema): ``std = [ce, ce, le]`` (``[ce, ce]`` in 2-D); an unknown ``ce``/``le`` takes
the stated default of its ``how`` and sets ``x_cot_std_default``. ``t`` is the event ``time``; an
event already stale when received is rejected (``event.stale``). Extra keys: ``x_cot_uid``,
``x_cot_type``, ``x_cot_how``, ``x_cot_identity``, ``x_cot_class`` (when the type says it),
``x_cot_callsign``, ``x_cot_course_deg``, ``x_cot_speed_m_s``, ``x_cot_stale``.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

import defusedxml  # type: ignore[import-untyped, unused-ignore]
import defusedxml.ElementTree as DET  # type: ignore[import-untyped, unused-ignore]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped, unused-ignore]
from takproto.proto import TakMessage

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.cot_wire import (
    MESH_HEADER,
    TAK_MAGIC,
    UNKNOWN_THRESHOLD,
    decode_varint,
    parse_air_type,
    parse_time,
    takmessage_to_event,
    valid_type,
)
from dronewall.core.errors import ConfigError, InputError

Protocol = Literal["auto", "xml", "takproto"]
Transport = Literal["stream", "datagram"]

MAX_EVENT_BYTES: Final = 1 << 20
"""Largest event accepted, bytes (the ATAK examples are 0.7-4.4 kB; a route with many points can
reach tens of kB)."""

#: 1-sigma horizontal / vertical error taken when ``ce`` / ``le`` are unknown, by the first
#: letter of ``how``. Assumptions (A): a person estimating where a small drone is, at a few
#: hundred metres, is off by hundreds of metres (the detection format's sighting example uses
#: 300 m); a machine source that does not state its error is taken as a coarse sensor.
DEFAULT_CE_M: Final[dict[str, float]] = {"h": 300.0, "m": 100.0}
DEFAULT_LE_M: Final[dict[str, float]] = {"h": 150.0, "m": 50.0}

MIN_STD_M: Final = 1.0
"""Floor of a stated ``ce``/``le`` (a 0 would give the tracker a singular covariance; A)."""

_START: Final = re.compile(rb"<\?xml|<event[\s>/]")
_START_TAK: Final = re.compile(rb"<\?xml|<event[\s>/]|\xbf")
_EVENT: Final = re.compile(rb"<event[\s>/]")
_END: Final = b"</event>"
_EMPTY_EVENT: Final = re.compile(
    rb"""<event(?:\s+[^\s=<>/"']+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*/>"""
)
_WS: Final = b" \t\r\n\x00"
_MARKER_TAIL: Final = 7  # longest marker prefix that can straddle a chunk boundary


class _Chunk:
    """An XML event, a TAK payload, or (``bad``) a rejected span whose ``data`` is the reason."""

    __slots__ = ("data", "kind", "offset")

    def __init__(self, offset: int, kind: Literal["xml", "tak", "bad"], data: bytes) -> None:
        self.offset, self.kind, self.data = offset, kind, data


class _Splitter:
    """Cuts a byte stream into XML events and TAK stream messages; reports what is neither."""

    def __init__(self, protocol: Protocol, max_event: int) -> None:
        self.protocol = protocol
        self.max_event = max_event
        self.buf = bytearray()
        self.base = 0  # stream offset of buf[0]
        self._start = _START if protocol == "xml" else _START_TAK
        self.in_datagram = False  # datagram mode: say where in the datagram
        self._out: list[_Chunk] = []
        self._junk_at = -1  # stream offset of garbage not yet reported (one issue per run)
        self._junk_len = 0

    def _reject(self, pos: int, reason: str) -> None:
        self._report_junk()
        if self.in_datagram:
            reason = f"{reason} (at byte {pos})"
        self._out.append(_Chunk(self.base + pos, "bad", reason.encode()))

    def _junk(self, pos: int, n: int) -> None:
        if self._junk_at < 0:
            self._junk_at = self.base + pos
        self._junk_len += n

    def _report_junk(self) -> None:
        if self._junk_at >= 0:
            what = "a TAK stream message" if self.protocol == "takproto" else "a CoT event"
            reason = f"garbage: {self._junk_len} bytes that are not {what}"
            if self.in_datagram:
                reason += f" (at byte {self._junk_at})"
            self._out.append(_Chunk(self._junk_at, "bad", reason.encode()))
            self._junk_at, self._junk_len = -1, 0

    def _emit(self, chunk: _Chunk) -> None:
        self._report_junk()
        self._out.append(chunk)

    def feed(self, data: bytes, final: bool = False) -> list[_Chunk]:
        self.buf += data
        out = self._out = []
        pos = self._drain(out, final)
        if final:
            self._report_junk()
        del self.buf[:pos]
        self.base += pos
        return out

    def _drain(self, out: list[_Chunk], final: bool) -> int:
        buf = self.buf
        n = len(buf)
        i = 0
        while True:
            while i < n and buf[i] in _WS:
                i += 1
            if i >= n:
                return i
            if self.protocol == "takproto":
                if buf[i] != TAK_MAGIC:
                    j = buf.find(bytes([TAK_MAGIC]), i + 1)
                    j = n if j < 0 else j
                    self._junk(i, j - i)
                    i = j
                    continue
                step = self._tak(out, i, final)
                if step is None:
                    return i
                i = step
                continue
            m = self._start.search(buf, i)
            if m is None:
                keep = n
                if not final:  # keep a tail that may be the start of a marker
                    lt = buf.rfind(b"<", max(i, n - _MARKER_TAIL))
                    keep = lt if lt >= 0 else n
                if keep > i:
                    self._junk(i, keep - i)
                return keep
            if m.start() > i:
                self._junk(i, m.start() - i)
                i = m.start()
            if buf[i] == TAK_MAGIC:
                step = self._tak(out, i, final)
                if step is None:
                    return i
                i = step
                continue
            step = self._xml(out, i, final)
            if step is None:
                return i
            i = step

    def _next_marker(self, after: int) -> int:
        m = _START.search(self.buf, after)
        return -1 if m is None else m.start()

    def _xml(self, out: list[_Chunk], s: int, final: bool) -> int | None:
        buf = self.buf
        ev = _EVENT.search(buf, s)
        ev_at = -1 if ev is None else ev.start()
        nxt = self._next_marker(s + 1)
        if nxt >= 0 and nxt == ev_at:
            nxt = self._next_marker(ev_at + 1)
        end = buf.find(_END, ev_at) if ev_at >= 0 else -1
        empty = _EMPTY_EVENT.match(buf, ev_at) if ev_at >= 0 else None
        if empty is not None and (end < 0 or empty.end() <= end):
            end = empty.end() - len(_END)  # <event .../>: ends at its own start tag
        if ev_at >= 0 and nxt >= 0 and 0 <= end < nxt:
            nxt = -1  # the next marker is after this event's end
        if ev_at >= 0 and 0 <= nxt < ev_at:
            ev_at = -1  # a second declaration before any <event>: the first is junk
        if nxt >= 0 and (end < 0 or nxt < end):
            self._reject(s, f"event: cut short ({nxt - s} bytes) by the start of the next event")
            return nxt
        if end < 0:
            if len(buf) - s > self.max_event:
                self._reject(s, f"event: no </event> within {self.max_event} bytes")
                return len(buf)
            if final:
                self._reject(s, f"event: stream ends inside an event ({len(buf) - s} bytes)")
                return len(buf)
            return None
        stop = end + len(_END)
        if stop - s > self.max_event:
            self._reject(s, f"event: {stop - s} bytes, longer than {self.max_event}")
        else:
            self._emit(_Chunk(self.base + s, "xml", bytes(buf[s:stop])))
        return stop

    def _tak(self, out: list[_Chunk], i: int, final: bool) -> int | None:
        buf = self.buf
        try:
            got = decode_varint(buf, i + 1)
        except ValueError as exc:
            self._reject(i, f"takproto: {exc}")
            return i + 1
        if got is None:
            if final:
                self._reject(i, "takproto: stream ends inside a message header")
                return len(buf)
            return None
        length, body = got
        stop = body + length
        if length > self.max_event:
            self._reject(i, f"takproto: message length {length} > {self.max_event}")
            return i + 1
        if self.protocol == "auto":
            nxt = self._next_marker(i + 1)
            if 0 <= nxt < stop:
                self._junk(i, nxt - i)
                return nxt
            tail = buf[max(body, stop - 6) : stop]
            if stop <= len(buf) < stop + _MARKER_TAIL and not final and b"<" in tail:
                return None  # a marker may straddle the end of what we have: wait
        if stop > len(buf):
            if final:
                self._reject(i, f"takproto: stream ends inside a {length}-byte message")
                return len(buf)
            return None
        self._emit(_Chunk(self.base + i, "tak", bytes(buf[body:stop])))
        return stop


class CotDecoder:
    """CoT XML / TAK protobuf to detection records (see the module docstring).

    Parameters
    ----------
    source : str
        Name of the stream in every issue (``tcp://0.0.0.0:8087``).
    sensor : str
        ``sensor`` id of the records.
    transport : {"stream", "datagram"}
        ``stream``: ``feed`` takes any chunk of a TCP byte stream (the tail is buffered);
        ``datagram``: ``feed`` takes one UDP datagram.
    protocol : {"auto", "xml", "takproto"}
        What the stream carries. ``auto`` takes XML and TAK messages (a ``0xBF`` starts a TAK
        message only if no XML start marker lies inside its claimed length).
    max_event_bytes : int
        See :data:`MAX_EVENT_BYTES`.
    reject_stale : bool
        Reject events whose ``stale`` is before the time they were received.
    ignore_uid_prefixes : tuple of str
        Events whose uid starts with one of these are passed over (``own:<prefix>``): a TAK
        server echoes every event to every client, and dronewall must not ingest its own tracks.
        Default ``("dronewall-",)``, the exporter's default uid prefix.
    log : DecodeLog, optional

    Attributes
    ----------
    log : DecodeLog
    passed_over : Counter[str]
        Events that are not air objects, by CoT type (not errors).
    security_refusals : int
        Events refused by defusedxml (DTD, entity, external reference).
    """

    def __init__(
        self,
        source: str = "cot",
        *,
        sensor: str = "cot",
        transport: Transport = "stream",
        protocol: Protocol = "auto",
        max_event_bytes: int = MAX_EVENT_BYTES,
        reject_stale: bool = True,
        ignore_uid_prefixes: tuple[str, ...] = ("dronewall-",),
        log: DecodeLog | None = None,
    ) -> None:
        if transport not in ("stream", "datagram"):
            raise ConfigError("transport must be 'stream' or 'datagram'", field="transport")
        if protocol not in ("auto", "xml", "takproto"):
            raise ConfigError("protocol must be 'auto', 'xml' or 'takproto'", field="protocol")
        if max_event_bytes < 64:
            raise ConfigError("max_event_bytes must be >= 64", field="max_event_bytes")
        if not sensor:
            raise ConfigError("sensor id must not be empty", field="sensor")
        self.log = log if log is not None else DecodeLog(source)
        self.sensor = sensor
        self.transport = transport
        self.protocol: Protocol = protocol
        self.max_event_bytes = max_event_bytes
        self.reject_stale = reject_stale
        self.ignore_uid_prefixes = tuple(ignore_uid_prefixes)
        self.passed_over: Counter[str] = Counter()
        self.security_refusals = 0
        self._stream = _Splitter(protocol, max_event_bytes)
        self._datagrams = 0
        self._last_received: float | None = None

    # ------------------------------------------------------------ input

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        """Decode a chunk (stream) or one datagram; never raises on bad input.

        Parameters
        ----------
        data : bytes
        t_received : float
            When it arrived, UTC epoch s (becomes ``t_received``; the stale check uses it).
        """
        return self._feed(data, t_received)

    def flush(self) -> list[DetectionRecord]:
        """End of a stream: decode what is buffered and report an unfinished event."""
        if self.transport != "stream":
            return []
        return self._records(self._stream.feed(b"", final=True), self._last_received)

    def _feed(self, data: bytes, t_received: float | None) -> list[DetectionRecord]:
        self._last_received = t_received
        if self.transport == "stream":
            return self._records(self._stream.feed(bytes(data)), t_received)
        index = self._datagrams
        self._datagrams += 1
        body = bytes(data).lstrip(_WS)
        if body[:1] == bytes([TAK_MAGIC]) and self.protocol != "xml":
            if body[:3] != MESH_HEADER:
                got = decode_varint(body, 1) if len(body) > 1 else None
                version = got[0] if got else "?"
                self.log.reject(
                    index, f"takproto: not a TAK v1 mesh header (version {version})", "message"
                )
                return []
            return self._records([_Chunk(index, "tak", body[3:])], t_received, index)
        if self.protocol == "takproto":
            self.log.reject(index, "takproto: datagram does not start with 0xBF", "message")
            return []
        split = _Splitter("xml", self.max_event_bytes)
        split.in_datagram = True
        return self._records(split.feed(body, final=True), t_received, index)

    # ------------------------------------------------------------ events

    def _records(
        self, chunks: list[_Chunk], t_received: float | None, index: int = -1
    ) -> list[DetectionRecord]:
        out: list[DetectionRecord] = []
        for ch in chunks:
            where, unit = (index, "message") if index >= 0 else (ch.offset, "byte")
            if ch.kind == "bad":
                self.log.reject(where, ch.data.decode(), unit)  # type: ignore[arg-type]
                continue
            try:
                event = self._tak_event(ch.data) if ch.kind == "tak" else self._xml_event(ch.data)
                rec = self._event_record(event, t_received)
            except _Reject as exc:
                self.log.reject(where, str(exc), unit)  # type: ignore[arg-type]
                continue
            if rec is not None:
                out.append(rec)
                self.log.ok()
        return out

    def _xml_event(self, data: bytes) -> ET.Element:
        try:
            root: ET.Element = DET.fromstring(
                data, forbid_dtd=True, forbid_entities=True, forbid_external=True
            )
            return root
        except defusedxml.DTDForbidden as exc:
            self.security_refusals += 1
            raise _Reject(f"xml-dtd: DTD refused ({exc.name or 'document type'})") from exc
        except defusedxml.EntitiesForbidden as exc:
            self.security_refusals += 1
            raise _Reject(f"xml-entity: entity declaration {exc.name!r} refused") from exc
        except defusedxml.ExternalReferenceForbidden as exc:
            self.security_refusals += 1
            raise _Reject(f"xml-external: external reference {exc.sysid!r} refused") from exc
        except ET.ParseError as exc:
            line, col = exc.position
            raise _Reject(f"xml: not well-formed at line {line}, column {col}") from exc
        except (ValueError, RecursionError) as exc:
            raise _Reject(f"xml: {exc}") from exc

    def _tak_event(self, payload: bytes) -> ET.Element:
        msg = TakMessage()
        try:
            msg.ParseFromString(payload)
        except (DecodeError, RuntimeWarning, ValueError) as exc:
            raise _Reject(f"takproto: not a TakMessage ({exc})") from exc
        if not msg.HasField("cotEvent"):
            if msg.HasField("takControl"):
                return ET.Element("takControl")
            raise _Reject("takproto: TakMessage without cotEvent or takControl")
        try:
            return takmessage_to_event(msg)
        except defusedxml.DefusedXmlException as exc:
            self.security_refusals += 1
            raise _Reject(f"xml-dtd: xmlDetail refused ({type(exc).__name__})") from exc
        except (ET.ParseError, ValueError, OverflowError, OSError) as exc:
            raise _Reject(f"takproto.xmlDetail: {exc}") from exc

    def _event_record(self, ev: ET.Element, t_received: float | None) -> DetectionRecord | None:
        if ev.tag == "takControl":
            self.passed_over["takControl"] += 1
            return None
        if ev.tag != "event":
            raise _Reject(f"event: root element is <{ev.tag[:40]}>, not <event>")
        cot = ev.get("type")
        if not cot or not valid_type(cot):
            raise _Reject(f"event.type: {cot!r} is not a CoT type")
        air = parse_air_type(cot)
        if air is None:
            self.passed_over[cot.split(";", 1)[0]] += 1
            return None
        uid = ev.get("uid")
        if not uid:
            raise _Reject("event.uid: missing")
        for prefix in self.ignore_uid_prefixes:
            if uid.startswith(prefix):
                self.passed_over[f"own:{prefix}"] += 1
                return None
        how = ev.get("how") or ""
        if how[:1] not in ("h", "m"):
            raise _Reject(f"event.how: {how[:20]!r} is neither machine (m-...) nor human (h-...)")
        times = {}
        for name in ("time", "start", "stale"):
            text = ev.get(name)
            if text is None:
                raise _Reject(f"event.{name}: missing")
            try:
                times[name] = parse_time(text)
            except (ValueError, OverflowError, OSError) as exc:
                raise _Reject(f"event.{name}: {exc}") from exc
        if times["stale"] < times["start"]:
            raise _Reject("event.stale: before start")
        if self.reject_stale and t_received is not None and times["stale"] < t_received:
            raise _Reject(
                f"event.stale: stale {t_received - times['stale']:.3f} s before it was received"
            )
        point = ev.find("point")
        if point is None:
            raise _Reject("event.point: missing")
        lat = _number(point, "lat", -90.0, 90.0)
        lon = _number(point, "lon", -180.0, 180.0)
        hae = _number(point, "hae", -math.inf, math.inf)
        ce = _number(point, "ce", 0.0, math.inf)
        le = _number(point, "le", 0.0, math.inf)
        three_d = hae < UNKNOWN_THRESHOLD
        defaulted = False
        if ce >= UNKNOWN_THRESHOLD:
            ce, defaulted = DEFAULT_CE_M[how[0]], True
        if three_d and le >= UNKNOWN_THRESHOLD:
            le, defaulted = DEFAULT_LE_M[how[0]], True
        ce, le = max(ce, MIN_STD_M), max(le, MIN_STD_M)
        identity, cls = air
        rec: DetectionRecord = {
            "t": times["time"],
            "t_received": times["time"] if t_received is None else t_received,
            "sensor": self.sensor,
            "kind": "position" if how[0] == "m" else "sighting",
            "position": {"lat_deg": lat, "lon_deg": lon, "alt_m": hae if three_d else None},
            "std": [ce, ce, le] if three_d else [ce, ce],
            "x_cot_uid": uid,
            "x_cot_type": cot,
            "x_cot_how": how,
            "x_cot_identity": identity.label,
            "x_cot_stale": times["stale"],
        }
        if cls is not None:
            rec["x_cot_class"] = cls.label
        if defaulted:
            rec["x_cot_std_default"] = True
        detail = ev.find("detail")
        if detail is not None:
            contact = detail.find("contact")
            if contact is not None and contact.get("callsign"):
                rec["x_cot_callsign"] = contact.get("callsign")
            track = detail.find("track")
            if track is not None:
                try:
                    rec["x_cot_course_deg"] = _number(track, "course", 0.0, 360.0)
                    rec["x_cot_speed_m_s"] = _number(track, "speed", 0.0, math.inf)
                except _Reject:
                    rec.pop("x_cot_course_deg", None)  # a bad optional detail is ignored
        return rec


class _Reject(Exception):
    """A bad event: the message is the log reason."""


def _number(el: ET.Element, name: str, lo: float, hi: float) -> float:
    text = el.get(name)
    if text is None:
        raise _Reject(f"{el.tag}.{name}: missing")
    try:
        v = float(text)
    except ValueError:
        raise _Reject(f"{el.tag}.{name}: {text[:30]!r} is not a number") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise _Reject(f"{el.tag}.{name}: {text[:30]} is outside [{lo}, {hi}]")
    return v


_PCAP_MAGICS: Final = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)


def read_cot_capture(
    path: str | os.PathLike[str],
    log: DecodeLog | None = None,
    *,
    sensor: str = "cot",
    port: int | None = None,
    protocol: Protocol = "auto",
    ignore_uid_prefixes: tuple[str, ...] = ("dronewall-",),
    chunk_bytes: int = 1 << 16,
) -> Iterator[DetectionRecord]:
    """Detection records of a recorded CoT feed.

    Parameters
    ----------
    path : path
        A pcap/pcapng capture (UDP datagrams, each decoded as one XML event or TAK mesh message,
        received at its capture time; TCP inside captures is not reassembled), or a file of
        concatenated XML events / TAK stream messages (``.cot``, ``.xml``; ``t_received`` is then
        each event's ``time`` and the stale check is off).
    log : DecodeLog, optional
        Receives counts and issues (a new one named after the file otherwise).
    sensor, protocol, ignore_uid_prefixes
        As in :class:`CotDecoder`.
    port : int, optional
        Only UDP datagrams to this destination port (captures only).

    Raises
    ------
    InputError
        The file cannot be opened.
    """
    from dronewall.adapters.pcap import iter_packets, udp_payloads

    name = os.fspath(path)
    log = log if log is not None else DecodeLog(Path(name).name)
    try:
        with open(name, "rb") as fp:
            magic = fp.read(4)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc
    if magic in _PCAP_MAGICS:
        dec = CotDecoder(
            name,
            sensor=sensor,
            transport="datagram",
            protocol=protocol,
            ignore_uid_prefixes=ignore_uid_prefixes,
            log=log,
        )
        for d in udp_payloads(iter_packets(name, log), log):
            if port is None or d.dport == port:
                yield from dec.feed(d.payload, d.t)
        return
    dec = CotDecoder(
        name, sensor=sensor, protocol=protocol, ignore_uid_prefixes=ignore_uid_prefixes, log=log
    )
    try:
        with open(name, "rb") as fp:
            while chunk := fp.read(chunk_bytes):
                yield from dec._feed(chunk, None)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    yield from dec.flush()
