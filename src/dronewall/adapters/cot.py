"""Cursor on Target (CoT / TAK): tracks and alerts out, air objects in.

The public names of the CoT adapter, gathered from its modules:

* :mod:`~dronewall.adapters.cot_export`: :func:`tracks_to_cot`, :func:`tracks_to_takproto`,
  :func:`alerts_to_cot` (and the element builders they share);
* :mod:`~dronewall.adapters.cot_decode`: :class:`CotDecoder`, :func:`read_cot_capture`;
* :mod:`~dronewall.adapters.cot_send`: :class:`CotSender`;
* :mod:`~dronewall.adapters.cot_wire`: the type mapping (:func:`cot_type`,
  :func:`parse_air_type`), times, TAK Protocol v1 framing and XML <-> ``TakMessage``.

The integrator's description (type table, ``how``, ``ce``/``le``, stale, transport) is
``docs/formats/cot.md``.
"""

from __future__ import annotations

from dronewall.adapters.cot_decode import CotDecoder, read_cot_capture
from dronewall.adapters.cot_export import (
    ALERT_TYPE,
    DEFAULT_STALE_PERIODS,
    alerts_to_cot,
    build_alert_events,
    build_track_events,
    stale_seconds,
    to_xml,
    tracks_to_cot,
    tracks_to_takproto,
)
from dronewall.adapters.cot_send import CotSender
from dronewall.adapters.cot_wire import (
    CLASS_FUNCTION,
    cot_type,
    event_to_takmessage,
    frame_takmessage,
    parse_air_type,
    takmessage_to_event,
)

__all__ = [
    "ALERT_TYPE",
    "CLASS_FUNCTION",
    "DEFAULT_STALE_PERIODS",
    "CotDecoder",
    "CotSender",
    "alerts_to_cot",
    "build_alert_events",
    "build_track_events",
    "cot_type",
    "event_to_takmessage",
    "frame_takmessage",
    "parse_air_type",
    "read_cot_capture",
    "stale_seconds",
    "takmessage_to_event",
    "to_xml",
    "tracks_to_cot",
    "tracks_to_takproto",
]
