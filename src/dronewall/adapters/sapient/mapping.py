"""SAPIENT detection reports -> dronewall detection records; the node table.

Data layout: one :class:`NodeState` per SAPIENT node id (UUID) holds what the node said about
itself (registration, latest status report with its WGS84 position, alerts); a detection
report of that node becomes one detection record (``docs/formats/detections.md``):

``DetectionReport.location`` (BSI Flex 335 v2.0, ``location.proto``)
    ``kind: position`` in WGS84. ``LAT_LNG_DEG_M``: ``x`` longitude, ``y`` latitude (degrees);
    ``LAT_LNG_RAD_M`` the same in radians; ``UTM_M``: easting ``x``, northing ``y`` in metres
    in ``utm_zone`` (converted with pyproj). ``z`` is the height in metres: above the WGS84
    ellipsoid for ``LOCATION_DATUM_WGS84_E`` (kept as ``alt_m``); above the geoid for
    ``WGS84_G``, which dronewall cannot convert without a geoid grid (the pyproj wheel ships
    none): the position is then 2-D and the height is kept in ``x_alt_geoid_m``. Noise: the
    ``x_error``/``y_error``/``z_error`` fields, read as one standard deviation (the standard
    does not name the statistic: an assumption) and converted to metres; absent errors take
    :data:`DEFAULT_POSITION_STD_M`.
``DetectionReport.range_bearing`` (``range_bearing.proto``)
    ``kind: polar`` when ``range`` is given, ``kind: bearing`` otherwise; angles converted to
    degrees, range to metres, from the node position of its latest status report
    (``sensor_pos``). Azimuth datum: ``TRUE`` as is; ``GRID`` (UTM grid north) turned to true
    north by the meridian convergence at the node; ``MAGNETIC`` and ``PLATFORM`` are refused
    (no declination model, no platform heading). Noise from the ``*_error`` fields (one
    standard deviation, assumed) or :data:`DEFAULT_RANGE_STD_M` /
    :data:`DEFAULT_ANGLE_STD_DEG`.

Kept as vendor keys: ``x_object_id`` (the object's ULID), ``x_report_id``, ``x_node_id``,
``x_confidence`` (``detection_confidence``, 0-1), ``x_class`` / ``x_class_confidence`` (the most
confident classification), ``x_classification`` (every ``[type, confidence]``), ``x_ident_text``
(``DetectionReport.id``, e.g. a tail number), ``x_velocity_enu`` (``enu_velocity``, in the units
the node registered), ``x_state``.

Time: ``t`` is the envelope's ``timestamp`` (the standard has no separate measurement time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from pyproj import Proj, Transformer

from dronewall.adapters.base import DetectionRecord
from dronewall.adapters.sapient.proto.sapient_msg.bsi_flex_335_v2_0 import (
    location_pb2,
    range_bearing_pb2,
    sapient_message_pb2,
)
from dronewall.adapters.sapient.validation import location_issues, parse_utm_zone

SapientMessage = sapient_message_pb2.SapientMessage

DEFAULT_POSITION_STD_M: Final = (50.0, 50.0, 50.0)
"""Noise (east, north, up; m) of a located detection without error fields. ASSUMPTION: the
standard gives no default; 50 m is a deliberately loose figure for an unknown C-UAS fusion node
output, so that such a report cannot dominate better-characterised sensors."""

DEFAULT_RANGE_STD_M: Final = 25.0
"""Range noise without ``range_error``. ASSUMPTION (no figure in the standard)."""

DEFAULT_ANGLE_STD_DEG: Final = 2.0
"""Azimuth/elevation noise without ``*_error``. ASSUMPTION (no figure in the standard); a
typical order for drone RF direction finders and pan-tilt EO/IR."""

_WGS84_A: Final = 6_378_137.0  # WGS84 semi-major axis, m (NIMA TR8350.2)
_WGS84_E2: Final = 6.694_379_990_14e-3  # WGS84 first eccentricity squared

_LL_DEG = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
_LL_RAD = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M
_UTM = location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M
_DATUM_E = location_pb2.LOCATION_DATUM_WGS84_E
_DATUM_G = location_pb2.LOCATION_DATUM_WGS84_G


class MappingError(ValueError):
    """A valid message that cannot become a detection record; ``str()`` is the reason."""


@dataclass(frozen=True, slots=True)
class Wgs84Fix:
    """A converted :class:`Location`: degrees, ellipsoidal metres, noise (east, north, up) m."""

    lat_deg: float
    lon_deg: float
    alt_m: float | None
    std_enu_m: tuple[float, ...]
    alt_geoid_m: float | None = None
    utm_zone: int | None = None


@dataclass
class NodeState:
    """What one SAPIENT node has told us (kept by the decoder and the server).

    Attributes
    ----------
    node_id : str
        The node's UUID.
    registered : bool
        A valid registration was received (and, on the server, acknowledged).
    name, short_name, icd_version : str
        From the registration.
    node_types : list of str
        ``NodeType`` names of its node definitions (``NODE_TYPE_RADAR`` ...).
    position : Wgs84Fix or None
        Latest usable ``StatusReport.node_location``.
    system, mode : str
        Latest ``StatusReport.system`` name (``SYSTEM_OK`` ...) and mode.
    t_status : float
        UTC epoch seconds of the latest status report (NaN before the first).
    status, coverage, field_of_view : list
        The latest status report's ``status`` entries, ``coverage`` and ``field_of_view`` as
        protobuf messages.
    position_issue : str
        Why the latest ``node_location`` could not be used ("" if it could).
    """

    node_id: str
    registered: bool = False
    name: str = ""
    short_name: str = ""
    icd_version: str = ""
    node_types: list[str] = field(default_factory=list)
    position: Wgs84Fix | None = None
    position_issue: str = ""
    system: str = ""
    mode: str = ""
    t_status: float = math.nan
    status: list[Any] = field(default_factory=list)
    coverage: list[Any] = field(default_factory=list)
    field_of_view: Any = None
    registration: Any = None
    messages: int = 0
    detections: int = 0
    rejected: int = 0

    def apply_registration(self, reg: Any) -> None:
        """Take the node's description from a valid ``Registration``."""
        self.registered = True
        self.registration = reg
        self.name = reg.name
        self.short_name = reg.short_name
        self.icd_version = reg.icd_version
        types = reg.DESCRIPTOR.nested_types_by_name["NodeDefinition"].fields_by_name["node_type"]
        self.node_types = [
            types.enum_type.values_by_number[d.node_type].name for d in reg.node_definition
        ]

    def apply_status(self, status: Any, t: float) -> None:
        """Take health, mode, location and coverage from a valid ``StatusReport``."""
        self.t_status = t
        self.system = (
            status.DESCRIPTOR.fields_by_name["system"]
            .enum_type.values_by_number[status.system]
            .name
        )
        self.mode = status.mode
        self.status = list(status.status)
        self.coverage = list(status.coverage)
        self.field_of_view = status.field_of_view if status.HasField("field_of_view") else None
        if status.HasField("node_location"):
            try:
                self.position = location_to_wgs84(status.node_location, "node_location")
                self.position_issue = ""
            except MappingError as exc:
                self.position_issue = str(exc)


def timestamp_s(msg: Any) -> float:
    """The envelope ``timestamp`` as UTC epoch seconds."""
    ts = msg.timestamp
    return float(ts.seconds) + float(ts.nanos) * 1e-9


@cache
def _utm_to_lonlat(zone: int, north: bool) -> Transformer:
    epsg = (32600 if north else 32700) + zone  # WGS 84 / UTM zone zz N|S
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _metres_per_degree(lat_deg: float) -> tuple[float, float]:
    """(east, north) metres per degree of longitude / latitude on the WGS84 ellipsoid."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _WGS84_E2 * s * s)
    n_radius = _WGS84_A / w  # prime vertical radius of curvature
    m_radius = _WGS84_A * (1.0 - _WGS84_E2) / w**3  # meridional radius of curvature
    k = math.pi / 180.0
    return n_radius * math.cos(math.radians(lat_deg)) * k, m_radius * k


def _err(loc: Any, name: str) -> float | None:
    if not loc.HasField(name):
        return None
    v = abs(float(getattr(loc, name)))
    return v if math.isfinite(v) else None


def location_to_wgs84(loc: Any, path: str = "location") -> Wgs84Fix:
    """Convert a SAPIENT ``Location`` to WGS84 degrees and ellipsoidal metres.

    Raises :class:`MappingError` with the reason (from
    :func:`~dronewall.adapters.sapient.validation.location_issues`) when the coordinates do
    not fit the declared coordinate system, or the system/datum is unspecified.
    """
    issues = location_issues(loc, path)
    if issues:
        raise MappingError("; ".join(issues))
    cs = loc.coordinate_system
    ex, ey, ez = _err(loc, "x_error"), _err(loc, "y_error"), _err(loc, "z_error")
    if cs == _UTM:
        zone = parse_utm_zone(loc.utm_zone)
        assert zone is not None  # location_issues checked it
        lon, lat = _utm_to_lonlat(*zone).transform(loc.x, loc.y)
        std_e, std_n = ex, ey
        utm_zone: int | None = zone[0]
    elif cs in (_LL_DEG, _LL_RAD):
        scale = 1.0 if cs == _LL_DEG else 180.0 / math.pi
        lon, lat = loc.x * scale, loc.y * scale
        m_e, m_n = _metres_per_degree(lat)
        std_e = None if ex is None else ex * scale * m_e
        std_n = None if ey is None else ey * scale * m_n
        utm_zone = None
    else:
        raise MappingError(f"{path}.coordinate_system: unspecified coordinate system")
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise MappingError(f"{path}: coordinates do not convert to WGS84 ({loc.x}, {loc.y})")
    if loc.datum not in (_DATUM_E, _DATUM_G):
        raise MappingError(f"{path}.datum: unspecified datum")
    d_e, d_n, d_u = DEFAULT_POSITION_STD_M
    horiz = (d_e if std_e is None else std_e, d_n if std_n is None else std_n)
    if not loc.HasField("z"):
        return Wgs84Fix(lat, lon, None, horiz, utm_zone=utm_zone)
    if loc.datum == _DATUM_G:
        return Wgs84Fix(lat, lon, None, horiz, alt_geoid_m=float(loc.z), utm_zone=utm_zone)
    return Wgs84Fix(lat, lon, float(loc.z), (*horiz, d_u if ez is None else ez), utm_zone)


_RB_DEG_M = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
_RB_RAD_M = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M
_RB_DEG_KM = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_KM
_RB_RAD_KM = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM
_RB_UNITS: Final = {  # coordinate system -> (degrees per angle unit, metres per range unit)
    _RB_DEG_M: (1.0, 1.0),
    _RB_RAD_M: (180.0 / math.pi, 1.0),
    _RB_DEG_KM: (1.0, 1000.0),
    _RB_RAD_KM: (180.0 / math.pi, 1000.0),
}


def grid_convergence_deg(lat_deg: float, lon_deg: float, zone: int | None = None) -> float:
    """UTM meridian convergence at a point, degrees: true azimuth = grid azimuth + this.

    ``zone`` defaults to the standard zone of ``lon_deg``. pyproj's ``meridian_convergence``
    is the angle from true north to grid north, positive east of the central meridian in the
    northern hemisphere, so a grid bearing is turned to true by adding it.
    """
    if zone is None:
        zone = min(60, max(1, int((lon_deg + 180.0) // 6.0) + 1))
    proj = Proj(proj="utm", zone=zone, ellps="WGS84", south=lat_deg < 0)
    return float(proj.get_factors(lon_deg, lat_deg).meridian_convergence)


def _sensor_pos(node: NodeState | None) -> dict[str, Any]:
    if node is None or node.position is None:
        why = f" ({node.position_issue})" if node is not None and node.position_issue else ""
        raise MappingError(
            "range_bearing: node position unknown; a status report with a usable "
            f"node_location must come first{why}"
        )
    p = node.position
    return {"lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "alt_m": p.alt_m}


def detection_record(
    env: Any, node: NodeState | None, t_received: float | None = None
) -> DetectionRecord:
    """One detection record from a valid ``SapientMessage`` carrying a ``detection_report``.

    Raises :class:`MappingError` when it cannot be placed (see the module docstring).
    """
    det = env.detection_report
    rec: DetectionRecord = {"t": timestamp_s(env), "sensor": env.node_id}
    if t_received is not None and math.isfinite(t_received):
        rec["t_received"] = t_received
    which = det.WhichOneof("location_oneof")
    if which == "location":
        fix = location_to_wgs84(det.location, "detection_report.location")
        rec["kind"] = "position"
        rec["position"] = {"lat_deg": fix.lat_deg, "lon_deg": fix.lon_deg, "alt_m": fix.alt_m}
        rec["std"] = list(fix.std_enu_m)
        if fix.alt_geoid_m is not None:
            rec["x_alt_geoid_m"] = fix.alt_geoid_m
    elif which == "range_bearing":
        rec.update(_polar(det.range_bearing, node))
    else:
        raise MappingError("detection_report.location_oneof: no location")
    rec["x_object_id"] = det.object_id
    rec["x_report_id"] = det.report_id
    if det.HasField("detection_confidence"):
        rec["x_confidence"] = float(det.detection_confidence)
    classes = [[c.type, float(c.confidence) if c.HasField("confidence") else None]
               for c in det.classification]  # fmt: skip
    if classes:
        best = max(classes, key=lambda c: -1.0 if c[1] is None else c[1])
        rec["x_class"] = best[0]
        if best[1] is not None:
            rec["x_class_confidence"] = best[1]
        rec["x_classification"] = classes
    if det.HasField("id"):
        rec["x_ident_text"] = det.id
    if det.HasField("state"):
        rec["x_state"] = det.state
    if det.WhichOneof("velocity_oneof") == "enu_velocity":
        v = det.enu_velocity
        rec["x_velocity_enu"] = [
            v.east_rate,
            v.north_rate,
            v.up_rate if v.HasField("up_rate") else None,
        ]
    return rec


def _polar(rb: Any, node: NodeState | None) -> dict[str, Any]:
    path = "detection_report.range_bearing"
    units = _RB_UNITS.get(rb.coordinate_system)
    if units is None:
        raise MappingError(f"{path}.coordinate_system: unspecified coordinate system")
    if not rb.HasField("azimuth"):
        raise MappingError(f"{path}.azimuth: missing; a range alone cannot be placed")
    deg, metres = units
    sensor_pos = _sensor_pos(node)
    az = float(rb.azimuth) * deg
    datum = rb.datum
    if datum == range_bearing_pb2.RANGE_BEARING_DATUM_GRID:
        zone = node.position.utm_zone if node is not None and node.position else None
        az += grid_convergence_deg(sensor_pos["lat_deg"], sensor_pos["lon_deg"], zone)
    elif datum != range_bearing_pb2.RANGE_BEARING_DATUM_TRUE:
        name = range_bearing_pb2.RangeBearingDatum.Name(datum)
        raise MappingError(
            f"{path}.datum: {name} azimuths are not used (dronewall has no magnetic "
            "declination model or platform heading); send RANGE_BEARING_DATUM_TRUE or _GRID"
        )
    az = (az + 180.0) % 360.0 - 180.0
    el = float(rb.elevation) * deg if rb.HasField("elevation") else None
    if el is not None and not -90.0 <= el <= 90.0:
        raise MappingError(f"{path}.elevation: {el:g} deg is outside [-90, 90]")

    def std(name: str, scale: float, default: float) -> float:
        v = float(getattr(rb, name)) * scale if rb.HasField(name) else default
        return abs(v) if math.isfinite(v) else default

    s_az = std("azimuth_error", deg, DEFAULT_ANGLE_STD_DEG)
    s_el = std("elevation_error", deg, DEFAULT_ANGLE_STD_DEG)
    out: dict[str, Any] = {"sensor_pos": sensor_pos}
    if rb.HasField("range"):
        r = float(rb.range) * metres
        out["kind"] = "polar"
        out["polar"] = {"range_m": r, "azimuth_deg": az, "elevation_deg": el}
        s_r = std("range_error", metres, DEFAULT_RANGE_STD_M)
        out["std"] = [s_r, s_az] + ([] if el is None else [s_el])
    else:
        out["kind"] = "bearing"
        out["bearing"] = {"azimuth_deg": az, "elevation_deg": el}
        out["std"] = [s_az] + ([] if el is None else [s_el])
    return out
