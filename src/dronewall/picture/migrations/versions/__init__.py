"""Alembic revisions of the event store, one per schema version (``0001`` is version 1)."""
