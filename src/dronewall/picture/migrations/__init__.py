"""The event store's schema history as Alembic revisions, run programmatically on open.

Layout
------
``versions/rNNNN_*.py`` holds one Alembic revision per schema version: revision ``"0001"`` makes
version 1 from an empty database, ``"0002"`` upgrades 1 to 2, and so on; the newest revision's
number is :data:`~dronewall.picture.schema.SCHEMA_VERSION`. ``env.py`` runs them on a connection
handed over by the store; no ``alembic.ini`` is needed. Each revision also writes its number to
``schema_meta.schema_version``, which the stores written before the revisions existed (versions 1
and 2, with no ``alembic_version`` table) use: such a store is stamped with the revision of its
``schema_version`` and upgraded from there.

To change the schema: change :mod:`dronewall.picture.schema`, add ``versions/rNNNN_<what>.py``
with ``revision = "NNNN"``, ``down_revision`` the previous one and an ``upgrade()`` (that also sets
``schema_version``), bump ``SCHEMA_VERSION``, and run ``tests/picture``: a test compares the
migrated database with the tables of ``schema.py`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

DIRECTORY = Path(__file__).resolve().parent
"""Where the revisions live (the Alembic script location)."""


def _config(conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(DIRECTORY))
    cfg.attributes["connection"] = conn
    return cfg


def script_directory() -> ScriptDirectory:
    """The revisions shipped with this code."""
    return ScriptDirectory(str(DIRECTORY))


def head() -> str:
    """The newest revision (``"0004"`` for schema version 4)."""
    found = script_directory().get_current_head()
    if found is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError(f"no Alembic revisions in {DIRECTORY}")
    return found


def known(revision: str) -> bool:
    """Whether ``revision`` is one of the revisions shipped with this code."""
    return revision in {s.revision for s in script_directory().walk_revisions()}


def current(conn: sa.Connection) -> str | None:
    """The revision recorded in the database (``alembic_version``), ``None`` if it has none."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: sa.Connection, *, stamp: str | None = None) -> None:
    """Upgrade the database on ``conn`` to the newest revision, inside ``conn``'s transaction.

    With ``stamp``, first record that the database is at that revision (a store written before
    the revisions existed, whose tables are already those of ``stamp``).
    """
    cfg = _config(conn)
    if stamp is not None:
        command.stamp(cfg, stamp)
    command.upgrade(cfg, "head")
