"""SAPIENT (BSI Flex 335 v2.0): the counter-drone sensor interface, as a fusion-node server.

* :mod:`~dronewall.adapters.sapient.validation`: the standard's rules, read from the ``.proto``
  custom options (:func:`validate`) plus the geodetic consistency of locations.
* :mod:`~dronewall.adapters.sapient.mapping`: detection reports -> detection records; the node
  table (:class:`NodeState`).
* :mod:`~dronewall.adapters.sapient.codec`: 4-byte little-endian length framing, JSON/binary
  parsing, :class:`SapientDecoder` and :func:`read_sapient_capture` for recorded streams.
* :mod:`~dronewall.adapters.sapient.server`: :class:`SapientServer` (asyncio TCP).
* ``proto/``: the Dstl ``.proto`` files (Apache-2.0, Crown copyright) and generated bindings.

Integrator documentation: ``docs/formats/sapient.md``.
"""

from dronewall.adapters.sapient.codec import (
    MAX_FRAME_BYTES,
    SapientDecoder,
    frame,
    parse_json,
    parse_payload,
    read_sapient_capture,
)
from dronewall.adapters.sapient.mapping import MappingError, NodeState, detection_record
from dronewall.adapters.sapient.server import SapientServer, TaskState, new_ulid
from dronewall.adapters.sapient.validation import location_issues, validate

__all__ = [
    "MAX_FRAME_BYTES",
    "MappingError",
    "NodeState",
    "SapientDecoder",
    "SapientServer",
    "TaskState",
    "detection_record",
    "frame",
    "location_issues",
    "new_ulid",
    "parse_json",
    "parse_payload",
    "read_sapient_capture",
    "validate",
]
