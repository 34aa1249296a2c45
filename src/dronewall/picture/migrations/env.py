"""Alembic environment of the event store: runs the revisions on the connection the store hands
over in ``config.attributes["connection"]`` (see :func:`dronewall.picture.migrations.upgrade`).

Alembic executes this file itself (it is not imported by dronewall). The connection is already
inside the store's transaction, so the revisions run in it and a failing one leaves the store as it
was (transactional DDL on both PostgreSQL and SQLite as the store configures it).
"""

from __future__ import annotations

from alembic import context

from dronewall.picture.schema import metadata

_connection = context.config.attributes.get("connection")
if _connection is None:  # pragma: no cover - only through dronewall.picture.migrations
    raise RuntimeError(
        "the event store migrations run through dronewall.picture.migrations.upgrade "
        "(EventStore.open), not from the alembic command line"
    )
context.configure(connection=_connection, target_metadata=metadata, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
