"""Discrete pipeline events: what the picture records besides the bulk arrays.

An :class:`Event` is an immutable record of one thing that happened at time ``t`` (UTC epoch
seconds), optionally about one track and/or one protected site, with a JSON-able ``payload``.

Kinds and the payload keys the report understands
-------------------------------------------------
All payload keys are optional; unknown keys are kept and shown verbatim in the report's events
table. ``lat``/``lon`` (degrees), when given, place the event on the map.

===================  ==========================================================================
kind                 payload keys read by :mod:`dronewall.report`
===================  ==========================================================================
``track_confirmed``  ``truth`` (int)
``track_deleted``    --
``alert``            ``level``: ``"none"``/``"watch"``/``"warning"``/``"alarm"`` or 0-3
                     (:class:`~dronewall.core.AlertLevel`); ``truth``
``sighting_alert``   ``level`` as for ``alert``
``recommendation``   ``fire_unit_id``, ``effector_id``, ``pk``, ``cost_eur``
``decision``         ``approved`` (bool) or ``decision`` (``"approved"``/``"rejected"``/
                     ``"expired"``); ``fire_unit_id``
``engagement``       ``fire_unit_id``, ``effector_id``
``outcome``          ``result``: ``"defeated"`` (or ``"killed"``/``"hit"``) or ``"missed"``/
                     ``"survived"``; ``lat``, ``lon``
``leak``             ``lat``, ``lon`` (else the site's position is used); ``truth``
===================  ==========================================================================

JSON has no NaN or infinity: non-finite floats in a payload are stored as ``null``. numpy scalars
and arrays are stored as JSON numbers and lists; tuples come back as lists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

EVENT_KINDS: Final[frozenset[str]] = frozenset(
    {
        "track_confirmed",
        "track_deleted",
        "alert",
        "sighting_alert",
        "recommendation",
        "decision",
        "engagement",
        "outcome",
        "leak",
    }
)
"""The event kinds the store accepts. A new kind is added here (and to the report if it should
show it); an unknown kind is refused so that a typo cannot silently drop events from reports."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One pipeline event.

    Parameters
    ----------
    t : float
        UTC epoch seconds.
    kind : str
        One of :data:`EVENT_KINDS`.
    track_id : int or None
        The track the event is about, if any.
    site_id : str or None
        The protected site the event is about, if any (``Site.id``).
    payload : dict
        JSON-able details; see the module docstring for the keys each kind uses.
    """

    t: float
    kind: str
    track_id: int | None = None
    site_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def to_json_value(value: Any, where: str = "payload") -> Any:
    """A copy of ``value`` made of JSON types only (dict with str keys, list, str, int, float, bool,
    None); non-finite floats become ``None``.

    Raises
    ------
    TypeError
        naming the path ``where`` of a value that has no JSON form.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.ndarray):
        return to_json_value(value.tolist(), where)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str | int):
                raise TypeError(
                    f"{where} has a key {k!r} of type {type(k).__name__}; keys must be str"
                )
            out[str(k)] = to_json_value(v, f"{where}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [to_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{where} holds a {type(value).__name__}, which has no JSON form")
