"""The picture: the run record (event store) behind replay, the server and reports.

:class:`EventStore` appends a run's set-up, truth, detections, track snapshots and
:class:`Event` records to a versioned SQLite (or PostgreSQL) store and reads them back as arrays.
"""

from dronewall.picture.events import EVENT_KINDS, Event
from dronewall.picture.schema import SCHEMA_VERSION
from dronewall.picture.store import (
    EventStore,
    RunInfo,
    StoreInputError,
    TrackUpdates,
    TruthRecord,
)

__all__ = [
    "EVENT_KINDS",
    "SCHEMA_VERSION",
    "Event",
    "EventStore",
    "RunInfo",
    "StoreInputError",
    "TrackUpdates",
    "TruthRecord",
]
