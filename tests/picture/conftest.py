"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``DRONEWALL_TEST_PG_URL`` (default
``postgresql+pg8000://root@127.0.0.1:5432/test``); each test gets a fresh schema of its own in that
database (the store's ``schema=`` option puts it on the ``search_path``), dropped afterwards. When
the server cannot be reached the PostgreSQL cases skip, naming the URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from picture_helpers import PG_URL, pg_admin, pg_unreachable

from dronewall.picture import EventStore

OpenStore = Callable[..., EventStore]


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema name, dropped (with everything in it) after the test."""
    reason = pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = f"dw_test_{uuid.uuid4().hex[:12]}"
    yield name
    engine = pg_admin()
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """Open the test's store (the same database every call) on the parametrized backend."""
    if backend == "sqlite":
        path = tmp_path / "events.sqlite"

        def open_sqlite(**kw: object) -> EventStore:
            return EventStore.open(path, **kw)  # type: ignore[arg-type]

        return open_sqlite
    schema: str = request.getfixturevalue("pg_schema")

    def open_pg(**kw: object) -> EventStore:
        return EventStore.open(PG_URL, schema=schema, **kw)  # type: ignore[arg-type]

    return open_pg


@pytest.fixture
def store(open_store: OpenStore) -> Iterator[EventStore]:
    with open_store() as s:
        yield s
