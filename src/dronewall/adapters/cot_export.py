"""Tracks and alerts out as Cursor on Target events (XML and TAK protobuf).

Data layout
-----------
Input: a :class:`~dronewall.core.tracks.TrackTable` (``N`` tracks, state ``x (N, 6)`` =
``(e, n, u, ve, vn, vu)`` in the run's ENU :class:`~dronewall.geo.frames.LocalFrame`, covariance
``P (N, 6, 6)``), optionally the tick's :class:`~dronewall.assess.assessor.Assessment` (rows
matched by ``track_id``), and :class:`~dronewall.assess.alerts.AlertEvent` tuples. Output: one
``bytes`` per event, a complete XML document (``<?xml ...?><event>...</event>``, UTF-8) or a
framed TAK Protocol v1 message. Numbers are computed batched with numpy; only the per-event
strings are built in a loop.

One track -> one ``<event>`` (MITRE CoT Base-Event 2.0):

==============  ===================================================================================
``uid``         ``<uid_prefix>-<track_id>``: stable for the life of the track
``type``        :func:`~dronewall.adapters.cot_wire.cot_type` of the identity and the most probable
                class (generic ``a-<aff>-A`` below ``min_class_prob``)
``time``        ``now`` (when the event was generated)
``start``       the snapshot time ``tracks.t`` (when the state is valid)
``stale``       ``start + stale_s``; use :func:`stale_seconds` (3 update periods) for a feed
``how``         ``m-f`` (machine, fused) for confirmed tracks, ``m-p`` (machine, predicted) for
                coasting ones (no detection in the last scan: the position is a prediction)
``point``       WGS84 ``lat``/``lon``, ``hae`` = height above the ellipsoid; ``ce`` = 1-sigma
                circular error, the square root of the largest eigenvalue of the horizontal
                covariance; ``le`` = 1-sigma vertical error (see below)
``<track>``     ``course`` (deg from true north at the track), ``speed`` (3-D, m/s, as the
                MITRE track schema asks), ``slope`` (deg), ``eCourse``/``eSpeed`` (1-sigma,
                linearised; left out below 0.1 m/s)
``<contact>``   ``callsign`` = ``<callsign_prefix><track_id>``
``<remarks>``   class probabilities, identity, threat, status, in words
``<dronewall>`` the same, machine-readable (custom detail element; TAK clients keep unknown
                detail elements)
==============  ===================================================================================

ce and le
---------
The Base-Event schema defines ``ce`` and ``le`` as "the one sigma point for a zero mean normal
(Gaussian) distribution". With the track's horizontal covariance ``P_h`` (2x2, east/north at the
track) ``ce = sqrt(lambda_max(P_h))``: the 1-sigma of the worst horizontal axis. For a circular
error ``sigma`` a circle of radius ``ce`` holds ``1 - exp(-1/2) = 39.3 %`` of the probability;
CEP (50 %) is ``1.1774 ce``, the 95 % circle ``2.4477 ce``. ``le = sqrt(P_uu)`` (68.3 % two-sided).

Covariances and velocities are rotated from the run's frame to the local east/north/up at each
track (``M = R_track R_originᵀ``; meridians converge by ``Δlon sin(lat)``, 0.45° at 40 km at 51°N).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from dronewall.adapters.cot_wire import (
    UNKNOWN_VALUE,
    Framing,
    cot_type,
    decimal,
    event_to_takmessage,
    format_time,
    frame_takmessage,
)
from dronewall.core.taxonomy import AlertLevel, Identity, ObjectClass
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.geo.frames import LocalFrame

if TYPE_CHECKING:
    from dronewall.assess.alerts import AlertEvent
    from dronewall.assess.assessor import Assessment

F64 = NDArray[np.float64]

XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

DEFAULT_STALE_PERIODS: Final = 3.0
"""Stale time as a multiple of the update period: an event missed twice in a row still shows;
after the third miss the TAK client greys/removes it (assumption, A)."""

MIN_CLASS_PROB: Final = 0.5
"""Below this probability of the most probable class the type is the generic air track
(assumption, A: a majority belief before a 2525 function is shown)."""

ALERT_TYPE: Final = "b-l-l"
"""CoT type of an alert: ``b`` bits, ``l`` alarms, ``l`` security (MITRE ``types.txt``, proposed
alarm branch). ATAK shows it as a point with the callsign and remarks."""

_MIN_SPEED_FOR_ERRORS: Final = 0.1  # m/s: below, course and speed errors are not linear


def stale_seconds(update_period_s: float, periods: float = DEFAULT_STALE_PERIODS) -> float:
    """Stale interval for a feed updated every ``update_period_s`` seconds."""
    if not update_period_s > 0 or not periods > 0:
        raise ValueError("update period and periods must be positive")
    return periods * update_period_s


def _enu_rotations(lat_deg: F64, lon_deg: F64) -> F64:
    """``(N, 3, 3)`` ECEF -> ENU rotations at each point."""
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    z = np.zeros_like(phi)
    return np.stack(
        [
            np.stack([-sl, cl, z], -1),
            np.stack([-sp * cl, -sp * sl, cp], -1),
            np.stack([cp * cl, cp * sl, sp], -1),
        ],
        axis=1,
    )


class _Kinematics:
    """Batched WGS84 position, ce/le and course/speed of tracks (all ``(N,)`` float64)."""

    def __init__(self, x: F64, P: F64, frame: LocalFrame) -> None:
        n = x.shape[0]
        lla = frame.enu_to_lla(x[:, :3]) if n else np.empty((0, 3))
        self.lat, self.lon, self.hae = lla[:, 0], lla[:, 1], lla[:, 2]
        M = _enu_rotations(self.lat, self.lon) @ frame.rotation.T  # origin ENU -> local ENU
        Pp = M @ P[:, :3, :3] @ np.swapaxes(M, 1, 2)
        Pv = M @ P[:, 3:, 3:] @ np.swapaxes(M, 1, 2)
        v = np.einsum("nij,nj->ni", M, x[:, 3:6])
        a, b, c = Pp[:, 0, 0], Pp[:, 0, 1], Pp[:, 1, 1]
        lam_max = 0.5 * (a + c) + np.sqrt(np.maximum(0.25 * (a - c) ** 2 + b * b, 0.0))
        self.ce = np.sqrt(np.maximum(lam_max, 0.0))
        self.le = np.sqrt(np.maximum(Pp[:, 2, 2], 0.0))
        ve, vn, vu = v[:, 0], v[:, 1], v[:, 2]
        hs = np.hypot(ve, vn)
        self.speed = np.sqrt(hs * hs + vu * vu)
        self.course = np.degrees(np.arctan2(ve, vn)) % 360.0
        self.slope = np.degrees(np.arctan2(vu, hs))
        with np.errstate(divide="ignore", invalid="ignore"):
            g = v / self.speed[:, None]  # d|v|/dv
            self.e_speed = np.sqrt(np.maximum(np.einsum("ni,nij,nj->n", g, Pv, g), 0.0))
            h = np.stack([vn, -ve], -1) / (hs * hs)[:, None]  # d course / d(ve, vn), rad
            var_c = np.einsum("ni,nij,nj->n", h, Pv[:, :2, :2], h)
            self.e_course = np.degrees(np.sqrt(np.maximum(var_c, 0.0)))
        self.e_speed[self.speed < _MIN_SPEED_FOR_ERRORS] = np.nan
        self.e_course[hs < _MIN_SPEED_FOR_ERRORS] = np.nan
        self.finite = np.asarray(np.isfinite(lla).all(axis=1), dtype=np.bool_)


def _point(k: _Kinematics, i: int) -> dict[str, str]:
    def err(v: float) -> str:
        return (
            decimal(v, 2) if math.isfinite(v) and v < UNKNOWN_VALUE else decimal(UNKNOWN_VALUE, 1)
        )

    return {
        "lat": decimal(float(np.clip(k.lat[i], -90.0, 90.0)), 8),
        "lon": decimal(float(np.clip(k.lon[i], -180.0, 180.0)), 8),
        "hae": decimal(float(k.hae[i]), 3),
        "ce": err(float(k.ce[i])),
        "le": err(float(k.le[i])),
    }


def _event(
    uid: str,
    cot: str,
    how: str,
    *,
    now: float,
    start: float,
    stale: float,
    access: str | None,
    opex: str | None,
    qos: str | None = None,
) -> ET.Element:
    attrs = {
        "version": "2.0",
        "uid": uid,
        "type": cot,
        "time": format_time(now),
        "start": format_time(start),
        "stale": format_time(stale),
        "how": how,
    }
    for name, value in (("access", access), ("opex", opex), ("qos", qos)):
        if value:
            attrs[name] = value
    return ET.Element("event", attrs)


def to_xml(event: ET.Element) -> bytes:
    """One complete XML document (declaration + ``<event>``), UTF-8."""
    body: bytes = ET.tostring(event, encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION + body


def _course_text(course: float) -> str:
    text = decimal(course, 2)
    return "0.00" if float(text) >= 360.0 else text


def _assessment_rows(
    track_id: NDArray[np.int64], assessment: Assessment | None
) -> NDArray[np.intp]:
    """Row of each track in the assessment, -1 when it is not there."""
    if assessment is None or len(assessment) == 0:
        return np.full(track_id.shape[0], -1, np.intp)
    order = np.argsort(assessment.track_id, kind="stable")
    ids = assessment.track_id[order]
    pos = np.clip(np.searchsorted(ids, track_id), 0, ids.shape[0] - 1)
    return np.where(ids[pos] == track_id, order[pos], -1).astype(np.intp)


def build_track_events(
    tracks: TrackTable,
    frame: LocalFrame,
    assessment: Assessment | None = None,
    *,
    now: float | None = None,
    stale_s: float,
    uid_prefix: str = "dronewall",
    callsign_prefix: str = "DW-",
    include_tentative: bool = False,
    min_class_prob: float = MIN_CLASS_PROB,
    class_functions: Mapping[ObjectClass, str] | None = None,
    access: str | None = None,
    opex: str | None = None,
) -> list[ET.Element]:
    """The ``<event>`` elements of the tracks (see the module docstring for every field).

    Parameters
    ----------
    tracks : TrackTable
        The snapshot; tentative tracks are left out unless ``include_tentative``. Tracks whose
        position is not finite are left out.
    frame : LocalFrame
        The run's ENU frame of ``tracks.x``.
    assessment : Assessment, optional
        Class probabilities and identity, matched by ``track_id``; without it (or for a track it
        does not hold) the type is ``a-p-A`` (pending, generic air).
    now : float, optional
        Generation time, UTC epoch s (default ``tracks.t``).
    stale_s : float
        Validity after ``tracks.t``, s (> 0).
    uid_prefix, callsign_prefix : str
        ``uid = <uid_prefix>-<track_id>``, ``callsign = <callsign_prefix><track_id>``. Put the
        site in the prefix (``dronewall-kb``) when several dronewall instances feed one server.
    min_class_prob : float
        See :data:`MIN_CLASS_PROB`.
    class_functions : mapping, optional
        Overrides of :data:`~dronewall.adapters.cot_wire.CLASS_FUNCTION`.
    access : str, optional
        The event ``access`` attribute: releasability (e.g. ``"Unrestricted"``, ``"NATO"``).
    opex : str, optional
        ``o`` operations, ``e`` exercise, ``s`` simulation (Base-Event ``opex``); set ``"s"`` for
        simulated runs so that no operator takes them for real.
    """
    if not stale_s > 0:
        raise ValueError(f"stale_s must be positive, got {stale_s}")
    sel = np.arange(len(tracks)) if include_tentative else np.flatnonzero(tracks.confirmed)
    t = tracks.t
    now = t if now is None else now
    kin = _Kinematics(tracks.x[sel], tracks.P[sel], frame)
    ids = tracks.track_id[sel]
    rows = _assessment_rows(ids, assessment)
    functions = dict(class_functions or {})
    events = []
    for k in range(sel.shape[0]):
        if not kin.finite[k]:
            continue
        i = int(sel[k])
        tid = int(ids[k])
        status = TrackStatus(int(tracks.status[i]))
        r = int(rows[k])
        identity: Identity | None = None
        cls: ObjectClass | None = None
        remarks = []
        info = {"track": str(tid), "status": status.label, "hits": str(int(tracks.hits[i]))}
        if r >= 0 and assessment is not None:
            identity = Identity(int(assessment.identity[r]))
            probs = assessment.class_probs[r]
            c = ObjectClass(int(np.argmax(probs)))
            cls = c if probs[c] >= min_class_prob else None
            ranked = np.argsort(-probs, kind="stable")[:3]
            remarks.append(
                "class " + ", ".join(f"{ObjectClass(int(j)).label} {probs[j]:.2f}" for j in ranked)
            )
            remarks.append(f"identity {identity.label}; P(UAS) {assessment.p_uas[r]:.2f}")
            info.update(
                {
                    "class": c.label,
                    "p_class": f"{probs[c]:.3f}",
                    "identity": identity.label,
                    "p_uas": f"{assessment.p_uas[r]:.3f}",
                    "probs": ",".join(
                        f"{ObjectClass(j).label}:{probs[j]:.3f}" for j in range(probs.shape[0])
                    ),
                }
            )
            site = int(assessment.top_site[r])
            if site >= 0:
                sid = assessment.site_ids[site]
                remarks.append(f"threat {assessment.score[r]:.2f} to {sid}")
                info.update({"threat": f"{assessment.score[r]:.3f}", "site": sid})
        else:
            remarks.append("not assessed")
        remarks.append(f"track {tid} {status.label}, {int(tracks.hits[i])} hits")
        how = "m-p" if status == TrackStatus.COASTING else "m-f"
        ev = _event(
            f"{uid_prefix}-{tid}",
            cot_type(identity, cls, functions),
            how,
            now=now,
            start=t,
            stale=t + stale_s,
            access=access,
            opex=opex,
        )
        ET.SubElement(ev, "point", _point(kin, k))
        detail = ET.SubElement(ev, "detail")
        trk = {
            "course": _course_text(float(kin.course[k])),
            "speed": decimal(float(kin.speed[k]), 2),
            "slope": decimal(float(np.clip(kin.slope[k], -90.0, 90.0)), 2),
        }
        if math.isfinite(kin.e_course[k]):
            trk["eCourse"] = decimal(float(kin.e_course[k]), 2)
        if math.isfinite(kin.e_speed[k]):
            trk["eSpeed"] = decimal(float(kin.e_speed[k]), 2)
        ET.SubElement(detail, "track", trk)
        ET.SubElement(detail, "contact", {"callsign": f"{callsign_prefix}{tid}"})
        rem = ET.SubElement(detail, "remarks", {"source": uid_prefix})
        rem.text = "; ".join(remarks)
        ET.SubElement(detail, "dronewall", info)
        events.append(ev)
    return events


def tracks_to_cot(
    tracks: TrackTable,
    frame: LocalFrame,
    assessment: Assessment | None = None,
    *,
    now: float | None = None,
    stale_s: float,
    uid_prefix: str = "dronewall",
    **options: object,
) -> list[bytes]:
    """CoT XML events of the tracks, one complete UTF-8 document each.

    Parameters are those of :func:`build_track_events` (``options`` passes the others).
    """
    return [
        to_xml(e)
        for e in build_track_events(
            tracks,
            frame,
            assessment,
            now=now,
            stale_s=stale_s,
            uid_prefix=uid_prefix,
            **options,  # type: ignore[arg-type]
        )
    ]


def tracks_to_takproto(
    tracks: TrackTable,
    frame: LocalFrame,
    assessment: Assessment | None = None,
    *,
    now: float | None = None,
    stale_s: float,
    uid_prefix: str = "dronewall",
    framing: Framing = "stream",
    **options: object,
) -> list[bytes]:
    """TAK Protocol v1 messages of the tracks: ``framing="stream"`` (TCP, ``BF <varint len>``) or
    ``"mesh"`` (UDP, ``BF 01 BF``). The same events as :func:`tracks_to_cot`; ``<contact>``
    becomes the strongly typed ``Contact``, ``<track>`` (which carries ``slope`` and errors the
    ``Track`` message has no field for) stays whole in ``xmlDetail`` as ``detail.proto`` requires.
    """
    events = build_track_events(
        tracks,
        frame,
        assessment,
        now=now,
        stale_s=stale_s,
        uid_prefix=uid_prefix,
        **options,  # type: ignore[arg-type]
    )
    return [frame_takmessage(event_to_takmessage(e).SerializeToString(), framing) for e in events]


def build_alert_events(
    events: Iterable[AlertEvent],
    tracks: TrackTable | None,
    frame: LocalFrame,
    *,
    now: float | None = None,
    stale_s: float,
    uid_prefix: str = "dronewall",
    site_positions: Mapping[str, Sequence[float]] | None = None,
    track_types: Mapping[int, str] | None = None,
    alert_type: str = ALERT_TYPE,
    access: str | None = None,
    opex: str | None = None,
) -> list[ET.Element]:
    """``<event>`` elements of alert changes.

    Each alert is one CoT point, ``uid = <uid_prefix>-alert-<track_id>-<site_id>`` (a track alert)
    or ``<uid_prefix>-report-<report_id>-<site_id>`` (a report from a person's sighting), so that
    a new level replaces the previous one on the map. Its position is the track's (when ``tracks``
    holds it), else the site's (``site_positions[site_id] = (lat_deg, lon_deg, h_m)``), else
    unknown (``0, 0`` with ``ce``/``le``/``hae`` 9999999, as TAK writes non-spatial events).
    ``how`` is ``m-f``; ``h-e`` for reports no track corroborates. A CLEARED or REPORT_EXPIRED
    event is sent with ``stale = time``: TAK clients drop it. ``qos`` is ``<p>-r-d`` with priority
    ``p`` = 3 + 2 x level (ALARM 9). ``<link relation="p-p">`` points at the track's event.
    """
    ev_list = list(events)
    pos: dict[int, int] = {}
    kin = None
    if tracks is not None and len(tracks):
        kin = _Kinematics(tracks.x, tracks.P, frame)
        pos = {int(tid): j for j, tid in enumerate(tracks.track_id)}
    out = []
    for a in ev_list:
        t0 = a.t if now is None else now
        gone = a.kind.value in ("cleared", "report-expired")
        track_alert = a.report_id < 0
        uid = (
            f"{uid_prefix}-alert-{a.track_id}-{a.site_id}"
            if track_alert
            else f"{uid_prefix}-report-{a.report_id}-{a.site_id}"
        )
        how = "m-f" if a.track_id >= 0 else "h-e"
        ev = _event(
            uid,
            alert_type,
            how,
            now=t0,
            start=a.t,
            stale=a.t if gone else a.t + stale_s,
            access=access,
            opex=opex,
            qos=f"{3 + 2 * int(a.level)}-r-d",
        )
        j = pos.get(a.track_id, -1)
        if kin is not None and j >= 0 and kin.finite[j]:
            point = _point(kin, j)
        elif site_positions is not None and a.site_id in site_positions:
            lat, lon, h = (float(v) for v in site_positions[a.site_id])
            unknown = decimal(UNKNOWN_VALUE, 1)
            point = {
                "lat": decimal(lat, 8),
                "lon": decimal(lon, 8),
                "hae": decimal(h, 3),
                "ce": unknown,
                "le": unknown,
            }
        else:
            unknown = decimal(UNKNOWN_VALUE, 1)
            point = {"lat": "0.0", "lon": "0.0", "hae": unknown, "ce": unknown, "le": unknown}
        ET.SubElement(ev, "point", point)
        detail = ET.SubElement(ev, "detail")
        who = f"T{a.track_id}" if a.track_id >= 0 else f"R{a.report_id}"
        ET.SubElement(
            detail,
            "contact",
            {"callsign": f"{AlertLevel(a.level).label.upper()} {who} {a.site_id}"},
        )
        if a.track_id >= 0:
            ET.SubElement(
                detail,
                "link",
                {
                    "uid": f"{uid_prefix}-{a.track_id}",
                    "type": (track_types or {}).get(a.track_id, "a-p-A"),
                    "relation": "p-p",
                },
            )
        rem = ET.SubElement(detail, "remarks", {"source": uid_prefix})
        rem.text = (
            f"{a.kind.value}: {AlertLevel(a.previous).label} -> {AlertLevel(a.level).label} "
            f"at {a.site_id}, score {a.score:.2f}; {a.reason}"
        )
        ET.SubElement(
            detail,
            "dronewall_alert",
            {
                "kind": a.kind.value,
                "level": AlertLevel(a.level).label,
                "previous": AlertLevel(a.previous).label,
                "site": a.site_id,
                "track": str(a.track_id),
                "report": str(a.report_id),
                "score": f"{a.score:.3f}",
            },
        )
        out.append(ev)
    return out


def alerts_to_cot(
    events: Iterable[AlertEvent],
    tracks: TrackTable | None,
    frame: LocalFrame,
    *,
    now: float | None = None,
    stale_s: float,
    uid_prefix: str = "dronewall",
    **options: object,
) -> list[bytes]:
    """CoT XML events of alert changes (see :func:`build_alert_events`)."""
    return [
        to_xml(e)
        for e in build_alert_events(
            events,
            tracks,
            frame,
            now=now,
            stale_s=stale_s,
            uid_prefix=uid_prefix,
            **options,  # type: ignore[arg-type]
        )
    ]
