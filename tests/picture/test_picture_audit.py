"""The audit log: append and read back in order, bad entries refused before writing, and UPDATE,
DELETE (and on PostgreSQL TRUNCATE) refused by the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from picture_helpers import PG_URL

from dronewall.core import StoreError
from dronewall.picture import EventStore
from dronewall.picture import schema as S

ENTRY: dict[str, Any] = {
    "wall_time": 1.75e9 + 0.25,
    "user": "c.janssens",
    "role": "commander",
    "action": "approve",
    "item": "proposal-17",
    "reason": "hostile Shahed inbound to Doel, 4 km",
}


def test_entries_come_back_in_order_with_their_seq(store: EventStore) -> None:
    seqs = []
    for k in range(5):
        seqs.append(store.append_audit(**{**ENTRY, "wall_time": ENTRY["wall_time"] + k}))
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 5
    got = store.audit_entries()
    assert [e["seq"] for e in got] == seqs
    assert got[0] == {"seq": seqs[0], **ENTRY}
    assert [e["wall_time"] for e in got] == [ENTRY["wall_time"] + k for k in range(5)]
    assert store.audit_entries(since_seq=seqs[2]) == got[3:]
    assert store.audit_entries(since_seq=seqs[-1]) == []


def test_unicode_long_reason_and_empty_reason_round_trip(store: EventStore) -> None:
    reason = "Zone rouge — Tihange, ÿ 🛩 " * 400  # Text: no length limit
    a = store.append_audit(**{**ENTRY, "reason": reason, "user": "Émile"})
    b = store.append_audit(**{**ENTRY, "reason": ""})
    got = {e["seq"]: e for e in store.audit_entries()}
    assert got[a]["reason"] == reason
    assert got[a]["user"] == "Émile"
    assert got[b]["reason"] == ""


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"wall_time": float("nan")}, "wall_time", "must be finite"),
        ({"wall_time": "yesterday"}, "wall_time", "must be a number"),
        ({"wall_time": True}, "wall_time", "must be a number"),
        ({"user": ""}, "user", "must not be empty"),
        ({"user": None}, "user", "must be a string"),
        ({"role": "x" * 65}, "role", "too long"),
        ({"item": "p\x00"}, "item", "NUL"),
        ({"reason": b"bytes"}, "reason", "must be a string"),
    ],
)
def test_bad_entries_are_refused_and_nothing_written(
    store: EventStore, change: dict[str, Any], field: str, message: str
) -> None:
    store.append_audit(**ENTRY)
    with pytest.raises(StoreError, match=message) as info:
        store.append_audit(**{**ENTRY, **change})
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert len(store.audit_entries()) == 1


def test_since_seq_must_be_an_integer(store: EventStore) -> None:
    with pytest.raises(StoreError, match="since_seq"):
        store.audit_entries(since_seq="3")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET reason = 'changed my mind'",
        "UPDATE audit_log SET wall_time = 0 WHERE seq = 1",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE seq = 1",
    ],
)
def test_the_database_refuses_to_change_the_log(store: EventStore, sql: str) -> None:
    store.append_audit(**ENTRY)
    before = store.audit_entries()
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    assert store.audit_entries() == before
    # also through the ORM-free SQLAlchemy constructs
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(S.audit_log.update().values(user="mallory"))
    assert store.audit_entries() == before


def test_truncate_is_refused_on_postgresql(pg_schema: str) -> None:
    """TRUNCATE is a PostgreSQL statement (SQLite has only DELETE): a statement trigger."""
    with EventStore.open(PG_URL, schema=pg_schema) as store:
        store.append_audit(**ENTRY)
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as c:
            c.exec_driver_sql("TRUNCATE audit_log")
        assert len(store.audit_entries()) == 1


def test_appends_inside_a_transaction_commit_or_roll_back_with_it(store: EventStore) -> None:
    with store.transaction():
        store.append_audit(**ENTRY)

    def abandoned() -> None:
        with store.transaction():
            store.append_audit(**{**ENTRY, "action": "reject"})
            raise RuntimeError("the decision was not applied")

    with pytest.raises(RuntimeError):
        abandoned()
    assert [e["action"] for e in store.audit_entries()] == ["approve"]


def test_threads_append_concurrently_while_another_holds_a_transaction(
    store: EventStore,
) -> None:
    """Audit writes from service threads do not join (or wait for the end of) a pipeline
    thread's open transaction(), and every seq is distinct."""
    rid = store.begin_run(scenario="s", seed=1, t0=0.0, origin_lla=(50, 4, 0), config={})
    seqs: list[int] = []
    errors: list[BaseException] = []
    tick_open, audits_done = threading.Event(), threading.Event()

    # SQLite has one writer at a time: there the pipeline's transaction only reads (a writing
    # one would make the service writers wait for it); on PostgreSQL it writes
    writes = store.engine.dialect.name != "sqlite"

    def pipeline() -> None:
        try:
            with store.transaction():
                if writes:
                    store.finish_run(rid, {"n": 1})
                else:
                    store.runs()
                tick_open.set()
                audits_done.wait(30)
                raise RuntimeError("abandon the tick")
        except RuntimeError:
            pass
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    def service(k: int) -> None:
        try:
            tick_open.wait(30)
            seqs.append(store.append_audit(**{**ENTRY, "item": f"p{k}"}))
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    workers = [threading.Thread(target=service, args=(k,)) for k in range(4)]
    main = threading.Thread(target=pipeline)
    main.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    audits_done.set()
    main.join(60)
    assert errors == []
    assert len(set(seqs)) == 4
    assert sorted(e["item"] for e in store.audit_entries()) == ["p0", "p1", "p2", "p3"]
    assert store.run(rid).status == "running"  # the abandoned tick rolled back alone
