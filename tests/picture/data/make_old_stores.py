"""Write an event store with the store code of an older dronewall (the fixtures of the migration
tests).

The files beside this script were written by the event store of these commits, each from an export
of that commit's ``src`` (``git archive <commit> src | tar -x -C /tmp/old``)::

    PYTHONPATH=/tmp/old/src python tests/picture/data/make_old_stores.py store_v1.sqlite  # a216677
    PYTHONPATH=/tmp/old/src python tests/picture/data/make_old_stores.py store_v2.sqlite  # 4582c0c
    PYTHONPATH=/tmp/old/src python tests/picture/data/make_old_stores.py store_v3.sqlite  # 4379ed4

Schema version 1 (a216677) had no range-rate columns; version 2 (96129e7 .. 4582c0c) was the last
one before the Alembic revisions; version 3 (revision ``0003``, 2be4503 .. 4379ed4) added the audit
log (its store also holds one audit entry, :data:`AUDIT`) and had no ``detections.cue``. The
content is deterministic (seeded) except the UTC times of ``runs`` and ``schema_meta``;
``test_picture_migrations.py`` rebuilds the same arrays with :func:`content` and checks they read
back exactly after the upgrade.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

AUDIT = {
    "wall_time": 1.75e9 + 3,
    "user": "c.janssens",
    "role": "commander",
    "action": "approve",
    "item": "proposal-1",
    "reason": "hostile, inbound",
}
"""The audit entry of the stores that have an audit log (version 3 and later)."""


def content() -> dict[str, Any]:
    """The arrays and rows written to the old stores (pure numpy: importable by the tests)."""
    rng = np.random.default_rng(20250601)
    m = 12
    a = rng.normal(size=(m, 3, 3))
    return {
        "det_t": 1.75e9 + np.arange(m, dtype=np.float64) * 0.5,
        "det_sensor": np.arange(m, dtype=np.int32) % 2,
        "det_z": rng.normal(size=(m, 3)) * 1e3,
        "det_R": a @ a.transpose(0, 2, 1),
        "det_sensor_pos": rng.normal(size=(m, 3)),
        "det_rcs_m2": np.where(np.arange(m) % 3 == 0, np.nan, rng.random(m)),
        "truth_t": 1.75e9 + np.arange(3, dtype=np.float64),
        "truth_enu": rng.normal(size=(3, 2, 6)) * 100,
        "truth_lla": rng.normal(size=(3, 2, 3)),
        "track_x": rng.normal(size=(2, 6)) * 100,
        "track_P": np.stack([np.eye(6) * (k + 1) for k in range(2)]),
        "events": [
            (1.75e9 + 1, "alert", 7, "doel", {"level": "warning", "truth": 0}),
            (1.75e9 + 2, "decision", 7, None, {"approved": True, "fire_unit_id": "g1"}),
        ],
    }


def write(path: Path) -> None:  # pragma: no cover - runs against an old checkout
    from dronewall.core import DetectionBatch, TrackTable
    from dronewall.picture import Event, EventStore

    c = content()
    with EventStore.open(path) as store:
        rid = store.begin_run(
            scenario="old-format", seed=3, t0=1.75e9, origin_lla=(51.3, 4.25, 5.0),
            config={"dt": 1.0, "note": "written by an old dronewall"},
        )  # fmt: skip
        store.add_sensors(
            rid,
            [{"sensor_id": "r1", "kind": "radar", "lat": 51.3, "lon": 4.2, "h_m": 12.0},
             {"sensor_id": "e1", "kind": "eoir", "lat": 51.31, "lon": 4.21}],
        )  # fmt: skip
        store.add_objects(
            rid,
            [{"object_id": "h1", "type_id": "shahed", "object_class": "loitering-munition",
              "allegiance": "hostile", "target_site": "doel", "rcs_m2": 0.5}],
        )  # fmt: skip
        store.append_detections(
            rid,
            DetectionBatch.build(
                t=c["det_t"], sensor=c["det_sensor"], kind=0, z=c["det_z"], R=c["det_R"],
                sensor_pos=c["det_sensor_pos"], rcs_m2=c["det_rcs_m2"],
            ),
        )  # fmt: skip
        for k, t in enumerate(c["truth_t"]):
            store.append_truth(rid, float(t), [0, 1], c["truth_enu"][k], c["truth_lla"][k])
        tracks = TrackTable(
            t=1.75e9, track_id=np.array([7, 9]), status=np.array([1, 2], np.int8),
            x=c["track_x"], P=c["track_P"], t_first=np.full(2, 1.75e9),
            t_update=np.full(2, 1.75e9), hits=np.full(2, 3, np.int32), misses=np.zeros(2, np.int32),
            ident=np.array([-1, 4242]), rcs_dbsm=np.full(2, np.nan), sensors=np.ones(2, np.int64),
            truth=np.array([0, -1], np.int32),
        )  # fmt: skip
        store.append_track_updates(
            rid, 1.75e9, tracks, np.zeros((2, 3)), ["loitering-munition", "bird"],
            np.array([0.9, 0.6]), ["hostile", "neutral"], np.array([0.8, 0.0]),
        )  # fmt: skip
        store.append_events(
            rid,
            [Event(t=t, kind=k, track_id=i, site_id=s, payload=p) for t, k, i, s, p in c["events"]],
        )
        if hasattr(store, "append_audit"):  # version 3 and later
            store.append_audit(**AUDIT)
        store.finish_run(rid, {"gospa": 12.5}, "finished")


if __name__ == "__main__":  # pragma: no cover
    out = Path(sys.argv[1])
    if not out.is_absolute():
        out = Path(__file__).resolve().parent / out
    if out.exists():
        sys.exit(f"{out} exists")
    write(out)
    print(out)
