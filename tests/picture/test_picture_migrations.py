"""Schema history: Alembic revisions create the schema of ``schema.py`` on both dialects; stores
written by older dronewall code (fixtures) are stamped and upgraded without losing data; stores
newer than the code are refused untouched."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from picture_helpers import PG_URL

from conftest import OpenStore
from dronewall.core import DetectionBatch, MeasurementKind, ObjectClass, StoreError
from dronewall.picture import SCHEMA_VERSION, EventStore, migrations
from dronewall.picture import schema as S

DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(DATA))
from make_old_stores import AUDIT, content  # noqa: E402


def sqlite_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return list(con.execute(sql).fetchall())
    finally:
        con.close()


def test_revisions_are_one_chain_ending_at_the_schema_version() -> None:
    script = migrations.script_directory()
    revs = [s.revision for s in script.walk_revisions()]
    assert sorted(revs) == [f"{v:04d}" for v in range(1, SCHEMA_VERSION + 1)]
    assert migrations.head() == f"{SCHEMA_VERSION:04d}"
    assert len(script.get_heads()) == 1
    assert (migrations.DIRECTORY / "env.py").is_file()
    assert not list(migrations.DIRECTORY.glob("*.ini"))  # no alembic.ini needed


def test_migrated_schema_equals_the_tables_of_schema_py(store: EventStore) -> None:
    """Alembic's own comparison (types, nullability, indexes, keys) finds no difference between
    the database the revisions built and :mod:`dronewall.picture.schema`."""
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, S.metadata)
        assert diff == []
        assert migrations.current(conn) == migrations.head()
    assert store.schema_version == SCHEMA_VERSION == 4


def test_reopening_a_current_store_changes_nothing(open_store: OpenStore) -> None:
    with open_store() as store:
        rid = store.begin_run(scenario="a", seed=1, t0=0.0, origin_lla=(50, 4, 0), config={})
        seq = store.append_audit(wall_time=1.0, user="u", role="r", action="a", item="i", reason="")
    with open_store(create=False) as store:
        assert [r.run_id for r in store.runs()] == [rid]
        assert [e["seq"] for e in store.audit_entries()] == [seq]


@pytest.mark.parametrize("version", [1, 2])
def test_old_store_is_stamped_upgraded_and_keeps_its_data(tmp_path: Path, version: int) -> None:
    """A file written by the store code of an older dronewall (see make_old_stores.py) opens,
    is upgraded to the current schema in place, and reads back exactly what was written."""
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / f"store_v{version}.sqlite", path)
    assert sqlite_rows(path, "select value from schema_meta where key='schema_version'") == [
        (str(version),)
    ]
    assert not sqlite_rows(path, "select name from sqlite_master where name='alembic_version'")
    created = sqlite_rows(path, "select value from schema_meta where key='created_utc'")
    c = content()
    with EventStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (run,) = store.runs()
        assert (run.scenario, run.status, run.summary) == (
            "old-format",
            "finished",
            {"gospa": 12.5},
        )
        rid = run.run_id
        det = store.detections(rid)
        np.testing.assert_array_equal(det.t, c["det_t"])
        np.testing.assert_array_equal(det.z, c["det_z"])
        np.testing.assert_array_equal(det.R, c["det_R"])
        np.testing.assert_array_equal(det.rcs_m2, c["det_rcs_m2"])  # NaN kept as NULL -> NaN
        if version == 1:  # the columns did not exist: NaN
            assert np.isnan(det.range_rate).all()
            assert np.isnan(det.range_rate_var).all()
        assert (det.cue == -1).all()  # no cue column before version 4: no cue
        truth = store.truth(rid)
        np.testing.assert_array_equal(truth.enu, c["truth_enu"].reshape(-1, 6))
        tracks = store.track_updates(rid)
        np.testing.assert_array_equal(tracks.x, c["track_x"])
        assert tracks.identity.tolist() == ["hostile", "neutral"]
        evs = store.events(rid)
        assert [(e.t, e.kind, e.track_id, e.site_id, e.payload) for e in evs] == c["events"]
        assert [s["sensor_id"] for s in store.sensors(rid)] == ["r1", "e1"]
        # and the upgraded store takes the new things
        assert (
            store.append_audit(
                wall_time=2.0, user="u", role="commander", action="approve", item="p", reason="x"
            )
            == 1
        )
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, S.metadata) == []
    assert sqlite_rows(path, "select version_num from alembic_version") == [("0004",)]
    assert sqlite_rows(path, "select value from schema_meta where key='created_utc'") == created


def test_old_store_opened_with_create_false_is_upgraded_too(tmp_path: Path) -> None:
    """Readers (the report, the replay) open with create=False the runs of older versions."""
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / "store_v2.sqlite", path)
    with EventStore.open(path, create=False) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert len(store.detections(store.runs()[0].run_id)) == 12
    assert sqlite_rows(path, "select version_num from alembic_version") == [("0004",)]


def cued_batch(t0: float, m: int) -> DetectionBatch:
    """``m`` EO/IR bearings at ``t0, t0 + 1, ...`` whose cues cycle through -1 and every class."""
    cue = (np.arange(m) % (len(ObjectClass) + 1) - 1).astype(np.int8)
    return DetectionBatch.build(
        t=t0 + np.arange(m, dtype=np.float64),
        sensor=1,
        kind=MeasurementKind.BEARING,
        z=np.column_stack([np.linspace(0.1, 1.0, m), np.full(m, 0.05), np.full(m, np.nan)]),
        R=np.diag([1e-5, 1e-5, 0.0]),
        sensor_pos=np.zeros(3),
        cue=cue,
    )


def test_revision_3_store_gets_the_cue_column_and_keeps_its_data(tmp_path: Path) -> None:
    """A store written by the schema-version-3 code (at Alembic revision 0003, with an audit
    entry) is upgraded by revision 0004: its detections read back with no cue (-1), its audit
    log stays append-only, and new detections keep their cues."""
    path = tmp_path / "v3.sqlite"
    shutil.copy(DATA / "store_v3.sqlite", path)
    assert sqlite_rows(path, "select version_num from alembic_version") == [("0003",)]
    columns = [r[1] for r in sqlite_rows(path, "pragma table_info(detections)")]
    assert "cue" not in columns
    c = content()
    with EventStore.open(path, create=False) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        (run,) = store.runs()
        det = store.detections(run.run_id)
        np.testing.assert_array_equal(det.t, c["det_t"])
        np.testing.assert_array_equal(det.R, c["det_R"])
        np.testing.assert_array_equal(det.cue, np.full(12, -1, np.int8))
        (entry,) = store.audit_entries()
        assert {k: entry[k] for k in AUDIT} == AUDIT
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_log")
        new = cued_batch(1.75e9 + 100, 20)
        store.append_detections(run.run_id, new)
        back = store.detections(run.run_id)
        np.testing.assert_array_equal(back.cue[:12], -1)
        np.testing.assert_array_equal(back.cue[12:], new.cue)
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, S.metadata) == []
    assert sqlite_rows(path, "select version_num from alembic_version") == [("0004",)]
    assert sqlite_rows(path, "select count(*) from detections where cue is null") == [(14,)]


def test_failing_revision_4_leaves_the_revision_3_store_as_it_was(tmp_path: Path) -> None:
    """Revision 0004 fails (a column of its name exists): the store stays at revision 0003 and
    schema version 3, its rows untouched."""
    path = tmp_path / "v3.sqlite"
    shutil.copy(DATA / "store_v3.sqlite", path)
    con = sqlite3.connect(path)
    with con:
        con.execute("alter table detections add column cue text")
    con.close()
    with pytest.raises(StoreError, match="cue"):
        EventStore.open(path)
    assert sqlite_rows(path, "select version_num from alembic_version") == [("0003",)]
    assert sqlite_rows(path, "select value from schema_meta where key='schema_version'") == [("3",)]
    assert len(sqlite_rows(path, "select * from detections")) == 12


def _store_at_revision_3(conn: sa.Connection) -> None:
    """Build the schema of revision 0003 on ``conn`` with the revisions themselves and write a
    run with three detections into it (the columns of version 3: no cue)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.DIRECTORY))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "0003")
    conn.execute(
        S.runs.insert(),
        [
            {
                "run_id": 1, "scenario": "v3", "seed": 0, "t0": 1.75e9, "origin_lat": 51.0,
                "origin_lon": 4.0, "origin_h": 0.0, "started_utc": "2025-06-15T12:00:00+00:00",
                "config": {}, "status": "finished",
            }
        ],
    )  # fmt: skip
    v3_columns = [c for c in S.detections.c if c.name not in ("seq", "cue")]
    assert len(v3_columns) == 24
    conn.execute(
        S.detections.insert(),
        [
            {
                **dict.fromkeys((c.name for c in v3_columns), 0.0),
                "run_id": 1, "sensor": 0, "kind": 1, "t": 1.75e9 + k, "ident": -1,
                "protocol": -1, "truth": -1,
            }
            for k in range(3)
        ],
    )  # fmt: skip


def test_revision_3_store_is_upgraded_on_every_dialect(
    backend: str, open_store: OpenStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A store at revision 0003 (built by the revisions, on SQLite and PostgreSQL) opens at the
    head: the cue column is added (NULL in the old rows: no cue) and takes new cues."""
    if backend == "sqlite":
        engine = sa.create_engine(sa.URL.create("sqlite", database=str(tmp_path / "events.sqlite")))
        with engine.begin() as conn:
            _store_at_revision_3(conn)
    else:
        schema = request.getfixturevalue("pg_schema")
        engine = sa.create_engine(sa.make_url(PG_URL).set(drivername="postgresql+pg8000"))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            conn.exec_driver_sql(f'SET search_path TO "{schema}"')
            _store_at_revision_3(conn)
    engine.dispose()
    with open_store(create=False) as store:
        assert store.schema_version == 4
        with store.engine.connect() as conn:
            assert migrations.current(conn) == "0004"
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, S.metadata) == []
        np.testing.assert_array_equal(store.detections(1).cue, [-1, -1, -1])
        new = cued_batch(1.75e9 + 10, 12)
        store.append_detections(1, new)
        np.testing.assert_array_equal(store.detections(1, t_from=1.75e9 + 10).cue, new.cue)
        assert (new.cue >= 0).any()
        assert (new.cue == -1).any()


def test_failing_upgrade_leaves_the_old_store_as_it_was(tmp_path: Path) -> None:
    """Revision 0003 fails half-way (a table of its name exists): revisions 0002 .. 0003 and the
    stamp are rolled back together, the store stays a readable version 1 store."""
    path = tmp_path / "old.sqlite"
    shutil.copy(DATA / "store_v1.sqlite", path)
    con = sqlite3.connect(path)
    with con:
        con.execute("create table audit_log (x integer)")
    con.close()
    with pytest.raises(StoreError, match="audit_log"):
        EventStore.open(path)
    assert sqlite_rows(path, "select value from schema_meta where key='schema_version'") == [("1",)]
    assert not sqlite_rows(path, "select name from sqlite_master where name='alembic_version'")
    columns = [r[1] for r in sqlite_rows(path, "pragma table_info(detections)")]
    assert "range_rate" not in columns
    assert len(sqlite_rows(path, "select * from detections")) == 12


def test_store_of_a_newer_schema_version_is_refused(open_store: OpenStore) -> None:
    open_store().close()
    with open_store() as store, store.engine.begin() as conn:
        conn.execute(
            S.schema_meta.update().where(S.schema_meta.c.key == "schema_version").values(value="5")
        )
    with pytest.raises(StoreError, match="newer dronewall") as info:
        open_store()
    err = info.value
    assert (err.expected, err.actual) == ("4", "5")
    assert err.field == "schema_meta.schema_version"
    assert "expected 4" in str(err)
    assert "got 5" in str(err)


def test_store_with_an_unknown_revision_is_refused(open_store: OpenStore) -> None:
    open_store().close()
    with open_store() as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="newer dronewall") as info:
        open_store()
    assert info.value.actual == "revision 0099"


def test_refused_sqlite_store_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    EventStore.open(path).close()
    con = sqlite3.connect(path)
    with con:
        con.execute("update schema_meta set value='0' where key='schema_version'")
    con.close()
    with pytest.raises(StoreError, match="unsupported event store schema version") as info:
        EventStore.open(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)


def test_empty_database_with_create_false_is_refused(open_store: OpenStore) -> None:
    with pytest.raises(StoreError, match=r"empty|no event store"):
        open_store(create=False)


def test_fresh_store_records_version_and_creation_time(store: EventStore) -> None:
    with store.engine.connect() as conn:
        meta = dict(conn.execute(sa.select(S.schema_meta.c.key, S.schema_meta.c.value)).all())
    assert meta["schema_version"] == "4"
    assert meta["created_utc"].endswith("+00:00")
