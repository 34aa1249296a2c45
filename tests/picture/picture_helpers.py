"""Helpers of the store tests: the test PostgreSQL server and failure injection."""

from __future__ import annotations

import os
from functools import cache

import sqlalchemy as sa

from dronewall.picture import EventStore

PG_URL = os.environ.get("DRONEWALL_TEST_PG_URL", "postgresql+pg8000://root@127.0.0.1:5432/test")


@cache
def pg_unreachable() -> str | None:
    """Why PostgreSQL cannot be used for the tests, or None when it can."""
    try:
        engine = sa.create_engine(
            sa.make_url(PG_URL).set(drivername="postgresql+pg8000"),
            connect_args={"timeout": 5},
        )
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} (DRONEWALL_TEST_PG_URL) unreachable: {exc}"
    return None


def pg_admin() -> sa.Engine:
    return sa.create_engine(
        sa.make_url(PG_URL).set(drivername="postgresql+pg8000"), isolation_level="AUTOCOMMIT"
    )


def install_failing_insert(store: EventStore, table: str, t_value: float) -> None:
    """Make the database itself abort any INSERT into ``table`` of a row with ``t = t_value``
    (rows before it in the same statement are already in: the store must roll them back)."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER boom BEFORE INSERT ON {table} "
                f"WHEN NEW.t = {t_value!r} BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.t = {t_value!r}::float8 THEN RAISE EXCEPTION 'boom'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER boom BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION boom()"
            )
