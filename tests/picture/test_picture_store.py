"""The event store: schema versioning, exact round trips, atomic appends, event order."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from picture_helpers import PG_URL, install_failing_insert

from dronewall.core import (
    DetectionBatch,
    MeasurementKind,
    ObjectClass,
    StoreError,
    TrackStatus,
    TrackTable,
)
from dronewall.picture import EVENT_KINDS, Event, EventStore, StoreInputError
from dronewall.picture import schema as S
from dronewall.world import load_world

DETECTION_FIELDS = (
    "t", "sensor", "kind", "z", "R", "sensor_pos", "rcs_m2", "snr_db", "ident", "protocol",
    "truth", "t_received", "range_rate", "range_rate_var", "cue",
)  # fmt: skip


def new_run(store: EventStore, **kw: object) -> int:
    args: dict[str, object] = {
        "scenario": "unit",
        "seed": 7,
        "t0": 1.7e9,
        "origin_lla": (51.0, 4.3, 10.0),
        "config": {"dt": 1.0},
    }
    args.update(kw)
    return store.begin_run(**args)  # type: ignore[arg-type]


def random_batch(rng: np.random.Generator, m: int) -> DetectionBatch:
    a = rng.normal(size=(m, 3, 3))
    r = a @ a.transpose(0, 2, 1)
    return DetectionBatch.build(
        t=1.7e9 + np.sort(rng.uniform(0, 100, m)),
        sensor=rng.integers(0, 4, m).astype(np.int32),
        kind=rng.integers(0, 3, m).astype(np.int8),
        z=rng.normal(size=(m, 3)) * 1e3,
        R=r,
        sensor_pos=rng.normal(size=(m, 3)),
        rcs_m2=np.where(rng.random(m) < 0.3, np.nan, rng.random(m)),
        snr_db=rng.normal(size=m),
        ident=rng.integers(-1, 2**62, m),
        protocol=rng.integers(-1, 5, m).astype(np.int16),
        truth=rng.integers(-1, 30, m).astype(np.int32),
        cue=rng.integers(-1, len(ObjectClass), m).astype(np.int8),
    )


def assert_same_batch(a: DetectionBatch, b: DetectionBatch) -> None:
    assert len(a) == len(b)
    for name in DETECTION_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y, equal_nan=True), name


def count(store: EventStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def track_table(rng: np.random.Generator, t: float, ids: list[int]) -> TrackTable:
    n = len(ids)
    a = rng.normal(size=(n, 6, 6))
    return TrackTable(
        t=t,
        track_id=np.array(ids, dtype=np.int64),
        status=rng.integers(0, 3, n).astype(np.int8),
        x=rng.normal(size=(n, 6)) * 100,
        P=a @ a.transpose(0, 2, 1),
        t_first=np.full(n, t - 5.0),
        t_update=np.full(n, t),
        hits=np.full(n, 3, np.int32),
        misses=np.zeros(n, np.int32),
        ident=rng.integers(-1, 2**24, n),
        rcs_dbsm=np.full(n, np.nan),
        sensors=np.ones(n, np.int64),
        truth=rng.integers(-1, 10, n).astype(np.int32),
    )


# ----------------------------------------------------------------------------- opening


def test_missing_store_without_create_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite"
    with pytest.raises(StoreError, match=r"nope\.sqlite"):
        EventStore.open(path, create=False)
    assert not path.exists()


def test_foreign_database_and_garbage_file_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("create table x (a integer)")
    con.close()
    with pytest.raises(StoreError, match="not a dronewall event store"):
        EventStore.open(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match=r"junk\.sqlite"):
        EventStore.open(junk)


def test_url_opens_in_memory_store() -> None:
    with EventStore.open("sqlite://") as store:
        rid = new_run(store)
        assert store.run(rid).scenario == "unit"


# ----------------------------------------------------------------------------- runs


def test_run_lifecycle_and_setup_tables(store: EventStore) -> None:
    world = load_world()
    rid = new_run(store, config={"x": np.float64(np.nan), "y": (1, 2), "z": np.int64(3)})
    store.add_sites(rid, [world.sites["doel"], world.sites["tihange"]])
    store.add_sensors(
        rid, [{"sensor_id": "r1", "kind": "radar", "lat": 51.3, "lon": 4.2, "h_m": 12.0}]
    )
    store.add_fire_units(
        rid,
        [{"fire_unit_id": "g1", "effector_id": "gun", "layer": "gun", "lat": 51.31,
          "lon": 4.25, "magazine": None}],
    )  # fmt: skip
    store.add_objects(
        rid,
        [{"object_id": "h1", "type_id": "shahed", "object_class": "loitering-munition",
          "allegiance": "hostile", "target_site": "doel", "rcs_m2": 0.5}],
    )  # fmt: skip
    info = store.run(rid)
    assert info.status == "running"
    assert info.finished_utc is None
    assert info.config == {"x": None, "y": [1, 2], "z": 3}
    assert info.origin_lla == (51.0, 4.3, 10.0)
    store.finish_run(rid, {"gospa": np.float64(1.5)}, "finished")
    info = store.run(rid)
    assert info.status == "finished"
    assert info.summary == {"gospa": 1.5}
    assert info.finished_utc is not None
    assert info.finished_utc.endswith("+00:00")
    assert [r.run_id for r in store.runs()] == [rid]
    sites = store.sites(rid)
    assert [s["site_id"] for s in sites] == ["doel", "tihange"]
    assert sites[0]["alert_radius_m"] == world.sites["doel"].alert_radius_m
    assert store.sensors(rid)[0]["idx"] == 0
    assert store.fire_units(rid)[0]["magazine"] is None
    assert store.objects(rid)[0]["icao"] is None
    with pytest.raises(StoreError, match="no such run"):
        store.run(rid + 1)


def test_setup_rows_with_bad_keys_are_refused(store: EventStore) -> None:
    rid = new_run(store)
    with pytest.raises(StoreError, match=r"missing \['lon'\]"):
        store.add_sensors(rid, [{"sensor_id": "a", "kind": "radar", "lat": 1.0}])
    with pytest.raises(StoreError, match="unknown"):
        store.add_sensors(
            rid, [{"sensor_id": "a", "kind": "radar", "lat": 1.0, "lon": 2.0, "colour": 1}]
        )
    with pytest.raises(StoreError, match="must be a number"):
        store.add_sensors(rid, [{"sensor_id": "a", "kind": "radar", "lat": "x", "lon": 2.0}])
    assert store.sensors(rid) == []
    with pytest.raises(StoreError, match="no such run"):
        store.add_sensors(99, [])


# ----------------------------------------------------------------------------- detections


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    m=st.integers(min_value=1, max_value=40),
)
def test_detections_round_trip_exactly(store: EventStore, data: st.DataObject, m: int) -> None:
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    a = data.draw(hnp.arrays(np.float64, (m, 3, 3), elements=floats))
    r = np.triu(a) + np.triu(a, 1).transpose(0, 2, 1)  # symmetric, NaN/inf included
    batch = DetectionBatch(
        t=data.draw(hnp.arrays(np.float64, (m,), elements=finite)),
        sensor=data.draw(hnp.arrays(np.int32, (m,), elements=st.integers(0, 2**31 - 1))),
        kind=data.draw(hnp.arrays(np.int8, (m,), elements=st.sampled_from([0, 1, 2, 3]))),
        z=data.draw(hnp.arrays(np.float64, (m, 3), elements=floats)),
        R=r,
        sensor_pos=data.draw(hnp.arrays(np.float64, (m, 3), elements=floats)),
        rcs_m2=data.draw(hnp.arrays(np.float64, (m,), elements=floats)),
        snr_db=data.draw(hnp.arrays(np.float64, (m,), elements=floats)),
        ident=data.draw(hnp.arrays(np.int64, (m,), elements=st.integers(-(2**63), 2**63 - 1))),
        protocol=data.draw(hnp.arrays(np.int16, (m,), elements=st.integers(-(2**15), 2**15 - 1))),
        truth=data.draw(hnp.arrays(np.int32, (m,), elements=st.integers(-1, 2**31 - 1))),
        t_received=data.draw(hnp.arrays(np.float64, (m,), elements=floats)),
        range_rate=data.draw(hnp.arrays(np.float64, (m,), elements=floats)),
        range_rate_var=data.draw(hnp.arrays(np.float64, (m,), elements=floats)),
        cue=data.draw(hnp.arrays(np.int8, (m,), elements=st.integers(-1, max(ObjectClass)))),
    )
    rid = new_run(store)  # one store for all examples: a new pair of runs each
    other = new_run(store)
    assert store.append_detections(rid, batch) == m
    store.append_detections(other, batch.select(np.arange(min(m, 3))))
    assert_same_batch(store.detections(rid), batch)


def test_detections_time_window_and_order(store: EventStore) -> None:
    rng = np.random.default_rng(1)
    b1, b2 = random_batch(rng, 50), random_batch(rng, 30)
    rid = new_run(store)
    store.append_detections(rid, b1)
    store.append_detections(rid, b2)
    assert_same_batch(store.detections(rid), DetectionBatch.concat([b1, b2]))
    lo, hi = 1.7e9 + 20, 1.7e9 + 60
    both = DetectionBatch.concat([b1, b2])
    assert_same_batch(store.detections(rid, lo, hi), both.select((both.t >= lo) & (both.t < hi)))
    assert len(store.detections(rid + 5)) == 0


def test_bad_detection_batches_are_refused_before_writing(store: EventStore) -> None:
    rng = np.random.default_rng(2)
    good = random_batch(rng, 10)
    rid = new_run(store)
    t = good.t.copy()
    t[4] = np.nan
    with pytest.raises(StoreError, match=r"batch\.t\[4\]"):
        store.append_detections(rid, DetectionBatch(**{**_fields(good), "t": t}))
    r = good.R.copy()
    r[3, 0, 1] += 1.0
    with pytest.raises(StoreError, match="not symmetric"):
        store.append_detections(rid, DetectionBatch(**{**_fields(good), "R": r}))
    sensor = good.sensor.astype(np.float64)
    sensor[2] = np.nan
    with pytest.raises(ValueError, match=r"batch\.sensor\[2\]"):
        store.append_detections(rid, DetectionBatch(**{**_fields(good), "sensor": sensor}))
    kind = good.kind.copy()
    kind[0] = 9
    with pytest.raises(StoreError, match="out of range"):
        store.append_detections(rid, DetectionBatch(**{**_fields(good), "kind": kind}))
    for bad_cue in (len(ObjectClass), -2):
        cue = good.cue.copy()
        cue[6] = bad_cue
        with pytest.raises(StoreInputError, match=r"batch\.cue\[6\]") as info:
            store.append_detections(rid, DetectionBatch(**{**_fields(good), "cue": cue}))
        assert info.value.expected == f"-1..{max(ObjectClass)}"
    assert count(store, S.detections) == 0
    with pytest.raises(StoreError, match="no such run"):
        store.append_detections(rid + 1, good)


def _fields(b: DetectionBatch) -> dict[str, np.ndarray]:
    return {name: getattr(b, name) for name in DETECTION_FIELDS}


def test_failing_append_leaves_no_partial_rows(store: EventStore) -> None:
    """A database error in the middle of an executemany rolls the whole batch back."""
    rng = np.random.default_rng(3)
    batch = random_batch(rng, 100)
    rid = new_run(store)
    store.append_detections(rid, batch.select(np.arange(10)))
    # rows 0-49 of the next batch go in, then the database aborts on row 50
    install_failing_insert(store, "detections", float(batch.t[50]))
    bad = batch
    with pytest.raises(StoreError, match="nothing written") as info:
        store.append_detections(rid, bad)
    assert info.value.source is not None
    assert count(store, S.detections) == 10
    assert_same_batch(store.detections(rid), batch.select(np.arange(10)))


def test_failing_event_append_leaves_no_partial_rows(store: EventStore) -> None:
    rid = new_run(store)
    evs = [Event(t=1.0, kind="alert", track_id=1, payload={"level": "watch"})] * 3
    with pytest.raises(StoreError, match=r"events\[3\]\.kind"):
        store.append_events(rid, [*evs, Event(t=2.0, kind="alarm")])
    with pytest.raises(StoreError, match=r"events\[1\]\.payload"):
        store.append_events(rid, [evs[0], Event(t=2.0, kind="leak", payload={"o": object()})])
    assert store.events(rid) == []


# ----------------------------------------------------------------------------- events


def test_events_ordered_and_filtered_by_kind(store: EventStore) -> None:
    kinds = sorted(EVENT_KINDS)
    rng = np.random.default_rng(4)
    evs = [
        Event(
            t=1.7e9 + i,
            kind=kinds[int(rng.integers(len(kinds)))],
            track_id=None if i % 5 == 0 else int(rng.integers(100)),
            site_id="doel" if i % 3 == 0 else None,
            payload={"i": i, "level": "warning", "nested": {"a": [1, 2.5]}},
        )
        for i in range(60)
    ]
    rid = new_run(store)
    other = new_run(store)
    store.append_events(rid, evs[:25])
    store.append_events(other, evs[:5])
    store.append_events(rid, evs[25:])
    assert store.events(rid) == evs
    wanted = {"alert", "outcome"}
    assert store.events(rid, kinds=wanted) == [e for e in evs if e.kind in wanted]
    assert store.events(rid, kinds="leak") == [e for e in evs if e.kind == "leak"]
    assert store.events(rid, t_from=1.7e9 + 10, t_to=1.7e9 + 20) == evs[10:20]
    with pytest.raises(ValueError, match="unknown event kind"):
        store.events(rid, kinds=["alrt"])


def test_event_payload_non_finite_and_numpy_values(store: EventStore) -> None:
    rid = new_run(store)
    store.append_events(
        rid,
        [Event(t=5.0, kind="outcome", track_id=np.int64(3),  # type: ignore[arg-type]
               payload={"pk": np.float32(0.5), "miss": np.inf, "v": np.arange(3)})],
    )  # fmt: skip
    (ev,) = store.events(rid)
    assert ev.track_id == 3
    assert type(ev.track_id) is int
    assert ev.payload == {"pk": 0.5, "miss": None, "v": [0, 1, 2]}


# ----------------------------------------------------------------------------- truth, tracks


def test_truth_round_trip(store: EventStore) -> None:
    rng = np.random.default_rng(5)
    rid = new_run(store)
    rows = []
    for k in range(5):
        idx = rng.permutation(8)[:6]
        enu, lla = rng.normal(size=(6, 6)), rng.normal(size=(6, 3))
        store.append_truth(rid, 1.7e9 + k, idx, enu, lla)
        rows.append((np.full(6, 1.7e9 + k), idx, enu, lla))
    rec = store.truth(rid)
    assert np.array_equal(rec.t, np.concatenate([r[0] for r in rows]))
    assert np.array_equal(rec.idx, np.concatenate([r[1] for r in rows]))
    assert rec.idx.dtype == np.int32
    assert np.array_equal(rec.enu, np.concatenate([r[2] for r in rows]))
    assert np.array_equal(rec.lla, np.concatenate([r[3] for r in rows]))
    one = store.truth(rid, idx=int(rows[0][1][0]))
    assert (one.idx == rows[0][1][0]).all()
    with pytest.raises(StoreError, match="repeat"):
        store.append_truth(rid, 1.7e9, [1, 1], np.zeros((2, 6)), np.zeros((2, 3)))
    with pytest.raises(StoreError, match="wrong shape"):
        store.append_truth(rid, 1.7e9, [1, 2], np.zeros((2, 5)), np.zeros((2, 3)))
    assert len(store.truth(rid)) == 30


def test_track_updates_round_trip(store: EventStore) -> None:
    rng = np.random.default_rng(6)
    snaps = []
    rid = new_run(store)
    for k, ids in enumerate([[1, 2, 3], [2, 3, 4, 5], [], [5]]):
        tracks = track_table(rng, 1.7e9 + k, ids)
        n = len(ids)
        extra = (
            rng.normal(size=(n, 3)),
            ["quadcopter", "bird", "fpv", "decoy", "airliner"][:n],
            rng.random(n),
            ["hostile", "suspect", "neutral", "unknown", "pending"][:n],
            rng.random(n),
        )
        assert store.append_track_updates(rid, tracks.t, tracks, *extra) == n
        snaps.append((tracks, extra))
    got = store.track_updates(rid)
    cat = np.concatenate
    tabs = [s[0] for s in snaps]
    assert np.array_equal(got.t, cat([np.full(len(t), t.t) for t in tabs]))
    assert np.array_equal(got.track_id, cat([t.track_id for t in tabs]))
    assert got.track_id.dtype == np.int64
    assert got.status.dtype == np.int8
    assert np.array_equal(got.status, cat([t.status for t in tabs]))
    assert np.array_equal(got.x, cat([t.x for t in tabs]))
    assert np.array_equal(got.pos_cov, cat([t.P[:, :3, :3] for t in tabs]))
    assert np.array_equal(
        got.vel_var, cat([np.diagonal(t.P[:, 3:, 3:], axis1=1, axis2=2) for t in tabs])
    )
    assert np.array_equal(got.ident, cat([t.ident for t in tabs]))
    assert np.array_equal(got.truth, cat([t.truth for t in tabs]))
    assert np.array_equal(got.lla, cat([s[1][0] for s in snaps]))
    assert got.object_class.tolist() == [x for s in snaps for x in s[1][1]]
    assert np.array_equal(got.class_prob, cat([s[1][2] for s in snaps]))
    assert got.identity.tolist() == [x for s in snaps for x in s[1][3]]
    assert np.array_equal(got.threat, cat([s[1][4] for s in snaps]))
    one = store.track_updates(rid, track_id=5)
    assert one.track_id.tolist() == [5, 5]
    assert len(store.track_updates(rid, t_from=1.7e9 + 1, t_to=1.7e9 + 2)) == 4


def test_track_updates_bad_input(store: EventStore) -> None:
    rng = np.random.default_rng(7)
    tracks = track_table(rng, 1.7e9, [1, 2])
    ok = (np.zeros((2, 3)), ["a", "b"], np.ones(2), ["x", "y"], np.ones(2))
    rid = new_run(store)
    with pytest.raises(StoreError, match="class_label"):
        store.append_track_updates(rid, 1.7e9, tracks, ok[0], ["a"], *ok[2:])
    with pytest.raises(StoreError, match=r"field 'lla'"):
        store.append_track_updates(rid, 1.7e9, tracks, np.zeros((3, 3)), *ok[1:])
    dup = track_table(rng, 1.7e9, [4, 4])
    with pytest.raises(StoreError, match="repeat"):
        store.append_track_updates(rid, 1.7e9, dup, *ok)
    status = np.array([TrackStatus.CONFIRMED, 7], dtype=np.int8)
    bad = dataclasses.replace(tracks, status=status)
    with pytest.raises(StoreError, match=r"tracks\.status\[1\]"):
        store.append_track_updates(rid, 1.7e9, bad, *ok)
    assert len(store.track_updates(rid)) == 0


def test_measurement_kind_values_are_what_the_store_accepts() -> None:
    assert {int(k) for k in MeasurementKind} == {0, 1, 2, 3}


# ----------------------------------------------------------------------------- portability, API


def test_schema_compiles_for_postgresql() -> None:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    ddl = "\n".join(
        [str(CreateTable(t).compile(dialect=dialect)) for t in S.metadata.sorted_tables]
        + [str(CreateIndex(i).compile(dialect=dialect)) for t in S.metadata.sorted_tables
           for i in t.indexes]
    )  # fmt: skip
    assert "DOUBLE PRECISION" in ddl
    assert "BIGSERIAL" in ddl
    assert "JSON" in ddl
    assert "ix_track_updates_run_track" in ddl


def test_store_is_one_file_after_close(tmp_path: Path) -> None:
    with EventStore.open(tmp_path / "events.sqlite") as store:
        rid = new_run(store)
        store.append_detections(rid, random_batch(np.random.default_rng(8), 20))
    assert [p.name for p in tmp_path.iterdir()] == ["events.sqlite"]


def test_public_api() -> None:
    import dronewall.picture as picture

    assert sorted(picture.__all__) == [
        "EVENT_KINDS", "Event", "EventStore", "RunInfo", "SCHEMA_VERSION",
        "StoreInputError", "TrackUpdates", "TruthRecord",
    ]  # fmt: skip
    for name in ("append_audit", "audit_entries", "track_picture", "track_history"):
        assert callable(getattr(picture.EventStore, name)), name
    assert issubclass(picture.StoreInputError, StoreError)
    assert issubclass(picture.StoreInputError, ValueError)


# ----------------------------------------------------------------------------- transaction()


def test_transaction_groups_appends_and_rolls_back_as_a_whole(store: EventStore) -> None:
    rng = np.random.default_rng(9)
    b = random_batch(rng, 20)
    with store.transaction():
        rid = new_run(store)
        store.append_detections(rid, b)
        with store.transaction():  # nested: joins
            store.append_events(rid, [Event(t=1.0, kind="leak", site_id="doel")])
        # a failing append inside leaves the earlier ones, and none of its own rows
        with pytest.raises(StoreError, match="unknown event kind"):
            store.append_events(rid, [Event(t=2.0, kind="alert"), Event(t=3.0, kind="x")])
        assert len(store.detections(rid)) == 20  # reads see the open transaction
    assert len(store.detections(rid)) == 20
    assert len(store.events(rid)) == 1

    created: list[int] = []

    def abandoned_tick() -> None:
        with store.transaction():
            created.append(new_run(store, scenario="gone"))
            store.append_detections(created[0], b)
            raise RuntimeError("abandon the tick")

    with pytest.raises(RuntimeError, match="abandon"):
        abandoned_tick()
    assert [r.scenario for r in store.runs()] == ["unit"]
    assert count(store, S.detections) == 20
    with pytest.raises(StoreError, match="no such run"):
        store.append_detections(created[0], b)


def test_database_failure_inside_a_transaction_rolls_all_of_it_back(store: EventStore) -> None:
    rng = np.random.default_rng(10)
    b = random_batch(rng, 30)
    rid = new_run(store)
    install_failing_insert(store, "detections", float(b.t[15]))

    def tick() -> None:
        with store.transaction():
            store.append_events(rid, [Event(t=1.0, kind="leak")])
            with pytest.raises(StoreError, match="transaction was rolled back"):
                store.append_detections(rid, b)  # row 15 fails in the database; caught here
            with pytest.raises(StoreError, match="earlier write"):
                store.append_events(rid, [Event(t=2.0, kind="leak")])

    with pytest.raises(StoreError, match="all of it was rolled back"):
        tick()
    assert count(store, S.detections) == 0
    assert store.events(rid) == []
    store.append_events(rid, [Event(t=3.0, kind="leak")])  # the store is usable again
    assert len(store.events(rid)) == 1


# ----------------------------------------------------------------------------- picture at time T


def _snapshot(store: EventStore, rid: int, t: float, ids: list[int], status: int = 1) -> None:
    n = len(ids)
    tracks = dataclasses.replace(
        track_table(np.random.default_rng(int(t)), t, ids), status=np.full(n, status, np.int8)
    )
    tracks = dataclasses.replace(tracks, x=np.column_stack([np.full((n, 1), t), np.zeros((n, 5))]))
    store.append_track_updates(
        rid, t, tracks, np.zeros((n, 3)), ["bird"] * n, np.ones(n), ["unknown"] * n, np.zeros(n)
    )


def test_track_picture_is_the_latest_snapshot_per_track_within_the_window(
    store: EventStore,
) -> None:
    rid = new_run(store)
    other = new_run(store)
    _snapshot(store, rid, 100.0, [1, 2, 3])
    _snapshot(store, rid, 101.0, [1, 2])
    _snapshot(store, rid, 102.0, [1])
    _snapshot(store, rid, 103.0, [4])
    _snapshot(store, other, 102.5, [1, 2, 3])  # another run: never in rid's picture
    pic = store.track_picture(rid, 102.5, max_age_s=5.0)
    assert pic.track_id.tolist() == [1, 2, 3]
    assert pic.t.tolist() == [102.0, 101.0, 100.0]
    assert pic.x[:, 0].tolist() == [102.0, 101.0, 100.0]  # the row of that time, not another
    # staleness: a track whose last snapshot is older than max_age_s is dropped
    assert store.track_picture(rid, 102.5, max_age_s=1.6).track_id.tolist() == [1, 2]
    assert store.track_picture(rid, 102.0, max_age_s=0.0).track_id.tolist() == [1]
    # "at or before T": the later snapshot of track 4 is not seen at 102.5
    assert store.track_picture(rid, 103.0, max_age_s=10).track_id.tolist() == [1, 2, 3, 4]
    assert len(store.track_picture(rid, 99.0)) == 0
    assert store.track_picture(rid + 99, 102.0).track_id.shape == (0,)


def test_track_picture_equal_times_take_the_last_written(store: EventStore) -> None:
    rid = new_run(store)
    _snapshot(store, rid, 50.0, [7], status=0)
    _snapshot(store, rid, 50.0, [7], status=2)
    pic = store.track_picture(rid, 50.0)
    assert pic.status.tolist() == [2]


def test_track_picture_matches_a_numpy_reference(store: EventStore) -> None:
    rng = np.random.default_rng(11)
    rid = new_run(store)
    for k in range(30):
        ids = sorted(rng.choice(40, size=int(rng.integers(0, 15)), replace=False).tolist())
        if ids:
            _snapshot(store, rid, 1000.0 + k, ids)
    allrows = store.track_updates(rid)
    for t, age in [(1010.0, 3.0), (1029.0, 30.0), (1015.5, 0.4), (1020.0, 7.5)]:
        keep = (allrows.t <= t) & (allrows.t >= t - age)
        want: dict[int, float] = {}
        for tid, tt in zip(allrows.track_id[keep], allrows.t[keep], strict=True):
            want[int(tid)] = max(want.get(int(tid), -np.inf), float(tt))
        pic = store.track_picture(rid, t, max_age_s=age)
        assert pic.track_id.tolist() == sorted(want)
        assert pic.t.tolist() == [want[i] for i in sorted(want)]


def test_track_picture_and_history_refuse_bad_arguments(store: EventStore) -> None:
    rid = new_run(store)
    for kw, field in (
        ({"t": float("nan")}, "t"),
        ({"t": "now"}, "t"),
        ({"t": 1.0, "max_age_s": -1.0}, "max_age_s"),
        ({"t": 1.0, "max_age_s": float("inf")}, "max_age_s"),
    ):
        with pytest.raises(StoreError) as info:
            store.track_picture(rid, **kw)  # type: ignore[arg-type]
        assert info.value.field == field


def test_track_history_is_one_track_in_time_order(store: EventStore) -> None:
    rid = new_run(store)
    for k in range(6):
        _snapshot(store, rid, 10.0 + k, [1, 2] if k % 2 else [2])
    hist = store.track_history(rid, 1)
    assert hist.t.tolist() == [11.0, 13.0, 15.0]
    assert (hist.track_id == 1).all()
    assert store.track_history(rid, 2, 12.0, 14.0).t.tolist() == [12.0, 13.0]
    assert len(store.track_history(rid, 3)) == 0


# ----------------------------------------------------------------------------- both dialects


def test_nan_is_stored_as_null_on_every_dialect(store: EventStore) -> None:
    rng = np.random.default_rng(12)
    batch = random_batch(rng, 30)
    rid = new_run(store)
    store.append_detections(rid, batch)
    with store.engine.connect() as conn:
        nulls = conn.execute(
            sa.select(sa.func.count()).where(S.detections.c.rcs_m2.is_(None))
        ).scalar_one()
    assert nulls == int(np.isnan(batch.rcs_m2).sum()) > 0
    assert_same_batch(store.detections(rid), batch)


def test_class_cues_round_trip_and_no_cue_is_null(store: EventStore) -> None:
    """Every cue code and -1 (no cue) read back as written; -1 is NULL in the table, the codes
    are the ObjectClass integers, on every dialect."""
    codes = [-1, *(int(c) for c in ObjectClass)]
    cue = np.array(codes * 3, dtype=np.int8)
    m = cue.size
    batch = DetectionBatch.build(
        t=1.7e9 + np.arange(m, dtype=np.float64),
        sensor=2,
        kind=MeasurementKind.BEARING,
        z=np.zeros((m, 3)),
        R=np.eye(3) * 1e-4,
        sensor_pos=np.zeros(3),
        cue=cue,
    )
    rid = new_run(store)
    store.append_detections(rid, batch)
    with store.engine.connect() as conn:
        stored = (
            conn.execute(
                sa.select(S.detections.c.cue)
                .where(S.detections.c.run_id == rid)
                .order_by(S.detections.c.seq)
            )
            .scalars()
            .all()
        )
    assert stored == [None if c < 0 else c for c in codes * 3]
    back = store.detections(rid)
    assert back.cue.dtype == np.int8
    np.testing.assert_array_equal(back.cue, cue)
    # a time window keeps each row's cue with it
    window = store.detections(rid, 1.7e9 + 3, 1.7e9 + 14)
    np.testing.assert_array_equal(window.cue, cue[3:14])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, r: s.add_sensors(r, [{"sensor_id": "x" * 101, "kind": "radar", "lat": 1.0,
                                         "lon": 2.0}]), "sensors[0].sensor_id"),
        (lambda s, r: s.add_sensors(r, [{"sensor_id": "a\x00", "kind": "radar", "lat": 1.0,
                                         "lon": 2.0}]), "sensors[0].sensor_id"),
        (lambda s, r: s.add_sensors(r, [{"sensor_id": "a", "kind": "radar", "lat": 1.0,
                                         "lon": 2.0, "idx": 2**31}]), "sensors[0].idx"),
        (lambda s, r: s.add_objects(r, [{"object_id": "o", "type_id": "t", "object_class": "c",
                                         "allegiance": "hostile", "icao": 2**64}]),
         "objects[0].icao"),
        (lambda s, r: s.append_events(r, [Event(t=1.0, kind="leak", site_id="s" * 101)]),
         "events[0].site_id"),
        (lambda s, r: s.begin_run(scenario="x" * 201, seed=1, t0=0.0, origin_lla=(0, 0, 0),
                                  config={}), "scenario"),
    ],
)  # fmt: skip
def test_values_one_dialect_would_refuse_are_refused_on_all(
    store: EventStore, call: Any, field: str
) -> None:
    """What PostgreSQL would refuse (too long, NUL, out of range) is refused before writing on
    every dialect, with the same error naming the field."""
    rid = new_run(store)
    with pytest.raises(StoreInputError) as info:
        call(store, rid)
    assert info.value.field == field
    assert store.sensors(rid) == []
    assert store.objects(rid) == []
    assert store.events(rid) == []
    assert len(store.runs()) == 1


def test_track_labels_too_long_are_refused(store: EventStore) -> None:
    rng = np.random.default_rng(13)
    rid = new_run(store)
    tracks = track_table(rng, 1.0, [1])
    with pytest.raises(StoreInputError) as info:
        store.append_track_updates(
            rid, 1.0, tracks, np.zeros((1, 3)), ["c" * 33], np.ones(1), ["u"], np.ones(1)
        )
    assert info.value.field == "class_label[0]"
    assert len(store.track_updates(rid)) == 0


def test_large_append_spans_several_statements_and_stays_atomic(store: EventStore) -> None:
    """More rows than fit one PostgreSQL statement; the failure is in a later statement."""
    rng = np.random.default_rng(14)
    batch = random_batch(rng, 4000)  # 25 columns: 1280 rows per statement on PostgreSQL
    rid = new_run(store)
    store.append_detections(rid, batch)
    assert_same_batch(store.detections(rid), batch)
    install_failing_insert(store, "detections", float(batch.t[3500]))
    with pytest.raises(StoreError, match="nothing written"):
        store.append_detections(rid, batch)
    assert count(store, S.detections) == 4000


# ----------------------------------------------------------------------------- URLs


def test_bare_postgresql_url_uses_pg8000(pg_schema: str) -> None:
    url = sa.make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with EventStore.open(url, schema=pg_schema) as store:
        assert store.engine.dialect.driver == "pg8000"
        assert store.source.startswith("postgresql+pg8000://")
        assert new_run(store) == 1


def test_sqlite_url_with_a_path(tmp_path: Path) -> None:
    path = tmp_path / "by-url.sqlite"
    with EventStore.open(f"sqlite:///{path}") as store:
        new_run(store)
    with EventStore.open(path, create=False) as store:
        assert len(store.runs()) == 1


def test_in_memory_store_is_shared_by_threads() -> None:
    with EventStore.open("sqlite://") as store:
        rid = new_run(store)
        seen: list[int] = []
        th = threading.Thread(target=lambda: seen.extend(r.run_id for r in store.runs()))
        th.start()
        th.join(30)
        assert seen == [rid]


def test_unreachable_server_and_bad_urls_are_clear_errors() -> None:
    with pytest.raises(StoreError, match="cannot open") as info:
        EventStore.open("postgresql://nobody:secret@127.0.0.1:1/none")
    assert info.value.source == "postgresql+pg8000://nobody:***@127.0.0.1:1/none"
    assert "secret" not in str(info.value)
    with pytest.raises(StoreError, match="not a database URL"):
        EventStore.open("::not a url://x")
    with pytest.raises(StoreError, match="cannot open"):
        EventStore.open("nosuchdb://u@h/d")
    with pytest.raises(StoreError, match="only for PostgreSQL") as info:
        EventStore.open("sqlite://", schema="x")
    assert info.value.field == "schema"


def test_text_with_tabs_backslashes_and_newlines_round_trips(store: EventStore) -> None:
    """The bulk paths (COPY text format on PostgreSQL) escape what needs escaping."""
    rng = np.random.default_rng(15)
    rid = new_run(store)
    labels = ["a\tb", "c\\d\\N", "e\nf\rg", "", "Ü ✈ \\."]
    n = len(labels)
    tracks = track_table(rng, 1.0, list(range(n)))
    store.append_track_updates(
        rid, 1.0, tracks, np.zeros((n, 3)), labels, np.ones(n), labels[::-1], np.ones(n)
    )
    store.add_sensors(rid, [{"sensor_id": s, "kind": "k\\t", "lat": 1.0, "lon": 2.0}
                            for s in labels])  # fmt: skip
    got = store.track_updates(rid)
    assert got.object_class.tolist() == labels
    assert got.identity.tolist() == labels[::-1]
    assert [s["sensor_id"] for s in store.sensors(rid)] == labels
    assert {s["kind"] for s in store.sensors(rid)} == {"k\\t"}
