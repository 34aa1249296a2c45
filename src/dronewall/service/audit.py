"""The audit log adapter: one place between the service and the event store's audit log.

Every approval, rejection, acknowledgement and scenario control is appended with who (user and
role), when (wall clock, UTC epoch s), what (action and item) and why. The log lives in the event
store (:meth:`~dronewall.picture.EventStore.append_audit`, append-only: the database refuses
UPDATE and DELETE of its rows).
"""

from __future__ import annotations

import time
from typing import Any

from dronewall.picture import EventStore


class AuditLog:
    """Appends to and reads the store's audit log.

    Parameters
    ----------
    store : EventStore
        An open store (its own connection pool; the service's reader store).
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def append(self, *, user: str, role: str, action: str, item: str, reason: str) -> int:
        """Append one entry stamped with the wall clock now; return its ``seq``."""
        return self.store.append_audit(
            wall_time=time.time(), user=user, role=role, action=action, item=item, reason=reason
        )

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (``seq, wall_time, user, role, action, item, reason``)."""
        return self.store.audit_entries()
