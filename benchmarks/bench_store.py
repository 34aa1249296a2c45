"""Event store throughput on SQLite and PostgreSQL: bulk appends (rows/s), a pipeline tick, the
track picture at time T, and the audit log.

Measured per backend, each on a fresh store (an SQLite file in a temporary folder; a fresh schema
of the PostgreSQL database at ``--pg-url``, dropped afterwards):

* ``detections``: ``--batches`` appends of ``--rows`` detections each (one transaction per append);
* ``tracks``: 1,000 tracks at 1 Hz for ``--seconds`` snapshots (one ``append_track_updates`` each);
* ``tick``: a pipeline tick inside ``transaction()`` (60 detections, 30 truth rows, 30 track
  updates, 1 event);
* ``picture``: ``track_picture`` at the end of the record with a 10 s staleness window
  (1,000 tracks x 10 snapshots in the window);
* ``audit``: ``append_audit`` one entry per call (each its own commit);
* on PostgreSQL also the other write paths on the same detection batches: multi-row
  ``INSERT ... VALUES`` (used with drivers other than pg8000) and the peer, SQLAlchemy's plain
  ``executemany`` (one round trip per row with pg8000), to show why COPY is used.

Run: ``.venv/bin/python benchmarks/bench_store.py [--rows 1000 --batches 20 --seconds 30]
[--pg-url postgresql+pg8000://root@127.0.0.1:5432/test]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from dronewall.core import DetectionBatch, TrackTable
from dronewall.picture import Event, EventStore

N_TRACKS = 1000


def detections(rng: np.random.Generator, m: int, t0: float) -> DetectionBatch:
    a = rng.normal(size=(m, 3, 3))
    return DetectionBatch.build(
        t=t0 + np.sort(rng.uniform(0, 1, m)),
        sensor=rng.integers(0, 8, m).astype(np.int32),
        kind=rng.integers(0, 3, m).astype(np.int8),
        z=rng.normal(size=(m, 3)) * 1e3,
        R=a @ a.transpose(0, 2, 1),
        sensor_pos=rng.normal(size=(m, 3)),
        rcs_m2=np.where(rng.random(m) < 0.3, np.nan, rng.random(m)),
        snr_db=rng.normal(size=m),
        truth=rng.integers(-1, 30, m).astype(np.int32),
    )


def tracks(rng: np.random.Generator, n: int, t: float) -> TrackTable:
    a = rng.normal(size=(n, 6, 6))
    return TrackTable(
        t=t,
        track_id=np.arange(n, dtype=np.int64),
        status=np.ones(n, np.int8),
        x=rng.normal(size=(n, 6)) * 100,
        P=a @ a.transpose(0, 2, 1),
        t_first=np.full(n, t),
        t_update=np.full(n, t),
        hits=np.full(n, 3, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64),
        rcs_dbsm=np.full(n, np.nan),
        sensors=np.ones(n, np.int64),
        truth=np.full(n, -1, np.int32),
    )


@contextmanager
def sqlite_store() -> Iterator[EventStore]:
    with tempfile.TemporaryDirectory() as d, EventStore.open(Path(d) / "bench.sqlite") as s:
        yield s


@contextmanager
def pg_store(url: str) -> Iterator[EventStore]:
    schema = f"dw_bench_{uuid.uuid4().hex[:10]}"
    try:
        with EventStore.open(url, schema=schema) as s:
            yield s
    finally:
        admin = sa.create_engine(
            sa.make_url(url).set(drivername="postgresql+pg8000"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench(store: EventStore, args: argparse.Namespace, peer: bool) -> dict[str, str]:
    rng = np.random.default_rng(0)
    rid = store.begin_run(scenario="bench", seed=0, t0=0.0, origin_lla=(51, 4, 0), config={})
    res: dict[str, str] = {}

    batches = [detections(rng, args.rows, 1.7e9 + k) for k in range(args.batches)]
    t = time.perf_counter()
    for b in batches:
        store.append_detections(rid, b)
    dt = time.perf_counter() - t
    res["detections rows/s"] = f"{args.rows * args.batches / dt:,.0f}"

    if peer:  # the other PostgreSQL paths on the same batches (fewer of them)
        few = batches[: max(1, args.batches // 10)]
        for label, copy, values in (
            ("multi-row VALUES", False, True),
            ("executemany (peer)", False, False),
        ):
            store._pg_copy, store._pg_values = copy, values
            t = time.perf_counter()
            for b in few:
                store.append_detections(rid, b)
            dt = time.perf_counter() - t
            res[f"detections rows/s, {label}"] = f"{args.rows * len(few) / dt:,.0f}"
        store._pg_copy, store._pg_values = True, True

    snaps = [tracks(rng, N_TRACKS, 1.7e9 + k) for k in range(args.seconds)]
    extra = (
        np.zeros((N_TRACKS, 3)),
        ["quadcopter"] * N_TRACKS,
        np.ones(N_TRACKS),
        ["hostile"] * N_TRACKS,
        np.zeros(N_TRACKS),
    )
    t = time.perf_counter()
    for s in snaps:
        store.append_track_updates(rid, s.t, s, *extra)
    dt = time.perf_counter() - t
    res["track updates rows/s"] = f"{N_TRACKS * args.seconds / dt:,.0f}"
    res["1,000-track snapshot ms"] = f"{1e3 * dt / args.seconds:.1f}"

    tick_det = detections(rng, 60, 1.8e9)
    tick_tracks = tracks(rng, 30, 1.8e9)
    tick_extra = (np.zeros((30, 3)), ["bird"] * 30, np.ones(30), ["unknown"] * 30, np.zeros(30))
    idx, enu, lla = np.arange(30), rng.normal(size=(30, 6)), rng.normal(size=(30, 3))

    def tick() -> None:
        with store.transaction():
            store.append_detections(rid, tick_det)
            store.append_truth(rid, 1.8e9, idx, enu, lla)
            store.append_track_updates(rid, 1.8e9, tick_tracks, *tick_extra)
            store.append_events(rid, [Event(t=1.8e9, kind="alert", payload={"level": "watch"})])

    res["tick ms (median of 50)"] = f"{1e3 * statistics.median(timed(tick, 50)):.2f}"

    t_end = 1.7e9 + args.seconds - 1
    pic = timed(lambda: store.track_picture(rid, t_end, max_age_s=10.0), 10)
    n = len(store.track_picture(rid, t_end, max_age_s=10.0))
    res[f"track_picture ms ({n} tracks, median of 10)"] = f"{1e3 * statistics.median(pic):.1f}"
    hist = timed(lambda: store.track_history(rid, 17), 10)
    res["track_history ms (median of 10)"] = f"{1e3 * statistics.median(hist):.1f}"

    def audit() -> None:
        store.append_audit(
            wall_time=time.time(), user="bench", role="commander", action="approve",
            item="p1", reason="benchmark",
        )  # fmt: skip

    res["append_audit ms (median of 50)"] = f"{1e3 * statistics.median(timed(audit, 50)):.2f}"
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "DRONEWALL_TEST_PG_URL", "postgresql+pg8000://root@127.0.0.1:5432/test"
        ),
    )
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    results: dict[str, dict[str, str]] = {}
    with sqlite_store() as s:
        results["SQLite (WAL, file)"] = bench(s, args, peer=False)
    try:
        with pg_store(args.pg_url) as s:
            with s.engine.connect() as c:
                version = c.exec_driver_sql("SHOW server_version").scalar()
            results[f"PostgreSQL {str(version).split()[0]} (pg8000, local TCP)"] = bench(
                s, args, peer=True
            )
    except Exception as exc:  # report it and go on with what was measured
        print(f"# PostgreSQL at {args.pg_url} skipped: {exc}")
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    names = list(results)
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for k in keys:
        print(f"| {k} | " + " | ".join(results[n].get(k, "-") for n in names) + " |")
    print(f"# load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
