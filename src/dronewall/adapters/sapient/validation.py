"""Validation of SAPIENT (BSI Flex 335 v2.0) messages against the standard's rules.

Protobuf only checks the wire syntax. The standard's own rules are written into the ``.proto``
files as custom options (``sapient_msg/proto_options.proto``), which protobuf carries but never
enforces; this module reads them from the descriptors and checks a parsed message recursively:

``(field_options).is_mandatory``
    a singular field must be present (explicit presence) or, for a proto3 field without
    presence, non-default; a repeated field must have at least one element.
``(field_options).is_uuid``
    an RFC 4122 textual UUID, ``8-4-4-4-12`` hexadecimal digits (node ids).
``(field_options).is_ulid``
    a ULID: 26 characters of Crockford base32 (``0-9 A-Z`` without ``I L O U``), the first
    ``0``-``7`` (128 bits; report, object, task, alert and region ids).
``(oneof_options).is_mandatory``
    one member of the oneof must be set (``SapientMessage.content``, a detection's location ...).
enum values
    an enum field must hold a value its enum declares (proto3 keeps unknown numbers), and a
    mandatory enum must not be its ``*_UNSPECIFIED`` (0) value: "not defined" is not an answer.

and the rules the standard states in words (comments of the ``.proto`` files, the BSI Flex 335
v2.0 text and the Dstl test harness's unit tests), listed in :data:`EXTRA_RULES`:
``icd_version`` names v2.0, ids carried in plain strings (dependent nodes, the object a mobile
node follows) have the id syntax, confidences and rankings are in ``[0, 1]``, the battery
level in ``[0, 100]``, an error message says what the error is, a range is not negative and a
latitude/longitude in degrees or radians is within its range.

:func:`validate` returns the reasons, one per problem, each ``"<path>: <what is wrong>"`` with
``<path>`` the proto field names from the envelope (``detection_report.location.datum``,
``registration.mode_definition[0].task.region_definition``). An empty list means the message
conforms.

:func:`location_issues` is stricter and separate: whether the coordinates of a
:class:`Location` are consistent with the coordinate system it declares (UTM eastings and
northings in their ranges, a UTM zone given). Several of the Dstl harness's *valid* samples
put latitude/longitude (51.17, -1.82) into ``x``/``y`` while declaring
``LOCATION_COORDINATE_SYSTEM_UTM_M``: syntactically conforming, geodetically meaningless (an
easting of 51 m is 450 km west of its zone's central meridian, outside any UTM zone). The
harness accepts them; dronewall accepts the message but will not turn such a location into a
position (see :mod:`dronewall.adapters.sapient.mapping`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from dronewall.adapters.sapient.proto.sapient_msg import proto_options_pb2 as _opts
from dronewall.adapters.sapient.proto.sapient_msg.bsi_flex_335_v2_0 import location_pb2

UUID_RE: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
"""RFC 4122 textual UUID (any version, either case)."""

ULID_RE: Final = re.compile(r"[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}\Z")
"""ULID (https://github.com/ulid/spec): 26 Crockford base32 characters, at most 128 bits."""

ICD_VERSION: Final = "BSI Flex 335 v2.0"
"""The ``Registration.icd_version`` a v2.0 node declares (BSI Flex 335 v2.0; harness samples)."""

_MSG = "sapient_msg.bsi_flex_335_v2_0."


def _in_range(lo: float, hi: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        v = float(value)
        if not math.isfinite(v) or not lo <= v <= hi:
            return f"{value!r} is outside [{lo:g}, {hi:g}]"
        return None

    return check


def _not_negative(value: Any) -> str | None:
    v = float(value)
    return None if math.isfinite(v) and v >= 0 else f"{value!r} is negative or not finite"


def _id_check(regex: re.Pattern[str], what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if regex.match(str(value)) else f"{value!r} is not a {what}"

    return check


def _icd_version(value: Any) -> str | None:
    return None if value == ICD_VERSION else f"{value!r} is not {ICD_VERSION!r}"


_UNIT = _in_range(0.0, 1.0)

EXTRA_RULES: Final[dict[tuple[str, str], tuple[Callable[[Any], str | None], str]]] = {
    # (message full name, field): (check of one value, where the rule is stated)
    (_MSG + "Registration", "icd_version"): (
        _icd_version,
        "BSI Flex 335 v2.0; harness test 0028.Registration.IcdVersion.Wrong",
    ),
    (_MSG + "Registration", "dependent_nodes"): (
        _id_check(UUID_RE, "UUID"),
        "dependent (child) nodes are node ids, UUIDs; harness tests 0096, 0189",
    ),
    (_MSG + "FollowObject", "follow_object_id"): (
        _id_check(ULID_RE, "ULID"),
        "the object_id of a detection, a ULID; harness test 0178",
    ),
    (_MSG + "DetectionReport", "detection_confidence"): (_UNIT, "proto comment: 0-1"),
    (_MSG + "DetectionReport.DetectionReportClassification", "confidence"): (
        _UNIT,
        "proto comment: 0-1",
    ),
    (_MSG + "DetectionReport.SubClass", "confidence"): (_UNIT, "proto comment: 0-1"),
    (_MSG + "DetectionReport.Behaviour", "confidence"): (_UNIT, "proto comment: 0-1"),
    (_MSG + "Alert", "ranking"): (_UNIT, "proto comment: 0-1"),
    (_MSG + "Alert", "confidence"): (_UNIT, "proto comment: 0-1"),
    (_MSG + "StatusReport.Power", "level"): (
        _in_range(0.0, 100.0),
        "proto comment: battery level 0-100",
    ),
    (_MSG + "RangeBearing", "range"): (_not_negative, "a range from the node's location"),
    (_MSG + "RangeBearingCone", "range"): (_not_negative, "a range from the node's location"),
}
"""Rules the standard states in words, per field, with where each is stated."""

REQUIRED_BY_HARNESS: Final = {
    # (message, field) required although the .proto does not mark it is_mandatory
    (_MSG + "Error", "error_message"): "the description of the error; harness tests 0170, 0171",
    (_MSG + "Registration.TaskDefinition", "concurrent_tasks"): (
        "harness test 0074 rejects a task definition without it (its valid samples send 0 or 1)"
    ),
}
"""Fields the Dstl harness requires although the ``.proto`` options do not say so."""

_LATLON_DEG = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
_LATLON_RAD = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M
_UTM = location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M


def _options(opts: Any, ext: Any) -> Any:
    return opts.Extensions[ext] if opts.HasExtension(ext) else None


def _enum_problem(enum: EnumDescriptor, value: int, mandatory: bool) -> str | None:
    if value not in enum.values_by_number:
        return f"{value} is not a value of {enum.name}"
    if mandatory and value == 0:
        return f"mandatory field is {enum.values_by_number[0].name}"
    return None


def _present(msg: Message, fd: FieldDescriptor) -> bool:
    if fd.is_repeated:
        return len(getattr(msg, fd.name)) > 0
    if fd.has_presence:
        return bool(msg.HasField(fd.name))
    return bool(getattr(msg, fd.name))  # proto3 implicit presence: default means "not sent"


@dataclass(frozen=True, slots=True)
class _FieldRule:
    fd: FieldDescriptor
    mandatory: bool
    uuid: bool
    ulid: bool
    repeated: bool
    required_by_harness: str | None
    extra: Callable[[Any], str | None] | None


_PLANS: dict[str, tuple[list[tuple[str, str]], list[_FieldRule]]] = {}


def _plan(desc: Descriptor) -> tuple[list[tuple[str, str]], list[_FieldRule]]:
    """The options of a message type, read once (reading options per message is slow)."""
    plan = _PLANS.get(desc.full_name)
    if plan is not None:
        return plan
    oneofs = []
    for oneof in desc.oneofs:
        oo = _options(oneof.GetOptions(), _opts.oneof_options)
        if oo is not None and oo.is_mandatory:
            oneofs.append((oneof.name, ", ".join(f.name for f in oneof.fields)))
    rules = []
    for fd in desc.fields:
        fo = _options(fd.GetOptions(), _opts.field_options)
        extra = EXTRA_RULES.get((desc.full_name, fd.name))
        rules.append(
            _FieldRule(
                fd,
                bool(fo is not None and fo.is_mandatory),
                bool(fo is not None and fo.is_uuid),
                bool(fo is not None and fo.is_ulid),
                bool(fd.is_repeated),
                REQUIRED_BY_HARNESS.get((desc.full_name, fd.name)),
                None if extra is None else extra[0],
            )
        )
    _PLANS[desc.full_name] = plan = (oneofs, rules)
    return plan


def _check(msg: Message, path: str, out: list[str]) -> None:
    desc: Descriptor = msg.DESCRIPTOR
    prefix = f"{path}." if path else ""
    oneofs, rules = _plan(desc)
    for oneof_name, members in oneofs:
        if msg.WhichOneof(oneof_name) is None:
            out.append(f"{prefix}{oneof_name}: mandatory, one of {members} must be set")
    for rule in rules:
        fd = rule.fd
        name = prefix + fd.name
        mandatory, repeated = rule.mandatory, rule.repeated
        if not _present(msg, fd):
            if mandatory:
                out.append(
                    f"{name}: mandatory field is empty"
                    if repeated
                    else f"{name}: mandatory field missing"
                )
            elif rule.required_by_harness is not None:
                why = rule.required_by_harness
                out.append(
                    f"{name}: required field {'is empty' if repeated else 'missing'} ({why})"
                )
            continue
        value = getattr(msg, fd.name)
        items = list(value) if repeated else [value]
        for i, item in enumerate(items):
            where = f"{name}[{i}]" if repeated else name
            if fd.type == FieldDescriptor.TYPE_MESSAGE:
                _check(item, where, out)
                continue
            if fd.type == FieldDescriptor.TYPE_ENUM:
                problem = _enum_problem(fd.enum_type, int(item), mandatory)
                if problem:
                    out.append(f"{where}: {problem}")
                continue
            if fd.type == FieldDescriptor.TYPE_STRING and mandatory and not item:
                out.append(f"{where}: mandatory field is an empty string")
                continue
            if rule.uuid and not UUID_RE.match(item):
                out.append(f"{where}: {item!r} is not a UUID (is_uuid)")
            if rule.ulid and not ULID_RE.match(item):
                out.append(f"{where}: {item!r} is not a ULID (is_ulid)")
            if rule.extra is not None:
                problem = rule.extra(item)
                if problem:
                    out.append(f"{where}: {problem}")
    if desc.full_name == _MSG + "Location":
        out.extend(_latlon_ranges(msg, path))


def _latlon_ranges(loc: Any, path: str) -> list[str]:
    """Latitude (``y``) and longitude (``x``) of a geographic location within their ranges."""
    cs = loc.coordinate_system
    if cs not in (_LATLON_DEG, _LATLON_RAD):
        return []
    half = 90.0 if cs == _LATLON_DEG else math.pi / 2
    out = []
    if not (math.isfinite(loc.y) and -half <= loc.y <= half):
        out.append(f"{path}.y: latitude {loc.y!r} is outside [{-half:g}, {half:g}]")
    if not (math.isfinite(loc.x) and -2 * half <= loc.x <= 2 * half):
        out.append(f"{path}.x: longitude {loc.x!r} is outside [{-2 * half:g}, {2 * half:g}]")
    return out


def validate(msg: Message) -> list[str]:
    """The ways ``msg`` breaks the rules of BSI Flex 335 v2.0; empty if it conforms.

    Parameters
    ----------
    msg : SapientMessage (or any message of the ``sapient_msg.bsi_flex_335_v2_0`` package)
        A parsed message. Presence is judged from the parsed message: a field sent with its
        default value is present only for fields with explicit presence (``optional``).

    Returns
    -------
    list of str
        ``"<path>: <reason>"`` per problem, paths from the message given
        (``detection_report.object_id: '01GG' is not a ULID (is_ulid)``).
    """
    out: list[str] = []
    _check(msg, "", out)
    return out


UTM_EASTING_M: Final = (100_000.0, 900_000.0)
"""Plausible UTM eastings, m: a zone is 6° wide, at most ~334 km either side of the 500 km false
easting at the equator; 100-900 km leaves room for the adjacent-zone reporting the standard
allows (``Location.utm_zone``)."""

UTM_NORTHING_M: Final = (0.0, 10_000_000.0)
"""UTM northings, m: 0 at the equator (north) to 10,000 km (false northing in the south)."""

_ZONE_RE: Final = re.compile(r"(\d{1,2})\s*([C-HJ-NP-Xc-hj-np-x])?\Z")


def parse_utm_zone(zone: str) -> tuple[int, bool] | None:
    """``"30U"`` -> ``(30, True)``: the zone number and whether it is north of the equator.

    The letter is the latitude band (``C``-``X`` without ``I`` and ``O``; ``C``-``M`` south of
    the equator, ``N``-``X`` north), as in the harness samples (``30U``) and the standard's
    example ``30N`` (registration.proto, ``LocationType.zone``). ``S`` is therefore the band
    32-40°N, not "south". A zone without a letter is taken as north. ``None`` if not a zone.
    """
    m = _ZONE_RE.match(zone.strip())
    if not m:
        return None
    number = int(m.group(1))
    if not 1 <= number <= 60:
        return None
    return number, (m.group(2) or "N").upper() >= "N"


def location_issues(loc: Any, path: str = "location") -> list[str]:
    """Whether a :class:`Location`'s coordinates fit the coordinate system it declares.

    Stricter than :func:`validate`: a UTM location needs a zone (``utm_zone``: the standard
    gives no other place for it in a detection) and an easting and northing within
    :data:`UTM_EASTING_M` and :data:`UTM_NORTHING_M`; a value that would be a plausible
    latitude/longitude is named as such in the reason.
    """
    out: list[str] = []
    if loc.coordinate_system != _UTM:
        return _latlon_ranges(loc, path)
    if not loc.utm_zone or parse_utm_zone(loc.utm_zone) is None:
        out.append(f"{path}.utm_zone: UTM location without a valid zone ({loc.utm_zone!r})")
    x, y = loc.x, loc.y
    if not (math.isfinite(x) and UTM_EASTING_M[0] <= x <= UTM_EASTING_M[1]):
        hint = ""
        if abs(x) <= 90 and abs(y) <= 180:
            hint = (
                f"; x={x!r}, y={y!r} look like latitude/longitude in degrees declared as "
                "LOCATION_COORDINATE_SYSTEM_UTM_M"
            )
        out.append(
            f"{path}.x: UTM easting {x!r} m is outside [{UTM_EASTING_M[0]:g}, "
            f"{UTM_EASTING_M[1]:g}] m{hint}"
        )
    if not (math.isfinite(y) and UTM_NORTHING_M[0] <= y <= UTM_NORTHING_M[1]):
        out.append(
            f"{path}.y: UTM northing {y!r} m is outside [{UTM_NORTHING_M[0]:g}, "
            f"{UTM_NORTHING_M[1]:g}] m"
        )
    return out
