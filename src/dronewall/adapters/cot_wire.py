"""Cursor on Target wire details shared by the exporter, the decoder and the sender.

What lives here
---------------
* The **type mapping** between dronewall's vocabulary (:class:`~dronewall.core.taxonomy.Identity`,
  :class:`~dronewall.core.taxonomy.ObjectClass`) and the CoT ``type`` attribute
  ``a-<affiliation>-A[-<MIL-STD-2525B function>]`` (MITRE CoT Base-Event 2.0 schema, ``type``
  attribute documentation; the affiliation letters ``p u a f n s h j k o`` and the battle
  dimension ``A`` = Air are from ``types.txt``, the CoT type tree).
* **Times**: CoT ``time``/``start``/``stale`` are ``xs:dateTime`` in UTC
  (``2002-10-05T17:01:14.00Z``, any number of fractional digits); TAK protobuf carries them as
  milliseconds since the epoch (``cotevent.proto`` fields 6-8).
* **Numbers**: ``point`` and ``track`` attributes are ``xs:decimal`` (no exponent, no NaN): every
  number is written in fixed notation.
* **TAK Protocol version 1** framing (TAK ``takproto/README.md``): *mesh* (UDP) messages are
  ``0xBF 0x01 0xBF <TakMessage>``; *stream* (TCP) messages are ``0xBF <varint length>
  <TakMessage>``, the varint being the unsigned protobuf varint (7 bits per byte, least
  significant group first, high bit = more bytes follow, at most 10 bytes).
* The conversion between a CoT XML ``<event>`` element and a ``TakMessage`` following the rules of
  ``detail.proto``: a ``<detail>`` child becomes a strongly typed message (``contact``, ``__group``,
  ``precisionlocation``, ``status``, ``takv``, ``track``) only when the *whole* element fits it
  (one occurrence, only the message's attributes, all of them present, no children or text);
  everything else goes, serialised, into ``xmlDetail``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Final, Literal

import defusedxml.ElementTree as DET  # type: ignore[import-untyped, unused-ignore]
from takproto.proto import TakMessage

from dronewall.core.taxonomy import Identity, ObjectClass

Framing = Literal["mesh", "stream"]

UNKNOWN_VALUE: Final = 9999999.0
"""The CoT "unknown" value of ``hae``, ``ce`` and ``le`` (MITRE examples and ATAK write 9999999;
``cotevent.proto`` says 999999)."""

UNKNOWN_THRESHOLD: Final = 999999.0
"""Values at or above this are read as unknown (covers both spellings above)."""

TAK_MAGIC: Final = 0xBF
MESH_HEADER: Final = b"\xbf\x01\xbf"
MAX_VARINT_BYTES: Final = 10

#: Standard identity -> CoT affiliation letter (Base-Event schema, ``type`` documentation).
AFFILIATION: Final[dict[Identity, str]] = {
    Identity.PENDING: "p",
    Identity.UNKNOWN: "u",
    Identity.ASSUMED_FRIEND: "a",
    Identity.FRIEND: "f",
    Identity.NEUTRAL: "n",
    Identity.SUSPECT: "s",
    Identity.HOSTILE: "h",
}

#: CoT affiliation letter -> standard identity when reading. Joker (``j``, a friend playing a
#: suspect in an exercise) and faker (``k``, a friend playing a hostile) are read as what they
#: show; none specified (``o``) and other (``x``, deprecated) as unknown.
IDENTITY_OF_AFFILIATION: Final[dict[str, Identity]] = {
    **{v: k for k, v in AFFILIATION.items()},
    "j": Identity.SUSPECT,
    "k": Identity.HOSTILE,
    "o": Identity.UNKNOWN,
    "x": Identity.UNKNOWN,
}

#: Object class -> MIL-STD-2525B air function, in CoT form (upper case, ``-`` between
#: characters), appended to ``a-<aff>-A``. Empty: the generic air track ``a-<aff>-A``.
#:
#: * quadcopter, FPV: ``M-H-Q`` rotary-wing drone (2525B has drones only under *military*
#:   aircraft; there is no civil UAV code, so a neutral quadcopter is ``a-n-A-M-H-Q``);
#: * fixed-wing UAV: ``M-F-Q`` fixed-wing drone (RPV/UAV);
#: * loitering munition: ``W-M`` weapon, missile in flight (it is a munition; choose
#:   ``M-F-Q`` through ``class_functions`` if your operators prefer the drone symbol);
#: * decoy: ``W-D`` weapon, decoy;
#: * light aircraft, airliner: ``C-F`` civil fixed wing;
#: * bird, clutter: no 2525 code exists; the generic air track ``a-<aff>-A`` so that every TAK
#:   client draws it; the class is in the remarks and the ``<dronewall>`` detail.
CLASS_FUNCTION: Final[dict[ObjectClass, str]] = {
    ObjectClass.QUADCOPTER: "M-H-Q",
    ObjectClass.FPV: "M-H-Q",
    ObjectClass.FIXED_WING: "M-F-Q",
    ObjectClass.LOITERING_MUNITION: "W-M",
    ObjectClass.DECOY: "W-D",
    ObjectClass.BIRD: "",
    ObjectClass.LIGHT_AIRCRAFT: "C-F",
    ObjectClass.AIRLINER: "C-F",
    ObjectClass.CLUTTER: "",
}

#: Air function (prefix) -> the class it is read as (the most specific prefix wins).
CLASS_OF_FUNCTION: Final[dict[str, ObjectClass]] = {
    "M-H-Q": ObjectClass.QUADCOPTER,
    "M-F-Q": ObjectClass.FIXED_WING,
    "W-M": ObjectClass.LOITERING_MUNITION,
    "W-D": ObjectClass.DECOY,
    "C-F": ObjectClass.LIGHT_AIRCRAFT,
}

_TYPE_RE: Final = re.compile(r"^\w+(-\w+)*$")


def cot_type(
    identity: Identity | None,
    object_class: ObjectClass | None,
    functions: dict[ObjectClass, str] | None = None,
) -> str:
    """The CoT type of an air object.

    Parameters
    ----------
    identity : Identity or None
        ``None`` (not assessed) gives ``p`` (pending: not yet evaluated).
    object_class : ObjectClass or None
        ``None`` (class not decided) gives the generic air track.
    functions : dict, optional
        Overrides of :data:`CLASS_FUNCTION`.

    Returns
    -------
    str
        ``a-<affiliation>-A[-<function>]``, e.g. ``a-h-A-M-H-Q``.
    """
    aff = AFFILIATION[identity] if identity is not None else "p"
    fn = ""
    if object_class is not None:
        fn = (functions or {}).get(object_class, CLASS_FUNCTION[object_class])
    return f"a-{aff}-A" + (f"-{fn}" if fn else "")


def parse_air_type(cot: str) -> tuple[Identity, ObjectClass | None] | None:
    """Identity and class of an air-atom type (``a-<aff>-A...``), ``None`` for any other type.

    The optional ``;...`` tail of the type (Base-Event schema) is ignored.
    """
    parts = cot.split(";", 1)[0].split("-")
    if len(parts) < 3 or parts[0] != "a" or parts[2] != "A":
        return None
    ident = IDENTITY_OF_AFFILIATION.get(parts[1], Identity.UNKNOWN)
    fn = "-".join(parts[3:])
    cls = None
    for prefix, c in sorted(CLASS_OF_FUNCTION.items(), key=lambda kv: -len(kv[0])):
        if fn == prefix or fn.startswith(prefix + "-"):
            cls = c
            break
    return ident, cls


def valid_type(cot: str) -> bool:
    """Whether ``cot`` (without its ``;`` tail) has the Base-Event pattern ``\\w+(-\\w+)*``."""
    return bool(_TYPE_RE.match(cot.split(";", 1)[0]))


# ------------------------------------------------------------------ times and numbers


def format_time(t: float) -> str:
    """UTC epoch seconds -> ``2025-11-04T20:00:00.250Z`` (millisecond resolution)."""
    dt = datetime.fromtimestamp(round(t, 3), UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    """``xs:dateTime`` -> UTC epoch seconds.

    A time without an offset is read as UTC (CoT times are UTC by definition,
    ``CCYY-MM-DDThh:mm:ss.ssZ``). Fractional digits beyond microseconds are dropped.

    Raises
    ------
    ValueError
        Not a date-time.
    """
    s = text.strip()
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$", s)
    if m is None:
        raise ValueError(f"{text[:40]!r} is not an xs:dateTime")
    frac = (m.group(2) or "")[:7]
    dt = datetime.fromisoformat(m.group(1) + frac + (m.group(3) or "Z").replace("Z", "+00:00"))
    return dt.timestamp()


def decimal(value: float, digits: int) -> str:
    """``value`` in fixed notation with ``digits`` decimals (an ``xs:decimal``; finite only)."""
    text = f"{value:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0.0 else text


# ------------------------------------------------------------------ TAK protocol framing


def encode_varint(n: int) -> bytes:
    """Unsigned protobuf varint of ``0 <= n < 2**63``."""
    if n < 0:
        raise ValueError("a varint must be >= 0")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def decode_varint(buf: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """``(value, next position)`` of the varint at ``pos``; ``None`` when it is not complete yet.

    Raises
    ------
    ValueError
        Longer than :data:`MAX_VARINT_BYTES`.
    """
    n = shift = 0
    for k in range(MAX_VARINT_BYTES):
        if pos + k >= len(buf):
            return None
        b = buf[pos + k]
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, pos + k + 1
        shift += 7
    raise ValueError(f"varint longer than {MAX_VARINT_BYTES} bytes")


def frame_takmessage(payload: bytes, framing: Framing) -> bytes:
    """Wrap a serialised ``TakMessage``: mesh ``BF 01 BF`` header or stream ``BF <varint len>``."""
    if framing == "mesh":
        return MESH_HEADER + payload
    if framing == "stream":
        return bytes([TAK_MAGIC]) + encode_varint(len(payload)) + payload
    raise ValueError(f"framing must be 'mesh' or 'stream', got {framing!r}")


# ------------------------------------------------------------------ XML <-> TakMessage

#: detail child -> (protobuf field of Detail, attributes in the message, optional attributes)
_STRONG: Final[dict[str, tuple[str, tuple[str, ...], frozenset[str]]]] = {
    "contact": ("contact", ("endpoint", "callsign"), frozenset({"endpoint"})),
    "__group": ("group", ("name", "role"), frozenset()),
    "precisionlocation": ("precisionLocation", ("geopointsrc", "altsrc"), frozenset()),
    "status": ("status", ("battery",), frozenset()),
    "takv": ("takv", ("device", "platform", "os", "version"), frozenset()),
    "track": ("track", ("speed", "course"), frozenset()),
}
_NUMERIC: Final = {("status", "battery"), ("track", "speed"), ("track", "course")}


def _ms(text: str | None) -> int:
    return 0 if text is None else round(parse_time(text) * 1000.0)


def event_to_takmessage(event: ET.Element) -> TakMessage:
    """A CoT ``<event>`` element as a TAK Protocol v1 ``TakMessage`` (``cotEvent`` filled).

    Raises
    ------
    ValueError
        A time or a point attribute is not a number/date.
    """
    msg = TakMessage()
    ev = msg.cotEvent
    for name in ("type", "access", "qos", "opex", "uid", "how"):
        value = event.get(name)
        if value:
            setattr(ev, name, value)
    ev.sendTime = _ms(event.get("time"))
    ev.startTime = _ms(event.get("start"))
    ev.staleTime = _ms(event.get("stale"))
    point = event.find("point")
    if point is not None:
        for name in ("lat", "lon", "hae", "ce", "le"):
            setattr(ev, name, float(point.get(name, UNKNOWN_VALUE)))
    detail = event.find("detail")
    if detail is None:
        return msg
    ev.detail.SetInParent()  # <detail> present, even when empty
    rest: list[ET.Element] = []
    children = list(detail)
    for child in children:
        spec = _STRONG.get(child.tag)
        if spec is None or not _fits(child, spec, children):
            rest.append(child)
            continue
        field, names, _ = spec
        sub = getattr(ev.detail, field)
        for name in names:
            value = child.get(name)
            if value is None:
                continue
            if (child.tag, name) in _NUMERIC:
                setattr(sub, name, int(value) if name == "battery" else float(value))
            else:
                setattr(sub, name, value)
    if rest:
        ev.detail.xmlDetail = "".join(ET.tostring(c, encoding="unicode").strip() for c in rest)
    return msg


def _fits(
    child: ET.Element, spec: tuple[str, tuple[str, ...], frozenset[str]], siblings: list[ET.Element]
) -> bool:
    _, names, optional = spec
    if (
        sum(1 for s in siblings if s.tag == child.tag) != 1
        or len(child)
        or (child.text or "").strip()
    ):
        return False
    attrs = set(child.attrib)
    if not attrs <= set(names) or not (set(names) - optional) <= attrs:
        return False
    try:
        for name in attrs:
            if (child.tag, name) in _NUMERIC:
                v = child.get(name, "")
                if name == "battery":
                    if not 0 <= int(v) < 2**32:
                        return False
                elif not math.isfinite(float(v)):
                    return False
    except ValueError:
        return False
    return True


def _num(value: float) -> str:
    return repr(float(value))


def takmessage_to_event(msg: TakMessage) -> ET.Element:
    """The CoT ``<event>`` element of a ``TakMessage``'s ``cotEvent`` (``detail.proto`` receiver
    rules: ``xmlDetail`` parsed with defusedxml, strongly typed messages merged in unless the same
    element is already in ``xmlDetail``).

    Raises
    ------
    ValueError
        No ``cotEvent``; ``xmlDetail`` that is not well-formed or is refused by defusedxml.
    """
    if not msg.HasField("cotEvent"):
        raise ValueError("TakMessage without cotEvent")
    ev = msg.cotEvent
    event = ET.Element("event", {"version": "2.0"})
    for name in ("uid", "type", "access", "qos", "opex", "how"):
        value = getattr(ev, name)
        if value:
            event.set(name, value)
    for name, field in (("time", "sendTime"), ("start", "startTime"), ("stale", "staleTime")):
        ms = getattr(ev, field)
        if ms:
            event.set(name, format_time(ms / 1000.0))
    ET.SubElement(
        event, "point", {n: _num(getattr(ev, n)) for n in ("lat", "lon", "hae", "ce", "le")}
    )
    if ev.HasField("detail"):
        d = ev.detail
        if d.xmlDetail:
            detail = DET.fromstring(
                "<detail>" + d.xmlDetail + "</detail>",
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
            )
        else:
            detail = ET.Element("detail")
        present = {c.tag for c in detail}
        for tag, (field, names, _) in _STRONG.items():
            if tag in present or not d.HasField(field):
                continue
            sub = getattr(d, field)
            attrs = {}
            for name in names:
                value = getattr(sub, name)
                if (tag, name) in _NUMERIC:
                    attrs[name] = str(value) if name == "battery" else _num(value)
                elif value:
                    attrs[name] = value
            ET.SubElement(detail, tag, attrs)
        event.append(detail)
    return event
